//! [`DirectoryAdminStore`] on SQL.
//!
//! Transactions that must read before they write start by locking a row that stands for
//! what they change (the pool for role trees and grants, the organization for node moves):
//! an `UPDATE … SET x = x` takes SQLite's write lock up front and a row lock on PostgreSQL,
//! so a check (no loop, the grant's current actions) and the write it guards see the same
//! state, and two concurrent edits are serialized instead of both passing their checks.
//! Lists run a `COUNT(*)` and a page query on the same filter, each on an index that
//! serves both the filter and the (unique) order.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::directory::{
    Group, Node, Org, Resource, ResourceGrant, ResourceNamespace, ResourceType, Role, TargetType,
    ACCESS_POLICY_DEFAULT_KEY, ACCESS_POLICY_DENY_ALL,
};
use tessera_core::model::directory_admin::{
    AppAccessRecord, GrantOp, GrantWrite, NodeChange, OrgRecord, Policy, PolicyAssignment,
    ProgrammaticAccount,
};
use tessera_core::model::{Application, User};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::directory_admin::{AssignmentFilter, DirectoryAdminStore, Order};
use tessera_core::{ids, Entity, Error, Result};

use super::directory::{
    by_type, dir_err, group, insert_node_row, missing_end, node, parse_target_key, prefixed,
    resource, role, target_key, target_table, GROUP_COLUMNS, NAMESPACE_COLUMNS, NODE_COLUMNS,
    ORG_COLUMNS, RESOURCE_COLUMNS, ROLE_COLUMNS,
};
use super::statement::Sql;
use super::{db_err, SqlStore};
use crate::rows::{self, col, flag, to_json};

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// Unique indexes this module adds to the directory's (see `directory::DUPLICATES`).
const DUPLICATES: [(&str, &str, Entity); 2] = [
    (
        "policies_code_uq",
        "policies.pool_id, policies.namespace, policies.code",
        Entity::PolicyCode,
    ),
    (
        "resource_grants_uq",
        "resource_grants.pool_id, resource_grants.namespace",
        Entity::ResourceGrant,
    ),
];

fn admin_err(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            let constraint = db.constraint().unwrap_or("");
            let message = db.message();
            if let Some((_, _, entity)) = DUPLICATES
                .iter()
                .find(|(index, columns, _)| constraint == *index || message.contains(columns))
            {
                return Error::Duplicate(*entity);
            }
        }
    }
    dir_err(e)
}

/// ` LIMIT n OFFSET m` of a validated page (numbers, never caller text).
fn page_sql(p: Page) -> String {
    format!(" LIMIT {} OFFSET {}", p.limit, p.offset())
}

fn direction(o: Order) -> &'static str {
    match o {
        Order::Oldest => "",
        Order::Newest => " DESC",
    }
}

/// A case-insensitive "contains" pattern for `LOWER(col) LIKE … ESCAPE '\'`.
fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A `LIKE … ESCAPE '\'` pattern matching every string that starts with `prefix`.
fn prefix_pattern(prefix: &str) -> String {
    let mut out = String::new();
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

async fn count(conn: &sqlx::AnyPool, sql: &Sql) -> Result<i64> {
    let row = sql.query().fetch_one(conn).await.map_err(db_err)?;
    col::<i64>(&row, "n")
}

/// Serializes the transaction against every other one that locks the same pool (see the
/// module header). A pool that does not exist has nothing to change.
async fn lock_pool(tx: &mut Tx<'_>, pool_id: &str) -> Result<()> {
    let n = sqlx::query("UPDATE user_pools SET updated_at = updated_at WHERE id = $1")
        .bind(pool_id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(Error::PoolNotFound);
    }
    Ok(())
}

/// How `udf_values.target_type` spells a directory target (the UDF target names).
fn udf_kind(t: TargetType) -> &'static str {
    match t {
        TargetType::User => "USER",
        TargetType::Role => "ROLE",
        TargetType::Group => "GROUP",
        TargetType::OrgNode => "NODE",
    }
}

/// Deletes every row that names one of `ids` as a target of type `t`: role assignments,
/// resource grants, application access rules, policy assignments and custom data.
async fn delete_target_rows(
    tx: &mut Tx<'_>,
    pool_id: &str,
    t: TargetType,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    for table in [
        "role_assignments",
        "resource_grants",
        "app_access_policies",
        "policy_assignments",
    ] {
        let mut sql = Sql::new(vec![pool_id.to_owned(), target_key(t).to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "DELETE FROM {table} WHERE pool_id = $1 AND target_type = $2 AND target_id IN ({list})"
        );
        sql.query().execute(&mut **tx).await.map_err(db_err)?;
    }
    let mut sql = Sql::new(vec![pool_id.to_owned(), udf_kind(t).to_owned()]);
    let list = sql.bind_list(ids);
    sql.text = format!(
        "DELETE FROM udf_values WHERE pool_id = $1 AND target_type = $2 AND target_id IN ({list})"
    );
    sql.query().execute(&mut **tx).await.map_err(db_err)?;
    Ok(())
}

/// Deletes roles of the pool and everything naming them; children lose their parent.
/// A table linking a role or a policy to targets: both are written the same way.
struct Assignments {
    table: &'static str,
    /// The column naming the role or policy.
    owner_col: &'static str,
    /// The table of roles or policies, and the error naming a missing one.
    owners: &'static str,
    owner_missing: Error,
    /// Extra columns written on insert (with their constant values), after `pool_id`.
    extra_cols: &'static str,
    extra_vals: &'static str,
}

const ROLE_ASSIGNMENTS: Assignments = Assignments {
    table: "role_assignments",
    owner_col: "role_id",
    owners: "roles",
    owner_missing: Error::NotFound(Entity::Role),
    extra_cols: "",
    extra_vals: "",
};

const POLICY_ASSIGNMENTS: Assignments = Assignments {
    table: "policy_assignments",
    owner_col: "policy_id",
    owners: "policies",
    owner_missing: Error::NotFound(Entity::Policy),
    extra_cols: ", enabled",
    extra_vals: ", 1",
};

/// Links every owner to every target, all or nothing: the insert itself checks that both
/// ends exist in the pool, and only when it wrote nothing do we look at which one is missing.
async fn link_all(
    tx: &mut Tx<'_>,
    a: &Assignments,
    pool_id: &str,
    owner_ids: &[String],
    targets: &[(TargetType, String)],
    at: i64,
) -> Result<()> {
    for owner_id in owner_ids {
        for (t, target_id) in targets {
            let (table, target_missing) = target_table(*t);
            let n = sqlx::query(&format!(
                "INSERT INTO {tbl} ({owner}, target_type, target_id, pool_id{xc}, created_at) \
                 SELECT o.id, $3, $4, o.pool_id{xv}, $5 FROM {owners} o \
                 WHERE o.pool_id = $1 AND o.id = $2 \
                 AND EXISTS (SELECT 1 FROM {table} t WHERE t.pool_id = $1 AND t.id = $4) \
                 ON CONFLICT ({owner}, target_type, target_id) DO NOTHING",
                tbl = a.table,
                owner = a.owner_col,
                owners = a.owners,
                xc = a.extra_cols,
                xv = a.extra_vals,
            ))
            .bind(pool_id)
            .bind(owner_id)
            .bind(target_key(*t))
            .bind(target_id)
            .bind(at)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                let ends = vec![
                    (a.owners, owner_id.as_str(), a.owner_missing.clone()),
                    (table, target_id.as_str(), target_missing),
                ];
                if let Some(e) = missing_end(tx, pool_id, ends).await? {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// Removes the links of these owners to these targets.
async fn unlink_all(
    tx: &mut Tx<'_>,
    a: &Assignments,
    pool_id: &str,
    owner_ids: &[String],
    targets: &[(TargetType, String)],
) -> Result<()> {
    for (t, ids) in by_type(targets) {
        let mut sql = Sql::new(vec![pool_id.to_owned(), target_key(t).to_owned()]);
        let owners = sql.bind_list(owner_ids);
        let list = sql.bind_list(&ids);
        sql.text = format!(
            "DELETE FROM {} WHERE pool_id = $1 AND target_type = $2 \
             AND {} IN ({owners}) AND target_id IN ({list})",
            a.table, a.owner_col
        );
        sql.query().execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

/// Deletes everything in a namespace — its roles (with their assignments), policies,
/// grants and resources — inside the caller's transaction. An application's namespace has
/// the application's id as its code, so deleting the application calls this too.
pub(super) async fn delete_namespace_contents(
    tx: &mut Tx<'_>,
    pool_id: &str,
    code: &str,
) -> Result<()> {
    let role_ids: Vec<String> =
        sqlx::query("SELECT id FROM roles WHERE pool_id = $1 AND namespace = $2")
            .bind(pool_id)
            .bind(code)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "id"))
            .collect::<Result<_>>()?;
    delete_roles_in(tx, pool_id, &role_ids).await?;
    for stmt in [
        "DELETE FROM policy_assignments WHERE pool_id = $1 AND policy_id IN \
         (SELECT id FROM policies WHERE pool_id = $1 AND namespace = $2)",
        "DELETE FROM policies WHERE pool_id = $1 AND namespace = $2",
        "DELETE FROM resource_grants WHERE pool_id = $1 AND namespace = $2",
        "DELETE FROM resources WHERE pool_id = $1 AND namespace = $2",
    ] {
        sqlx::query(stmt)
            .bind(pool_id)
            .bind(code)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

async fn delete_roles_in(tx: &mut Tx<'_>, pool_id: &str, role_ids: &[String]) -> Result<()> {
    if role_ids.is_empty() {
        return Ok(());
    }
    delete_target_rows(tx, pool_id, TargetType::Role, role_ids).await?;
    let mut sql = Sql::new(vec![pool_id.to_owned()]);
    let list = sql.bind_list(role_ids);
    for stmt in [
        format!("UPDATE roles SET parent_id = NULL WHERE pool_id = $1 AND parent_id IN ({list})"),
        format!("DELETE FROM role_assignments WHERE pool_id = $1 AND role_id IN ({list})"),
        format!("DELETE FROM roles WHERE pool_id = $1 AND id IN ({list})"),
    ] {
        sql.text = stmt;
        sql.query().execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

/// Deletes nodes of the pool with their memberships and everything naming them.
async fn delete_nodes_in(tx: &mut Tx<'_>, pool_id: &str, node_ids: &[String]) -> Result<()> {
    if node_ids.is_empty() {
        return Ok(());
    }
    delete_target_rows(tx, pool_id, TargetType::OrgNode, node_ids).await?;
    let mut sql = Sql::new(vec![pool_id.to_owned()]);
    let list = sql.bind_list(node_ids);
    for stmt in [
        format!("DELETE FROM node_members WHERE pool_id = $1 AND node_id IN ({list})"),
        // Children first is not needed: the parent key cascades, and every id is listed.
        format!("DELETE FROM org_nodes WHERE pool_id = $1 AND id IN ({list})"),
    ] {
        sql.text = stmt;
        sql.query().execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

/// The users with these ids, in the order of `ids` (a page computed by another query).
async fn users_in_order(
    pool: &sqlx::AnyPool,
    pool_id: &str,
    ids: Vec<String>,
) -> Result<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(vec![pool_id.to_owned()]);
    let list = sql.bind_list(&ids);
    sql.text = format!(
        "SELECT {} FROM users WHERE pool_id = $1 AND id IN ({list})",
        rows::USER_COLUMNS
    );
    let mut by_id: HashMap<String, User> = sql
        .query()
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| rows::user(r).map(|u| (u.id.clone(), u)))
        .collect::<Result<_>>()?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn user_ids(rows: &[AnyRow]) -> Result<Vec<String>> {
    rows.iter().map(|r| col(r, "user_id")).collect()
}

/// The part of a users query that keeps users matching `search` (`u` is the users alias).
fn user_search(sql: &mut Sql, search: Option<&str>) -> String {
    match search.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let p = sql.bind(&contains_pattern(s));
            format!(
                " AND (LOWER(COALESCE(u.username, '')) LIKE {p} ESCAPE '\\' \
                 OR LOWER(COALESCE(u.email, '')) LIKE {p} ESCAPE '\\' \
                 OR COALESCE(u.phone, '') LIKE {p} ESCAPE '\\' \
                 OR LOWER(COALESCE(u.nickname, '')) LIKE {p} ESCAPE '\\' \
                 OR LOWER(COALESCE(u.name, '')) LIKE {p} ESCAPE '\\')"
            )
        }
        None => String::new(),
    }
}

const ORG_RECORD_COLUMNS: &str = "id, pool_id, root_node_id, created_at, updated_at, tenant_id";

fn org_record(row: &AnyRow) -> Result<OrgRecord> {
    Ok(OrgRecord {
        org: Org {
            id: col(row, "id")?,
            pool_id: col(row, "pool_id")?,
            root_node_id: col(row, "root_node_id")?,
            created_at: col(row, "created_at")?,
            updated_at: col(row, "updated_at")?,
        },
        tenant_id: col(row, "tenant_id")?,
    })
}

fn namespace(row: &AnyRow) -> Result<ResourceNamespace> {
    Ok(ResourceNamespace {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        code: col(row, "code")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        app_id: col(row, "app_id")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

const POLICY_COLUMNS: &str =
    "id, pool_id, namespace, code, description, statements, created_at, updated_at";

fn policy(row: &AnyRow) -> Result<Policy> {
    let statements: String = col(row, "statements")?;
    Ok(Policy {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        namespace: col(row, "namespace")?,
        code: col(row, "code")?,
        description: col(row, "description")?,
        statements: serde_json::from_str(&statements)
            .map_err(|e| Error::Storage(format!("column statements: {e}")))?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

const ACCOUNT_COLUMNS: &str = "id, pool_id, app_id, user_id, secret, enabled, remarks, \
    token_lifetime, created_at, updated_at";

fn account(row: &AnyRow) -> Result<ProgrammaticAccount> {
    let created_at: i64 = col(row, "created_at")?;
    let updated_at: Option<i64> = col(row, "updated_at")?;
    let lifetime: Option<i64> = col(row, "token_lifetime")?;
    Ok(ProgrammaticAccount {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        app_id: col::<Option<String>>(row, "app_id")?.unwrap_or_default(),
        user_id: col(row, "user_id")?,
        secret: col(row, "secret")?,
        enabled: flag(row, "enabled")?,
        remarks: col(row, "remarks")?,
        token_lifetime: lifetime.unwrap_or(0),
        created_at,
        updated_at: updated_at.unwrap_or(created_at),
    })
}

fn grant(r: &AnyRow) -> Result<ResourceGrant> {
    let own_type: Option<String> = col(r, "resource_type")?;
    let grant_type: Option<String> = col(r, "grant_type")?;
    let resource_type = own_type
        .or(grant_type)
        .as_deref()
        .and_then(ResourceType::parse)
        .unwrap_or_default();
    let actions: String = col(r, "actions")?;
    let target_type: String = col(r, "target_type")?;
    Ok(ResourceGrant {
        namespace: col(r, "namespace")?,
        resource: col(r, "resource")?,
        resource_type,
        api_identifier: col(r, "api_identifier")?,
        target_type: parse_target_key(&target_type)?,
        target_id: col(r, "target_id")?,
        actions: serde_json::from_str(&actions)
            .map_err(|e| Error::Storage(format!("column actions: {e}")))?,
        created_at: col(r, "created_at")?,
    })
}

/// The actions of one grant, if it exists.
async fn grant_actions(
    tx: &mut Tx<'_>,
    pool_id: &str,
    w: &GrantWrite,
) -> Result<Option<Vec<String>>> {
    let row = sqlx::query(
        "SELECT actions FROM resource_grants WHERE pool_id = $1 AND namespace = $2 \
         AND resource = $3 AND target_type = $4 AND target_id = $5",
    )
    .bind(pool_id)
    .bind(&w.namespace)
    .bind(&w.resource)
    .bind(target_key(w.target_type))
    .bind(&w.target_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        let text: String = col(&r, "actions")?;
        serde_json::from_str(&text).map_err(|e| Error::Storage(format!("column actions: {e}")))
    })
    .transpose()
}

/// Inserts the grant with `actions` or replaces the actions of the existing one; a missing
/// target is its error.
async fn put_grant(
    tx: &mut Tx<'_>,
    pool_id: &str,
    w: &GrantWrite,
    actions: &[String],
    at: i64,
) -> Result<()> {
    let (table, target_missing) = target_table(w.target_type);
    let n = sqlx::query(&format!(
        "INSERT INTO resource_grants (id, pool_id, namespace, resource, resource_type, \
         target_type, target_id, actions, effect, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'ALLOW', $9 \
         WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.pool_id = $2 AND t.id = $7) \
         ON CONFLICT (pool_id, namespace, resource, target_type, target_id) \
         DO UPDATE SET actions = excluded.actions, resource_type = excluded.resource_type"
    ))
    .bind(ids::new_id())
    .bind(pool_id)
    .bind(&w.namespace)
    .bind(&w.resource)
    .bind(w.resource_type.as_str())
    .bind(target_key(w.target_type))
    .bind(&w.target_id)
    .bind(to_json(&actions)?)
    .bind(at)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if n == 0 {
        return Err(target_missing);
    }
    Ok(())
}

async fn drop_grant(tx: &mut Tx<'_>, pool_id: &str, w: &GrantWrite) -> Result<()> {
    sqlx::query(
        "DELETE FROM resource_grants WHERE pool_id = $1 AND namespace = $2 AND resource = $3 \
         AND target_type = $4 AND target_id = $5",
    )
    .bind(pool_id)
    .bind(&w.namespace)
    .bind(&w.resource)
    .bind(target_key(w.target_type))
    .bind(&w.target_id)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The ids of the subtree under `node_id` (itself included) in one organization.
async fn subtree(
    tx: &mut Tx<'_>,
    pool_id: &str,
    org_id: &str,
    node_id: &str,
) -> Result<Vec<String>> {
    sqlx::query(
        "WITH RECURSIVE sub(id) AS ( \
            SELECT id FROM org_nodes WHERE pool_id = $1 AND org_id = $2 AND id = $3 \
            UNION \
            SELECT c.id FROM sub JOIN org_nodes c ON c.org_id = $2 AND c.parent_id = sub.id) \
         SELECT id FROM sub",
    )
    .bind(pool_id)
    .bind(org_id)
    .bind(node_id)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| col(r, "id"))
    .collect()
}

#[async_trait]
impl DirectoryAdminStore for SqlStore {
    // --- roles -----------------------------------------------------------------------------

    async fn list_roles(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        page: Page,
        order: Order,
    ) -> Result<Paged<Role>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let ns = namespace
            .map(|n| format!(" AND namespace = {}", sql.bind(n)))
            .unwrap_or_default();
        let filter = format!("FROM roles WHERE pool_id = $1{ns}");
        sql.text = format!("SELECT COUNT(*) AS n {filter}");
        let total_count = count(&self.pool, &sql).await?;
        let d = direction(order);
        sql.text = format!(
            "SELECT {ROLE_COLUMNS} {filter} ORDER BY created_at{d}, id{d}{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(role)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn delete_roles(&self, pool_id: &str, role_ids: &[String]) -> Result<()> {
        atomically!(self, tx, {
            lock_pool(&mut tx, pool_id).await?;
            delete_roles_in(&mut tx, pool_id, role_ids).await?;
            Ok(())
        })
    }

    async fn assign_roles(
        &self,
        pool_id: &str,
        role_ids: &[String],
        targets: &[(TargetType, String)],
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            link_all(&mut tx, &ROLE_ASSIGNMENTS, pool_id, role_ids, targets, at).await
        })
    }

    async fn revoke_roles(
        &self,
        pool_id: &str,
        role_ids: &[String],
        targets: &[(TargetType, String)],
    ) -> Result<()> {
        if role_ids.is_empty() || targets.is_empty() {
            return Ok(());
        }
        atomically!(self, tx, {
            unlink_all(&mut tx, &ROLE_ASSIGNMENTS, pool_id, role_ids, targets).await
        })
    }

    async fn role_users(
        &self,
        pool_id: &str,
        role_id: &str,
        search: Option<&str>,
        page: Page,
    ) -> Result<Paged<User>> {
        let mut sql = Sql::new(vec![
            pool_id.to_owned(),
            role_id.to_owned(),
            target_key(TargetType::User).to_owned(),
        ]);
        let filter = user_search(&mut sql, search);
        let from = format!(
            "FROM role_assignments ra JOIN users u ON u.id = ra.target_id AND u.pool_id = ra.pool_id \
             WHERE ra.role_id = $2 AND ra.target_type = $3 AND ra.pool_id = $1{filter}"
        );
        sql.text = format!("SELECT COUNT(*) AS n {from}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT {} {from} ORDER BY ra.created_at, ra.target_id{}",
            prefixed(rows::USER_COLUMNS, "u"),
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(rows::user)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn roles_of_targets(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<String>> {
        let grouped = by_type(targets);
        if grouped.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let parts: Vec<String> = grouped
            .iter()
            .map(|(t, ids)| {
                let kind = sql.bind(target_key(*t));
                let list = sql.bind_list(ids);
                format!(
                    "SELECT role_id FROM role_assignments WHERE pool_id = $1 \
                     AND target_type = {kind} AND target_id IN ({list})"
                )
            })
            .collect();
        sql.text = parts.join(" UNION ");
        let mut ids: Vec<String> = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "role_id"))
            .collect::<Result<_>>()?;
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    async fn role_lineage(&self, pool_id: &str, role_ids: &[String]) -> Result<Vec<String>> {
        if role_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(role_ids);
        sql.text = format!(
            "WITH RECURSIVE chain(id, parent_id) AS ( \
                SELECT id, parent_id FROM roles WHERE pool_id = $1 AND id IN ({list}) \
                UNION \
                SELECT r.id, r.parent_id FROM chain c JOIN roles r ON r.id = c.parent_id) \
             SELECT id FROM chain"
        );
        let mut ids: Vec<String> = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "id"))
            .collect::<Result<_>>()?;
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    // --- groups ----------------------------------------------------------------------------

    async fn list_groups(&self, pool_id: &str, page: Page, order: Order) -> Result<Paged<Group>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        sql.text = "SELECT COUNT(*) AS n FROM user_groups WHERE pool_id = $1".into();
        let total_count = count(&self.pool, &sql).await?;
        let d = direction(order);
        sql.text = format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = $1 \
             ORDER BY created_at{d}, id{d}{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(group)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn find_group(&self, pool_id: &str, code: &str) -> Result<Option<Group>> {
        sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(group)
        .transpose()
    }

    async fn groups_by_ids(&self, pool_id: &str, ids: &[String]) -> Result<Vec<Group>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = $1 AND id IN ({list}) \
             ORDER BY created_at, id"
        );
        sql.query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(group)
            .collect()
    }

    async fn update_group(&self, g: &Group) -> Result<()> {
        let n = sqlx::query(
            "UPDATE user_groups SET code = $1, name = $2, description = $3, updated_at = $4 \
             WHERE pool_id = $5 AND id = $6",
        )
        .bind(&g.code)
        .bind(&g.name)
        .bind(&g.description)
        .bind(g.updated_at)
        .bind(&g.pool_id)
        .bind(&g.id)
        .execute(&self.pool)
        .await
        .map_err(dir_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::Group));
        }
        Ok(())
    }

    async fn delete_groups(&self, pool_id: &str, group_ids: &[String]) -> Result<()> {
        if group_ids.is_empty() {
            return Ok(());
        }
        atomically!(self, tx, {
            let mut sql = Sql::new(vec![pool_id.to_owned()]);
            let list = sql.bind_list(group_ids);
            sql.text =
                format!("DELETE FROM group_members WHERE pool_id = $1 AND group_id IN ({list})");
            sql.query().execute(&mut *tx).await.map_err(db_err)?;
            delete_target_rows(&mut tx, pool_id, TargetType::Group, group_ids).await?;
            sql.text = format!("DELETE FROM user_groups WHERE pool_id = $1 AND id IN ({list})");
            sql.query().execute(&mut *tx).await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn remove_group_members(
        &self,
        pool_id: &str,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        if user_ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), group_id.to_owned()]);
        let list = sql.bind_list(user_ids);
        sql.text = format!(
            "DELETE FROM group_members WHERE pool_id = $1 AND group_id = $2 AND user_id IN ({list})"
        );
        sql.query().execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn group_users(&self, pool_id: &str, group_id: &str, page: Page) -> Result<Paged<User>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), group_id.to_owned()]);
        let from = "FROM group_members m JOIN users u ON u.id = m.user_id \
                    WHERE m.group_id = $2 AND m.pool_id = $1";
        sql.text = format!("SELECT COUNT(*) AS n {from}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT {} {from} ORDER BY m.created_at, m.user_id{}",
            prefixed(rows::USER_COLUMNS, "u"),
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(rows::user)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    // --- organizations ---------------------------------------------------------------------

    async fn insert_org_tree(
        &self,
        o: &Org,
        tenant_id: Option<&str>,
        nodes: &[Node],
    ) -> Result<()> {
        atomically!(self, tx, {
            sqlx::query(&format!(
                "INSERT INTO orgs ({ORG_COLUMNS}, tenant_id) VALUES ($1, $2, $3, $4, $5, $6)"
            ))
            .bind(&o.id)
            .bind(&o.pool_id)
            .bind(&o.root_node_id)
            .bind(o.created_at)
            .bind(o.updated_at)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if let Some(t) = tenant_id {
                let found =
                    sqlx::query("SELECT 1 AS one FROM tenants WHERE pool_id = $1 AND id = $2")
                        .bind(&o.pool_id)
                        .bind(t)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                if found.is_none() {
                    return Err(Error::NotFound(Entity::Tenant));
                }
            }
            for n in nodes {
                if insert_node_row(&mut tx, n).await? == 0 {
                    return Err(Error::Internal(
                        "an imported node does not follow its parent".into(),
                    ));
                }
            }
            Ok(())
        })
    }

    async fn get_org_record(&self, pool_id: &str, org_id: &str) -> Result<Option<OrgRecord>> {
        sqlx::query(&format!(
            "SELECT {ORG_RECORD_COLUMNS} FROM orgs WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(org_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(org_record)
        .transpose()
    }

    async fn list_orgs(&self, pool_id: &str, page: Page, order: Order) -> Result<Paged<OrgRecord>> {
        let total_count = self.count_orgs(pool_id).await?;
        let d = direction(order);
        let list = sqlx::query(&format!(
            "SELECT {ORG_RECORD_COLUMNS} FROM orgs WHERE pool_id = $1 \
             ORDER BY created_at{d}, id{d}{}",
            page_sql(page)
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(org_record)
        .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn orgs_of_tenant(&self, pool_id: &str, tenant_id: &str) -> Result<Vec<OrgRecord>> {
        sqlx::query(&format!(
            "SELECT {ORG_RECORD_COLUMNS} FROM orgs WHERE pool_id = $1 AND tenant_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(org_record)
        .collect()
    }

    async fn org_nodes(&self, pool_id: &str, org_ids: &[String]) -> Result<Vec<Node>> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(org_ids);
        sql.text = format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE pool_id = $1 AND org_id IN ({list}) \
             ORDER BY org_id, sort_order, created_at, id"
        );
        sql.query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(node)
            .collect()
    }

    async fn delete_org(&self, pool_id: &str, org_id: &str) -> Result<()> {
        atomically!(self, tx, {
            let n = sqlx::query(
                "UPDATE orgs SET updated_at = updated_at WHERE pool_id = $1 AND id = $2",
            )
            .bind(pool_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Entity::Org));
            }
            // Read the nodes before the org row goes: its delete cascades to them.
            let node_ids: Vec<String> =
                sqlx::query("SELECT id FROM org_nodes WHERE pool_id = $1 AND org_id = $2")
                    .bind(pool_id)
                    .bind(org_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .iter()
                    .map(|r| col(r, "id"))
                    .collect::<Result<_>>()?;
            delete_nodes_in(&mut tx, pool_id, &node_ids).await?;
            for stmt in [
                "DELETE FROM udf_values WHERE pool_id = $1 AND target_type = 'ORG' AND target_id = $2",
                "DELETE FROM orgs WHERE pool_id = $1 AND id = $2",
            ] {
                sqlx::query(stmt)
                    .bind(pool_id)
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn update_node(
        &self,
        pool_id: &str,
        node_id: &str,
        change: &NodeChange,
        at: i64,
    ) -> Result<Node> {
        atomically!(self, tx, {
            let n =
                sqlx::query("UPDATE org_nodes SET updated_at = $1 WHERE pool_id = $2 AND id = $3")
                    .bind(at)
                    .bind(pool_id)
                    .bind(node_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Entity::OrgNode));
            }
            let mut current = sqlx::query(&format!(
                "SELECT {NODE_COLUMNS} FROM org_nodes WHERE pool_id = $1 AND id = $2"
            ))
            .bind(pool_id)
            .bind(node_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)
            .and_then(|r| node(&r))?;
            if let Some(v) = &change.name {
                current.name = v.clone();
            }
            if let Some(v) = &change.code {
                current.code = v.clone();
            }
            if let Some(v) = &change.description {
                current.description = v.clone();
            }
            if let Some(v) = change.order {
                current.order = v;
            }
            if let Some(v) = &change.name_i18n {
                current.name_i18n = v.clone();
            }
            if let Some(v) = &change.description_i18n {
                current.description_i18n = v.clone();
            }
            current.updated_at = at;
            sqlx::query(
                "UPDATE org_nodes SET name = $1, code = $2, description = $3, sort_order = $4, \
                 name_i18n = $5, description_i18n = $6 WHERE pool_id = $7 AND id = $8",
            )
            .bind(&current.name)
            .bind(&current.code)
            .bind(&current.description)
            .bind(current.order)
            .bind(&current.name_i18n)
            .bind(&current.description_i18n)
            .bind(pool_id)
            .bind(node_id)
            .execute(&mut *tx)
            .await
            .map_err(dir_err)?;
            Ok(current)
        })
    }

    async fn delete_node(&self, pool_id: &str, org_id: &str, node_id: &str) -> Result<()> {
        atomically!(self, tx, {
            let n = sqlx::query(
                "UPDATE orgs SET updated_at = updated_at WHERE pool_id = $1 AND id = $2",
            )
            .bind(pool_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Entity::Org));
            }
            let parent: Option<Option<String>> = sqlx::query(
                "SELECT parent_id FROM org_nodes WHERE pool_id = $1 AND org_id = $2 AND id = $3",
            )
            .bind(pool_id)
            .bind(org_id)
            .bind(node_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .map(|r| col(&r, "parent_id"))
            .transpose()?;
            match parent {
                None => return Err(Error::NotFound(Entity::OrgNode)),
                // The root goes only with its organization (`deleteOrg`): an org has one root.
                Some(None) => return Err(Error::RootNodeDelete),
                Some(Some(_)) => {}
            }
            let ids = subtree(&mut tx, pool_id, org_id, node_id).await?;
            delete_nodes_in(&mut tx, pool_id, &ids).await?;
            Ok(())
        })
    }

    async fn find_node_by_code(
        &self,
        pool_id: &str,
        org_id: &str,
        code: &str,
    ) -> Result<Option<Node>> {
        sqlx::query(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE org_id = $1 AND code = $2 AND pool_id = $3"
        ))
        .bind(org_id)
        .bind(code)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(node)
        .transpose()
    }

    async fn nodes_with_code(&self, pool_id: &str, code: &str) -> Result<Vec<Node>> {
        sqlx::query(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE pool_id = $1 AND code = $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(node)
        .collect()
    }

    async fn search_nodes(&self, pool_id: &str, keyword: &str, limit: i64) -> Result<Vec<Node>> {
        let pattern = contains_pattern(keyword);
        sqlx::query(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE pool_id = $1 \
             AND (LOWER(name) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(code, '')) LIKE $2 ESCAPE '\\') \
             ORDER BY name, id LIMIT {limit}"
        ))
        .bind(pool_id)
        .bind(pattern)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(node)
        .collect()
    }

    async fn remove_node_members(
        &self,
        pool_id: &str,
        node_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        if user_ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), node_id.to_owned()]);
        let list = sql.bind_list(user_ids);
        sql.text = format!(
            "DELETE FROM node_members WHERE pool_id = $1 AND node_id = $2 AND user_id IN ({list})"
        );
        sql.query().execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn move_node_members(
        &self,
        pool_id: &str,
        user_ids: &[String],
        from: &str,
        to: &str,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            for user_id in user_ids {
                let removed = sqlx::query(
                    "DELETE FROM node_members WHERE pool_id = $1 AND node_id = $2 AND user_id = $3 \
                     RETURNING is_main",
                )
                .bind(pool_id)
                .bind(from)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some(removed) = removed else {
                    // Not a member of the source: say which end is wrong.
                    let ends = vec![
                        ("org_nodes", from, Error::NotFound(Entity::OrgNode)),
                        ("users", user_id.as_str(), Error::UserNotFound),
                    ];
                    return Err(missing_end(&mut tx, pool_id, ends)
                        .await?
                        .unwrap_or(Error::MoveOfNonMember));
                };
                let was_main = flag(&removed, "is_main")?;
                let on_conflict = if was_main {
                    "DO UPDATE SET is_main = 1"
                } else {
                    "DO NOTHING"
                };
                let n = sqlx::query(&format!(
                    "INSERT INTO node_members (node_id, user_id, pool_id, is_main, joined_at) \
                     SELECT n.id, $3, n.pool_id, $4, $5 FROM org_nodes n \
                     WHERE n.pool_id = $1 AND n.id = $2 \
                     ON CONFLICT (node_id, user_id) {on_conflict}"
                ))
                .bind(pool_id)
                .bind(to)
                .bind(user_id)
                .bind(i64::from(was_main))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    let ends = vec![("org_nodes", to, Error::NotFound(Entity::OrgNode))];
                    if let Some(e) = missing_end(&mut tx, pool_id, ends).await? {
                        return Err(e);
                    }
                }
            }
            Ok(())
        })
    }

    async fn node_users(
        &self,
        pool_id: &str,
        node_id: &str,
        with_descendants: bool,
        page: Page,
    ) -> Result<Paged<User>> {
        if !with_descendants {
            let mut sql = Sql::new(vec![pool_id.to_owned(), node_id.to_owned()]);
            let from = "FROM node_members m JOIN users u ON u.id = m.user_id \
                        WHERE m.node_id = $2 AND m.pool_id = $1";
            sql.text = format!("SELECT COUNT(*) AS n {from}");
            let total_count = count(&self.pool, &sql).await?;
            sql.text = format!(
                "SELECT {} {from} ORDER BY m.joined_at, m.user_id{}",
                prefixed(rows::USER_COLUMNS, "u"),
                page_sql(page)
            );
            let list = sql
                .query()
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(rows::user)
                .collect::<Result<_>>()?;
            return Ok(Paged { total_count, list });
        }
        // Each user once, placed by their earliest membership in the subtree.
        let sub = "WITH RECURSIVE sub(id, org_id) AS ( \
                SELECT id, org_id FROM org_nodes WHERE pool_id = $1 AND id = $2 \
                UNION \
                SELECT c.id, c.org_id FROM sub JOIN org_nodes c \
                ON c.org_id = sub.org_id AND c.parent_id = sub.id)";
        let members = "FROM node_members m WHERE m.pool_id = $1 \
                       AND m.node_id IN (SELECT id FROM sub)";
        let total_count = sqlx::query(&format!(
            "{sub} SELECT COUNT(DISTINCT m.user_id) AS n {members}"
        ))
        .bind(pool_id)
        .bind(node_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)
        .and_then(|r| col::<i64>(&r, "n"))?;
        let rows = sqlx::query(&format!(
            "{sub} SELECT m.user_id AS user_id, MIN(m.joined_at) AS joined {members} \
             GROUP BY m.user_id ORDER BY joined, m.user_id{}",
            page_sql(page)
        ))
        .bind(pool_id)
        .bind(node_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let list = users_in_order(&self.pool, pool_id, user_ids(&rows)?).await?;
        Ok(Paged { total_count, list })
    }

    async fn set_main_department(
        &self,
        pool_id: &str,
        user_id: &str,
        node_id: Option<&str>,
    ) -> Result<()> {
        atomically!(self, tx, {
            if let Some(node_id) = node_id {
                let n = sqlx::query(
                    "UPDATE node_members SET is_main = 1 \
                     WHERE pool_id = $1 AND user_id = $2 AND node_id = $3",
                )
                .bind(pool_id)
                .bind(user_id)
                .bind(node_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    let ends = vec![
                        ("users", user_id, Error::UserNotFound),
                        ("org_nodes", node_id, Error::NotFound(Entity::OrgNode)),
                    ];
                    // Both exist: the user is not a member of that department.
                    return Err(missing_end(&mut tx, pool_id, ends)
                        .await?
                        .unwrap_or(Error::MainDepartmentNotJoined));
                }
            }
            sqlx::query(
                "UPDATE node_members SET is_main = 0 WHERE pool_id = $1 AND user_id = $2 \
                 AND node_id <> $3 AND is_main <> 0",
            )
            .bind(pool_id)
            .bind(user_id)
            .bind(node_id.unwrap_or(""))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if node_id.is_none() {
                let ends = vec![("users", user_id, Error::UserNotFound)];
                if let Some(e) = missing_end(&mut tx, pool_id, ends).await? {
                    return Err(e);
                }
            }
            Ok(())
        })
    }

    async fn count_orgs(&self, pool_id: &str) -> Result<i64> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        sql.text = "SELECT COUNT(*) AS n FROM orgs WHERE pool_id = $1".into();
        count(&self.pool, &sql).await
    }

    // --- namespaces, resources and grants --------------------------------------------------

    async fn list_namespaces(&self, pool_id: &str, page: Page) -> Result<Paged<ResourceNamespace>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        sql.text = "SELECT COUNT(*) AS n FROM resource_namespaces WHERE pool_id = $1".into();
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT {NAMESPACE_COLUMNS} FROM resource_namespaces WHERE pool_id = $1 \
             ORDER BY created_at, id{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(namespace)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn find_namespace(&self, pool_id: &str, code: &str) -> Result<Option<ResourceNamespace>> {
        sqlx::query(&format!(
            "SELECT {NAMESPACE_COLUMNS} FROM resource_namespaces WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(namespace)
        .transpose()
    }

    async fn update_namespace(&self, ns: &ResourceNamespace, old_code: &str) -> Result<()> {
        atomically!(self, tx, {
            let n = sqlx::query(
                "UPDATE resource_namespaces SET code = $1, name = $2, description = $3, \
                 updated_at = $4 WHERE pool_id = $5 AND id = $6",
            )
            .bind(&ns.code)
            .bind(&ns.name)
            .bind(&ns.description)
            .bind(ns.updated_at)
            .bind(&ns.pool_id)
            .bind(&ns.id)
            .execute(&mut *tx)
            .await
            .map_err(dir_err)?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Entity::Namespace));
            }
            if ns.code != old_code {
                for table in ["roles", "resources", "resource_grants", "policies"] {
                    sqlx::query(&format!(
                        "UPDATE {table} SET namespace = $1 WHERE pool_id = $2 AND namespace = $3"
                    ))
                    .bind(&ns.code)
                    .bind(&ns.pool_id)
                    .bind(old_code)
                    .execute(&mut *tx)
                    .await
                    .map_err(admin_err)?;
                }
            }
            Ok(())
        })
    }

    async fn delete_namespace(&self, pool_id: &str, code: &str) -> Result<()> {
        atomically!(self, tx, {
            let n = sqlx::query("DELETE FROM resource_namespaces WHERE pool_id = $1 AND code = $2")
                .bind(pool_id)
                .bind(code)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Entity::Namespace));
            }
            delete_namespace_contents(&mut tx, pool_id, code).await
        })
    }

    async fn list_resources(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        resource_type: Option<ResourceType>,
        page: Page,
    ) -> Result<Paged<Resource>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let mut filter = String::from("FROM resources WHERE pool_id = $1");
        if let Some(n) = namespace {
            filter.push_str(&format!(" AND namespace = {}", sql.bind(n)));
        }
        if let Some(t) = resource_type {
            filter.push_str(&format!(" AND type = {}", sql.bind(t.as_str())));
        }
        sql.text = format!("SELECT COUNT(*) AS n {filter}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT {RESOURCE_COLUMNS} {filter} ORDER BY created_at, id{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(resource)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn get_resource(&self, pool_id: &str, id: &str) -> Result<Option<Resource>> {
        sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE id = $1 AND pool_id = $2"
        ))
        .bind(id)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(resource)
        .transpose()
    }

    async fn update_resource(&self, r: &Resource) -> Result<()> {
        let n = sqlx::query(
            "UPDATE resources SET type = $1, description = $2, actions = $3, \
             api_identifier = $4, updated_at = $5 WHERE pool_id = $6 AND id = $7",
        )
        .bind(r.resource_type.as_str())
        .bind(&r.description)
        .bind(to_json(&r.actions)?)
        .bind(&r.api_identifier)
        .bind(r.updated_at)
        .bind(&r.pool_id)
        .bind(&r.id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::Resource));
        }
        Ok(())
    }

    async fn delete_resource(&self, pool_id: &str, namespace: &str, code: &str) -> Result<()> {
        atomically!(self, tx, {
            let n = sqlx::query(
                "DELETE FROM resources WHERE pool_id = $1 AND namespace = $2 AND code = $3",
            )
            .bind(pool_id)
            .bind(namespace)
            .bind(code)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                return Err(Error::NotFound(Entity::Resource));
            }
            sqlx::query(
                "DELETE FROM resource_grants WHERE pool_id = $1 AND namespace = $2 \
                 AND (resource = $3 OR resource LIKE $4 ESCAPE '\\')",
            )
            .bind(pool_id)
            .bind(namespace)
            .bind(code)
            .bind(prefix_pattern(&format!("{code}:")))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    async fn apply_grants(&self, pool_id: &str, writes: &[GrantWrite], at: i64) -> Result<()> {
        atomically!(self, tx, {
            lock_pool(&mut tx, pool_id).await?;
            for w in writes {
                match &w.op {
                    GrantOp::Replace(actions) => {
                        put_grant(&mut tx, pool_id, w, actions, at).await?
                    }
                    GrantOp::Add(actions) => {
                        let mut merged = grant_actions(&mut tx, pool_id, w)
                            .await?
                            .unwrap_or_default();
                        for a in actions {
                            if !merged.contains(a) {
                                merged.push(a.clone());
                            }
                        }
                        put_grant(&mut tx, pool_id, w, &merged, at).await?;
                    }
                    GrantOp::Remove(actions) => {
                        if let Some(mut left) = grant_actions(&mut tx, pool_id, w).await? {
                            left.retain(|a| !actions.contains(a));
                            if left.is_empty() {
                                drop_grant(&mut tx, pool_id, w).await?;
                            } else {
                                put_grant(&mut tx, pool_id, w, &left, at).await?;
                            }
                        }
                    }
                    GrantOp::Delete => drop_grant(&mut tx, pool_id, w).await?,
                }
            }
            Ok(())
        })
    }

    async fn grants_on_resource(
        &self,
        pool_id: &str,
        namespace: &str,
        resource: &str,
        target_type: Option<TargetType>,
    ) -> Result<Vec<ResourceGrant>> {
        let mut sql = Sql::new(vec![
            pool_id.to_owned(),
            namespace.to_owned(),
            resource.to_owned(),
        ]);
        let kind = target_type
            .map(|t| format!(" AND g.target_type = {}", sql.bind(target_key(t))))
            .unwrap_or_default();
        sql.text = format!(
            "SELECT g.namespace AS namespace, g.resource AS resource, \
             g.resource_type AS grant_type, g.target_type AS target_type, \
             g.target_id AS target_id, g.actions AS actions, g.created_at AS created_at, \
             r.type AS resource_type, r.api_identifier AS api_identifier \
             FROM resource_grants g LEFT JOIN resources r \
             ON r.pool_id = g.pool_id AND r.namespace = g.namespace AND r.code = g.resource \
             WHERE g.pool_id = $1 AND g.namespace = $2 AND g.resource = $3{kind} \
             ORDER BY g.created_at, g.target_type, g.target_id"
        );
        sql.query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(grant)
            .collect()
    }

    // --- application access ----------------------------------------------------------------

    async fn app_access_records(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<AppAccessRecord>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), app_id.to_owned()]);
        let filter = "FROM app_access_policies WHERE app_id = $2 AND pool_id = $1";
        sql.text = format!("SELECT COUNT(*) AS n {filter}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT id, app_id, target_type, target_id, effect, enabled, created_at, updated_at \
             {filter} ORDER BY created_at, id{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                let target_type: String = col(r, "target_type")?;
                let effect: String = col(r, "effect")?;
                Ok(AppAccessRecord {
                    id: col(r, "id")?,
                    app_id: col(r, "app_id")?,
                    target_type: parse_target_key(&target_type)?,
                    target_id: col(r, "target_id")?,
                    allow: effect != "DENY",
                    enabled: flag(r, "enabled")?,
                    created_at: col(r, "created_at")?,
                    updated_at: col(r, "updated_at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn set_app_access_rules(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        allow: bool,
        at: i64,
    ) -> Result<()> {
        let (table, target_missing) = target_table(target_type);
        let effect = if allow { "ALLOW" } else { "DENY" };
        atomically!(self, tx, {
            for target_id in target_ids {
                let n = sqlx::query(&format!(
                    "INSERT INTO app_access_policies (id, pool_id, app_id, target_type, target_id, \
                     effect, enabled, created_at, updated_at) \
                     SELECT $1, a.pool_id, a.id, $4, $5, $6, 1, $7, $7 FROM applications a \
                     WHERE a.pool_id = $2 AND a.id = $3 \
                     AND EXISTS (SELECT 1 FROM {table} t WHERE t.pool_id = $2 AND t.id = $5) \
                     ON CONFLICT (app_id, target_type, target_id) \
                     DO UPDATE SET effect = excluded.effect, enabled = 1, \
                     updated_at = excluded.updated_at"
                ))
                .bind(ids::new_id())
                .bind(pool_id)
                .bind(app_id)
                .bind(target_key(target_type))
                .bind(target_id)
                .bind(effect)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    let ends = vec![
                        ("applications", app_id, Error::AppNotFound),
                        (table, target_id.as_str(), target_missing.clone()),
                    ];
                    return Err(missing_end(&mut tx, pool_id, ends)
                        .await?
                        .unwrap_or_else(|| Error::Internal("access rule not written".into())));
                }
            }
            Ok(())
        })
    }

    async fn set_app_access_enabled(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        enabled: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            for target_id in target_ids {
                let n = sqlx::query(
                    "UPDATE app_access_policies SET enabled = $1, updated_at = $2 \
                     WHERE app_id = $3 AND target_type = $4 AND target_id = $5 AND pool_id = $6",
                )
                .bind(i64::from(enabled))
                .bind(at)
                .bind(app_id)
                .bind(target_key(target_type))
                .bind(target_id)
                .bind(pool_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    let ends = vec![("applications", app_id, Error::AppNotFound)];
                    return Err(missing_end(&mut tx, pool_id, ends)
                        .await?
                        .unwrap_or(Error::NotFound(Entity::AccessRule)));
                }
            }
            Ok(())
        })
    }

    async fn delete_app_access_rules(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
    ) -> Result<()> {
        if target_ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![
            pool_id.to_owned(),
            app_id.to_owned(),
            target_key(target_type).to_owned(),
        ]);
        let list = sql.bind_list(target_ids);
        sql.text = format!(
            "DELETE FROM app_access_policies WHERE pool_id = $1 AND app_id = $2 \
             AND target_type = $3 AND target_id IN ({list})"
        );
        sql.query().execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn app_with_default_access(
        &self,
        pool_id: &str,
        app_id: &str,
    ) -> Result<Option<(Application, bool)>> {
        let row = sqlx::query(&format!(
            "SELECT {}, config FROM applications WHERE pool_id = $1 AND id = $2",
            rows::APP_COLUMNS
        ))
        .bind(pool_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(r) = row else {
            return Ok(None);
        };
        let text: String = col(&r, "config")?;
        let config: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::Storage(format!("column config: {e}")))?;
        // Absent means allow, as for `apps_with_default_access`.
        let allow_all = config
            .get(ACCESS_POLICY_DEFAULT_KEY)
            .and_then(|v| v.as_str())
            != Some(ACCESS_POLICY_DENY_ALL);
        Ok(Some((rows::app(&r)?, allow_all)))
    }

    // --- programmatic access accounts ------------------------------------------------------

    async fn insert_programmatic_account(&self, a: &ProgrammaticAccount) -> Result<()> {
        let n = sqlx::query(&format!(
            "INSERT INTO access_keys ({ACCOUNT_COLUMNS}) \
             SELECT $1, a.pool_id, a.id, $4, $5, $6, $7, $8, $9, $10 FROM applications a \
             WHERE a.pool_id = $2 AND a.id = $3"
        ))
        .bind(&a.id)
        .bind(&a.pool_id)
        .bind(&a.app_id)
        .bind(&a.user_id)
        .bind(&a.secret)
        .bind(i64::from(a.enabled))
        .bind(&a.remarks)
        .bind(a.token_lifetime)
        .bind(a.created_at)
        .bind(a.updated_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::AppNotFound);
        }
        Ok(())
    }

    async fn programmatic_accounts(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<ProgrammaticAccount>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), app_id.to_owned()]);
        let filter = "FROM access_keys WHERE app_id = $2 AND pool_id = $1";
        sql.text = format!("SELECT COUNT(*) AS n {filter}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT {ACCOUNT_COLUMNS} {filter} ORDER BY created_at, id{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(account)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn update_programmatic_account(
        &self,
        pool_id: &str,
        id: &str,
        secret: Option<&str>,
        enabled: Option<bool>,
        at: i64,
    ) -> Result<Option<ProgrammaticAccount>> {
        atomically!(self, tx, {
            // Only an application's accounts: the pool's own access key has no app.
            let n = sqlx::query(
                "UPDATE access_keys SET secret = COALESCE($1, secret), \
                 enabled = COALESCE($2, enabled), updated_at = $3 \
                 WHERE pool_id = $4 AND id = $5 AND app_id IS NOT NULL",
            )
            .bind(secret)
            .bind(enabled.map(i64::from))
            .bind(at)
            .bind(pool_id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                return Ok(None);
            }
            let row = sqlx::query(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM access_keys WHERE pool_id = $1 AND id = $2"
            ))
            .bind(pool_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            let updated = account(&row)?;
            Ok(Some(updated))
        })
    }

    async fn delete_programmatic_account(&self, pool_id: &str, id: &str) -> Result<bool> {
        let n = sqlx::query(
            "DELETE FROM access_keys WHERE pool_id = $1 AND id = $2 AND app_id IS NOT NULL",
        )
        .bind(pool_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    // --- policies --------------------------------------------------------------------------

    async fn insert_policy(&self, p: &Policy) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO policies ({POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&p.id)
        .bind(&p.pool_id)
        .bind(&p.namespace)
        .bind(&p.code)
        .bind(&p.description)
        .bind(to_json(&p.statements)?)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&self.pool)
        .await
        .map_err(admin_err)?;
        Ok(())
    }

    async fn find_policy(
        &self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<Option<Policy>> {
        sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM policies WHERE pool_id = $1 AND namespace = $2 \
             AND code = $3"
        ))
        .bind(pool_id)
        .bind(namespace)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(policy)
        .transpose()
    }

    async fn list_policies(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        page: Page,
    ) -> Result<Paged<Policy>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let ns = namespace
            .map(|n| format!(" AND namespace = {}", sql.bind(n)))
            .unwrap_or_default();
        let filter = format!("FROM policies WHERE pool_id = $1{ns}");
        sql.text = format!("SELECT COUNT(*) AS n {filter}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT {POLICY_COLUMNS} {filter} ORDER BY created_at, id{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(policy)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn update_policy(&self, p: &Policy) -> Result<()> {
        let n = sqlx::query(
            "UPDATE policies SET code = $1, description = $2, statements = $3, updated_at = $4 \
             WHERE pool_id = $5 AND id = $6",
        )
        .bind(&p.code)
        .bind(&p.description)
        .bind(to_json(&p.statements)?)
        .bind(p.updated_at)
        .bind(&p.pool_id)
        .bind(&p.id)
        .execute(&self.pool)
        .await
        .map_err(admin_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::Policy));
        }
        Ok(())
    }

    async fn delete_policies(&self, pool_id: &str, policy_ids: &[String]) -> Result<()> {
        if policy_ids.is_empty() {
            return Ok(());
        }
        atomically!(self, tx, {
            let mut sql = Sql::new(vec![pool_id.to_owned()]);
            let list = sql.bind_list(policy_ids);
            for stmt in [
                format!(
                    "DELETE FROM policy_assignments WHERE pool_id = $1 AND policy_id IN ({list})"
                ),
                format!("DELETE FROM policies WHERE pool_id = $1 AND id IN ({list})"),
            ] {
                sql.text = stmt;
                sql.query().execute(&mut *tx).await.map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn policy_assignment_counts(
        &self,
        pool_id: &str,
        policy_ids: &[String],
    ) -> Result<Vec<(String, i64)>> {
        if policy_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(policy_ids);
        sql.text = format!(
            "SELECT policy_id, COUNT(*) AS n FROM policy_assignments \
             WHERE pool_id = $1 AND policy_id IN ({list}) GROUP BY policy_id"
        );
        sql.query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Ok((col(r, "policy_id")?, col(r, "n")?)))
            .collect()
    }

    async fn add_policy_assignments(
        &self,
        pool_id: &str,
        policy_ids: &[String],
        targets: &[(TargetType, String)],
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            link_all(
                &mut tx,
                &POLICY_ASSIGNMENTS,
                pool_id,
                policy_ids,
                targets,
                at,
            )
            .await
        })
    }

    async fn remove_policy_assignments(
        &self,
        pool_id: &str,
        policy_ids: &[String],
        targets: &[(TargetType, String)],
    ) -> Result<()> {
        if policy_ids.is_empty() || targets.is_empty() {
            return Ok(());
        }
        atomically!(self, tx, {
            unlink_all(&mut tx, &POLICY_ASSIGNMENTS, pool_id, policy_ids, targets).await
        })
    }

    async fn set_policy_assignment_enabled(
        &self,
        pool_id: &str,
        policy_id: &str,
        target: &(TargetType, String),
        enabled: bool,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE policy_assignments SET enabled = $1 WHERE policy_id = $2 \
             AND target_type = $3 AND target_id = $4 AND pool_id = $5",
        )
        .bind(i64::from(enabled))
        .bind(policy_id)
        .bind(target_key(target.0))
        .bind(&target.1)
        .bind(pool_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn policy_assignments(
        &self,
        pool_id: &str,
        filter: &AssignmentFilter,
        page: Page,
    ) -> Result<Paged<PolicyAssignment>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let mut cond = String::new();
        if let Some(p) = &filter.policy_id {
            cond.push_str(&format!(" AND a.policy_id = {}", sql.bind(p)));
        }
        if let Some(t) = filter.target_type {
            cond.push_str(&format!(" AND a.target_type = {}", sql.bind(target_key(t))));
        }
        if let Some(id) = &filter.target_id {
            cond.push_str(&format!(" AND a.target_id = {}", sql.bind(id)));
        }
        let from = format!(
            "FROM policy_assignments a JOIN policies p ON p.id = a.policy_id \
             WHERE a.pool_id = $1{cond}"
        );
        sql.text = format!("SELECT COUNT(*) AS n {from}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT a.policy_id AS policy_id, p.code AS code, p.namespace AS namespace, \
             a.target_type AS target_type, a.target_id AS target_id, a.enabled AS enabled, \
             a.created_at AS created_at {from} \
             ORDER BY p.created_at, p.id, a.created_at, a.target_type, a.target_id{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                let target_type: String = col(r, "target_type")?;
                Ok(PolicyAssignment {
                    policy_id: col(r, "policy_id")?,
                    policy_code: col(r, "code")?,
                    namespace: col(r, "namespace")?,
                    target_type: parse_target_key(&target_type)?,
                    target_id: col(r, "target_id")?,
                    enabled: flag(r, "enabled")?,
                    created_at: col(r, "created_at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    // --- custom data of several targets ----------------------------------------------------

    async fn udf_values_of(
        &self,
        pool_id: &str,
        target_type: &str,
        target_ids: &[String],
    ) -> Result<Vec<(String, String, String)>> {
        if target_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned(), target_type.to_owned()]);
        let list = sql.bind_list(target_ids);
        sql.text = format!(
            "SELECT target_id, key, value FROM udf_values WHERE pool_id = $1 \
             AND target_type = $2 AND target_id IN ({list})"
        );
        sql.query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Ok((col(r, "target_id")?, col(r, "key")?, col(r, "value")?)))
            .collect()
    }
}
