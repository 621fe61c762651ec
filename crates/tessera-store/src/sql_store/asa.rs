//! [`AsaStore`] and [`AsaTx`] on SQL (tables of migration 23). The store sees an account's
//! information only sealed; targets are stored with the directory's target keys
//! (`directory::target_key`).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::directory::TargetType;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::asa::{AsaAssignment, AsaStore, AsaTx, StoredAsaAccount};
use tessera_core::Result;

use super::directory::{parse_target_key, target_key};
use super::statement::{fetch_page, Sql};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::col;

const ACCOUNT_COLUMNS: &str = "id, pool_id, app_id, sealed_info, created_at, updated_at";
const ASSIGNMENT_COLUMNS: &str = "account_id, target_type, target_id, created_at";

fn account(row: &AnyRow) -> Result<StoredAsaAccount> {
    Ok(StoredAsaAccount {
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        id: col(row, "id")?,
        sealed_info: col(row, "sealed_info")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn assignment(row: &AnyRow) -> Result<AsaAssignment> {
    Ok(AsaAssignment {
        account_id: col(row, "account_id")?,
        target_type: parse_target_key(&col::<String>(row, "target_type")?)?,
        target_id: col(row, "target_id")?,
        created_at: col(row, "created_at")?,
    })
}

/// The table holding targets of type `t`, with the pool column to check.
fn target_table(t: TargetType) -> &'static str {
    match t {
        TargetType::User => "users",
        TargetType::Role => "roles",
        TargetType::Group => "user_groups",
        TargetType::OrgNode => "org_nodes",
    }
}

#[async_trait]
impl AsaStore for SqlStore {
    async fn asa_account(
        &self,
        pool_id: &str,
        app_id: &str,
        id: &str,
    ) -> Result<Option<StoredAsaAccount>> {
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM asa_accounts \
             WHERE pool_id = $1 AND app_id = $2 AND id = $3"
        ))
        .bind(pool_id)
        .bind(app_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(account)
        .transpose()
    }

    async fn asa_accounts_by_ids(
        &self,
        pool_id: &str,
        app_id: &str,
        ids: &[String],
    ) -> Result<Vec<StoredAsaAccount>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), app_id.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM asa_accounts \
             WHERE pool_id = $1 AND app_id = $2 AND id IN ({list})"
        );
        sql.fetch_all(&self.pool)
            .await?
            .iter()
            .map(account)
            .collect()
    }

    async fn asa_accounts_page(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<StoredAsaAccount>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), app_id.to_owned()]);
        fetch_page(
            &self.pool,
            &mut sql,
            ACCOUNT_COLUMNS,
            "FROM asa_accounts WHERE pool_id = $1 AND app_id = $2",
            "created_at, id",
            page,
            account,
        )
        .await
    }

    async fn asa_account_targets(
        &self,
        pool_id: &str,
        app_id: &str,
        account_id: &str,
        page: Page,
    ) -> Result<Paged<AsaAssignment>> {
        let mut sql = Sql::new(vec![
            pool_id.to_owned(),
            app_id.to_owned(),
            account_id.to_owned(),
        ]);
        fetch_page(
            &self.pool,
            &mut sql,
            ASSIGNMENT_COLUMNS,
            "FROM asa_assignments WHERE pool_id = $1 AND app_id = $2 AND account_id = $3",
            "created_at, target_type, target_id",
            page,
            assignment,
        )
        .await
    }

    async fn asa_assignments_of(
        &self,
        pool_id: &str,
        app_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<AsaAssignment>> {
        let mut out = Vec::new();
        // One statement per target type present (at most four).
        for t in [
            TargetType::User,
            TargetType::Role,
            TargetType::Group,
            TargetType::OrgNode,
        ] {
            let ids: Vec<String> = targets
                .iter()
                .filter(|(k, _)| *k == t)
                .map(|(_, id)| id.clone())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let mut sql = Sql::new(vec![
                pool_id.to_owned(),
                app_id.to_owned(),
                target_key(t).to_owned(),
            ]);
            let list = sql.bind_list(&ids);
            sql.text = format!(
                "SELECT {ASSIGNMENT_COLUMNS} FROM asa_assignments WHERE pool_id = $1 \
                 AND app_id = $2 AND target_type = $3 AND target_id IN ({list})"
            );
            for row in sql.fetch_all(&self.pool).await? {
                out.push(assignment(&row)?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl AsaTx for SqlWriteTx {
    async fn insert_asa_accounts(&mut self, accounts: &[StoredAsaAccount]) -> Result<()> {
        for a in accounts {
            sqlx::query(&format!(
                "INSERT INTO asa_accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
            ))
            .bind(&a.id)
            .bind(&a.pool_id)
            .bind(&a.app_id)
            .bind(&a.sealed_info)
            .bind(a.created_at)
            .bind(a.updated_at)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn update_asa_account(
        &mut self,
        pool_id: &str,
        app_id: &str,
        id: &str,
        sealed_info: &str,
        at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE asa_accounts SET sealed_info = $1, updated_at = $2 \
             WHERE pool_id = $3 AND app_id = $4 AND id = $5",
        )
        .bind(sealed_info)
        .bind(at)
        .bind(pool_id)
        .bind(app_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_asa_accounts(
        &mut self,
        pool_id: &str,
        app_id: &str,
        ids: &[String],
    ) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), app_id.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "SELECT COUNT(DISTINCT id) AS n FROM asa_accounts \
             WHERE pool_id = $1 AND app_id = $2 AND id IN ({list})"
        );
        let row = sql.query().fetch_one(&mut *self.tx).await.map_err(db_err)?;
        Ok(col::<i64>(&row, "n")?.max(0) as u64)
    }

    async fn delete_asa_accounts(
        &mut self,
        pool_id: &str,
        app_id: &str,
        ids: &[String],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        for table_and_column in [("asa_assignments", "account_id"), ("asa_accounts", "id")] {
            let (table, column) = table_and_column;
            let mut sql = Sql::new(vec![pool_id.to_owned(), app_id.to_owned()]);
            let list = sql.bind_list(ids);
            sql.text = format!(
                "DELETE FROM {table} WHERE pool_id = $1 AND app_id = $2 AND {column} IN ({list})"
            );
            sql.query().execute(&mut *self.tx).await.map_err(db_err)?;
        }
        Ok(())
    }

    async fn delete_asa_of_app(&mut self, pool_id: &str, app_id: &str) -> Result<()> {
        let app = [app_id.to_owned()];
        self.delete_in("asa_assignments", "app_id", pool_id, &app)
            .await?;
        self.delete_in("asa_accounts", "app_id", pool_id, &app)
            .await?;
        Ok(())
    }

    async fn asa_target_exists(&mut self, pool_id: &str, t: TargetType, id: &str) -> Result<bool> {
        let table = target_table(t);
        Ok(sqlx::query(&format!(
            "SELECT 1 AS one FROM {table} WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?
        .is_some())
    }

    async fn put_asa_assignments(
        &mut self,
        pool_id: &str,
        app_id: &str,
        account_id: &str,
        t: TargetType,
        ids: &[String],
        at: i64,
    ) -> Result<()> {
        for id in ids {
            // A target keeps its assignment time when given the account it already has.
            sqlx::query(
                "INSERT INTO asa_assignments \
                 (pool_id, app_id, account_id, target_type, target_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (pool_id, app_id, target_type, target_id) DO UPDATE \
                 SET account_id = excluded.account_id, created_at = excluded.created_at \
                 WHERE asa_assignments.account_id <> excluded.account_id",
            )
            .bind(pool_id)
            .bind(app_id)
            .bind(account_id)
            .bind(target_key(t))
            .bind(id)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn drop_asa_assignments(
        &mut self,
        pool_id: &str,
        app_id: &str,
        account_id: &str,
        t: TargetType,
        ids: &[String],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![
            pool_id.to_owned(),
            app_id.to_owned(),
            account_id.to_owned(),
            target_key(t).to_owned(),
        ]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "DELETE FROM asa_assignments WHERE pool_id = $1 AND app_id = $2 \
             AND account_id = $3 AND target_type = $4 AND target_id IN ({list})"
        );
        sql.query().execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_asa_assignments_to(
        &mut self,
        pool_id: &str,
        t: TargetType,
        ids: &[String],
    ) -> Result<()> {
        self.delete_naming("asa_assignments", pool_id, t, ids).await
    }
}
