//! [`DirectoryStore`] on SQL.
//!
//! Writes that link two rows are `INSERT … SELECT … WHERE EXISTS`: the statement that writes
//! is also the one that checks both ends, so it runs first in its transaction (SQLite takes
//! the write lock up front) and a concurrent delete cannot slip between check and insert.
//! Only when nothing was inserted do we look at which end is missing, to name it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::directory::{
    AppAccessRule, Group, Node, NodeMembership, Org, Resource, ResourceAction, ResourceGrant,
    ResourceNamespace, ResourceType, Role, Subjects, TargetType, ACCESS_POLICY_ALLOW_ALL,
    ACCESS_POLICY_DEFAULT_KEY, ACCESS_POLICY_DENY_ALL,
};
use tessera_core::model::Application;
use tessera_core::store::directory::{DirectoryStore, NewGrant};
use tessera_core::{ids, Entity, Error, Result};

use super::statement::Sql;
use super::{db_err, SqlStore};
use crate::rows::{self, col, flag, to_json};

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

/// The order the resolver merges grants in: per resource, oldest grant first.
fn grant_order(g: &ResourceGrant) -> (&str, &str, i64, TargetType, &str) {
    (
        &g.namespace,
        &g.resource,
        g.created_at,
        g.target_type,
        &g.target_id,
    )
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

pub(super) const NODE_COLUMNS: &str =
    "id, pool_id, org_id, parent_id, name, name_i18n, description, \
    description_i18n, code, sort_order, created_at, updated_at";

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
    })
}

pub(super) const NAMESPACE_COLUMNS: &str =
    "id, pool_id, code, name, description, app_id, created_at, updated_at";

pub(super) const RESOURCE_COLUMNS: &str =
    "id, pool_id, namespace, code, type, description, actions, \
    api_identifier, created_at, updated_at";

pub(super) fn resource_type(row: &AnyRow, name: &str) -> Result<ResourceType> {
    let text: String = col(row, name)?;
    ResourceType::parse(&text)
        .ok_or_else(|| Error::Storage(format!("column {name}: unknown resource type {text:?}")))
}

pub(super) fn resource(row: &AnyRow) -> Result<Resource> {
    let actions: String = col(row, "actions")?;
    Ok(Resource {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        namespace: col(row, "namespace")?,
        code: col(row, "code")?,
        resource_type: resource_type(row, "type")?,
        description: col(row, "description")?,
        actions: serde_json::from_str::<Vec<ResourceAction>>(&actions)
            .map_err(|e| Error::Storage(format!("column actions: {e}")))?,
        api_identifier: col(row, "api_identifier")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
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
    let sql = format!("INSERT INTO org_nodes ({NODE_COLUMNS}) {parent_filter}",);
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

#[async_trait]
impl DirectoryStore for SqlStore {
    async fn user_subjects(&self, pool_id: &str, user_id: &str) -> Result<Option<Subjects>> {
        // One statement, so the answer is one consistent snapshot. UNION (not UNION ALL) in
        // the recursive parts stops at rows already seen, so even a corrupt cycle ends.
        // `target_id IN (subquery)` rather than a join keeps SQLite's planner on the
        // (pool_id, target_type, target_id) index instead of walking every assignment of
        // the pool.
        let sql = format!(
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
        );
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

    async fn insert_role(&self, r: &Role) -> Result<()> {
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
        .execute(&self.pool)
        .await
        .map_err(dir_err)?;
        Ok(())
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

    async fn assign_role(
        &self,
        pool_id: &str,
        role_id: &str,
        target_type: TargetType,
        target_id: &str,
        at: i64,
    ) -> Result<()> {
        let (table, target_missing) = target_table(target_type);
        atomically!(self, tx, {
            let n = sqlx::query(&format!(
                "INSERT INTO role_assignments (role_id, target_type, target_id, pool_id, created_at) \
                 SELECT r.id, $3, $4, r.pool_id, $5 FROM roles r \
                 WHERE r.pool_id = $1 AND r.id = $2 \
                 AND EXISTS (SELECT 1 FROM {table} t WHERE t.pool_id = $1 AND t.id = $4) \
                 ON CONFLICT (role_id, target_type, target_id) DO NOTHING"
            ))
            .bind(pool_id)
            .bind(role_id)
            .bind(target_key(target_type))
            .bind(target_id)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                let ends = vec![
                    ("roles", role_id, Error::NotFound(Entity::Role)),
                    (table, target_id, target_missing),
                ];
                if let Some(e) = missing_end(&mut tx, pool_id, ends).await? {
                    return Err(e);
                }
            }
            Ok(())
        })
    }

    async fn insert_group(&self, g: &Group) -> Result<()> {
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
        .execute(&self.pool)
        .await
        .map_err(dir_err)?;
        Ok(())
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

    async fn add_group_members(
        &self,
        pool_id: &str,
        group_id: &str,
        user_ids: &[String],
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            for user_id in user_ids {
                let n = sqlx::query(
                    "INSERT INTO group_members (group_id, user_id, pool_id, created_at) \
                     SELECT g.id, u.id, g.pool_id, $4 FROM user_groups g \
                     JOIN users u ON u.pool_id = g.pool_id AND u.id = $3 \
                     WHERE g.pool_id = $1 AND g.id = $2 \
                     ON CONFLICT (group_id, user_id) DO NOTHING",
                )
                .bind(pool_id)
                .bind(group_id)
                .bind(user_id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    let ends = vec![
                        ("user_groups", group_id, Error::NotFound(Entity::Group)),
                        ("users", user_id.as_str(), Error::UserNotFound),
                    ];
                    if let Some(e) = missing_end(&mut tx, pool_id, ends).await? {
                        return Err(e);
                    }
                }
            }
            Ok(())
        })
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

    async fn add_node_members(
        &self,
        pool_id: &str,
        node_id: &str,
        user_ids: &[String],
        is_main: bool,
        at: i64,
    ) -> Result<()> {
        let on_conflict = if is_main {
            "DO UPDATE SET is_main = 1"
        } else {
            "DO NOTHING"
        };
        let insert = format!(
            "INSERT INTO node_members (node_id, user_id, pool_id, is_main, joined_at) \
             SELECT n.id, u.id, n.pool_id, $4, $5 FROM org_nodes n \
             JOIN users u ON u.pool_id = n.pool_id AND u.id = $3 \
             WHERE n.pool_id = $1 AND n.id = $2 \
             ON CONFLICT (node_id, user_id) {on_conflict}"
        );
        atomically!(self, tx, {
            for user_id in user_ids {
                let n = sqlx::query(&insert)
                    .bind(pool_id)
                    .bind(node_id)
                    .bind(user_id)
                    .bind(i64::from(is_main))
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    let ends = vec![
                        ("org_nodes", node_id, Error::NotFound(Entity::OrgNode)),
                        ("users", user_id.as_str(), Error::UserNotFound),
                    ];
                    if let Some(e) = missing_end(&mut tx, pool_id, ends).await? {
                        return Err(e);
                    }
                }
                if is_main {
                    // A user has one main department.
                    sqlx::query(
                        "UPDATE node_members SET is_main = 0 \
                         WHERE user_id = $1 AND pool_id = $2 AND node_id <> $3 AND is_main <> 0",
                    )
                    .bind(user_id)
                    .bind(pool_id)
                    .bind(node_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
            }
            Ok(())
        })
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

    async fn insert_namespace(&self, ns: &ResourceNamespace) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO resource_namespaces ({NAMESPACE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&ns.id)
        .bind(&ns.pool_id)
        .bind(&ns.code)
        .bind(&ns.name)
        .bind(&ns.description)
        .bind(&ns.app_id)
        .bind(ns.created_at)
        .bind(ns.updated_at)
        .execute(&self.pool)
        .await
        .map_err(dir_err)?;
        Ok(())
    }

    async fn insert_resource(&self, r: &Resource) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO resources ({RESOURCE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&r.id)
        .bind(&r.pool_id)
        .bind(&r.namespace)
        .bind(&r.code)
        .bind(r.resource_type.as_str())
        .bind(&r.description)
        .bind(to_json(&r.actions)?)
        .bind(&r.api_identifier)
        .bind(r.created_at)
        .bind(r.updated_at)
        .execute(&self.pool)
        .await
        .map_err(dir_err)?;
        Ok(())
    }

    async fn find_resource(
        &self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<Option<Resource>> {
        sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources \
             WHERE pool_id = $1 AND namespace = $2 AND code = $3"
        ))
        .bind(pool_id)
        .bind(namespace)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(resource)
        .transpose()
    }

    async fn upsert_grant(&self, g: &NewGrant) -> Result<()> {
        let (table, target_missing) = target_table(g.target_type);
        let n = sqlx::query(&format!(
            "INSERT INTO resource_grants (id, pool_id, namespace, resource, resource_type, \
             target_type, target_id, actions, effect, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'ALLOW', $9 \
             WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.pool_id = $2 AND t.id = $7) \
             ON CONFLICT (pool_id, namespace, resource, target_type, target_id) \
             DO UPDATE SET actions = excluded.actions, resource_type = excluded.resource_type"
        ))
        .bind(&g.id)
        .bind(&g.pool_id)
        .bind(&g.namespace)
        .bind(&g.resource)
        .bind(g.resource_type.as_str())
        .bind(target_key(g.target_type))
        .bind(&g.target_id)
        .bind(to_json(&g.actions)?)
        .bind(g.at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        // One statement: the only way to write nothing is a missing target.
        if n == 0 {
            return Err(target_missing);
        }
        Ok(())
    }

    async fn grants_for_targets(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
        namespace: Option<&str>,
    ) -> Result<Vec<ResourceGrant>> {
        let grouped = by_type(targets);
        if grouped.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let ns = namespace
            .map(|n| format!(" AND g.namespace = {}", sql.bind(n)))
            .unwrap_or_default();
        // One indexed (pool_id, target_type, target_id) probe per target type.
        let parts: Vec<String> = grouped
            .iter()
            .map(|(t, ids)| {
                let kind = sql.bind(target_key(*t));
                let list = sql.bind_list(ids);
                format!(
                    "SELECT g.namespace AS namespace, g.resource AS resource, \
                     g.resource_type AS grant_type, g.target_type AS target_type, \
                     g.target_id AS target_id, g.actions AS actions, g.created_at AS created_at, \
                     r.type AS resource_type, r.api_identifier AS api_identifier \
                     FROM resource_grants g LEFT JOIN resources r \
                     ON r.pool_id = g.pool_id AND r.namespace = g.namespace AND r.code = g.resource \
                     WHERE g.pool_id = $1 AND g.target_type = {kind} AND g.target_id IN ({list})\
                     {ns}"
                )
            })
            .collect();
        // Sorted here: an ORDER BY on the union makes SQLite walk the pool's grants in
        // (namespace, resource) index order instead of probing the target index.
        sql.text = parts.join(" UNION ALL ");
        let mut grants = sql
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
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
            })
            .collect::<Result<Vec<_>>>()?;
        grants.sort_by(|a, b| grant_order(a).cmp(&grant_order(b)));
        Ok(grants)
    }

    async fn set_app_access(&self, pool_id: &str, rule: &AppAccessRule, at: i64) -> Result<()> {
        let (table, target_missing) = target_table(rule.target_type);
        let effect = if rule.allow { "ALLOW" } else { "DENY" };
        atomically!(self, tx, {
            let n = sqlx::query(&format!(
                "INSERT INTO app_access_policies (id, pool_id, app_id, target_type, target_id, \
                 effect, enabled, created_at, updated_at) \
                 SELECT $1, a.pool_id, a.id, $4, $5, $6, 1, $7, $7 FROM applications a \
                 WHERE a.pool_id = $2 AND a.id = $3 \
                 AND EXISTS (SELECT 1 FROM {table} t WHERE t.pool_id = $2 AND t.id = $5) \
                 ON CONFLICT (app_id, target_type, target_id) \
                 DO UPDATE SET effect = excluded.effect, enabled = 1, updated_at = excluded.updated_at"
            ))
            .bind(ids::new_id())
            .bind(pool_id)
            .bind(&rule.app_id)
            .bind(target_key(rule.target_type))
            .bind(&rule.target_id)
            .bind(effect)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                let ends = vec![
                    ("applications", rule.app_id.as_str(), Error::AppNotFound),
                    (table, rule.target_id.as_str(), target_missing),
                ];
                return Err(missing_end(&mut tx, pool_id, ends)
                    .await?
                    .unwrap_or_else(|| Error::Internal("access rule not written".into())));
            }
            Ok(())
        })
    }

    async fn set_app_default_access(
        &self,
        pool_id: &str,
        app_id: &str,
        allow_all: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            // Writing first locks the row (the database on SQLite), so a concurrent change of
            // another config key cannot be lost between our read and our write.
            let n = sqlx::query(
                "UPDATE applications SET updated_at = $1 WHERE pool_id = $2 AND id = $3",
            )
            .bind(at)
            .bind(pool_id)
            .bind(app_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                return Err(Error::AppNotFound);
            }
            let row = sqlx::query("SELECT config FROM applications WHERE id = $1")
                .bind(app_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            let text: String = col(&row, "config")?;
            let mut config = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(map)) => map,
                _ => {
                    return Err(Error::Storage(format!(
                        "applications.config of {app_id} is not a JSON object"
                    )))
                }
            };
            let value = if allow_all {
                ACCESS_POLICY_ALLOW_ALL
            } else {
                ACCESS_POLICY_DENY_ALL
            };
            config.insert(ACCESS_POLICY_DEFAULT_KEY.to_owned(), value.into());
            sqlx::query("UPDATE applications SET config = $1 WHERE id = $2")
                .bind(to_json(&config)?)
                .bind(app_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            Ok(())
        })
    }

    async fn apps_with_default_access(&self, pool_id: &str) -> Result<Vec<(Application, bool)>> {
        sqlx::query(&format!(
            "SELECT {}, config FROM applications WHERE pool_id = $1 ORDER BY created_at, id",
            rows::APP_COLUMNS
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let text: String = col(r, "config")?;
            let config: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::Storage(format!("column config: {e}")))?;
            // Absent means allow: apps made before access rules existed stay usable.
            let allow_all = config
                .get(ACCESS_POLICY_DEFAULT_KEY)
                .and_then(|v| v.as_str())
                != Some(ACCESS_POLICY_DENY_ALL);
            Ok((rows::app(r)?, allow_all))
        })
        .collect()
    }

    async fn app_access_rules(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<AppAccessRule>> {
        let grouped = by_type(targets);
        if grouped.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        // Through the pool's applications, each rule is a probe of the unique
        // (app_id, target_type, target_id) index.
        let parts: Vec<String> = grouped
            .iter()
            .map(|(t, ids)| {
                let kind = sql.bind(target_key(*t));
                let list = sql.bind_list(ids);
                format!(
                    "SELECT p.app_id AS app_id, p.target_type AS target_type, \
                     p.target_id AS target_id, p.effect AS effect \
                     FROM applications a JOIN app_access_policies p ON p.app_id = a.id \
                     AND p.target_type = {kind} AND p.target_id IN ({list}) \
                     WHERE a.pool_id = $1 AND p.enabled = 1"
                )
            })
            .collect();
        sql.text = parts.join(" UNION ALL ");
        sql.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let target_type: String = col(r, "target_type")?;
                let effect: String = col(r, "effect")?;
                Ok(AppAccessRule {
                    app_id: col(r, "app_id")?,
                    target_type: parse_target_key(&target_type)?,
                    target_id: col(r, "target_id")?,
                    allow: effect != "DENY",
                })
            })
            .collect()
    }
}
