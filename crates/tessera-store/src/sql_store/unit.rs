//! [`Units`] on SQL: a unit of work is one database transaction that starts by locking its
//! pool's row. On SQLite that first statement is a write, so the transaction holds the
//! database's write lock from its start instead of failing to upgrade a read lock later; on
//! PostgreSQL the row lock serializes units of the same pool and leaves other pools alone.

use async_trait::async_trait;
use tessera_core::model::directory::TargetType;
use tessera_core::store::unit::{CustomDataTx, Units, WriteTx};
use tessera_core::store::UdfDefinition;
use tessera_core::{Error, Result};

use super::directory::target_key;
use super::statement::Sql;
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

    /// `DELETE FROM table WHERE pool_id = … AND column IN (ids)`; how many rows went.
    /// `table` and `column` are the caller's constants; an empty list deletes nothing.
    pub(super) async fn delete_in(
        &mut self,
        table: &str,
        column: &str,
        pool_id: &str,
        ids: &[String],
    ) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!("DELETE FROM {table} WHERE pool_id = $1 AND {column} IN ({list})");
        Ok(sql
            .query()
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?
            .rows_affected())
    }

    /// Deletes the rows of `table` that name one of `ids` (of type `t`) as their target.
    pub(super) async fn delete_naming(
        &mut self,
        table: &str,
        pool_id: &str,
        t: TargetType,
        ids: &[String],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), target_key(t).to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "DELETE FROM {table} WHERE pool_id = $1 AND target_type = $2 AND target_id IN ({list})"
        );
        sql.query().execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    /// The `id` column of every row of `table` with `column = value` in the pool.
    pub(super) async fn ids_where(
        &mut self,
        table: &str,
        column: &str,
        pool_id: &str,
        value: &str,
    ) -> Result<Vec<String>> {
        sqlx::query(&format!(
            "SELECT id FROM {table} WHERE pool_id = $1 AND {column} = $2"
        ))
        .bind(pool_id)
        .bind(value)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col(r, "id"))
        .collect()
    }
}

#[async_trait]
impl CustomDataTx for SqlWriteTx {
    async fn put_custom_data(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        rows: &[(String, String, String)],
        at: i64,
    ) -> Result<()> {
        for (target_id, key, value) in rows {
            sqlx::query(
                "INSERT INTO udf_values (pool_id, target_type, target_id, key, value, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (pool_id, target_type, target_id, key) \
                 DO UPDATE SET value = $5, updated_at = $6",
            )
            .bind(pool_id)
            .bind(target_kind)
            .bind(target_id)
            .bind(key)
            .bind(value)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn delete_custom_data(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        ids: &[String],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), target_kind.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "DELETE FROM udf_values WHERE pool_id = $1 AND target_type = $2 AND target_id IN ({list})"
        );
        sql.query().execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn udf_definitions(
        &mut self,
        pool_id: &str,
        target_kind: &str,
    ) -> Result<Vec<UdfDefinition>> {
        sqlx::query(crate::request_reads::UDF_DEFINITIONS_SQL)
            .bind(pool_id)
            .bind(target_kind)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| crate::rows::udf_definition_at(r, 0))
            .collect()
    }

    async fn put_udf_definition(&mut self, d: &UdfDefinition, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO udf_definitions (pool_id, target_type, key, data_type, label, options, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (pool_id, target_type, key) DO UPDATE SET data_type = $4, label = $5, \
             options = $6, updated_at = $7",
        )
        .bind(&d.pool_id)
        .bind(&d.target_type)
        .bind(&d.key)
        .bind(&d.data_type)
        .bind(&d.label)
        .bind(&d.options)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_udf_values_of(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        key: &str,
    ) -> Result<()> {
        sqlx::query("DELETE FROM udf_values WHERE pool_id = $1 AND target_type = $2 AND key = $3")
            .bind(pool_id)
            .bind(target_kind)
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_udf_definition(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        key: &str,
    ) -> Result<bool> {
        let n = sqlx::query(
            "DELETE FROM udf_definitions WHERE pool_id = $1 AND target_type = $2 AND key = $3",
        )
        .bind(pool_id)
        .bind(target_kind)
        .bind(key)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }
}
