//! [`AppsStore`] on SQL. Every transaction starts with a write (an `UPDATE` of the
//! parent row doubles as the "exists in this pool" check), so SQLite takes its write lock up
//! front; returning early drops the transaction, which rolls it back.

use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use tessera_core::model::tenant::Agreement;
use tessera_core::model::Application;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::apps::{AppWithConfig, AppsStore};
use tessera_core::{Entity, Error, Result};

use super::tenants::{json_col, tenant, touch, unique_as, TENANT_COLUMNS};
use super::{db_err, insert_app_query, SqlStore, APP_INSERT};
use crate::rows::{self, col, flag, to_json};

const AGREEMENT_COLUMNS: &str =
    "id, pool_id, app_id, title, lang, required, sort_order, created_at, updated_at";

fn agreement(row: &AnyRow) -> Result<Agreement> {
    let id: String = col(row, "id")?;
    Ok(Agreement {
        id: id
            .parse()
            .map_err(|_| Error::Storage(format!("app_agreements.id {id} is not a number")))?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        title: col(row, "title")?,
        lang: col(row, "lang")?,
        required: flag(row, "required")?,
        order: col(row, "sort_order")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

#[async_trait]
impl AppsStore for SqlStore {
    // --- applications -----------------------------------------------------------------

    async fn list_apps_page(&self, pool_id: &str, page: Page) -> Result<Paged<AppWithConfig>> {
        let total_count: i64 = col(
            &sqlx::query("SELECT COUNT(*) AS n FROM applications WHERE pool_id = $1")
                .bind(pool_id)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?,
            "n",
        )?;
        let list = sqlx::query(&format!(
            "SELECT {}, config FROM applications WHERE pool_id = $1 ORDER BY created_at, id \
             LIMIT $2 OFFSET $3",
            rows::APP_COLUMNS
        ))
        .bind(pool_id)
        .bind(page.limit)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Ok((rows::app(r)?, json_col(r, "config")?)))
        .collect::<Result<Vec<_>>>()?;
        Ok(Paged { total_count, list })
    }

    async fn app_with_config(&self, pool_id: &str, app_id: &str) -> Result<Option<AppWithConfig>> {
        let row = sqlx::query(&format!(
            "SELECT {}, config FROM applications WHERE pool_id = $1 AND id = $2",
            rows::APP_COLUMNS
        ))
        .bind(pool_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((rows::app(&r)?, json_col(&r, "config")?))),
        }
    }

    async fn insert_app_checked(&self, app: &Application) -> Result<()> {
        insert_app_query(&APP_INSERT, app)?
            .execute(&self.pool)
            .await
            // The identifier is the only unique column besides the random primary key.
            .map_err(|e| unique_as(e, Error::DomainTaken))?;
        Ok(())
    }

    async fn delete_app(&self, pool_id: &str, app_id: &str) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "applications",
                pool_id,
                app_id,
                tessera_core::clock::now_ms(),
                Error::AppNotFound,
            )
            .await?;
            // The foreign keys would cascade too; deleting explicitly keeps the rule visible here
            // and independent of the backend's foreign-key setting.
            for sql in [
                "DELETE FROM app_agreements WHERE pool_id = $1 AND app_id = $2",
                "DELETE FROM app_access_policies WHERE pool_id = $1 AND app_id = $2",
                "DELETE FROM access_keys WHERE pool_id = $1 AND app_id = $2",
            ] {
                sqlx::query(sql)
                    .bind(pool_id)
                    .bind(app_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            // The application's own permission namespace (its code is the app id) goes with it.
            sqlx::query("DELETE FROM resource_namespaces WHERE pool_id = $1 AND code = $2")
                .bind(pool_id)
                .bind(app_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            super::authorization::delete_namespace_contents(&mut tx, pool_id, app_id).await?;
            // Tenants list their applications in a JSON array: drop the id from each.
            let pattern = format!("%{}%", serde_json::Value::from(app_id));
            let using = sqlx::query(&format!(
                "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 AND app_ids LIKE $2"
            ))
            .bind(pool_id)
            .bind(&pattern)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(tenant)
            .collect::<Result<Vec<_>>>()?;
            for t in using {
                let kept: Vec<&String> = t.app_ids.iter().filter(|a| *a != app_id).collect();
                if kept.len() != t.app_ids.len() {
                    sqlx::query("UPDATE tenants SET app_ids = $1 WHERE id = $2")
                        .bind(to_json(&kept)?)
                        .bind(&t.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
            }
            sqlx::query("DELETE FROM applications WHERE pool_id = $1 AND id = $2")
                .bind(pool_id)
                .bind(app_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            Ok(())
        })
    }

    async fn set_app_secret(
        &self,
        pool_id: &str,
        app_id: &str,
        secret: &str,
        at: i64,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE applications SET secret = $1, updated_at = $2 WHERE pool_id = $3 AND id = $4",
        )
        .bind(secret)
        .bind(at)
        .bind(pool_id)
        .bind(app_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::AppNotFound);
        }
        Ok(())
    }

    async fn set_app_config_value(
        &self,
        pool_id: &str,
        app_id: &str,
        key: &str,
        value: Value,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            // Writing first locks the row, so a concurrent change of another key is not lost
            // between our read and our write.
            touch(
                &mut tx,
                "applications",
                pool_id,
                app_id,
                at,
                Error::AppNotFound,
            )
            .await?;
            let row = sqlx::query("SELECT config FROM applications WHERE id = $1")
                .bind(app_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            let mut config: Map<String, Value> = json_col(&row, "config")?;
            config.insert(key.to_owned(), value);
            sqlx::query("UPDATE applications SET config = $1 WHERE id = $2")
                .bind(to_json(&config)?)
                .bind(app_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            Ok(())
        })
    }

    // --- agreements -------------------------------------------------------------------

    async fn insert_agreement(&self, a: &Agreement) -> Result<i64> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "applications",
                &a.pool_id,
                &a.app_id,
                a.created_at,
                Error::AppNotFound,
            )
            .await?;
            let last: i64 = col(
                &sqlx::query(
                    "SELECT COALESCE(MAX(sort_order), 0) AS n FROM app_agreements WHERE app_id = $1",
                )
                .bind(&a.app_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?,
                "n",
            )?;
            let order = last + 1;
            sqlx::query(&format!(
                "INSERT INTO app_agreements ({AGREEMENT_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(a.id.to_string())
            .bind(&a.pool_id)
            .bind(&a.app_id)
            .bind(&a.title)
            .bind(&a.lang)
            .bind(i64::from(a.required))
            .bind(order)
            .bind(a.created_at)
            .bind(a.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_as(e, Error::Duplicate(Entity::Agreement)))?;
            Ok(order)
        })
    }

    async fn list_agreements(&self, pool_id: &str, app_id: &str) -> Result<Vec<Agreement>> {
        sqlx::query(&format!(
            "SELECT {AGREEMENT_COLUMNS} FROM app_agreements WHERE pool_id = $1 AND app_id = $2 \
             ORDER BY sort_order, created_at, id"
        ))
        .bind(pool_id)
        .bind(app_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(agreement)
        .collect()
    }

    async fn update_agreement(&self, a: &Agreement) -> Result<()> {
        let n = sqlx::query(
            "UPDATE app_agreements SET title = $1, lang = $2, required = $3, updated_at = $4 \
             WHERE pool_id = $5 AND app_id = $6 AND id = $7",
        )
        .bind(&a.title)
        .bind(&a.lang)
        .bind(i64::from(a.required))
        .bind(a.updated_at)
        .bind(&a.pool_id)
        .bind(&a.app_id)
        .bind(a.id.to_string())
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::Agreement));
        }
        Ok(())
    }

    async fn delete_agreement(&self, pool_id: &str, app_id: &str, id: i64) -> Result<()> {
        let n = sqlx::query(
            "DELETE FROM app_agreements WHERE pool_id = $1 AND app_id = $2 AND id = $3",
        )
        .bind(pool_id)
        .bind(app_id)
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::Agreement));
        }
        Ok(())
    }

    async fn sort_agreements(
        &self,
        pool_id: &str,
        app_id: &str,
        ids: &[i64],
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "applications",
                pool_id,
                app_id,
                at,
                Error::AppNotFound,
            )
            .await?;
            let mut existing: Vec<i64> = Vec::new();
            for r in sqlx::query("SELECT id FROM app_agreements WHERE app_id = $1")
                .bind(app_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?
            {
                let id: String = col(&r, "id")?;
                existing.push(id.parse().map_err(|_| {
                    Error::Storage(format!("app_agreements.id {id} is not a number"))
                })?);
            }
            let mut given = ids.to_vec();
            given.sort_unstable();
            existing.sort_unstable();
            // A partial or repeated list would leave two agreements at one position.
            if given != existing {
                return Err(Error::AgreementOrderMismatch);
            }
            for (i, id) in ids.iter().enumerate() {
                sqlx::query(
                    "UPDATE app_agreements SET sort_order = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(i as i64 + 1)
                .bind(at)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Ok(())
        })
    }
}
