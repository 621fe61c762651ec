//! [`DirectoryStore`] and [`DirectoryTx`] on SQL: roles, groups, organization trees.
//!
//! Writes that link two rows are `INSERT … SELECT … WHERE EXISTS`: the statement that writes
//! is also the one that checks both ends, so it runs first in its transaction (SQLite takes
//! the write lock up front) and a concurrent delete cannot slip between check and insert.
//! Only when nothing was inserted do we look at which end is missing, to name it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use std::collections::HashMap;

use tessera_core::model::directory::{
    Group, Node, NodeMembership, Org, Role, Subjects, TargetType,
};
use tessera_core::{Entity, Error, Result};

use super::statement::Sql;
use super::{db_err, SqlStore};
use crate::rows::{self, col, flag};

use super::statement::{
    contains_pattern, count, direction, fetch_page, page_sql, targeted_update, user_keyword_match,
    SetValue,
};
use super::unit::SqlWriteTx;
use tessera_core::model::directory_admin::{NodeChange, OrgRecord, RoleAssignment};
use tessera_core::model::User;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::directory::{DirectoryStore, DirectoryTx, GroupFields, Order, RoleFields};
type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// How a target type is spelled in `role_assignments`, `resource_grants` and
/// `app_access_policies` (the schema's names, not the wire's).
pub(super) fn target_key(t: TargetType) -> &'static str {
    match t {
        TargetType::User => "USER",
        TargetType::Role => "ROLE",
        TargetType::Group => "GROUP",
        TargetType::OrgNode => "ORG_NODE",
    }
}

pub(super) fn parse_target_key(s: &str) -> Result<TargetType> {
    match s {
        "USER" => Ok(TargetType::User),
        "ROLE" => Ok(TargetType::Role),
        "GROUP" => Ok(TargetType::Group),
        "ORG_NODE" => Ok(TargetType::OrgNode),
        other => Err(Error::Storage(format!("unknown target type {other:?}"))),
    }
}

/// The table holding targets of a type, and the error naming a missing one.
pub(super) fn target_table(t: TargetType) -> (&'static str, Error) {
    match t {
        TargetType::User => ("users", Error::UserNotFound),
        TargetType::Role => ("roles", Error::NotFound(Entity::Role)),
        TargetType::Group => ("user_groups", Error::NotFound(Entity::Group)),
        TargetType::OrgNode => ("org_nodes", Error::NotFound(Entity::OrgNode)),
    }
}

/// The directory's unique indexes: PostgreSQL's index name, SQLite's column list, and the
/// [`Error::Duplicate`] entity it means.
const DUPLICATES: [(&str, &str, Entity); 5] = [
    (
        "roles_code_uq",
        "roles.pool_id, roles.namespace, roles.code",
        Entity::RoleCode,
    ),
    (
        "user_groups_code_uq",
        "user_groups.pool_id, user_groups.code",
        Entity::GroupCode,
    ),
    (
        "org_nodes_code_uq",
        "org_nodes.org_id, org_nodes.code",
        Entity::OrgNodeCode,
    ),
    (
        "resource_namespaces_code_uq",
        "resource_namespaces.pool_id, resource_namespaces.code",
        Entity::NamespaceCode,
    ),
    (
        "resources_code_uq",
        "resources.pool_id, resources.namespace, resources.code",
        Entity::ResourceCode,
    ),
];

/// The targeted update of the node fields `change` names (and `updated_at`), returning the
/// row as stored.
fn node_change_sql(pool_id: &str, node_id: &str, change: &NodeChange, at: i64) -> Sql {
    let mut sets = Vec::new();
    if let Some(v) = &change.name {
        sets.push(("name", SetValue::Text(v.clone())));
    }
    if let Some(v) = &change.code {
        sets.push(("code", SetValue::OptText(v.clone())));
    }
    if let Some(v) = &change.description {
        sets.push(("description", SetValue::OptText(v.clone())));
    }
    if let Some(v) = change.order {
        sets.push(("sort_order", SetValue::Int(v)));
    }
    if let Some(v) = &change.name_i18n {
        sets.push(("name_i18n", SetValue::OptText(v.clone())));
    }
    if let Some(v) = &change.description_i18n {
        sets.push(("description_i18n", SetValue::OptText(v.clone())));
    }
    if let Some(v) = change.enabled {
        sets.push(("enabled", SetValue::Int(i64::from(v))));
    }
    targeted_update("org_nodes", sets, at, pool_id, node_id, NODE_COLUMNS)
}

pub(super) fn dir_err(e: sqlx::Error) -> Error {
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
    db_err(e)
}

/// Targets grouped by type, each type once, so one indexed clause serves each type.
pub(super) fn by_type(targets: &[(TargetType, String)]) -> BTreeMap<TargetType, Vec<String>> {
    let mut out: BTreeMap<TargetType, Vec<String>> = BTreeMap::new();
    for (t, id) in targets {
        let ids = out.entry(*t).or_default();
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    out
}

pub(super) fn prefixed(columns: &str, alias: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn exists(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    pool_id: &str,
    id: &str,
) -> Result<bool> {
    let row = sqlx::query(&format!(
        "SELECT 1 AS one FROM {table} WHERE pool_id = $1 AND id = $2"
    ))
    .bind(pool_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(row.is_some())
}

/// After a linking insert wrote nothing: the error naming the first missing end, if any
/// (`None`: both exist, so the link was already there).
pub(super) async fn missing_end(
    conn: &mut sqlx::AnyConnection,
    pool_id: &str,
    ends: Vec<(&str, &str, Error)>,
) -> Result<Option<Error>> {
    for (table, id, err) in ends {
        if !exists(conn, table, pool_id, id).await? {
            return Ok(Some(err));
        }
    }
    Ok(None)
}

pub(super) const ROLE_COLUMNS: &str =
    "id, pool_id, namespace, code, name, description, parent_id, created_at, updated_at";

pub(super) fn role(row: &AnyRow) -> Result<Role> {
    Ok(Role {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        namespace: col(row, "namespace")?,
        code: col(row, "code")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        parent_id: col(row, "parent_id")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

pub(super) const GROUP_COLUMNS: &str =
    "id, pool_id, code, name, description, created_at, updated_at";

pub(super) fn group(row: &AnyRow) -> Result<Group> {
    Ok(Group {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        code: col(row, "code")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

pub(super) const ORG_COLUMNS: &str = "id, pool_id, root_node_id, created_at, updated_at";

pub(super) fn org(row: &AnyRow) -> Result<Org> {
    Ok(Org {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        root_node_id: col(row, "root_node_id")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// The columns a new node is inserted with (`enabled` takes its default, enabled).
const NODE_INSERT_COLUMNS: &str = "id, pool_id, org_id, parent_id, name, name_i18n, description, \
    description_i18n, code, sort_order, created_at, updated_at";

pub(super) const NODE_COLUMNS: &str =
    "id, pool_id, org_id, parent_id, name, name_i18n, description, \
    description_i18n, code, sort_order, created_at, updated_at, enabled";

pub(super) fn node(row: &AnyRow) -> Result<Node> {
    Ok(Node {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        org_id: col(row, "org_id")?,
        parent_id: col(row, "parent_id")?,
        name: col(row, "name")?,
        name_i18n: col(row, "name_i18n")?,
        description: col(row, "description")?,
        description_i18n: col(row, "description_i18n")?,
        code: col(row, "code")?,
        order: col(row, "sort_order")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        enabled: flag(row, "enabled")?,
    })
}

pub(super) async fn insert_node_row(conn: &mut sqlx::AnyConnection, n: &Node) -> Result<u64> {
    // The parent row supplies pool and org, so a node can only join a tree of its own pool.
    let (parent_filter, parent_id) = match &n.parent_id {
        Some(p) => (
            "SELECT $1, p.pool_id, p.org_id, p.id, $5, $6, $7, $8, $9, $10, $11, $11 \
             FROM org_nodes p WHERE p.pool_id = $2 AND p.org_id = $3 AND p.id = $4",
            p.clone(),
        ),
        // A root: only the root its org row names, so an org never gets a second root.
        None => (
            "SELECT $1, o.pool_id, o.id, NULL, $5, $6, $7, $8, $9, $10, $11, $11 \
             FROM orgs o WHERE o.pool_id = $2 AND o.id = $3 AND o.root_node_id = $4",
            n.id.clone(),
        ),
    };
    let sql = format!("INSERT INTO org_nodes ({NODE_INSERT_COLUMNS}) {parent_filter}",);
    sqlx::query(&sql)
        .bind(&n.id)
        .bind(&n.pool_id)
        .bind(&n.org_id)
        .bind(parent_id)
        .bind(&n.name)
        .bind(&n.name_i18n)
        .bind(&n.description)
        .bind(&n.description_i18n)
        .bind(&n.code)
        .bind(n.order)
        .bind(n.created_at)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
        .map_err(dir_err)
}

/// Deletes roles of the pool and everything naming them; children lose their parent.
/// A table linking a role or a policy to targets: both are written the same way.
pub(super) struct Assignments {
    pub(super) table: &'static str,
    /// The column naming the role or policy.
    pub(super) owner_col: &'static str,
    /// The table of roles or policies, and the error naming a missing one.
    pub(super) owners: &'static str,
    pub(super) owner_missing: Error,
    /// Extra columns written on insert (with their constant values), after `pool_id`.
    pub(super) extra_cols: &'static str,
    pub(super) extra_vals: &'static str,
}

pub(super) const ROLE_ASSIGNMENTS: Assignments = Assignments {
    table: "role_assignments",
    owner_col: "role_id",
    owners: "roles",
    owner_missing: Error::NotFound(Entity::Role),
    extra_cols: "",
    extra_vals: "",
};

/// The resolver's one statement (binds: `$1` pool, `$2` user): rows `(kind, id)` — the user
/// (`USER`), its groups, its departments and their ancestors (`NODE`), the roles given to any
/// of them (`ROLE`) and those roles' parents (`ROLE_CHAIN`). Shared by reads and units of
/// work, so a rule checked in a unit sees the roles exactly as the resolver does.
pub(super) fn subjects_statement() -> String {
    format!(
        "WITH RECURSIVE \
         my_groups(id) AS ( \
            SELECT gm.group_id FROM group_members gm \
            WHERE gm.user_id = $2 AND gm.pool_id = $1), \
         my_nodes(id, parent_id) AS ( \
            SELECT n.id, n.parent_id FROM node_members nm \
            JOIN org_nodes n ON n.id = nm.node_id \
            WHERE nm.user_id = $2 AND nm.pool_id = $1 \
            UNION \
            SELECT n.id, n.parent_id FROM my_nodes c JOIN org_nodes n ON n.id = c.parent_id), \
         my_roles(id) AS ( \
            SELECT ra.role_id FROM role_assignments ra \
            WHERE ra.pool_id = $1 AND ra.target_type = '{user}' AND ra.target_id = $2 \
            UNION \
            SELECT ra.role_id FROM role_assignments ra \
            WHERE ra.pool_id = $1 AND ra.target_type = '{group}' \
            AND ra.target_id IN (SELECT id FROM my_groups) \
            UNION \
            SELECT ra.role_id FROM role_assignments ra \
            WHERE ra.pool_id = $1 AND ra.target_type = '{node}' \
            AND ra.target_id IN (SELECT id FROM my_nodes)), \
         role_chain(id, parent_id) AS ( \
            SELECT r.id, r.parent_id FROM my_roles m JOIN roles r ON r.id = m.id \
            UNION \
            SELECT r.id, r.parent_id FROM role_chain c JOIN roles r ON r.id = c.parent_id) \
         SELECT 'USER' AS kind, u.id AS id FROM users u WHERE u.pool_id = $1 AND u.id = $2 \
         UNION ALL SELECT 'GROUP', id FROM my_groups \
         UNION ALL SELECT 'NODE', id FROM my_nodes \
         UNION ALL SELECT 'ROLE', id FROM my_roles \
         UNION ALL SELECT 'ROLE_CHAIN', id FROM role_chain",
        user = target_key(TargetType::User),
        group = target_key(TargetType::Group),
        node = target_key(TargetType::OrgNode),
    )
}

/// Links every owner to every target, all or nothing: the insert itself checks that both
/// ends exist in the pool, and only when it wrote nothing do we look at which one is missing.
pub(super) async fn link_all(
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
pub(super) async fn unlink_all(
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
            user_keyword_match(&p)
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

/// Inserts a role row, on the pool or inside a unit of work.
async fn insert_role_row<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    conn: E,
    r: &Role,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO roles ({ROLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&r.id)
    .bind(&r.pool_id)
    .bind(&r.namespace)
    .bind(&r.code)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.parent_id)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(conn)
    .await
    .map_err(dir_err)?;
    Ok(())
}

/// The targeted update of a group's named columns.
fn update_group_statement(pool_id: &str, group_id: &str, fields: &GroupFields, at: i64) -> Sql {
    let mut sets = Vec::new();
    if let Some(v) = &fields.code {
        sets.push(("code", SetValue::Text(v.clone())));
    }
    if let Some(v) = &fields.name {
        sets.push(("name", SetValue::Text(v.clone())));
    }
    if let Some(v) = &fields.description {
        sets.push(("description", SetValue::OptText(v.clone())));
    }
    targeted_update("user_groups", sets, at, pool_id, group_id, GROUP_COLUMNS)
}

/// Inserts a group row, on the pool or inside a unit of work.
async fn insert_group_row<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    conn: E,
    g: &Group,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&g.id)
    .bind(&g.pool_id)
    .bind(&g.code)
    .bind(&g.name)
    .bind(&g.description)
    .bind(g.created_at)
    .bind(g.updated_at)
    .execute(conn)
    .await
    .map_err(dir_err)?;
    Ok(())
}

#[async_trait]
impl DirectoryStore for SqlStore {
    // --- the resolver's input ---------------------------------------------------------

    async fn user_subjects(&self, pool_id: &str, user_id: &str) -> Result<Option<Subjects>> {
        // One statement, so the answer is one consistent snapshot. UNION (not UNION ALL) in
        // the recursive parts stops at rows already seen, so even a corrupt cycle ends.
        // `target_id IN (subquery)` rather than a join keeps SQLite's planner on the
        // (pool_id, target_type, target_id) index instead of walking every assignment of
        // the pool.
        let sql = subjects_statement();
        let rows = sqlx::query(&sql)
            .bind(pool_id)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut subjects = Subjects::default();
        let mut found = false;
        for r in &rows {
            let kind: String = col(r, "kind")?;
            let id: String = col(r, "id")?;
            let list = match kind.as_str() {
                "USER" => {
                    found = true;
                    subjects.user_id = id;
                    continue;
                }
                "GROUP" => &mut subjects.group_ids,
                "NODE" => &mut subjects.node_ids,
                "ROLE" => &mut subjects.role_ids,
                _ => &mut subjects.inherited_role_ids,
            };
            list.push(id);
        }
        if !found {
            return Ok(None);
        }
        for list in [
            &mut subjects.group_ids,
            &mut subjects.node_ids,
            &mut subjects.role_ids,
            &mut subjects.inherited_role_ids,
        ] {
            list.sort();
            list.dedup();
        }
        Ok(Some(subjects))
    }

    // --- roles ------------------------------------------------------------------------

    async fn insert_role(&self, r: &Role) -> Result<()> {
        insert_role_row(&self.pool, r).await
    }

    async fn get_role(&self, pool_id: &str, id: &str) -> Result<Option<Role>> {
        sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles WHERE id = $1 AND pool_id = $2"
        ))
        .bind(id)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(role)
        .transpose()
    }

    async fn find_role(&self, pool_id: &str, namespace: &str, code: &str) -> Result<Option<Role>> {
        sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles WHERE pool_id = $1 AND namespace = $2 AND code = $3"
        ))
        .bind(pool_id)
        .bind(namespace)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(role)
        .transpose()
    }

    async fn roles_by_ids(
        &self,
        pool_id: &str,
        ids: &[String],
        namespace: Option<&str>,
    ) -> Result<Vec<Role>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let ns = namespace
            .map(|n| format!(" AND namespace = {}", sql.bind(n)))
            .unwrap_or_default();
        let list = sql.bind_list(ids);
        sql.text = format!(
            "SELECT {ROLE_COLUMNS} FROM roles WHERE pool_id = $1 AND id IN ({list}){ns} \
             ORDER BY created_at, id"
        );
        sql.fetch_all(&self.pool).await?.iter().map(role).collect()
    }

    async fn list_roles(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        keyword: Option<&str>,
        page: Page,
        order: Order,
    ) -> Result<Paged<Role>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let ns = namespace
            .map(|n| format!(" AND namespace = {}", sql.bind(n)))
            .unwrap_or_default();
        let kw = keyword
            .map(|k| {
                let p = sql.bind(&contains_pattern(k));
                format!(
                    " AND (LOWER(code) LIKE {p} ESCAPE '\\' \
                     OR LOWER(COALESCE(name, '')) LIKE {p} ESCAPE '\\')"
                )
            })
            .unwrap_or_default();
        let filter = format!("FROM roles WHERE pool_id = $1{ns}{kw}");
        let d = direction(order);
        let order_by = format!("created_at{d}, id{d}");
        fetch_page(
            &self.pool,
            &mut sql,
            ROLE_COLUMNS,
            &filter,
            &order_by,
            page,
            role,
        )
        .await
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

    async fn role_assignments(
        &self,
        pool_id: &str,
        role_id: &str,
        kinds: &[TargetType],
        search: Option<&str>,
        page: Page,
    ) -> Result<Paged<RoleAssignment>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), role_id.to_owned()]);
        let keys: Vec<String> = kinds.iter().map(|k| target_key(*k).to_owned()).collect();
        if keys.is_empty() {
            return Ok(Paged {
                total_count: 0,
                list: Vec::new(),
            });
        }
        let kinds = sql.bind_list(&keys);
        let user = sql.bind(target_key(TargetType::User));
        let node = sql.bind(target_key(TargetType::OrgNode));
        let filter = match search.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                let p = sql.bind(&contains_pattern(s));
                format!(
                    " AND (LOWER(COALESCE(u.username, '')) LIKE {p} ESCAPE '\\' \
                     OR LOWER(COALESCE(u.email, '')) LIKE {p} ESCAPE '\\' \
                     OR COALESCE(u.phone, '') LIKE {p} ESCAPE '\\' \
                     OR LOWER(COALESCE(u.nickname, '')) LIKE {p} ESCAPE '\\' \
                     OR LOWER(COALESCE(u.name, '')) LIKE {p} ESCAPE '\\' \
                     OR LOWER(COALESCE(n.name, '')) LIKE {p} ESCAPE '\\')"
                )
            }
            None => String::new(),
        };
        // A holder of another kind, or one deleted without its assignment, joins nothing and
        // is left out.
        let from = format!(
            "FROM role_assignments ra \
             LEFT JOIN users u ON ra.target_type = {user} AND u.id = ra.target_id \
             AND u.pool_id = ra.pool_id \
             LEFT JOIN org_nodes n ON ra.target_type = {node} AND n.id = ra.target_id \
             AND n.pool_id = ra.pool_id \
             WHERE ra.pool_id = $1 AND ra.role_id = $2 AND ra.target_type IN ({kinds}) \
             AND (u.id IS NOT NULL OR n.id IS NOT NULL){filter}"
        );
        sql.text = format!("SELECT COUNT(*) AS n {from}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT ra.target_type AS target_type, ra.target_id AS target_id, \
             ra.created_at AS created_at, \
             COALESCE(u.username, u.email, u.phone, u.name, n.name) AS target_name \
             {from} ORDER BY ra.created_at, ra.target_id{}",
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(RoleAssignment {
                    target_type: parse_target_key(&col::<String>(r, "target_type")?)?,
                    target_id: col(r, "target_id")?,
                    target_name: col(r, "target_name")?,
                    assigned_at: col(r, "created_at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
    }

    async fn role_nodes(&self, pool_id: &str, role_id: &str, page: Page) -> Result<Paged<Node>> {
        let mut sql = Sql::new(vec![
            pool_id.to_owned(),
            role_id.to_owned(),
            target_key(TargetType::OrgNode).to_owned(),
        ]);
        let from = "FROM role_assignments ra \
             JOIN org_nodes n ON n.id = ra.target_id AND n.pool_id = ra.pool_id \
             WHERE ra.role_id = $2 AND ra.target_type = $3 AND ra.pool_id = $1";
        sql.text = format!("SELECT COUNT(*) AS n {from}");
        let total_count = count(&self.pool, &sql).await?;
        sql.text = format!(
            "SELECT {} {from} ORDER BY ra.created_at, ra.target_id{}",
            prefixed(NODE_COLUMNS, "n"),
            page_sql(page)
        );
        let list = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(node)
            .collect::<Result<_>>()?;
        Ok(Paged { total_count, list })
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

    // --- groups -----------------------------------------------------------------------

    async fn insert_group(&self, g: &Group) -> Result<()> {
        insert_group_row(&self.pool, g).await
    }

    async fn get_group(&self, pool_id: &str, id: &str) -> Result<Option<Group>> {
        sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups WHERE id = $1 AND pool_id = $2"
        ))
        .bind(id)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(group)
        .transpose()
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

    async fn list_groups(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
        order: Order,
    ) -> Result<Paged<Group>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let kw = keyword
            .map(|k| {
                let p = sql.bind(&contains_pattern(k));
                format!(
                    " AND (LOWER(code) LIKE {p} ESCAPE '\\' OR LOWER(name) LIKE {p} ESCAPE '\\')"
                )
            })
            .unwrap_or_default();
        let filter = format!("FROM user_groups WHERE pool_id = $1{kw}");
        let d = direction(order);
        let order_by = format!("created_at{d}, id{d}");
        fetch_page(
            &self.pool,
            &mut sql,
            GROUP_COLUMNS,
            &filter,
            &order_by,
            page,
            group,
        )
        .await
    }

    async fn update_group(
        &self,
        pool_id: &str,
        group_id: &str,
        fields: &GroupFields,
        at: i64,
    ) -> Result<Group> {
        update_group_statement(pool_id, group_id, fields, at)
            .query()
            .fetch_optional(&self.pool)
            .await
            .map_err(dir_err)?
            .as_ref()
            .map(group)
            .transpose()?
            .ok_or(Error::NotFound(Entity::Group))
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

    async fn user_groups(&self, pool_id: &str, user_id: &str) -> Result<Vec<Group>> {
        sqlx::query(&format!(
            "SELECT {} FROM group_members m JOIN user_groups g ON g.id = m.group_id \
             WHERE m.user_id = $1 AND m.pool_id = $2 ORDER BY g.created_at, g.id",
            prefixed(GROUP_COLUMNS, "g")
        ))
        .bind(user_id)
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(group)
        .collect()
    }

    // --- organizations ----------------------------------------------------------------

    async fn insert_org(&self, o: &Org, root: &Node) -> Result<()> {
        atomically!(self, tx, {
            sqlx::query(&format!(
                "INSERT INTO orgs ({ORG_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
            ))
            .bind(&o.id)
            .bind(&o.pool_id)
            .bind(&o.root_node_id)
            .bind(o.created_at)
            .bind(o.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if insert_node_row(&mut tx, root).await? == 0 {
                return Err(Error::Internal(
                    "root node does not match its new org".into(),
                ));
            }
            Ok(())
        })
    }

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

    async fn get_org(&self, pool_id: &str, id: &str) -> Result<Option<Org>> {
        sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1 AND pool_id = $2"
        ))
        .bind(id)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(org)
        .transpose()
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

    async fn count_orgs(&self, pool_id: &str) -> Result<i64> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        sql.text = "SELECT COUNT(*) AS n FROM orgs WHERE pool_id = $1".into();
        count(&self.pool, &sql).await
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

    async fn insert_node(&self, n: &Node) -> Result<()> {
        let Some(parent_id) = &n.parent_id else {
            return Err(Error::NodeWithoutParent);
        };
        atomically!(self, tx, {
            if insert_node_row(&mut tx, n).await? == 0 {
                let ends = vec![
                    ("orgs", n.org_id.as_str(), Error::NotFound(Entity::Org)),
                    (
                        "org_nodes",
                        parent_id.as_str(),
                        Error::NotFound(Entity::OrgNode),
                    ),
                ];
                // The parent exists but in another org of the pool: still not a node of this org.
                return Err(missing_end(&mut tx, &n.pool_id, ends)
                    .await?
                    .unwrap_or(Error::NotFound(Entity::OrgNode)));
            }
            Ok(())
        })
    }

    async fn get_node(&self, pool_id: &str, id: &str) -> Result<Option<Node>> {
        sqlx::query(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE id = $1 AND pool_id = $2"
        ))
        .bind(id)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(node)
        .transpose()
    }

    async fn node_lineage(&self, pool_id: &str, node_ids: &[String]) -> Result<Vec<Node>> {
        if node_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(node_ids);
        sql.text = format!(
            "WITH RECURSIVE lineage(id, parent_id) AS ( \
                SELECT id, parent_id FROM org_nodes WHERE pool_id = $1 AND id IN ({list}) \
                UNION \
                SELECT n.id, n.parent_id FROM lineage l JOIN org_nodes n ON n.id = l.parent_id) \
             SELECT {NODE_COLUMNS} FROM org_nodes WHERE id IN (SELECT id FROM lineage)"
        );
        sql.fetch_all(&self.pool).await?.iter().map(node).collect()
    }

    async fn node_children(
        &self,
        pool_id: &str,
        node_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if node_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(node_ids);
        // Joining through the parent gives the child lookup its org id, so it runs on the
        // (org_id, parent_id, sort_order) index.
        sql.text = format!(
            "SELECT c.parent_id AS parent_id, c.id AS id FROM org_nodes p \
             JOIN org_nodes c ON c.org_id = p.org_id AND c.parent_id = p.id \
             WHERE p.pool_id = $1 AND p.id IN ({list}) \
             ORDER BY c.parent_id, c.sort_order, c.created_at, c.id"
        );
        sql.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((col(r, "parent_id")?, col(r, "id")?)))
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

    async fn update_node(
        &self,
        pool_id: &str,
        node_id: &str,
        change: &NodeChange,
        at: i64,
    ) -> Result<Node> {
        node_change_sql(pool_id, node_id, change, at)
            .query()
            .fetch_optional(&self.pool)
            .await
            .map_err(dir_err)?
            .as_ref()
            .map(node)
            .transpose()?
            .ok_or(Error::NotFound(Entity::OrgNode))
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

    async fn node_users(
        &self,
        pool_id: &str,
        node_id: &str,
        with_descendants: bool,
        newest_first: bool,
        page: Page,
    ) -> Result<Paged<User>> {
        // The direction is one of two fixed words, never caller text.
        let dir = if newest_first { "DESC" } else { "ASC" };
        if !with_descendants {
            let mut sql = Sql::new(vec![pool_id.to_owned(), node_id.to_owned()]);
            let from = "FROM node_members m JOIN users u ON u.id = m.user_id \
                        WHERE m.node_id = $2 AND m.pool_id = $1";
            sql.text = format!("SELECT COUNT(*) AS n {from}");
            let total_count = count(&self.pool, &sql).await?;
            sql.text = format!(
                "SELECT {} {from} ORDER BY m.joined_at {dir}, m.user_id {dir}{}",
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
             GROUP BY m.user_id ORDER BY joined {dir}, m.user_id {dir}{}",
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

    async fn user_memberships(
        &self,
        pool_id: &str,
        user_id: &str,
        org_id: Option<&str>,
    ) -> Result<Vec<NodeMembership>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), user_id.to_owned()]);
        let org_filter = org_id
            .map(|o| format!(" AND n.org_id = {}", sql.bind(o)))
            .unwrap_or_default();
        sql.text = format!(
            "SELECT {}, m.is_main AS is_main, m.joined_at AS joined_at \
             FROM node_members m JOIN org_nodes n ON n.id = m.node_id \
             WHERE m.user_id = $2 AND m.pool_id = $1{org_filter} \
             ORDER BY m.is_main DESC, m.joined_at, n.id",
            prefixed(NODE_COLUMNS, "n")
        );
        sql.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(NodeMembership {
                    node: node(r)?,
                    is_main: flag(r, "is_main")?,
                    joined_at: col(r, "joined_at")?,
                })
            })
            .collect()
    }

    // --- custom data of several targets -----------------------------------------------

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

#[async_trait]
impl DirectoryTx for SqlWriteTx {
    async fn role(&mut self, pool_id: &str, role_id: &str) -> Result<Option<Role>> {
        self.by_id("roles", ROLE_COLUMNS, pool_id, role_id, role)
            .await
    }

    async fn role_lineage(&mut self, pool_id: &str, role_id: &str) -> Result<Vec<String>> {
        self.lineage("roles", pool_id, role_id).await
    }

    async fn insert_role(&mut self, role: &Role) -> Result<()> {
        insert_role_row(&mut *self.tx, role).await
    }

    async fn insert_group(&mut self, group: &Group) -> Result<()> {
        insert_group_row(&mut *self.tx, group).await
    }

    async fn update_group_fields(
        &mut self,
        pool_id: &str,
        group_id: &str,
        fields: &GroupFields,
        at: i64,
    ) -> Result<Group> {
        update_group_statement(pool_id, group_id, fields, at)
            .query()
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(dir_err)?
            .as_ref()
            .map(group)
            .transpose()?
            .ok_or(Error::NotFound(Entity::Group))
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
        if let Some(n) = &fields.name {
            texts.push(n.clone());
            sets.push(format!("name = ${}", texts.len()));
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

    async fn update_node_fields(
        &mut self,
        pool_id: &str,
        node_id: &str,
        change: &NodeChange,
        at: i64,
    ) -> Result<Node> {
        node_change_sql(pool_id, node_id, change, at)
            .query()
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(dir_err)?
            .as_ref()
            .map(node)
            .transpose()?
            .ok_or(Error::NotFound(Entity::OrgNode))
    }

    async fn role_ids_in_namespace(
        &mut self,
        pool_id: &str,
        namespace: &str,
    ) -> Result<Vec<String>> {
        self.ids_where("roles", "namespace", pool_id, namespace)
            .await
    }

    async fn unparent_roles(&mut self, pool_id: &str, parent_ids: &[String]) -> Result<()> {
        if parent_ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(parent_ids);
        sql.text = format!(
            "UPDATE roles SET parent_id = NULL WHERE pool_id = $1 AND parent_id IN ({list})"
        );
        sql.query().execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_assignments_of_roles(
        &mut self,
        pool_id: &str,
        role_ids: &[String],
    ) -> Result<()> {
        self.delete_in("role_assignments", "role_id", pool_id, role_ids)
            .await
            .map(drop)
    }

    async fn delete_role_assignments_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()> {
        self.delete_naming("role_assignments", pool_id, target, ids)
            .await
    }

    async fn delete_roles(&mut self, pool_id: &str, role_ids: &[String]) -> Result<()> {
        self.delete_in("roles", "id", pool_id, role_ids)
            .await
            .map(drop)
    }

    async fn delete_group_members(&mut self, pool_id: &str, group_ids: &[String]) -> Result<()> {
        self.delete_in("group_members", "group_id", pool_id, group_ids)
            .await
            .map(drop)
    }

    async fn delete_groups(&mut self, pool_id: &str, group_ids: &[String]) -> Result<()> {
        self.delete_in("user_groups", "id", pool_id, group_ids)
            .await
            .map(drop)
    }

    async fn org_roots(&mut self, pool_id: &str) -> Result<Vec<(Node, Option<String>)>> {
        let roots = sqlx::query(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE pool_id = $1 AND parent_id IS NULL"
        ))
        .bind(pool_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(node)
        .collect::<Result<Vec<Node>>>()?;
        let tenants: HashMap<String, Option<String>> =
            sqlx::query("SELECT id, tenant_id FROM orgs WHERE pool_id = $1")
                .bind(pool_id)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| Ok((col(r, "id")?, col(r, "tenant_id")?)))
                .collect::<Result<_>>()?;
        Ok(roots
            .into_iter()
            .map(|n| {
                let t = tenants.get(&n.org_id).cloned().flatten();
                (n, t)
            })
            .collect())
    }

    async fn child_nodes(&mut self, pool_id: &str, parent_id: &str) -> Result<Vec<Node>> {
        sqlx::query(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE pool_id = $1 AND parent_id = $2"
        ))
        .bind(pool_id)
        .bind(parent_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(node)
        .collect()
    }

    async fn insert_org_in_unit(
        &mut self,
        o: &Org,
        tenant_id: Option<&str>,
        root: &Node,
    ) -> Result<()> {
        if let Some(t) = tenant_id {
            let found = sqlx::query("SELECT 1 AS one FROM tenants WHERE pool_id = $1 AND id = $2")
                .bind(&o.pool_id)
                .bind(t)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db_err)?;
            if found.is_none() {
                return Err(Error::NotFound(Entity::Tenant));
            }
        }
        sqlx::query(&format!(
            "INSERT INTO orgs ({ORG_COLUMNS}, tenant_id) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&o.id)
        .bind(&o.pool_id)
        .bind(&o.root_node_id)
        .bind(o.created_at)
        .bind(o.updated_at)
        .bind(tenant_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        if insert_node_row(&mut self.tx, root).await? == 0 {
            return Err(Error::Internal(
                "an organization's root was not inserted".into(),
            ));
        }
        Ok(())
    }

    async fn insert_node_in_unit(&mut self, n: &Node) -> Result<()> {
        if n.parent_id.is_none() {
            return Err(Error::NodeWithoutParent);
        }
        // The parent row supplies pool and org: nothing inserted means no such parent there.
        if insert_node_row(&mut self.tx, n).await? == 0 {
            return Err(Error::NotFound(Entity::OrgNode));
        }
        Ok(())
    }

    async fn existing_group_ids(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!("SELECT id FROM user_groups WHERE pool_id = $1 AND id IN ({list})");
        sql.query()
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "id"))
            .collect()
    }

    async fn add_group_member(
        &mut self,
        pool_id: &str,
        group_id: &str,
        user_id: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id, pool_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, user_id) DO NOTHING",
        )
        .bind(group_id)
        .bind(user_id)
        .bind(pool_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn org_node_ids(&mut self, pool_id: &str, org_id: &str) -> Result<Vec<String>> {
        self.ids_where("org_nodes", "org_id", pool_id, org_id).await
    }

    async fn node_subtree(&mut self, pool_id: &str, node_id: &str) -> Result<Vec<String>> {
        // `UNION` drops rows already seen, so a corrupt loop ends.
        sqlx::query(
            "WITH RECURSIVE sub(id) AS ( \
                SELECT id FROM org_nodes WHERE pool_id = $1 AND id = $2 \
                UNION \
                SELECT c.id FROM sub JOIN org_nodes c ON c.parent_id = sub.id) \
             SELECT id FROM sub",
        )
        .bind(pool_id)
        .bind(node_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col(r, "id"))
        .collect()
    }

    async fn delete_node_members(&mut self, pool_id: &str, node_ids: &[String]) -> Result<()> {
        self.delete_in("node_members", "node_id", pool_id, node_ids)
            .await
            .map(drop)
    }

    async fn delete_nodes(&mut self, pool_id: &str, node_ids: &[String]) -> Result<()> {
        // Every id is listed, so the order of parents and children does not matter: the
        // parent key cascades within the list.
        self.delete_in("org_nodes", "id", pool_id, node_ids)
            .await
            .map(drop)
    }

    async fn delete_org(&mut self, pool_id: &str, org_id: &str) -> Result<()> {
        self.delete_in("orgs", "id", pool_id, &[org_id.to_owned()])
            .await
            .map(drop)
    }

    async fn user_exists(&mut self, pool_id: &str, user_id: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM users WHERE pool_id = $1 AND id = $2")
                .bind(pool_id)
                .bind(user_id)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db_err)?
                .is_some(),
        )
    }

    async fn node_membership(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
    ) -> Result<Option<bool>> {
        sqlx::query(
            "SELECT is_main FROM node_members WHERE pool_id = $1 AND node_id = $2 AND user_id = $3",
        )
        .bind(pool_id)
        .bind(node_id)
        .bind(user_id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?
        .map(|r| flag(&r, "is_main"))
        .transpose()
    }

    async fn add_node_member(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO node_members (node_id, user_id, pool_id, is_main, joined_at) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (node_id, user_id) DO NOTHING",
        )
        .bind(node_id)
        .bind(user_id)
        .bind(pool_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn remove_node_member(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM node_members WHERE pool_id = $1 AND node_id = $2 AND user_id = $3",
        )
        .bind(pool_id)
        .bind(node_id)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn set_member_main(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
        is_main: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE node_members SET is_main = $1 \
             WHERE pool_id = $2 AND node_id = $3 AND user_id = $4",
        )
        .bind(i64::from(is_main))
        .bind(pool_id)
        .bind(node_id)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn clear_main_except(
        &mut self,
        pool_id: &str,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        // No node id is empty, so `''` keeps none.
        sqlx::query(
            "UPDATE node_members SET is_main = 0 WHERE pool_id = $1 AND user_id = $2 \
             AND node_id <> $3 AND is_main <> 0",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn user_node_ids(&mut self, pool_id: &str, user_id: &str) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT node_id FROM node_members WHERE pool_id = $1 AND user_id = $2 \
             ORDER BY node_id",
        )
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col::<String>(r, "node_id"))
        .collect()
    }
}
