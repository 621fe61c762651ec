//! [`OidcStore`] on SQL. Single-use secrets are spent by one conditional `UPDATE … WHERE
//! used_at IS NULL`, so of two processes presenting the same code at once exactly one wins;
//! the loser reads the row and reports a replay.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::store::oidc::{
    AppAuthorization, CodeRow, DeviceCode, DeviceDecision, DeviceLoginKind, DevicePoll,
    DeviceStatus, Grant, GrantValidity, Interaction, OidcStore, QrLogin, QrStatus, Spend,
    SsoSession, Withdrawn,
};
use tessera_core::store::SessionValidity;
use tessera_core::{Error, Result};

use super::{db_err, SqlStore};
use crate::rows::{col, flag, parse_json};

const SESSION_COLUMNS: &str =
    "id, pool_id, user_id, sid, auth_time, amr, created_at, expires_at, ended_at";
const GRANT_COLUMNS: &str = "g.id, g.pool_id, g.app_id, g.user_id, g.sid, g.scope, g.auth_time, \
                             g.amr, g.created_at, g.expires_at, g.revoked_at";
const CODE_COLUMNS: &str = "id, grant_id, redirect_uri, nonce, code_challenge, challenge_method, \
                            created_at, expires_at";
const DEVICE_COLUMNS: &str = "id, user_code, pool_id, app_id, scope, created_at, expires_at, \
                              interval_s, last_poll_at, status, user_id, sid, auth_time, amr";

const QR_COLUMNS: &str = "id, kind, pool_id, app_id, status, user_id, ticket_digest, scope, \
                          created_at, expires_at, authorized_at";

fn qr_login(row: &AnyRow) -> Result<QrLogin> {
    let status: String = col(row, "status")?;
    let kind: String = col(row, "kind")?;
    Ok(QrLogin {
        id: col(row, "id")?,
        kind: DeviceLoginKind::parse(&kind)
            .ok_or_else(|| Error::Storage(format!("qr_logins.kind: unknown value {kind:?}")))?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        status: QrStatus::parse(&status)
            .ok_or_else(|| Error::Storage(format!("qr_logins.status: unknown value {status:?}")))?,
        user_id: col(row, "user_id")?,
        ticket_digest: col(row, "ticket_digest")?,
        scope: col(row, "scope")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        authorized_at: col(row, "authorized_at")?,
    })
}

fn amr_json(amr: &[String]) -> Result<String> {
    serde_json::to_string(amr).map_err(|e| Error::Internal(e.to_string()))
}

fn session(row: &AnyRow) -> Result<SsoSession> {
    Ok(SsoSession {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        user_id: col(row, "user_id")?,
        sid: col(row, "sid")?,
        auth_time: col(row, "auth_time")?,
        amr: parse_json(&col::<String>(row, "amr")?, "amr")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        ended_at: col(row, "ended_at")?,
    })
}

fn grant(row: &AnyRow) -> Result<Grant> {
    Ok(Grant {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        user_id: col(row, "user_id")?,
        sid: col(row, "sid")?,
        scope: col(row, "scope")?,
        auth_time: col(row, "auth_time")?,
        amr: parse_json(&col::<String>(row, "amr")?, "amr")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        revoked_at: col(row, "revoked_at")?,
    })
}

fn authorization(row: &AnyRow) -> Result<AppAuthorization> {
    Ok(AppAuthorization {
        app_id: col(row, "app_id")?,
        scope: col(row, "scope")?,
        at: col(row, "at")?,
    })
}

fn code(row: &AnyRow) -> Result<CodeRow> {
    Ok(CodeRow {
        id: col(row, "id")?,
        grant_id: col(row, "grant_id")?,
        redirect_uri: col(row, "redirect_uri")?,
        nonce: col(row, "nonce")?,
        code_challenge: col(row, "code_challenge")?,
        challenge_method: col(row, "challenge_method")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
    })
}

fn device(row: &AnyRow) -> Result<DeviceCode> {
    let status: String = col(row, "status")?;
    let amr: Option<String> = col(row, "amr")?;
    Ok(DeviceCode {
        id: col(row, "id")?,
        user_code: col(row, "user_code")?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        scope: col(row, "scope")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        interval_s: col(row, "interval_s")?,
        last_poll_at: col(row, "last_poll_at")?,
        status: DeviceStatus::parse(&status)
            .ok_or_else(|| Error::Storage(format!("oidc_device_codes.status {status:?}")))?,
        user_id: col(row, "user_id")?,
        sid: col(row, "sid")?,
        auth_time: col(row, "auth_time")?,
        amr: match amr {
            Some(text) => parse_json(&text, "amr")?,
            None => Vec::new(),
        },
    })
}

/// The grant `id` read inside a transaction.
async fn grant_in(tx: &mut sqlx::AnyConnection, id: &str) -> Result<Option<Grant>> {
    sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(grant)
    .transpose()
}

#[async_trait]
impl OidcStore for SqlStore {
    async fn insert_sso_session(&self, s: &SsoSession) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO oidc_sessions ({SESSION_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&s.id)
        .bind(&s.pool_id)
        .bind(&s.user_id)
        .bind(&s.sid)
        .bind(s.auth_time)
        .bind(amr_json(&s.amr)?)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(s.ended_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_sso_session(&self, id: &str) -> Result<Option<SsoSession>> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM oidc_sessions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(session)
        .transpose()
    }

    async fn get_sso_session_by_sid(&self, sid: &str) -> Result<Option<SsoSession>> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM oidc_sessions WHERE sid = $1"
        ))
        .bind(sid)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(session)
        .transpose()
    }

    async fn end_sso_session(&self, sid: &str, at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("UPDATE oidc_sessions SET ended_at = $2 WHERE sid = $1 AND ended_at IS NULL")
            .bind(sid)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Offline access outlives the browser session (OIDC Core §11).
        sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $2 WHERE sid = $1 AND revoked_at IS NULL \
             AND ' ' || scope || ' ' NOT LIKE '% offline_access %'",
        )
        .bind(sid)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn insert_interaction(&self, i: &Interaction) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_interactions (id, pool_id, app_id, request, csrf, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&i.id)
        .bind(&i.pool_id)
        .bind(&i.app_id)
        .bind(&i.request)
        .bind(&i.csrf)
        .bind(i.created_at)
        .bind(i.expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_interaction(&self, id: &str) -> Result<Option<Interaction>> {
        let row = sqlx::query(
            "SELECT id, pool_id, app_id, request, csrf, created_at, expires_at \
             FROM oidc_interactions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            Ok(Interaction {
                id: col(&r, "id")?,
                pool_id: col(&r, "pool_id")?,
                app_id: col(&r, "app_id")?,
                request: col(&r, "request")?,
                csrf: col(&r, "csrf")?,
                created_at: col(&r, "created_at")?,
                expires_at: col(&r, "expires_at")?,
            })
        })
        .transpose()
    }

    async fn finish_interaction(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM oidc_interactions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(done > 0)
    }

    async fn insert_grant(&self, g: &Grant, code: Option<&CodeRow>) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO oidc_grants (id, pool_id, app_id, user_id, sid, scope, auth_time, amr, \
             created_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&g.id)
        .bind(&g.pool_id)
        .bind(&g.app_id)
        .bind(&g.user_id)
        .bind(&g.sid)
        .bind(&g.scope)
        .bind(g.auth_time)
        .bind(amr_json(&g.amr)?)
        .bind(g.created_at)
        .bind(g.expires_at)
        .bind(g.revoked_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(c) = code {
            sqlx::query(&format!(
                "INSERT INTO oidc_codes ({CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(&c.id)
            .bind(&c.grant_id)
            .bind(&c.redirect_uri)
            .bind(&c.nonce)
            .bind(&c.code_challenge)
            .bind(&c.challenge_method)
            .bind(c.created_at)
            .bind(c.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn add_refresh_token(&self, grant_id: &str, id: &str, expires_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_refresh_tokens (id, grant_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(grant_id)
        .bind(tessera_core::clock::now_ms())
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn grant_validity(&self, grant_id: &str) -> Result<Option<GrantValidity>> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS}, u.id AS u_id, u.blocked AS u_blocked, \
             u.is_deleted AS u_is_deleted, u.tokens_valid_after AS u_tokens_valid_after \
             FROM oidc_grants g LEFT JOIN users u ON u.id = g.user_id AND u.pool_id = g.pool_id \
             WHERE g.id = $1"
        ))
        .bind(grant_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = match col::<Option<String>>(&row, "u_id")? {
            Some(_) => Some(SessionValidity {
                blocked: flag(&row, "u_blocked")?,
                is_deleted: flag(&row, "u_is_deleted")?,
                tokens_valid_after: col(&row, "u_tokens_valid_after")?,
            }),
            None => None,
        };
        Ok(Some(GrantValidity {
            grant: grant(&row)?,
            user,
        }))
    }

    async fn revoke_grant(&self, grant_id: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE oidc_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(grant_id)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn spend_code(&self, id: &str, now: i64) -> Result<Spend<CodeRow>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let spent = sqlx::query(&format!(
            "UPDATE oidc_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL \
             AND expires_at > $2 RETURNING {CODE_COLUMNS}"
        ))
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let outcome = match spent {
            Some(row) => {
                let c = code(&row)?;
                match grant_in(&mut tx, &c.grant_id).await? {
                    Some(g) => Spend::Spent(c, g),
                    None => Spend::Missing,
                }
            }
            None => {
                let used = sqlx::query(
                    "SELECT grant_id FROM oidc_codes WHERE id = $1 AND used_at IS NOT NULL",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                match used {
                    Some(row) => {
                        match grant_in(&mut tx, &col::<String>(&row, "grant_id")?).await? {
                            Some(g) => Spend::Replayed(g),
                            None => Spend::Missing,
                        }
                    }
                    None => Spend::Missing,
                }
            }
        };
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    async fn rotate_refresh(&self, id: &str, next: (&str, i64), now: i64) -> Result<Spend<()>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let spent = sqlx::query(
            "UPDATE oidc_refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL \
             AND expires_at > $2 RETURNING grant_id",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let outcome = match spent {
            Some(row) => {
                let grant_id: String = col(&row, "grant_id")?;
                match grant_in(&mut tx, &grant_id).await? {
                    Some(g) if g.revoked_at.is_none() => {
                        sqlx::query(
                            "INSERT INTO oidc_refresh_tokens (id, grant_id, created_at, \
                             expires_at) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(next.0)
                        .bind(&grant_id)
                        .bind(now)
                        .bind(next.1)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                        Spend::Spent((), g)
                    }
                    // A revoked grant's refresh tokens are dead: spend nothing.
                    _ => {
                        tx.rollback().await.map_err(db_err)?;
                        return Ok(Spend::Missing);
                    }
                }
            }
            None => {
                let used = sqlx::query(
                    "SELECT grant_id FROM oidc_refresh_tokens WHERE id = $1 \
                     AND used_at IS NOT NULL",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                match used {
                    Some(row) => {
                        match grant_in(&mut tx, &col::<String>(&row, "grant_id")?).await? {
                            Some(g) => Spend::Replayed(g),
                            None => Spend::Missing,
                        }
                    }
                    None => Spend::Missing,
                }
            }
        };
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    async fn refresh_grant(&self, id: &str, now: i64) -> Result<Option<(Grant, bool)>> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS}, r.used_at AS r_used_at FROM oidc_refresh_tokens r \
             JOIN oidc_grants g ON g.id = r.grant_id WHERE r.id = $1 AND r.expires_at > $2"
        ))
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| Ok((grant(&r)?, col::<Option<i64>>(&r, "r_used_at")?.is_some())))
            .transpose()
    }

    async fn get_consent(
        &self,
        pool_id: &str,
        user_id: &str,
        app_id: &str,
    ) -> Result<Option<(String, i64)>> {
        let row = sqlx::query(
            "SELECT scope, updated_at FROM oidc_consents \
             WHERE pool_id = $1 AND user_id = $2 AND app_id = $3",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| Ok((col(&r, "scope")?, col(&r, "updated_at")?)))
            .transpose()
    }

    async fn put_consent(
        &self,
        pool_id: &str,
        user_id: &str,
        app_id: &str,
        scope: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_consents (pool_id, user_id, app_id, scope, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pool_id, user_id, app_id) \
             DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(app_id)
        .bind(scope)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn user_consents(&self, pool_id: &str, user_id: &str) -> Result<Vec<AppAuthorization>> {
        let rows = sqlx::query(
            "SELECT app_id, scope, updated_at AS at FROM oidc_consents \
             WHERE pool_id = $1 AND user_id = $2",
        )
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(authorization).collect()
    }

    async fn user_live_grants(
        &self,
        pool_id: &str,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<AppAuthorization>> {
        let rows = sqlx::query(
            "SELECT app_id, scope, MAX(created_at) AS at FROM oidc_grants \
             WHERE pool_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 \
             GROUP BY app_id, scope",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(authorization).collect()
    }

    async fn withdraw_app_authorization(
        &self,
        pool_id: &str,
        user_id: &str,
        app_id: &str,
        at: i64,
    ) -> Result<Withdrawn> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let consent = sqlx::query(
            "DELETE FROM oidc_consents WHERE pool_id = $1 AND user_id = $2 AND app_id = $3 \
             RETURNING app_id, scope, updated_at AS at",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(app_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let grants = sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $4 \
             WHERE pool_id = $1 AND user_id = $2 AND app_id = $3 AND revoked_at IS NULL \
             RETURNING app_id, scope, created_at AS at, expires_at",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(app_id)
        .bind(at)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(Withdrawn {
            consent: consent.as_ref().map(authorization).transpose()?,
            grants: grants
                .iter()
                .map(|r| Ok((authorization(r)?, col(r, "expires_at")?)))
                .collect::<Result<_>>()?,
        })
    }

    async fn insert_device_code(&self, d: &DeviceCode) -> Result<bool> {
        let amr = if d.amr.is_empty() {
            None
        } else {
            Some(amr_json(&d.amr)?)
        };
        let inserted = sqlx::query(&format!(
            "INSERT INTO oidc_device_codes ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (user_code) DO NOTHING"
        ))
        .bind(&d.id)
        .bind(&d.user_code)
        .bind(&d.pool_id)
        .bind(&d.app_id)
        .bind(&d.scope)
        .bind(d.created_at)
        .bind(d.expires_at)
        .bind(d.interval_s)
        .bind(d.last_poll_at)
        .bind(d.status.as_str())
        .bind(&d.user_id)
        .bind(&d.sid)
        .bind(d.auth_time)
        .bind(amr)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(inserted > 0)
    }

    async fn device_by_user_code(&self, user_code: &str, now: i64) -> Result<Option<DeviceCode>> {
        sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM oidc_device_codes WHERE user_code = $1 \
             AND expires_at > $2"
        ))
        .bind(user_code)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(device)
        .transpose()
    }

    async fn decide_device_code(
        &self,
        user_code: &str,
        d: &DeviceDecision,
        now: i64,
    ) -> Result<bool> {
        let status = if d.approved {
            DeviceStatus::Approved
        } else {
            DeviceStatus::Denied
        };
        let changed = sqlx::query(
            "UPDATE oidc_device_codes SET status = $2, user_id = $3, sid = $4, auth_time = $5, \
             amr = $6 WHERE user_code = $1 AND status = 'pending' AND expires_at > $7",
        )
        .bind(user_code)
        .bind(status.as_str())
        .bind(&d.user_id)
        .bind(&d.sid)
        .bind(d.auth_time)
        .bind(amr_json(&d.amr)?)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(changed > 0)
    }

    async fn poll_device_code(&self, id: &str, now: i64) -> Result<DevicePoll> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // A write first: SQLite takes its write lock, PostgreSQL the row's lock, before the
        // read, so two racing polls serialise and only one can spend an approval.
        let found = sqlx::query(
            "UPDATE oidc_device_codes SET last_poll_at = last_poll_at WHERE id = $1 \
             AND expires_at > $2",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if found == 0 {
            tx.rollback().await.map_err(db_err)?;
            return Ok(DevicePoll::Missing);
        }
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM oidc_device_codes WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let d = device(&row)?;
        let too_fast = d
            .last_poll_at
            .is_some_and(|p| now - p < d.interval_s.saturating_mul(1000));
        let status = if d.status == DeviceStatus::Approved && !too_fast {
            DeviceStatus::Used
        } else {
            d.status
        };
        sqlx::query("UPDATE oidc_device_codes SET last_poll_at = $2, status = $3 WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(status.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(if too_fast {
            DevicePoll::TooFast(d)
        } else {
            DevicePoll::Found(d)
        })
    }
    async fn insert_qr_login(&self, q: &QrLogin) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO qr_logins ({QR_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&q.id)
        .bind(q.kind.as_str())
        .bind(&q.pool_id)
        .bind(&q.app_id)
        .bind(q.status.as_str())
        .bind(&q.user_id)
        .bind(&q.ticket_digest)
        .bind(&q.scope)
        .bind(q.created_at)
        .bind(q.expires_at)
        .bind(q.authorized_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn qr_login(&self, pool_id: &str, id: &str) -> Result<Option<QrLogin>> {
        sqlx::query(&format!(
            "SELECT {QR_COLUMNS} FROM qr_logins WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .map(|r| qr_login(&r))
        .transpose()
    }

    async fn advance_qr_login(
        &self,
        pool_id: &str,
        id: &str,
        kind: DeviceLoginKind,
        from: QrStatus,
        to: QrStatus,
        user_id: &str,
        now: i64,
    ) -> Result<bool> {
        let authorized_at = (to == QrStatus::Authorized).then_some(now);
        let moved = sqlx::query(
            "UPDATE qr_logins SET status = $4, user_id = $5, \
             authorized_at = COALESCE($6, authorized_at) \
             WHERE pool_id = $1 AND id = $2 AND status = $3 AND expires_at > $7 \
             AND (user_id IS NULL OR user_id = $5) AND kind = $8",
        )
        .bind(pool_id)
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(user_id)
        .bind(authorized_at)
        .bind(now)
        .bind(kind.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(moved > 0)
    }

    async fn attach_qr_ticket(
        &self,
        pool_id: &str,
        id: &str,
        digest: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE qr_logins SET ticket_digest = $3 WHERE pool_id = $1 AND id = $2 \
             AND status = 'authorized' AND ticket_digest IS NULL AND expires_at > $4 \
             AND kind = 'qrcode'",
        )
        .bind(pool_id)
        .bind(id)
        .bind(digest)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(done > 0)
    }

    async fn spend_qr_ticket(&self, digest: &str, now: i64) -> Result<Option<QrLogin>> {
        sqlx::query(&format!(
            "UPDATE qr_logins SET status = 'used' WHERE ticket_digest = $1 \
             AND status = 'authorized' AND expires_at > $2 AND kind = 'qrcode' \
             RETURNING {QR_COLUMNS}"
        ))
        .bind(digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .map(|r| qr_login(&r))
        .transpose()
    }

    async fn answer_push_login(
        &self,
        pool_id: &str,
        id: &str,
        user_id: &str,
        to: QrStatus,
        now: i64,
    ) -> Result<bool> {
        let authorized_at = (to == QrStatus::Authorized).then_some(now);
        let moved = sqlx::query(
            "UPDATE qr_logins SET status = $4, authorized_at = $5 \
             WHERE pool_id = $1 AND id = $2 AND user_id = $3 AND kind = 'push' \
             AND status = 'pushed' AND expires_at > $6",
        )
        .bind(pool_id)
        .bind(id)
        .bind(user_id)
        .bind(to.as_str())
        .bind(authorized_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(moved > 0)
    }

    async fn spend_device_login(
        &self,
        pool_id: &str,
        id: &str,
        kind: DeviceLoginKind,
        from: QrStatus,
        now: i64,
    ) -> Result<Option<QrLogin>> {
        sqlx::query(&format!(
            "UPDATE qr_logins SET status = 'used', authorized_at = COALESCE(authorized_at, $3) \
             WHERE pool_id = $1 AND id = $2 AND kind = $4 AND status = $5 AND expires_at > $3 \
             RETURNING {QR_COLUMNS}"
        ))
        .bind(pool_id)
        .bind(id)
        .bind(now)
        .bind(kind.as_str())
        .bind(from.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .map(|r| qr_login(&r))
        .transpose()
    }
}
