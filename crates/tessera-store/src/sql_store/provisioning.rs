//! [`ProvisioningStore`] and [`ProvisioningTx`] on SQL (the tables of migration 41). A
//! connection's token is only ever its digest here.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::provisioning::{ProvisioningConnection, SyncKind, SyncRelation};
use tessera_core::model::User;
use tessera_core::store::provisioning::{ProvisioningStore, ProvisioningTx};
use tessera_core::{Entity, Error, Result};

use super::statement::Sql;
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::{self, col, USER_COLUMNS};

const CONNECTION_COLUMNS: &str = "id, pool_id, provider, org_id, created_at";
const RELATION_COLUMNS: &str = "pool_id, kind, provider, external_id, target_id, created_at";

fn connection(r: &AnyRow) -> Result<ProvisioningConnection> {
    Ok(ProvisioningConnection {
        id: col(r, "id")?,
        pool_id: col(r, "pool_id")?,
        provider: col(r, "provider")?,
        org_id: col(r, "org_id")?,
        created_at: col(r, "created_at")?,
    })
}

fn relation(r: &AnyRow) -> Result<SyncRelation> {
    let kind: String = col(r, "kind")?;
    Ok(SyncRelation {
        pool_id: col(r, "pool_id")?,
        kind: SyncKind::parse(&kind)
            .ok_or_else(|| Error::Storage(format!("sync relation of unknown kind {kind}")))?,
        provider: col(r, "provider")?,
        external_id: col(r, "external_id")?,
        target_id: col(r, "target_id")?,
        created_at: col(r, "created_at")?,
    })
}

/// One relation by either of its ends: a pool, kind and provider, and the upstream id
/// (`external_id`) or the Tessera id (`target_id`); each pair is unique (migration 41).
struct RelationKey<'a> {
    pool_id: &'a str,
    kind: SyncKind,
    provider: &'a str,
    /// The column `id` is matched against.
    end: &'static str,
    id: &'a str,
}

impl<'a> RelationKey<'a> {
    /// The relation whose `end` column (`external_id` or `target_id`) is `id`.
    fn new(
        pool_id: &'a str,
        kind: SyncKind,
        provider: &'a str,
        end: &'static str,
        id: &'a str,
    ) -> Self {
        RelationKey {
            pool_id,
            kind,
            provider,
            end,
            id,
        }
    }

    async fn fetch<'e, E>(&self, on: E) -> Result<Option<SyncRelation>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        sqlx::query(&format!(
            "SELECT {RELATION_COLUMNS} FROM sync_relations \
             WHERE pool_id = $1 AND kind = $2 AND provider = $3 AND {} = $4",
            self.end
        ))
        .bind(self.pool_id)
        .bind(self.kind.as_str())
        .bind(self.provider)
        .bind(self.id)
        .fetch_optional(on)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(relation)
        .transpose()
    }
}

#[async_trait]
impl ProvisioningStore for SqlStore {
    async fn provisioning_connection_by_token(
        &self,
        token_digest: &str,
    ) -> Result<Option<ProvisioningConnection>> {
        sqlx::query(&format!(
            "SELECT {CONNECTION_COLUMNS} FROM provisioning_connections WHERE token_digest = $1"
        ))
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(connection)
        .transpose()
    }

    async fn provisioning_connections(&self, pool_id: &str) -> Result<Vec<ProvisioningConnection>> {
        sqlx::query(&format!(
            "SELECT {CONNECTION_COLUMNS} FROM provisioning_connections WHERE pool_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(connection)
        .collect()
    }

    async fn sync_relation_by_external(
        &self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        external_id: &str,
    ) -> Result<Option<SyncRelation>> {
        let key = RelationKey::new(pool_id, kind, provider, "external_id", external_id);
        key.fetch(&self.pool).await
    }

    async fn sync_relations_of(
        &self,
        pool_id: &str,
        kind: SyncKind,
        target_ids: &[String],
    ) -> Result<Vec<SyncRelation>> {
        if target_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), kind.as_str().to_owned()]);
        let list = sql.bind_list(target_ids);
        sql.text = format!(
            "SELECT {RELATION_COLUMNS} FROM sync_relations \
             WHERE pool_id = $1 AND kind = $2 AND target_id IN ({list}) \
             ORDER BY provider, created_at"
        );
        sql.query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(relation)
            .collect()
    }

    async fn users_by_username_ci(
        &self,
        pool_id: &str,
        username: &str,
        limit: i64,
    ) -> Result<Vec<User>> {
        // LOWER folds ASCII only on SQLite; the core folds the same way before comparing, so
        // both backends agree (PostgreSQL's LOWER of ASCII is the same).
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 AND LOWER(username) = $2 \
             ORDER BY created_at, id LIMIT $3"
        ))
        .bind(pool_id)
        .bind(username.to_ascii_lowercase())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(rows::user)
        .collect()
    }

    async fn users_from(&self, pool_id: &str, offset: i64, limit: i64) -> Result<Vec<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 \
             ORDER BY created_at, id LIMIT $2 OFFSET $3"
        ))
        .bind(pool_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(rows::user)
        .collect()
    }
}

#[async_trait]
impl ProvisioningTx for SqlWriteTx {
    async fn insert_provisioning_connection(
        &mut self,
        c: &ProvisioningConnection,
        token_digest: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO provisioning_connections \
             (id, pool_id, provider, org_id, token_digest, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&c.id)
        .bind(&c.pool_id)
        .bind(&c.provider)
        .bind(&c.org_id)
        .bind(token_digest)
        .bind(c.created_at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_provisioning_connection(&mut self, pool_id: &str, id: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM provisioning_connections WHERE pool_id = $1 AND id = $2")
                .bind(pool_id)
                .bind(id)
                .execute(&mut *self.tx)
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn sync_relation_of_target(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        target_id: &str,
    ) -> Result<Option<SyncRelation>> {
        let key = RelationKey::new(pool_id, kind, provider, "target_id", target_id);
        key.fetch(&mut *self.tx).await
    }

    async fn sync_relation_of_external(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        external_id: &str,
    ) -> Result<Option<SyncRelation>> {
        let key = RelationKey::new(pool_id, kind, provider, "external_id", external_id);
        key.fetch(&mut *self.tx).await
    }

    async fn insert_sync_relation(&mut self, r: &SyncRelation) -> Result<()> {
        let done = sqlx::query(&format!(
            "INSERT INTO sync_relations ({RELATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&r.pool_id)
        .bind(r.kind.as_str())
        .bind(&r.provider)
        .bind(&r.external_id)
        .bind(&r.target_id)
        .bind(r.created_at)
        .execute(&mut *self.tx)
        .await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(Error::Duplicate(Entity::SyncRelation))
            }
            Err(e) => Err(db_err(e)),
        }
    }

    async fn delete_sync_relation(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        target_id: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM sync_relations \
             WHERE pool_id = $1 AND kind = $2 AND provider = $3 AND target_id = $4",
        )
        .bind(pool_id)
        .bind(kind.as_str())
        .bind(provider)
        .bind(target_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_sync_relations_to(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        target_ids: &[String],
    ) -> Result<()> {
        if target_ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), kind.as_str().to_owned()]);
        let list = sql.bind_list(target_ids);
        sql.text = format!(
            "DELETE FROM sync_relations WHERE pool_id = $1 AND kind = $2 AND target_id IN ({list})"
        );
        sql.query().execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }
}
