//! [`TenantConfigStore`] on SQL: the configuration row, written by a version-checked
//! statement (an `UPDATE … WHERE updated_at = $expected`, or an insert that a concurrent
//! first insert makes fail), and the connection states for tenants.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::store::tenant_config::{
    PoolTenantConfig, PoolTenantConfigFields, TenantConfigStore, TenantConnRule,
};
use tessera_core::{Entity, Error, Result};

use super::tenants::Tx;
use super::{db_err, SqlStore};
use crate::rows::{col, flag, parse_json, to_json};

const COLUMNS: &str = "pool_id, tenant_login, login_page, tenant_qrcode_enabled, updated_at";

fn config(r: &AnyRow) -> Result<PoolTenantConfig> {
    Ok(PoolTenantConfig {
        pool_id: col(r, "pool_id")?,
        tenant_login: parse_json(&col::<String>(r, "tenant_login")?, "tenant_login")?,
        login_page: parse_json(&col::<String>(r, "login_page")?, "login_page")?,
        tenant_qrcode_enabled: flag(r, "tenant_qrcode_enabled")?,
        updated_at: col(r, "updated_at")?,
    })
}

async fn read_config(tx: &mut Tx<'_>, pool_id: &str) -> Result<Option<PoolTenantConfig>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM pool_tenant_configs WHERE pool_id = $1"
    ))
    .bind(pool_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    row.as_ref().map(config).transpose()
}

/// Fails with `missing` unless `id` is a row of the pool in `table`.
async fn exists(
    tx: &mut Tx<'_>,
    table: &'static str,
    pool_id: &str,
    id: &str,
    missing: Error,
) -> Result<()> {
    let row = sqlx::query(&format!(
        "SELECT 1 FROM {table} WHERE pool_id = $1 AND id = $2"
    ))
    .bind(pool_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    match row {
        Some(_) => Ok(()),
        None => Err(missing),
    }
}

#[async_trait]
impl TenantConfigStore for SqlStore {
    async fn pool_tenant_config(&self, pool_id: &str) -> Result<Option<PoolTenantConfig>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM pool_tenant_configs WHERE pool_id = $1"
        ))
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(config).transpose()
    }

    async fn put_pool_tenant_config(
        &self,
        pool_id: &str,
        fields: &PoolTenantConfigFields,
        expected: Option<i64>,
        at: i64,
    ) -> Result<PoolTenantConfig> {
        atomically!(self, tx, {
            let n = match expected {
                Some(version) => {
                    // Only the named columns; `COALESCE` keeps the others as stored.
                    let tenant_login = fields.tenant_login.as_ref().map(to_json).transpose()?;
                    let login_page = fields.login_page.as_ref().map(to_json).transpose()?;
                    sqlx::query(
                        "UPDATE pool_tenant_configs SET \
                         tenant_login = COALESCE($1, tenant_login), \
                         login_page = COALESCE($2, login_page), \
                         tenant_qrcode_enabled = COALESCE($3, tenant_qrcode_enabled), \
                         updated_at = $4 \
                         WHERE pool_id = $5 AND updated_at = $6",
                    )
                    .bind(tenant_login)
                    .bind(login_page)
                    .bind(fields.tenant_qrcode_enabled.map(i64::from))
                    .bind(at)
                    .bind(pool_id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected()
                }
                None => {
                    let empty = serde_json::Map::new();
                    sqlx::query(
                        "INSERT INTO pool_tenant_configs \
                         (pool_id, tenant_login, login_page, tenant_qrcode_enabled, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pool_id) DO NOTHING",
                    )
                    .bind(pool_id)
                    .bind(to_json(fields.tenant_login.as_ref().unwrap_or(&empty))?)
                    .bind(to_json(fields.login_page.as_ref().unwrap_or(&empty))?)
                    .bind(i64::from(fields.tenant_qrcode_enabled.unwrap_or(true)))
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected()
                }
            };
            if n == 0 {
                return Err(Error::ConcurrentChange);
            }
            read_config(&mut tx, pool_id)
                .await?
                .ok_or(Error::ConcurrentChange)
        })
    }

    async fn set_tenant_conns_offered(
        &self,
        pool_id: &str,
        conn_ids: &[String],
        offered: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            for conn_id in conn_ids {
                // A write first (SQLite takes its write lock up front); the `SELECT` is the
                // "a connection of this pool" check: no row inserted, no such connection.
                let n = sqlx::query(
                    "INSERT INTO pool_tenant_ext_idp_conns (pool_id, conn_id, enabled, updated_at) \
                     SELECT $1, id, $3, $4 FROM ext_idp_conns WHERE pool_id = $1 AND id = $2 \
                     ON CONFLICT (pool_id, conn_id) DO UPDATE SET enabled = $3, updated_at = $4",
                )
                .bind(pool_id)
                .bind(conn_id)
                .bind(i64::from(offered))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err(Error::NotFound(Entity::ExtIdpConn));
                }
            }
            Ok(())
        })
    }

    async fn tenant_conn_offers(&self, pool_id: &str) -> Result<Vec<(String, bool)>> {
        let rows = sqlx::query(
            "SELECT conn_id, enabled FROM pool_tenant_ext_idp_conns WHERE pool_id = $1 \
             ORDER BY conn_id",
        )
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((col(r, "conn_id")?, flag(r, "enabled")?)))
            .collect()
    }

    async fn set_tenant_conn_associated(
        &self,
        pool_id: &str,
        tenant_id: &str,
        conn_id: &str,
        associated: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            // The write first; the join is the "tenant and connection of this pool" check.
            let n = sqlx::query(
                "INSERT INTO tenant_ext_idp_conn_links \
                 (pool_id, tenant_id, conn_id, associated, updated_at) \
                 SELECT $1, t.id, c.id, $4, $5 FROM tenants t, ext_idp_conns c \
                 WHERE t.pool_id = $1 AND t.id = $2 AND c.pool_id = $1 AND c.id = $3 \
                 ON CONFLICT (pool_id, tenant_id, conn_id) \
                 DO UPDATE SET associated = $4, updated_at = $5",
            )
            .bind(pool_id)
            .bind(tenant_id)
            .bind(conn_id)
            .bind(i64::from(associated))
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                exists(
                    &mut tx,
                    "tenants",
                    pool_id,
                    tenant_id,
                    Error::NotFound(Entity::Tenant),
                )
                .await?;
                return Err(Error::NotFound(Entity::ExtIdpConn));
            }
            Ok(())
        })
    }

    async fn tenant_conn_associations(
        &self,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<Vec<(String, bool)>> {
        let rows = sqlx::query(
            "SELECT conn_id, associated FROM tenant_ext_idp_conn_links \
             WHERE pool_id = $1 AND tenant_id = $2 ORDER BY conn_id",
        )
        .bind(pool_id)
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((col(r, "conn_id")?, flag(r, "associated")?)))
            .collect()
    }

    async fn tenant_conn_rule(
        &self,
        pool_id: &str,
        tenant_id: &str,
        conn_id: &str,
    ) -> Result<TenantConnRule> {
        // One round trip: the offer and the association as two scalar subqueries.
        let row = sqlx::query(
            "SELECT \
             (SELECT enabled FROM pool_tenant_ext_idp_conns WHERE pool_id = $1 AND conn_id = $3) \
             AS offered, \
             (SELECT associated FROM tenant_ext_idp_conn_links \
              WHERE pool_id = $1 AND tenant_id = $2 AND conn_id = $3) AS associated",
        )
        .bind(pool_id)
        .bind(tenant_id)
        .bind(conn_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(TenantConnRule {
            offered: col::<Option<i64>>(&row, "offered")?.map(|v| v != 0),
            associated: col::<Option<i64>>(&row, "associated")?.map(|v| v != 0),
        })
    }
}
