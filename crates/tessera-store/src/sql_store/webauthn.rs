//! [`WebauthnStore`] on SQL. A ceremony is taken by one `DELETE … RETURNING`, so of two
//! processes presenting the same ticket exactly one gets it; the signature counter moves by
//! one conditional `UPDATE`, so two uses of one counter value cannot both pass.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::store::webauthn::{Ceremony, CeremonyPurpose, PasskeyCredential, WebauthnStore};
use tessera_core::{Error, Result};

use super::{db_err, SqlStore};
use crate::rows::{col, parse_json};

const CEREMONY_COLUMNS: &str = "ticket_digest, pool_id, app_id, user_id, purpose, challenge, \
                                user_handle, created_at, expires_at";
const PASSKEY_COLUMNS: &str = "pool_id, credential_id, user_id, user_handle, algorithm, \
                               public_key, sign_count, authenticator_code, transports, aaguid, \
                               created_at, last_used_at";

fn ceremony(row: &AnyRow) -> Result<Ceremony> {
    let purpose: String = col(row, "purpose")?;
    Ok(Ceremony {
        ticket_digest: col(row, "ticket_digest")?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        user_id: col(row, "user_id")?,
        purpose: CeremonyPurpose::parse(&purpose).ok_or_else(|| {
            Error::Storage(format!(
                "webauthn_ceremonies.purpose: unknown value {purpose:?}"
            ))
        })?,
        challenge: col(row, "challenge")?,
        user_handle: col(row, "user_handle")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
    })
}

fn passkey(row: &AnyRow) -> Result<PasskeyCredential> {
    Ok(PasskeyCredential {
        pool_id: col(row, "pool_id")?,
        credential_id: col(row, "credential_id")?,
        user_id: col(row, "user_id")?,
        user_handle: col(row, "user_handle")?,
        algorithm: col(row, "algorithm")?,
        public_key: col(row, "public_key")?,
        sign_count: col(row, "sign_count")?,
        authenticator_code: col(row, "authenticator_code")?,
        transports: parse_json(&col::<String>(row, "transports")?, "transports")?,
        aaguid: col(row, "aaguid")?,
        created_at: col(row, "created_at")?,
        last_used_at: col(row, "last_used_at")?,
    })
}

#[async_trait]
impl WebauthnStore for SqlStore {
    async fn insert_webauthn_ceremony(&self, c: &Ceremony) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO webauthn_ceremonies ({CEREMONY_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&c.ticket_digest)
        .bind(&c.pool_id)
        .bind(&c.app_id)
        .bind(&c.user_id)
        .bind(c.purpose.as_str())
        .bind(&c.challenge)
        .bind(&c.user_handle)
        .bind(c.created_at)
        .bind(c.expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn take_webauthn_ceremony(
        &self,
        ticket_digest: &str,
        purpose: CeremonyPurpose,
    ) -> Result<Option<Ceremony>> {
        let _turn = self.write_turn().await;
        sqlx::query(&format!(
            "DELETE FROM webauthn_ceremonies WHERE ticket_digest = $1 AND purpose = $2 \
             RETURNING {CEREMONY_COLUMNS}"
        ))
        .bind(ticket_digest)
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .map(|r| ceremony(&r))
        .transpose()
    }

    async fn insert_passkey(&self, c: &PasskeyCredential) -> Result<bool> {
        let transports =
            serde_json::to_string(&c.transports).map_err(|e| Error::Internal(e.to_string()))?;
        let _turn = self.write_turn().await;
        sqlx::query(&format!(
            "INSERT INTO webauthn_credentials ({PASSKEY_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (pool_id, credential_id) DO NOTHING"
        ))
        .bind(&c.pool_id)
        .bind(&c.credential_id)
        .bind(&c.user_id)
        .bind(&c.user_handle)
        .bind(c.algorithm)
        .bind(&c.public_key)
        .bind(c.sign_count)
        .bind(&c.authenticator_code)
        .bind(transports)
        .bind(&c.aaguid)
        .bind(c.created_at)
        .bind(c.last_used_at)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }

    async fn passkey(
        &self,
        pool_id: &str,
        credential_id: &str,
    ) -> Result<Option<PasskeyCredential>> {
        sqlx::query(&format!(
            "SELECT {PASSKEY_COLUMNS} FROM webauthn_credentials \
             WHERE pool_id = $1 AND credential_id = $2"
        ))
        .bind(pool_id)
        .bind(credential_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .map(|r| passkey(&r))
        .transpose()
    }

    async fn passkeys_of(&self, pool_id: &str, user_id: &str) -> Result<Vec<PasskeyCredential>> {
        sqlx::query(&format!(
            "SELECT {PASSKEY_COLUMNS} FROM webauthn_credentials \
             WHERE pool_id = $1 AND user_id = $2 ORDER BY created_at, credential_id"
        ))
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(passkey)
        .collect()
    }

    async fn advance_passkey_counter(
        &self,
        pool_id: &str,
        credential_id: &str,
        sign_count: i64,
        now: i64,
    ) -> Result<bool> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE webauthn_credentials SET sign_count = $3, last_used_at = $4 \
             WHERE pool_id = $1 AND credential_id = $2 \
             AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))",
        )
        .bind(pool_id)
        .bind(credential_id)
        .bind(sign_count)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }
}
