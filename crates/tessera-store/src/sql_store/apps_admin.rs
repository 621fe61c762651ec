//! [`AppsAdminStore`] on SQL. Every transaction starts with a write (an `UPDATE` of the
//! parent row doubles as the "exists in this pool" check), so SQLite takes its write lock up
//! front; returning early drops the transaction, which rolls it back.

use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use tessera_core::model::tenant::{
    Agreement, ExtIdp, ExtIdpConn, MfaFactor, MfaType, Tenant, TenantMember,
};
use tessera_core::model::Application;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::apps_admin::{AppWithConfig, AppsAdminStore, MemberFlag};
use tessera_core::{Entity, Error, Result};

use super::{db_err, insert_app_query, SqlStore, APP_INSERT};
use crate::rows::{self, col, flag, to_json};

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

const TENANT_COLUMNS: &str =
    "id, pool_id, name, description, logo, app_ids, config, created_at, updated_at";
const AGREEMENT_COLUMNS: &str =
    "id, pool_id, app_id, title, lang, required, sort_order, created_at, updated_at";
const IDP_COLUMNS: &str = "id, pool_id, tenant_id, name, type, created_at, updated_at";
const CONN_COLUMNS: &str = "id, pool_id, ext_idp_id, type, identifier, display_name, fields, \
     user_match_fields, logo, enabled, created_at, updated_at";
const MFA_COLUMNS: &str = "id, pool_id, user_id, type, secret, recovery, enabled, created_at";

fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, name: &str) -> Result<T> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| Error::Storage(format!("column {name}: {e}")))
}

fn tenant(row: &AnyRow) -> Result<Tenant> {
    Ok(Tenant {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        logo: col(row, "logo")?,
        app_ids: json_col(row, "app_ids")?,
        config: json_col(row, "config")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

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

fn idp(row: &AnyRow) -> Result<ExtIdp> {
    Ok(ExtIdp {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        kind: col(row, "type")?,
        connections: Vec::new(),
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn conn(row: &AnyRow) -> Result<ExtIdpConn> {
    Ok(ExtIdpConn {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        ext_idp_id: col(row, "ext_idp_id")?,
        kind: col(row, "type")?,
        identifier: col(row, "identifier")?,
        display_name: col(row, "display_name")?,
        fields: json_col(row, "fields")?,
        user_match_fields: json_col(row, "user_match_fields")?,
        logo: col(row, "logo")?,
        enabled: flag(row, "enabled")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn mfa(row: &AnyRow) -> Result<MfaFactor> {
    let kind: String = col(row, "type")?;
    Ok(MfaFactor {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        user_id: col(row, "user_id")?,
        kind: MfaType::parse(&kind)
            .ok_or_else(|| Error::Storage(format!("mfa_factors.type {kind} is unknown")))?,
        secret: col(row, "secret")?,
        recovery: col(row, "recovery")?,
        enabled: flag(row, "enabled")?,
        created_at: col(row, "created_at")?,
    })
}

/// A unique violation becomes `err`; anything else is a storage failure.
fn unique_as(e: sqlx::Error, err: Error) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => err,
        _ => db_err(e),
    }
}

/// Touches a row of `table` in the pool (the transaction's first write) and fails with
/// `missing` if there is none.
async fn touch(
    tx: &mut Tx<'_>,
    table: &'static str,
    pool_id: &str,
    id: &str,
    at: i64,
    missing: Error,
) -> Result<()> {
    let n = sqlx::query(&format!(
        "UPDATE {table} SET updated_at = $1 WHERE pool_id = $2 AND id = $3"
    ))
    .bind(at)
    .bind(pool_id)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if n == 0 {
        return Err(missing);
    }
    Ok(())
}

/// Fails with [`Error::AppNotFound`] unless every id is an application of the pool.
async fn check_apps(tx: &mut Tx<'_>, pool_id: &str, app_ids: &[String]) -> Result<()> {
    for app_id in app_ids {
        let found = sqlx::query("SELECT id FROM applications WHERE pool_id = $1 AND id = $2")
            .bind(pool_id)
            .bind(app_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        if found.is_none() {
            return Err(Error::AppNotFound);
        }
    }
    Ok(())
}

async fn insert_conn(tx: &mut Tx<'_>, c: &ExtIdpConn) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO ext_idp_conns ({CONN_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&c.id)
    .bind(&c.pool_id)
    .bind(&c.ext_idp_id)
    .bind(&c.kind)
    .bind(&c.identifier)
    .bind(&c.display_name)
    .bind(to_json(&c.fields)?)
    .bind(to_json(&c.user_match_fields)?)
    .bind(&c.logo)
    .bind(i64::from(c.enabled))
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(&mut **tx)
    .await
    .map_err(|e| unique_as(e, Error::Duplicate(Entity::ExtIdpConnIdentifier)))?;
    Ok(())
}

impl SqlStore {
    async fn conns_of(&self, pool_id: &str, ext_idp_id: &str) -> Result<Vec<ExtIdpConn>> {
        sqlx::query(&format!(
            "SELECT {CONN_COLUMNS} FROM ext_idp_conns WHERE pool_id = $1 AND ext_idp_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(ext_idp_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(conn)
        .collect()
    }

    async fn with_conns(&self, mut idp: ExtIdp) -> Result<ExtIdp> {
        idp.connections = self.conns_of(&idp.pool_id, &idp.id).await?;
        Ok(idp)
    }
}

#[async_trait]
impl AppsAdminStore for SqlStore {
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
            super::directory_admin::delete_namespace_contents(&mut tx, pool_id, app_id).await?;
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

    async fn insert_tenant(&self, t: &Tenant) -> Result<()> {
        atomically!(self, tx, {
            sqlx::query(&format!(
                "INSERT INTO tenants ({TENANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(&t.id)
            .bind(&t.pool_id)
            .bind(&t.name)
            .bind(&t.description)
            .bind(&t.logo)
            .bind(to_json(&t.app_ids)?)
            .bind(to_json(&t.config)?)
            .bind(t.created_at)
            .bind(t.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            check_apps(&mut tx, &t.pool_id, &t.app_ids).await?;
            Ok(())
        })
    }

    async fn get_tenant(&self, pool_id: &str, id: &str) -> Result<Option<Tenant>> {
        sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(tenant)
        .transpose()
    }

    async fn list_tenants(&self, pool_id: &str, page: Page) -> Result<Paged<Tenant>> {
        let total_count: i64 = col(
            &sqlx::query("SELECT COUNT(*) AS n FROM tenants WHERE pool_id = $1")
                .bind(pool_id)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?,
            "n",
        )?;
        let list = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 ORDER BY created_at, id \
             LIMIT $2 OFFSET $3"
        ))
        .bind(pool_id)
        .bind(page.limit)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(tenant)
        .collect::<Result<Vec<_>>>()?;
        Ok(Paged { total_count, list })
    }

    async fn update_tenant(&self, t: &Tenant) -> Result<()> {
        atomically!(self, tx, {
            let n = sqlx::query(
                "UPDATE tenants SET name = $1, description = $2, logo = $3, app_ids = $4, \
                 config = $5, updated_at = $6 WHERE pool_id = $7 AND id = $8",
            )
            .bind(&t.name)
            .bind(&t.description)
            .bind(&t.logo)
            .bind(to_json(&t.app_ids)?)
            .bind(to_json(&t.config)?)
            .bind(t.updated_at)
            .bind(&t.pool_id)
            .bind(&t.id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Entity::Tenant));
            }
            check_apps(&mut tx, &t.pool_id, &t.app_ids).await?;
            Ok(())
        })
    }

    async fn delete_tenant(&self, pool_id: &str, id: &str) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "tenants",
                pool_id,
                id,
                tessera_core::clock::now_ms(),
                Error::NotFound(Entity::Tenant),
            )
            .await?;
            for sql in [
                "DELETE FROM ext_idp_conns WHERE pool_id = $1 AND ext_idp_id IN \
                 (SELECT id FROM ext_idps WHERE pool_id = $1 AND tenant_id = $2)",
                "DELETE FROM ext_idps WHERE pool_id = $1 AND tenant_id = $2",
                "DELETE FROM tenant_members WHERE pool_id = $1 AND tenant_id = $2",
                // Organizations outlive their tenant; they just stop naming it.
                "UPDATE orgs SET tenant_id = NULL WHERE pool_id = $1 AND tenant_id = $2",
                "DELETE FROM tenants WHERE pool_id = $1 AND id = $2",
            ] {
                sqlx::query(sql)
                    .bind(pool_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn tenants_of_app(&self, pool_id: &str, app_id: &str) -> Result<Vec<Tenant>> {
        // The LIKE narrows the pool's tenants to candidates; the exact test is on the array.
        let pattern = format!("%{}%", serde_json::Value::from(app_id));
        let all = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 AND app_ids LIKE $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(&pattern)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(tenant)
        .collect::<Result<Vec<_>>>()?;
        Ok(all
            .into_iter()
            .filter(|t| t.app_ids.iter().any(|a| a == app_id))
            .collect())
    }

    async fn tenants_of_user(&self, pool_id: &str, user_id: &str) -> Result<Vec<Tenant>> {
        sqlx::query(&format!(
            "SELECT {} FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id \
             WHERE m.user_id = $1 AND m.pool_id = $2 AND t.pool_id = $2 \
             ORDER BY m.created_at, t.id",
            TENANT_COLUMNS
                .split(", ")
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(user_id)
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(tenant)
        .collect()
    }

    async fn tenant_members(
        &self,
        pool_id: &str,
        tenant_id: &str,
        page: Page,
    ) -> Result<Paged<TenantMember>> {
        let total_count: i64 = col(
            &sqlx::query(
                "SELECT COUNT(*) AS n FROM tenant_members WHERE tenant_id = $1 AND pool_id = $2",
            )
            .bind(tenant_id)
            .bind(pool_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?,
            "n",
        )?;
        let list = sqlx::query(
            "SELECT tenant_id, user_id, is_admin, enabled, created_at FROM tenant_members \
             WHERE tenant_id = $1 AND pool_id = $2 ORDER BY created_at, user_id \
             LIMIT $3 OFFSET $4",
        )
        .bind(tenant_id)
        .bind(pool_id)
        .bind(page.limit)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(TenantMember {
                tenant_id: col(r, "tenant_id")?,
                user_id: col(r, "user_id")?,
                is_admin: flag(r, "is_admin")?,
                enabled: flag(r, "enabled")?,
                created_at: col(r, "created_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Paged { total_count, list })
    }

    async fn add_tenant_members(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_ids: &[String],
        admin: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "tenants",
                pool_id,
                tenant_id,
                at,
                Error::NotFound(Entity::Tenant),
            )
            .await?;
            let on_conflict = if admin {
                "DO UPDATE SET is_admin = 1"
            } else {
                "DO NOTHING"
            };
            for user_id in user_ids {
                let found = sqlx::query("SELECT id FROM users WHERE pool_id = $1 AND id = $2")
                    .bind(pool_id)
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if found.is_none() {
                    return Err(Error::UserNotFound);
                }
                sqlx::query(&format!(
                    "INSERT INTO tenant_members (tenant_id, user_id, pool_id, is_admin, enabled, \
                     created_at) VALUES ($1, $2, $3, $4, 1, $5) \
                     ON CONFLICT (tenant_id, user_id) {on_conflict}"
                ))
                .bind(tenant_id)
                .bind(user_id)
                .bind(pool_id)
                .bind(i64::from(admin))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn remove_tenant_member(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<()> {
        let n = sqlx::query(
            "DELETE FROM tenant_members WHERE pool_id = $1 AND tenant_id = $2 AND user_id = $3",
        )
        .bind(pool_id)
        .bind(tenant_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::TenantMember));
        }
        Ok(())
    }

    async fn set_tenant_member_flag(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
        which: MemberFlag,
        value: bool,
    ) -> Result<()> {
        let column = match which {
            MemberFlag::Admin => "is_admin",
            MemberFlag::Enabled => "enabled",
        };
        let n = sqlx::query(&format!(
            "UPDATE tenant_members SET {column} = $1 \
             WHERE pool_id = $2 AND tenant_id = $3 AND user_id = $4"
        ))
        .bind(i64::from(value))
        .bind(pool_id)
        .bind(tenant_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::TenantMember));
        }
        Ok(())
    }

    async fn insert_ext_idp(&self, idp: &ExtIdp) -> Result<()> {
        atomically!(self, tx, {
            // The tenant's row is touched first: it proves the tenant is of this pool before the
            // foreign key would turn a bad id into a storage error, and takes the write lock.
            if let Some(tenant_id) = &idp.tenant_id {
                touch(
                    &mut tx,
                    "tenants",
                    &idp.pool_id,
                    tenant_id,
                    idp.created_at,
                    Error::NotFound(Entity::Tenant),
                )
                .await?;
            }
            sqlx::query(&format!(
                "INSERT INTO ext_idps ({IDP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(&idp.id)
            .bind(&idp.pool_id)
            .bind(&idp.tenant_id)
            .bind(&idp.name)
            .bind(&idp.kind)
            .bind(idp.created_at)
            .bind(idp.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            for c in &idp.connections {
                insert_conn(&mut tx, c).await?;
            }
            Ok(())
        })
    }

    async fn get_ext_idp(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdp>> {
        let row = sqlx::query(&format!(
            "SELECT {IDP_COLUMNS} FROM ext_idps WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(self.with_conns(idp(&r)?).await?)),
        }
    }

    async fn list_ext_idps(&self, pool_id: &str, tenant_id: Option<&str>) -> Result<Vec<ExtIdp>> {
        let by_tenant = format!(
            "SELECT {IDP_COLUMNS} FROM ext_idps WHERE pool_id = $1 AND tenant_id = $2 \
             ORDER BY created_at, id"
        );
        let all = format!(
            "SELECT {IDP_COLUMNS} FROM ext_idps WHERE pool_id = $1 ORDER BY created_at, id"
        );
        let rows = match tenant_id {
            Some(t) => sqlx::query(&by_tenant).bind(pool_id).bind(t),
            None => sqlx::query(&all).bind(pool_id),
        }
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.with_conns(idp(r)?).await?);
        }
        Ok(out)
    }

    async fn rename_ext_idp(&self, pool_id: &str, id: &str, name: &str, at: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE ext_idps SET name = $1, updated_at = $2 WHERE pool_id = $3 AND id = $4",
        )
        .bind(name)
        .bind(at)
        .bind(pool_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::ExtIdp));
        }
        Ok(())
    }

    async fn delete_ext_idp(&self, pool_id: &str, id: &str) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "ext_idps",
                pool_id,
                id,
                tessera_core::clock::now_ms(),
                Error::NotFound(Entity::ExtIdp),
            )
            .await?;
            for sql in [
                "DELETE FROM ext_idp_conns WHERE pool_id = $1 AND ext_idp_id = $2",
                "DELETE FROM ext_idps WHERE pool_id = $1 AND id = $2",
            ] {
                sqlx::query(sql)
                    .bind(pool_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn insert_ext_idp_conn(&self, c: &ExtIdpConn) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "ext_idps",
                &c.pool_id,
                &c.ext_idp_id,
                c.created_at,
                Error::NotFound(Entity::ExtIdp),
            )
            .await?;
            insert_conn(&mut tx, c).await?;
            Ok(())
        })
    }

    async fn get_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdpConn>> {
        sqlx::query(&format!(
            "SELECT {CONN_COLUMNS} FROM ext_idp_conns WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(conn)
        .transpose()
    }

    async fn update_ext_idp_conn(&self, c: &ExtIdpConn) -> Result<()> {
        let n = sqlx::query(
            "UPDATE ext_idp_conns SET display_name = $1, fields = $2, user_match_fields = $3, \
             logo = $4, updated_at = $5 WHERE pool_id = $6 AND id = $7",
        )
        .bind(&c.display_name)
        .bind(to_json(&c.fields)?)
        .bind(to_json(&c.user_match_fields)?)
        .bind(&c.logo)
        .bind(c.updated_at)
        .bind(&c.pool_id)
        .bind(&c.id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::ExtIdpConn));
        }
        Ok(())
    }

    async fn delete_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<()> {
        let n = sqlx::query("DELETE FROM ext_idp_conns WHERE pool_id = $1 AND id = $2")
            .bind(pool_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::ExtIdpConn));
        }
        Ok(())
    }

    async fn ext_idp_conn_identifier_taken(&self, pool_id: &str, identifier: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT id FROM ext_idp_conns WHERE pool_id = $1 AND identifier = $2")
                .bind(pool_id)
                .bind(identifier)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .is_some(),
        )
    }

    async fn set_ext_idp_conn_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE ext_idp_conns SET enabled = $1, updated_at = $2 WHERE pool_id = $3 AND id = $4",
        )
        .bind(i64::from(enabled))
        .bind(at)
        .bind(pool_id)
        .bind(conn_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::ExtIdpConn));
        }
        Ok(())
    }

    async fn set_ext_idp_conns_enabled(
        &self,
        pool_id: &str,
        ext_idp_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "ext_idps",
                pool_id,
                ext_idp_id,
                at,
                Error::NotFound(Entity::ExtIdp),
            )
            .await?;
            sqlx::query(
                "UPDATE ext_idp_conns SET enabled = $1, updated_at = $2 \
                 WHERE pool_id = $3 AND ext_idp_id = $4",
            )
            .bind(i64::from(enabled))
            .bind(at)
            .bind(pool_id)
            .bind(ext_idp_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    async fn mfa_factors(&self, pool_id: &str, user_id: &str) -> Result<Vec<MfaFactor>> {
        sqlx::query(&format!(
            "SELECT {MFA_COLUMNS} FROM mfa_factors WHERE pool_id = $1 AND user_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(mfa)
        .collect()
    }

    async fn delete_mfa_factors(&self, pool_id: &str, user_id: &str, kind: MfaType) -> Result<u64> {
        sqlx::query("DELETE FROM mfa_factors WHERE pool_id = $1 AND user_id = $2 AND type = $3")
            .bind(pool_id)
            .bind(user_id)
            .bind(kind.as_str())
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_err)
    }

    async fn put_mfa_factor(&self, f: &MfaFactor) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO mfa_factors ({MFA_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (pool_id, user_id, type) DO UPDATE SET id = excluded.id, \
             secret = excluded.secret, recovery = excluded.recovery, \
             enabled = excluded.enabled, created_at = excluded.created_at"
        ))
        .bind(&f.id)
        .bind(&f.pool_id)
        .bind(&f.user_id)
        .bind(f.kind.as_str())
        .bind(&f.secret)
        .bind(&f.recovery)
        .bind(i64::from(f.enabled))
        .bind(f.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
