//! [`BulkStore`]: multi-row user inserts in one transaction, and keyset pages of users.

use async_trait::async_trait;
use tessera_core::model::User;
use tessera_core::store::BulkStore;
use tessera_core::Result;

use super::{db_err, SqlStore};
use crate::connect::Backend;
use crate::rows;

/// Rows per `INSERT` statement. On PostgreSQL each statement is a network round trip, so it
/// is large: 500 × 51 columns = 25,500 bind parameters, under the protocol's 65,535. On
/// SQLite a statement costs no round trip, but naming a bind parameter scans the statement's
/// parameter list, so binding is quadratic in the parameters of one statement: 32 rows
/// (1,632 parameters) keeps that negligible.
fn rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Postgres => 500,
        Backend::Sqlite => 32,
    }
}

fn multi_row_insert(rows_in_statement: usize) -> String {
    let n = rows::USER_COLUMN_COUNT;
    let mut sql = format!("INSERT INTO users ({}) VALUES ", rows::USER_COLUMNS);
    for r in 0..rows_in_statement {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..n {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * n + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

#[async_trait]
impl BulkStore for SqlStore {
    async fn insert_users_bulk(&self, users: &[User]) -> Result<u64> {
        if users.is_empty() {
            return Ok(0);
        }
        let per = rows_per_statement(self.backend);
        let full_sql = multi_row_insert(per.min(users.len()));
        atomically!(self, tx, {
            let mut inserted = 0;
            for chunk in users.chunks(per) {
                // Every chunk but the last has the full size and reuses one prepared statement.
                let partial;
                let sql = if chunk.len() == per.min(users.len()) {
                    &full_sql
                } else {
                    partial = multi_row_insert(chunk.len());
                    &partial
                };
                let mut q = sqlx::query(sql);
                for u in chunk {
                    q = rows::bind_user(q, u)?;
                }
                inserted += q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            }
            Ok(inserted)
        })
    }
}
