//! [`PrincipalStore`] and [`PrincipalTx`] on SQL (the table of migration 39). The ID number
//! or credit code is only ever the sealed text here.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::store::principal::{PrincipalStore, PrincipalTx, StoredPrincipal};
use tessera_core::Result;

use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::col;

const COLUMNS: &str = "pool_id, user_id, principal_type, principal_name, sealed_code, \
     authenticated_at, created_at, updated_at";

fn principal(r: &AnyRow) -> Result<StoredPrincipal> {
    Ok(StoredPrincipal {
        pool_id: col(r, "pool_id")?,
        user_id: col(r, "user_id")?,
        principal_type: col(r, "principal_type")?,
        principal_name: col(r, "principal_name")?,
        sealed_code: col(r, "sealed_code")?,
        authenticated_at: col(r, "authenticated_at")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

#[async_trait]
impl PrincipalStore for SqlStore {
    async fn principal_authentication(
        &self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<Option<StoredPrincipal>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM principal_authentications \
             WHERE pool_id = $1 AND user_id = $2"
        ))
        .bind(pool_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(principal)
        .transpose()
    }
}

#[async_trait]
impl PrincipalTx for SqlWriteTx {
    async fn has_principal_authentication(&mut self, pool_id: &str, user_id: &str) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 AS one FROM principal_authentications WHERE pool_id = $1 AND user_id = $2",
        )
        .bind(pool_id)
        .bind(user_id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?
        .is_some())
    }

    async fn put_principal_authentication(&mut self, p: &StoredPrincipal) -> Result<()> {
        // `created_at` stays the first authentication's when one is replaced.
        sqlx::query(&format!(
            "INSERT INTO principal_authentications ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (pool_id, user_id) DO UPDATE SET principal_type = $3, \
             principal_name = $4, sealed_code = $5, authenticated_at = $6, updated_at = $8"
        ))
        .bind(&p.pool_id)
        .bind(&p.user_id)
        .bind(&p.principal_type)
        .bind(&p.principal_name)
        .bind(&p.sealed_code)
        .bind(p.authenticated_at)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_principal_authentication(
        &mut self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM principal_authentications WHERE pool_id = $1 AND user_id = $2",
        )
        .bind(pool_id)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }
}
