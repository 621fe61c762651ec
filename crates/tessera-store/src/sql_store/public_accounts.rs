//! [`PublicAccountsStore`] and [`PublicAccountsTx`] on SQL (migration 32): the
//! `public_account_users` bindings and the `users.public_account` flag.

use async_trait::async_trait;
use tessera_core::model::User;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::public_accounts::{BindingSide, PublicAccountsStore, PublicAccountsTx};
use tessera_core::Result;

use super::statement::{fetch_page, Sql};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::{self, col};

fn user_columns() -> String {
    rows::USER_COLUMNS
        .split(',')
        .map(|c| format!("u.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl PublicAccountsStore for SqlStore {
    async fn public_account_bindings(
        &self,
        pool_id: &str,
        side: BindingSide,
        id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        // `from` names the side the list starts at, `to` the users listed.
        let (from, to) = match side {
            BindingSide::AccountsOfUser => ("user_id", "public_account_id"),
            BindingSide::UsersOfAccount => ("public_account_id", "user_id"),
        };
        let mut sql = Sql::new(vec![pool_id.to_owned(), id.to_owned()]);
        fetch_page(
            &self.pool,
            &mut sql,
            &user_columns(),
            &format!(
                "FROM public_account_users b JOIN users u ON u.id = b.{to} \
                 WHERE b.pool_id = $1 AND b.{from} = $2 AND u.pool_id = $1 AND u.is_deleted = 0"
            ),
            "b.created_at, u.id",
            page,
            rows::user,
        )
        .await
    }

    async fn public_account_bound(
        &self,
        pool_id: &str,
        account_id: &str,
        user_id: &str,
    ) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM public_account_users \
             WHERE public_account_id = $1 AND user_id = $2 AND pool_id = $3",
        )
        .bind(account_id)
        .bind(user_id)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row.is_some())
    }
}

#[async_trait]
impl PublicAccountsTx for SqlWriteTx {
    async fn user_kinds(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<(String, bool)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        sql.push("SELECT id, public_account FROM users WHERE pool_id = ")
            .text_arg(pool_id)
            .push(" AND is_deleted = 0 AND id IN ")
            .list(ids);
        sql.query()
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Ok((col(r, "id")?, rows::flag(r, "public_account")?)))
            .collect()
    }

    async fn insert_public_account_bindings(
        &mut self,
        pool_id: &str,
        pairs: &[(String, String)],
        at: i64,
    ) -> Result<()> {
        for (account_id, user_id) in pairs {
            sqlx::query(
                "INSERT INTO public_account_users (pool_id, public_account_id, user_id, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (public_account_id, user_id) DO NOTHING",
            )
            .bind(pool_id)
            .bind(account_id)
            .bind(user_id)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn delete_public_account_binding(
        &mut self,
        pool_id: &str,
        account_id: &str,
        user_id: &str,
    ) -> Result<bool> {
        sqlx::query(
            "DELETE FROM public_account_users \
             WHERE public_account_id = $1 AND user_id = $2 AND pool_id = $3",
        )
        .bind(account_id)
        .bind(user_id)
        .bind(pool_id)
        .execute(&mut *self.tx)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }

    async fn count_bindings_of_user(&mut self, pool_id: &str, user_id: &str) -> Result<u64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM public_account_users WHERE user_id = $1 AND pool_id = $2",
        )
        .bind(user_id)
        .bind(pool_id)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(u64::try_from(col::<i64>(&row, "n")?).unwrap_or(0))
    }

    async fn mark_public_account(&mut self, pool_id: &str, user_id: &str, at: i64) -> Result<bool> {
        sqlx::query(
            "UPDATE users SET public_account = 1, updated_at = $1 \
             WHERE id = $2 AND pool_id = $3 AND is_deleted = 0",
        )
        .bind(at)
        .bind(user_id)
        .bind(pool_id)
        .execute(&mut *self.tx)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }
}
