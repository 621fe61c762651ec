//! [`Units`] on SQL: a unit of work is one database transaction that starts by locking its
//! pool's row. On SQLite that first statement is a write, so the transaction holds the
//! database's write lock from its start instead of failing to upgrade a read lock later; on
//! PostgreSQL the row lock serializes units of the same pool and leaves other pools alone.

use async_trait::async_trait;
use tessera_core::model::directory::{Node, Role};
use tessera_core::store::unit::{DirectoryTx, RoleFields, Units, WriteTx};
use tessera_core::{Entity, Error, Result};

use super::directory::{dir_err, node, role, NODE_COLUMNS, ROLE_COLUMNS};
use super::{db_err, SqlStore};
use crate::rows::col;

/// An open unit of work.
pub(crate) struct SqlWriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
}

#[async_trait]
impl Units for SqlStore {
    async fn begin_pool_write(&self, pool_id: &str) -> Result<Box<dyn WriteTx>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let locked = sqlx::query("UPDATE user_pools SET updated_at = updated_at WHERE id = $1")
            .bind(pool_id)
            .execute(&mut *tx)
            .await;
        match locked {
            Ok(r) if r.rows_affected() == 1 => Ok(Box::new(SqlWriteTx { tx })),
            Ok(_) => {
                tx.rollback().await.map_err(db_err)?;
                Err(Error::PoolNotFound)
            }
            Err(e) => {
                tx.rollback().await.map_err(db_err)?;
                Err(db_err(e))
            }
        }
    }
}

#[async_trait]
impl WriteTx for SqlWriteTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(db_err)
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        self.tx.rollback().await.map_err(db_err)
    }
}

impl SqlWriteTx {
    /// One row of `table` by pool and id, mapped by `map`. `table` and `columns` are this
    /// module's constants, never caller input.
    async fn by_id<T>(
        &mut self,
        table: &str,
        columns: &str,
        pool_id: &str,
        id: &str,
        map: fn(&sqlx::any::AnyRow) -> Result<T>,
    ) -> Result<Option<T>> {
        let sql = format!("SELECT {columns} FROM {table} WHERE pool_id = $1 AND id = $2");
        sqlx::query(&sql)
            .bind(pool_id)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(map)
            .transpose()
    }

    /// `id` and its ancestors in a `(id, parent_id)` table: `WITH RECURSIVE` from the row
    /// upwards, where `UNION` (not `UNION ALL`) drops rows already seen, so a corrupt loop
    /// ends.
    async fn lineage(&mut self, table: &str, pool_id: &str, id: &str) -> Result<Vec<String>> {
        let sql = format!(
            "WITH RECURSIVE up(id, parent_id) AS ( \
                SELECT id, parent_id FROM {table} WHERE pool_id = $1 AND id = $2 \
                UNION \
                SELECT t.id, t.parent_id FROM up JOIN {table} t ON t.id = up.parent_id) \
             SELECT id FROM up"
        );
        sqlx::query(&sql)
            .bind(pool_id)
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "id"))
            .collect()
    }
}

#[async_trait]
impl DirectoryTx for SqlWriteTx {
    async fn role(&mut self, pool_id: &str, role_id: &str) -> Result<Option<Role>> {
        self.by_id("roles", ROLE_COLUMNS, pool_id, role_id, role)
            .await
    }

    async fn role_lineage(&mut self, pool_id: &str, role_id: &str) -> Result<Vec<String>> {
        self.lineage("roles", pool_id, role_id).await
    }

    async fn update_role_fields(
        &mut self,
        pool_id: &str,
        role_id: &str,
        fields: &RoleFields,
        at: i64,
    ) -> Result<Role> {
        // Column names come from this list; values are bound. `updated_at` is always set, so
        // the statement is never empty.
        let mut sets = Vec::new();
        let mut texts: Vec<Option<String>> = Vec::new();
        if let Some(code) = &fields.code {
            texts.push(Some(code.clone()));
            sets.push(format!("code = ${}", texts.len()));
        }
        if let Some(d) = &fields.description {
            texts.push(d.clone());
            sets.push(format!("description = ${}", texts.len()));
        }
        if let Some(p) = &fields.parent_id {
            texts.push(p.clone());
            sets.push(format!("parent_id = ${}", texts.len()));
        }
        let n = texts.len();
        sets.push(format!("updated_at = ${}", n + 1));
        let sql = format!(
            "UPDATE roles SET {} WHERE pool_id = ${} AND id = ${} RETURNING {ROLE_COLUMNS}",
            sets.join(", "),
            n + 2,
            n + 3
        );
        let mut q = sqlx::query(&sql);
        for t in texts {
            q = q.bind(t);
        }
        q.bind(at)
            .bind(pool_id)
            .bind(role_id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(dir_err)?
            .as_ref()
            .map(role)
            .transpose()?
            .ok_or(Error::NotFound(Entity::Role))
    }

    async fn org_exists(&mut self, pool_id: &str, org_id: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM orgs WHERE pool_id = $1 AND id = $2")
                .bind(pool_id)
                .bind(org_id)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db_err)?
                .is_some(),
        )
    }

    async fn node(&mut self, pool_id: &str, node_id: &str) -> Result<Option<Node>> {
        self.by_id("org_nodes", NODE_COLUMNS, pool_id, node_id, node)
            .await
    }

    async fn node_lineage(&mut self, pool_id: &str, node_id: &str) -> Result<Vec<String>> {
        self.lineage("org_nodes", pool_id, node_id).await
    }

    async fn set_node_parent(
        &mut self,
        pool_id: &str,
        node_id: &str,
        parent_id: &str,
        at: i64,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE org_nodes SET parent_id = $1, updated_at = $2 WHERE pool_id = $3 AND id = $4",
        )
        .bind(parent_id)
        .bind(at)
        .bind(pool_id)
        .bind(node_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::OrgNode));
        }
        Ok(())
    }
}
