//! [`SodStore`] and [`SodTx`] on SQL (the tables of migration 40): separation-of-duties
//! rules between roles, stored once per pair (smaller id first), and administrator roles.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::directory::TargetType;
use tessera_core::store::sod::{AdminRole, SodStore, SodTx};
use tessera_core::Result;

use super::directory::{link_all, subjects_statement, target_key, ROLE_ASSIGNMENTS};
use super::statement::Sql;
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::col;

const ADMIN_ROLE_COLUMNS: &str = "id, pool_id, code, name, description, created_at, updated_at";

fn admin_role(r: &AnyRow) -> Result<AdminRole> {
    Ok(AdminRole {
        id: col(r, "id")?,
        pool_id: col(r, "pool_id")?,
        code: col(r, "code")?,
        name: col(r, "name")?,
        description: col(r, "description")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

/// The rules naming any of `role_ids`: the statement and its binds.
fn exclusions_statement(pool_id: &str, role_ids: &[String]) -> Sql {
    let mut sql = Sql::new(vec![pool_id.to_owned()]);
    let a = sql.bind_list(role_ids);
    let b = sql.bind_list(role_ids);
    sql.text = format!(
        "SELECT role_a, role_b FROM role_exclusions \
         WHERE pool_id = $1 AND (role_a IN ({a}) OR role_b IN ({b})) \
         ORDER BY role_a, role_b"
    );
    sql
}

fn pairs(rows: &[AnyRow]) -> Result<Vec<(String, String)>> {
    rows.iter()
        .map(|r| Ok((col(r, "role_a")?, col(r, "role_b")?)))
        .collect()
}

#[async_trait]
impl SodStore for SqlStore {
    async fn role_exclusions(
        &self,
        pool_id: &str,
        role_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if role_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = exclusions_statement(pool_id, role_ids);
        let rows = sql.fetch_all(&self.pool).await?;
        pairs(&rows)
    }

    async fn admin_role(&self, pool_id: &str, code: &str) -> Result<Option<AdminRole>> {
        sqlx::query(&format!(
            "SELECT {ADMIN_ROLE_COLUMNS} FROM admin_roles WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(admin_role)
        .transpose()
    }
}

#[async_trait]
impl SodTx for SqlWriteTx {
    async fn exclusions_of(
        &mut self,
        pool_id: &str,
        role_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if role_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = exclusions_statement(pool_id, role_ids);
        let rows = sql.query().fetch_all(&mut *self.tx).await.map_err(db_err)?;
        pairs(&rows)
    }

    async fn set_exclusions(
        &mut self,
        pool_id: &str,
        role_id: &str,
        others: &[String],
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM role_exclusions WHERE pool_id = $1 AND (role_a = $2 OR role_b = $2)",
        )
        .bind(pool_id)
        .bind(role_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        for other in others {
            let (a, b) = if role_id < other.as_str() {
                (role_id, other.as_str())
            } else {
                (other.as_str(), role_id)
            };
            sqlx::query(
                "INSERT INTO role_exclusions (pool_id, role_a, role_b, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (pool_id, role_a, role_b) DO NOTHING",
            )
            .bind(pool_id)
            .bind(a)
            .bind(b)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn held_role_ids(&mut self, pool_id: &str, user_id: &str) -> Result<Option<Vec<String>>> {
        let sql = subjects_statement();
        let rows = sqlx::query(&sql)
            .bind(pool_id)
            .bind(user_id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?;
        let mut found = false;
        let mut roles = Vec::new();
        for r in &rows {
            let kind: String = col(r, "kind")?;
            match kind.as_str() {
                "USER" => found = true,
                "ROLE" => roles.push(col::<String>(r, "id")?),
                _ => {}
            }
        }
        if !found {
            return Ok(None);
        }
        roles.sort();
        roles.dedup();
        Ok(Some(roles))
    }

    async fn target_role_ids(
        &mut self,
        pool_id: &str,
        target: &(TargetType, String),
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT role_id FROM role_assignments \
             WHERE pool_id = $1 AND target_type = $2 AND target_id = $3",
        )
        .bind(pool_id)
        .bind(target_key(target.0))
        .bind(&target.1)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| col(r, "role_id")).collect()
    }

    async fn users_reached(
        &mut self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<String>> {
        let mut users = Vec::new();
        for (t, id) in targets {
            let statement = match t {
                TargetType::User => {
                    "SELECT id AS user_id FROM users WHERE pool_id = $1 AND id = $2"
                }
                TargetType::Group => {
                    "SELECT user_id FROM group_members WHERE pool_id = $1 AND group_id = $2"
                }
                TargetType::OrgNode => {
                    // `UNION` drops rows already seen, so a corrupt loop ends.
                    "WITH RECURSIVE sub(id) AS ( \
                        SELECT id FROM org_nodes WHERE pool_id = $1 AND id = $2 \
                        UNION \
                        SELECT c.id FROM sub JOIN org_nodes c ON c.parent_id = sub.id) \
                     SELECT DISTINCT nm.user_id FROM node_members nm \
                     WHERE nm.pool_id = $1 AND nm.node_id IN (SELECT id FROM sub)"
                }
                // Roles hold no roles (the core refuses that before asking).
                _ => continue,
            };
            let rows = sqlx::query(statement)
                .bind(pool_id)
                .bind(id)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db_err)?;
            for r in &rows {
                users.push(col::<String>(r, "user_id")?);
            }
        }
        users.sort();
        users.dedup();
        Ok(users)
    }

    async fn assign_roles_in_unit(
        &mut self,
        pool_id: &str,
        role_ids: &[String],
        targets: &[(TargetType, String)],
        at: i64,
    ) -> Result<()> {
        link_all(
            &mut self.tx,
            &ROLE_ASSIGNMENTS,
            pool_id,
            role_ids,
            targets,
            at,
        )
        .await
    }

    async fn insert_admin_role(&mut self, role: &AdminRole) -> Result<bool> {
        let n = sqlx::query(&format!(
            "INSERT INTO admin_roles ({ADMIN_ROLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (pool_id, code) DO NOTHING"
        ))
        .bind(&role.id)
        .bind(&role.pool_id)
        .bind(&role.code)
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.created_at)
        .bind(role.updated_at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn admin_role_in_unit(&mut self, pool_id: &str, code: &str) -> Result<Option<AdminRole>> {
        sqlx::query(&format!(
            "SELECT {ADMIN_ROLE_COLUMNS} FROM admin_roles WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(admin_role)
        .transpose()
    }

    async fn put_admin_role_policies(
        &mut self,
        role_id: &str,
        policy_ids: &[String],
    ) -> Result<()> {
        for (i, policy_id) in policy_ids.iter().enumerate() {
            sqlx::query(
                "INSERT INTO admin_role_policies (admin_role_id, policy_id, position) \
                 VALUES ($1, $2, $3) ON CONFLICT (admin_role_id, policy_id) DO NOTHING",
            )
            .bind(role_id)
            .bind(policy_id)
            .bind(i as i64)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn admin_role_policy_ids(&mut self, role_id: &str) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT policy_id FROM admin_role_policies WHERE admin_role_id = $1 \
             ORDER BY position, policy_id",
        )
        .bind(role_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col(r, "policy_id"))
        .collect()
    }

    async fn delete_admin_roles(&mut self, pool_id: &str, ids: &[String]) -> Result<()> {
        self.delete_in("admin_roles", "id", pool_id, ids)
            .await
            .map(drop)
    }
}
