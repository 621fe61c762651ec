//! [`DevicesStore`] on SQL: `user_devices`, and `oidc_grants.device_id` (migration 24).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::devices::{Device, DeviceEnd, DeviceSighting, DeviceType, DevicesStore};
use tessera_core::store::oidc::Grant;
use tessera_core::{Error, Result};

use super::{db_err, SqlStore};
use crate::rows::{col, to_json};

const DEVICE_COLUMNS: &str = "d.device_id, d.device_type, d.name, d.os, d.os_version, d.model, \
                              d.user_agent, d.first_seen_at, d.last_login_at, d.last_ip, \
                              d.signed_out_at";

fn device(row: &AnyRow) -> Result<Device> {
    let kind: String = col(row, "device_type")?;
    Ok(Device {
        device_id: col(row, "device_id")?,
        device_type: DeviceType::parse(&kind).ok_or_else(|| {
            Error::Storage(format!("user_devices.device_type: unknown value {kind:?}"))
        })?,
        name: col(row, "name")?,
        os: col(row, "os")?,
        os_version: col(row, "os_version")?,
        model: col(row, "model")?,
        user_agent: col(row, "user_agent")?,
        first_seen_at: col(row, "first_seen_at")?,
        last_login_at: col(row, "last_login_at")?,
        last_ip: col(row, "last_ip")?,
        signed_out_at: col(row, "signed_out_at")?,
        online: col::<i64>(row, "live")? > 0,
    })
}

#[async_trait]
impl DevicesStore for SqlStore {
    async fn insert_grant_on_device(&self, g: &Grant, d: &DeviceSighting) -> Result<()> {
        if g.pool_id != d.pool_id || g.user_id.as_deref() != Some(d.user_id.as_str()) {
            return Err(Error::Internal(
                "a grant recorded on another user's device".into(),
            ));
        }
        atomically!(self, tx, {
            // A sign-in of a known device moves its last login forward only: two sign-ins
            // committing out of order leave the later one.
            sqlx::query(
                "INSERT INTO user_devices (pool_id, user_id, device_id, device_type, name, os, \
                 os_version, model, user_agent, first_seen_at, last_login_at, last_ip) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) \
                 ON CONFLICT (pool_id, user_id, device_id) DO UPDATE SET \
                 device_type = $4, name = $5, os = $6, os_version = $7, model = $8, \
                 user_agent = $9, last_ip = $11, \
                 last_login_at = CASE WHEN user_devices.last_login_at > $10 \
                 THEN user_devices.last_login_at ELSE $10 END",
            )
            .bind(&d.pool_id)
            .bind(&d.user_id)
            .bind(&d.device_id)
            .bind(d.device_type.as_str())
            .bind(&d.name)
            .bind(&d.os)
            .bind(&d.os_version)
            .bind(&d.model)
            .bind(&d.user_agent)
            .bind(d.at)
            .bind(&d.ip)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            sqlx::query(
                "INSERT INTO oidc_grants (id, pool_id, app_id, user_id, sid, scope, auth_time, \
                 amr, created_at, expires_at, revoked_at, device_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&g.id)
            .bind(&g.pool_id)
            .bind(&g.app_id)
            .bind(&g.user_id)
            .bind(&g.sid)
            .bind(&g.scope)
            .bind(g.auth_time)
            .bind(to_json(&g.amr)?)
            .bind(g.created_at)
            .bind(g.expires_at)
            .bind(g.revoked_at)
            .bind(&d.device_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    async fn user_devices(
        &self,
        pool_id: &str,
        user_id: &str,
        now: i64,
        live_after: i64,
        page: Page,
    ) -> Result<Paged<Device>> {
        let total_count: i64 = col(
            &sqlx::query(
                "SELECT COUNT(*) AS n FROM user_devices WHERE pool_id = $1 AND user_id = $2",
            )
            .bind(pool_id)
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?,
            "n",
        )?;
        // COUNT, not EXISTS: a count is a BIGINT on both backends, where EXISTS is a
        // boolean on PostgreSQL and an integer on SQLite.
        let rows = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS}, \
             (SELECT COUNT(*) FROM oidc_grants g \
              WHERE g.pool_id = d.pool_id AND g.user_id = d.user_id \
              AND g.device_id = d.device_id AND g.revoked_at IS NULL \
              AND g.expires_at > $3 AND g.auth_time > $4) AS live \
             FROM user_devices d WHERE d.pool_id = $1 AND d.user_id = $2 \
             ORDER BY d.last_login_at DESC, d.device_id LIMIT $5 OFFSET $6"
        ))
        .bind(pool_id)
        .bind(user_id)
        .bind(now)
        .bind(live_after)
        .bind(page.limit)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(Paged {
            total_count,
            list: rows.iter().map(device).collect::<Result<_>>()?,
        })
    }

    async fn end_device(
        &self,
        pool_id: &str,
        user_id: &str,
        device_id: &str,
        end: DeviceEnd,
        at: i64,
    ) -> Result<Option<u64>> {
        atomically!(self, tx, {
            // The device's row is written first: it decides whether the user has the device,
            // and (on SQLite) takes the write lock before anything is read.
            let found = match end {
                DeviceEnd::SignOut => sqlx::query(
                    "UPDATE user_devices SET signed_out_at = $4 \
                     WHERE pool_id = $1 AND user_id = $2 AND device_id = $3",
                )
                .bind(pool_id)
                .bind(user_id)
                .bind(device_id)
                .bind(at),
                DeviceEnd::Forget => sqlx::query(
                    "DELETE FROM user_devices \
                     WHERE pool_id = $1 AND user_id = $2 AND device_id = $3",
                )
                .bind(pool_id)
                .bind(user_id)
                .bind(device_id),
            }
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if found == 0 {
                return Ok(None);
            }
            let revoked = sqlx::query(
                "UPDATE oidc_grants SET revoked_at = $4 \
                 WHERE pool_id = $1 AND user_id = $2 AND device_id = $3 AND revoked_at IS NULL",
            )
            .bind(pool_id)
            .bind(user_id)
            .bind(device_id)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            Ok(Some(revoked))
        })
    }
}
