//! [`PoolAdminStore`] on SQL.

use async_trait::async_trait;
use tessera_core::model::email_template::{EmailTemplate, EmailTemplateKind, TemplateEngine};
use tessera_core::store::pool_admin::{EnvVar, PoolAccessKey, PoolAdminStore, WhitelistEntry};
use tessera_core::{clock, Error, Result};

use super::{db_err, SqlStore};
use crate::rows::{col, flag};

const POOL_KEY_COLUMNS: &str = "id, pool_id, user_id, secret, enabled, created_at, updated_at";

fn pool_key(row: &sqlx::any::AnyRow) -> Result<PoolAccessKey> {
    let created_at: i64 = col(row, "created_at")?;
    let updated_at: Option<i64> = col(row, "updated_at")?;
    Ok(PoolAccessKey {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        secret: col(row, "secret")?,
        enabled: flag(row, "enabled")?,
        user_id: col(row, "user_id")?,
        created_at,
        updated_at: updated_at.unwrap_or(created_at),
    })
}

const TEMPLATE_COLUMNS: &str = "type, customize_enabled, name, subject, sender, content, \
     expires_in, redirect_to, tpl_engine, updated_at";

fn email_template(row: &sqlx::any::AnyRow) -> Result<EmailTemplate> {
    let kind: String = col(row, "type")?;
    let engine: String = col(row, "tpl_engine")?;
    Ok(EmailTemplate {
        kind: EmailTemplateKind::parse(&kind)
            .ok_or_else(|| Error::Storage(format!("column type: unknown {kind:?}")))?,
        customize_enabled: flag(row, "customize_enabled")?,
        name: col(row, "name")?,
        subject: col(row, "subject")?,
        sender: col(row, "sender")?,
        content: col(row, "content")?,
        expires_in: col(row, "expires_in")?,
        redirect_to: col(row, "redirect_to")?,
        engine: match engine.as_str() {
            "handlebar" => TemplateEngine::Handlebar,
            _ => return Err(Error::Storage(format!("column tpl_engine: {engine:?}"))),
        },
        updated_at: col(row, "updated_at")?,
    })
}

#[async_trait]
impl PoolAdminStore for SqlStore {
    async fn list_whitelist(&self, pool_id: &str, kind: &str) -> Result<Vec<WhitelistEntry>> {
        sqlx::query(
            "SELECT value, created_at, updated_at FROM whitelist_entries \
             WHERE pool_id = $1 AND type = $2 ORDER BY created_at, value_key",
        )
        .bind(pool_id)
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

    async fn remove_whitelist(&self, pool_id: &str, kind: &str, keys: &[String]) -> Result<()> {
        atomically!(self, tx, {
            for key in keys {
                sqlx::query(
                    "DELETE FROM whitelist_entries WHERE pool_id = $1 AND type = $2 AND value_key = $3",
                )
                .bind(pool_id)
                .bind(kind)
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn remove_udf_definition(
        &self,
        pool_id: &str,
        target_type: &str,
        key: &str,
    ) -> Result<bool> {
        // Values go first explicitly: the foreign key cascades too, but this keeps the
        // removal correct even on a connection without foreign-key enforcement.
        atomically!(self, tx, {
            sqlx::query(
                "DELETE FROM udf_values WHERE pool_id = $1 AND target_type = $2 AND key = $3",
            )
            .bind(pool_id)
            .bind(target_type)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            let n = sqlx::query(
                "DELETE FROM udf_definitions WHERE pool_id = $1 AND target_type = $2 AND key = $3",
            )
            .bind(pool_id)
            .bind(target_type)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            Ok(n > 0)
        })
    }

    async fn set_udf_values_many(
        &self,
        pool_id: &str,
        target_type: &str,
        rows: &[(String, String, String)],
    ) -> Result<()> {
        let now = clock::now_ms();
        atomically!(self, tx, {
            for (target_id, key, value) in rows {
                sqlx::query(
                    "INSERT INTO udf_values (pool_id, target_type, target_id, key, value, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (pool_id, target_type, target_id, key) \
                     DO UPDATE SET value = $5, updated_at = $6",
                )
                .bind(pool_id)
                .bind(target_type)
                .bind(target_id)
                .bind(key)
                .bind(value)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn list_env(&self, pool_id: &str) -> Result<Vec<EnvVar>> {
        sqlx::query(
            "SELECT key, value, created_at, updated_at FROM pool_env WHERE pool_id = $1 \
             ORDER BY key",
        )
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(EnvVar {
                key: col(r, "key")?,
                value: col(r, "value")?,
                created_at: col(r, "created_at")?,
                updated_at: col(r, "updated_at")?,
            })
        })
        .collect()
    }

    async fn put_env(&self, pool_id: &str, key: &str, value: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO pool_env (pool_id, key, value, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (pool_id, key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
        )
        .bind(pool_id)
        .bind(key)
        .bind(value)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn remove_env(&self, pool_id: &str, key: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM pool_env WHERE pool_id = $1 AND key = $2")
            .bind(pool_id)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n > 0)
    }

    async fn insert_pool_access_key(&self, k: &PoolAccessKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_keys (id, pool_id, user_id, secret, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&k.id)
        .bind(&k.pool_id)
        .bind(&k.user_id)
        .bind(&k.secret)
        .bind(i64::from(k.enabled))
        .bind(k.created_at)
        .bind(k.updated_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn pool_access_keys(&self, pool_id: &str) -> Result<Vec<PoolAccessKey>> {
        sqlx::query(&format!(
            "SELECT {POOL_KEY_COLUMNS} FROM access_keys \
             WHERE pool_id = $1 AND app_id IS NULL ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(pool_key)
        .collect()
    }

    async fn set_pool_access_key_enabled(
        &self,
        pool_id: &str,
        id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE access_keys SET enabled = $1, updated_at = $2 \
             WHERE pool_id = $3 AND id = $4 AND app_id IS NULL",
        )
        .bind(i64::from(enabled))
        .bind(at)
        .bind(pool_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn delete_pool_access_key(&self, pool_id: &str, id: &str) -> Result<bool> {
        let n = sqlx::query(
            "DELETE FROM access_keys WHERE pool_id = $1 AND id = $2 AND app_id IS NULL",
        )
        .bind(pool_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn email_templates(&self, pool_id: &str) -> Result<Vec<EmailTemplate>> {
        sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM email_templates WHERE pool_id = $1 ORDER BY type"
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(email_template)
        .collect()
    }

    async fn email_template(
        &self,
        pool_id: &str,
        kind: EmailTemplateKind,
    ) -> Result<Option<EmailTemplate>> {
        sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM email_templates WHERE pool_id = $1 AND type = $2"
        ))
        .bind(pool_id)
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(email_template)
        .transpose()
    }

    async fn put_email_template(&self, pool_id: &str, t: &EmailTemplate) -> Result<()> {
        sqlx::query(
            "INSERT INTO email_templates (pool_id, type, customize_enabled, name, subject, \
             sender, content, expires_in, redirect_to, tpl_engine, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (pool_id, type) DO UPDATE SET customize_enabled = $3, name = $4, \
             subject = $5, sender = $6, content = $7, expires_in = $8, redirect_to = $9, \
             tpl_engine = $10, updated_at = $11",
        )
        .bind(pool_id)
        .bind(t.kind.as_str())
        .bind(i64::from(t.customize_enabled))
        .bind(&t.name)
        .bind(&t.subject)
        .bind(&t.sender)
        .bind(&t.content)
        .bind(t.expires_in)
        .bind(t.redirect_to.as_deref())
        .bind(t.engine.as_str())
        .bind(t.updated_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
