//! [`AppsStore`] on SQL. Every transaction starts with a write (an `UPDATE` of the
//! parent row doubles as the "exists in this pool" check), so SQLite takes its write lock up
//! front; returning early drops the transaction, which rolls it back.

use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use tessera_core::model::tenant::Agreement;
use tessera_core::model::Application;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::apps::{
    AgreementFields, AppFields, AppListMatch, AppRows, AppWithConfig, AppsStore, AppsTx,
};
use tessera_core::store::pool_admin::WhitelistEntry;
use tessera_core::{Entity, Error, Result};

use super::statement::{targeted_update, SetValue, Sql};
use super::tenants::{json_col, touch, unique_as};
use super::unit::SqlWriteTx;
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

    async fn apps_with_config(&self, pool_id: &str) -> Result<Vec<AppWithConfig>> {
        sqlx::query(&format!(
            "SELECT {}, config FROM applications WHERE pool_id = $1 ORDER BY created_at, id",
            rows::APP_COLUMNS
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Ok((rows::app(r)?, json_col(r, "config")?)))
        .collect()
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

    async fn insert_app_checked(
        &self,
        app: &Application,
        config: &Map<String, Value>,
    ) -> Result<()> {
        atomically!(self, tx, {
            insert_app_query(&APP_INSERT, app)?
                .execute(&mut *tx)
                .await
                // The identifier is the only unique column besides the random primary key.
                .map_err(|e| unique_as(e, Error::DomainTaken))?;
            if !config.is_empty() {
                sqlx::query("UPDATE applications SET config = $1 WHERE id = $2")
                    .bind(to_json(config)?)
                    .bind(&app.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn app_identifier_exists(&self, identifier: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT id FROM applications WHERE identifier = $1")
                .bind(identifier)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .is_some(),
        )
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

    async fn update_agreement(
        &self,
        pool_id: &str,
        app_id: &str,
        id: i64,
        fields: &AgreementFields,
        at: i64,
    ) -> Result<Agreement> {
        // Column names come from this list; values are bound. `updated_at` is always set.
        let mut sql = Sql::default();
        let mut sets = Vec::new();
        if let Some(v) = &fields.title {
            sets.push(format!("title = {}", sql.bind(v)));
        }
        if let Some(v) = &fields.lang {
            sets.push(format!("lang = {}", sql.bind(v)));
        }
        if let Some(v) = fields.required {
            sets.push(format!("required = {}", sql.bind_int(i64::from(v))));
        }
        sets.push(format!("updated_at = {}", sql.bind_int(at)));
        let (p, a, i) = (
            sql.bind(pool_id),
            sql.bind(app_id),
            sql.bind(&id.to_string()),
        );
        sql.text = format!(
            "UPDATE app_agreements SET {} WHERE pool_id = {p} AND app_id = {a} AND id = {i} \
             RETURNING {AGREEMENT_COLUMNS}",
            sets.join(", ")
        );
        sql.query()
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(agreement)
            .transpose()?
            .ok_or(Error::NotFound(Entity::Agreement))
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

    async fn app_whitelist(
        &self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
    ) -> Result<Vec<WhitelistEntry>> {
        sqlx::query(
            "SELECT value, created_at, updated_at FROM app_whitelist_entries \
             WHERE pool_id = $1 AND app_id = $2 AND type = $3 ORDER BY created_at, value_key",
        )
        .bind(pool_id)
        .bind(app_id)
        .bind(kind)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(WhitelistEntry {
                value: col(r, "value")?,
                created_at: col(r, "created_at")?,
                updated_at: col(r, "updated_at")?,
            })
        })
        .collect()
    }

    async fn app_whitelist_match(
        &self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
        key: &str,
    ) -> Result<AppListMatch> {
        // The key's own row first (the primary key); only a miss asks whether the list has
        // any entry at all, one row of the same index.
        let listed = sqlx::query(
            "SELECT 1 AS one FROM app_whitelist_entries \
             WHERE pool_id = $1 AND app_id = $2 AND type = $3 AND value_key = $4",
        )
        .bind(pool_id)
        .bind(app_id)
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .is_some();
        if listed {
            return Ok(AppListMatch::Listed);
        }
        let any = sqlx::query(
            "SELECT 1 AS one FROM app_whitelist_entries \
             WHERE pool_id = $1 AND app_id = $2 AND type = $3 LIMIT 1",
        )
        .bind(pool_id)
        .bind(app_id)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .is_some();
        Ok(if any {
            AppListMatch::NotListed
        } else {
            AppListMatch::NoList
        })
    }
}

#[async_trait]
impl AppsTx for SqlWriteTx {
    async fn app_exists(&mut self, pool_id: &str, app_id: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM applications WHERE pool_id = $1 AND id = $2")
                .bind(pool_id)
                .bind(app_id)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db_err)?
                .is_some(),
        )
    }

    async fn app(&mut self, pool_id: &str, app_id: &str) -> Result<Option<Application>> {
        self.by_id(
            "applications",
            rows::APP_COLUMNS,
            pool_id,
            app_id,
            rows::app,
        )
        .await
    }

    async fn update_app_fields(
        &mut self,
        pool_id: &str,
        app_id: &str,
        fields: &AppFields,
        at: i64,
    ) -> Result<Application> {
        let mut sets = Vec::new();
        if let Some(v) = &fields.name {
            sets.push(("name", SetValue::Text(v.clone())));
        }
        if let Some(v) = &fields.description {
            sets.push(("description", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.logo {
            sets.push(("logo", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.oidc {
            sets.push(("oidc", SetValue::Text(to_json(v)?)));
        }
        targeted_update("applications", sets, at, pool_id, app_id, rows::APP_COLUMNS)
            .query()
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(rows::app)
            .transpose()?
            .ok_or(Error::AppNotFound)
    }

    async fn delete_app_rows(&mut self, pool_id: &str, app_id: &str, rows: AppRows) -> Result<()> {
        let table = match rows {
            AppRows::Agreements => "app_agreements",
            AppRows::AccessRules => "app_access_policies",
            AppRows::AccessKeys => "access_keys",
            AppRows::Whitelist => "app_whitelist_entries",
        };
        self.delete_in(table, "app_id", pool_id, &[app_id.to_owned()])
            .await
            .map(drop)
    }

    async fn delete_app(&mut self, pool_id: &str, app_id: &str) -> Result<()> {
        self.delete_in("applications", "id", pool_id, &[app_id.to_owned()])
            .await
            .map(drop)
    }

    async fn add_app_whitelist(
        &mut self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
        entries: &[(String, String)],
        at: i64,
    ) -> Result<()> {
        for (value, key) in entries {
            sqlx::query(
                "INSERT INTO app_whitelist_entries (pool_id, app_id, type, value, value_key, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (pool_id, app_id, type, value_key) DO NOTHING",
            )
            .bind(pool_id)
            .bind(app_id)
            .bind(kind)
            .bind(value)
            .bind(key)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn remove_app_whitelist(
        &mut self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
        keys: &[String],
    ) -> Result<()> {
        for key in keys {
            sqlx::query(
                "DELETE FROM app_whitelist_entries WHERE pool_id = $1 AND app_id = $2 \
                 AND type = $3 AND value_key = $4",
            )
            .bind(pool_id)
            .bind(app_id)
            .bind(kind)
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn last_agreement_order(&mut self, pool_id: &str, app_id: &str) -> Result<i64> {
        col(
            &sqlx::query(
                "SELECT COALESCE(MAX(sort_order), 0) AS n FROM app_agreements \
                 WHERE pool_id = $1 AND app_id = $2",
            )
            .bind(pool_id)
            .bind(app_id)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db_err)?,
            "n",
        )
    }

    async fn insert_agreement(&mut self, a: &Agreement) -> Result<()> {
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
        .bind(a.order)
        .bind(a.created_at)
        .bind(a.updated_at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| unique_as(e, Error::Duplicate(Entity::Agreement)))?;
        Ok(())
    }

    async fn agreement_ids(&mut self, pool_id: &str, app_id: &str) -> Result<Vec<i64>> {
        sqlx::query("SELECT id FROM app_agreements WHERE pool_id = $1 AND app_id = $2")
            .bind(pool_id)
            .bind(app_id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                let id: String = col(r, "id")?;
                id.parse()
                    .map_err(|_| Error::Storage(format!("app_agreements.id {id} is not a number")))
            })
            .collect()
    }

    async fn set_agreement_order(
        &mut self,
        pool_id: &str,
        app_id: &str,
        id: i64,
        order: i64,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE app_agreements SET sort_order = $1, updated_at = $2 \
             WHERE pool_id = $3 AND app_id = $4 AND id = $5",
        )
        .bind(order)
        .bind(at)
        .bind(pool_id)
        .bind(app_id)
        .bind(id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
