//! [`ExtOidcStore`] on SQL: `ext_oidc_flows` (migration 33).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::store::ext_oidc::{ExtOidcFlow, ExtOidcStart, ExtOidcStore, StartedExtOidcFlow};
use tessera_core::Result;

use super::{db_err, SqlStore};
use crate::rows::col;

const FLOW_COLUMNS: &str =
    "start_hash, pool_id, app_id, conn_id, user_id, interaction_id, target_url, expires_at, \
     created_at";

fn flow(row: &AnyRow) -> Result<ExtOidcFlow> {
    Ok(ExtOidcFlow {
        start_hash: col(row, "start_hash")?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        conn_id: col(row, "conn_id")?,
        user_id: col(row, "user_id")?,
        interaction_id: col(row, "interaction_id")?,
        target_url: col(row, "target_url")?,
        expires_at: col(row, "expires_at")?,
        created_at: col(row, "created_at")?,
    })
}

fn started(row: &AnyRow) -> Result<Option<StartedExtOidcFlow>> {
    let state_hash: Option<String> = col(row, "state_hash")?;
    let nonce: Option<String> = col(row, "nonce")?;
    let code_verifier: Option<String> = col(row, "code_verifier")?;
    let browser_hash: Option<String> = col(row, "browser_hash")?;
    let (Some(state_hash), Some(nonce), Some(code_verifier), Some(browser_hash)) =
        (state_hash, nonce, code_verifier, browser_hash)
    else {
        return Ok(None);
    };
    Ok(Some(StartedExtOidcFlow {
        flow: flow(row)?,
        start: ExtOidcStart {
            state_hash,
            nonce,
            code_verifier,
            browser_hash,
        },
    }))
}

#[async_trait]
impl ExtOidcStore for SqlStore {
    async fn put_ext_oidc_flow(&self, f: &ExtOidcFlow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO ext_oidc_flows ({FLOW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&f.start_hash)
        .bind(&f.pool_id)
        .bind(&f.app_id)
        .bind(&f.conn_id)
        .bind(&f.user_id)
        .bind(&f.interaction_id)
        .bind(&f.target_url)
        .bind(f.expires_at)
        .bind(f.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)
        .map(drop)
    }

    async fn start_ext_oidc_flow(
        &self,
        start_hash: &str,
        s: &ExtOidcStart,
        now: i64,
    ) -> Result<Option<ExtOidcFlow>> {
        sqlx::query(&format!(
            "UPDATE ext_oidc_flows SET state_hash = $1, nonce = $2, code_verifier = $3, \
             browser_hash = $4 WHERE start_hash = $5 AND state_hash IS NULL AND expires_at > $6 \
             RETURNING {FLOW_COLUMNS}"
        ))
        .bind(&s.state_hash)
        .bind(&s.nonce)
        .bind(&s.code_verifier)
        .bind(&s.browser_hash)
        .bind(start_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(flow)
        .transpose()
    }

    async fn ext_oidc_flow_by_state(&self, state_hash: &str) -> Result<Option<StartedExtOidcFlow>> {
        let row = sqlx::query(&format!(
            "SELECT {FLOW_COLUMNS}, state_hash, nonce, code_verifier, browser_hash \
             FROM ext_oidc_flows WHERE state_hash = $1"
        ))
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        match row {
            Some(r) => started(&r),
            None => Ok(None),
        }
    }

    async fn take_ext_oidc_flow(&self, state_hash: &str, now: i64) -> Result<bool> {
        sqlx::query("DELETE FROM ext_oidc_flows WHERE state_hash = $1 AND expires_at > $2")
            .bind(state_hash)
            .bind(now)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(db_err)
    }
}
