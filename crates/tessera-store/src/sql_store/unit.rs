//! [`Units`] on SQL: a unit of work is one database transaction that starts by locking its
//! pool's row. On SQLite that first statement is a write, so the transaction holds the
//! database's write lock from its start instead of failing to upgrade a read lock later; on
//! PostgreSQL the row lock serializes units of the same pool and leaves other pools alone.

use async_trait::async_trait;
use tessera_core::store::unit::{Units, WriteTx};
use tessera_core::{Error, Result};

use super::{db_err, SqlStore};
use crate::rows::col;

/// An open unit of work.
pub(crate) struct SqlWriteTx {
    pub(super) tx: sqlx::Transaction<'static, sqlx::Any>,
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
    pub(super) async fn by_id<T>(
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
    pub(super) async fn lineage(
        &mut self,
        table: &str,
        pool_id: &str,
        id: &str,
    ) -> Result<Vec<String>> {
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
