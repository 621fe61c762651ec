//! [`AuthorizationStore`] on SQL: namespaces, resources, grants, policies, application
//! access rules, programmatic access accounts.
//!
//! Transactions that must read before they write start by locking the pool's row (an
//! `UPDATE … SET x = x` takes SQLite's write lock up front and a row lock on PostgreSQL), so a
//! check and the write it guards see the same state.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::directory::{
    AppAccessRule, Resource, ResourceAction, ResourceGrant, ResourceNamespace, ResourceType,
    TargetType,
};
use tessera_core::model::directory_admin::{
    AppAccessRecord, GrantWrite, Policy, PolicyAssignment, ProgrammaticAccount,
};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::authorization::{
    AssignmentFilter, AuthorizationStore, AuthorizationTx, GrantsOn, NamespaceFields,
    NamespaceRows, NewGrant, PolicyFields, ResourceFields,
};
use tessera_core::{ids, Entity, Error, Result};

use super::directory::{
    by_type, dir_err, link_all, missing_end, parse_target_key, target_key, target_table,
    unlink_all, Assignments,
};
use super::statement::{
    contains_pattern, count, fetch_page, page_sql, prefix_pattern, targeted_update, SetValue, Sql,
};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::{col, flag, to_json};

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

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

const POLICY_ASSIGNMENTS: Assignments = Assignments {
    table: "policy_assignments",
    owner_col: "policy_id",
    owners: "policies",
    owner_missing: Error::NotFound(Entity::Policy),
    extra_cols: ", enabled",
    extra_vals: ", 1",
};

pub(super) const NAMESPACE_COLUMNS: &str =
    "id, pool_id, code, name, description, app_id, created_at, updated_at";

pub(super) const RESOURCE_COLUMNS: &str =
    "id, pool_id, namespace, code, type, description, actions, \
    api_identifier, created_at, updated_at, name";

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
        name: col(row, "name")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
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

pub(super) fn policy(row: &AnyRow) -> Result<Policy> {
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

const ACCESS_RECORD_COLUMNS: &str =
    "id, app_id, target_type, target_id, effect, enabled, created_at, updated_at";

fn access_record(r: &AnyRow) -> Result<AppAccessRecord> {
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

/// Allows or denies the app to every target (enabled); a missing application or target is
/// its error.
async fn put_access_rules(
    tx: &mut Tx<'_>,
    pool_id: &str,
    app_id: &str,
    target_type: TargetType,
    target_ids: &[String],
    allow: bool,
    at: i64,
) -> Result<()> {
    let (table, target_missing) = target_table(target_type);
    let effect = if allow { "ALLOW" } else { "DENY" };
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
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            let ends = vec![
                ("applications", app_id, Error::AppNotFound),
                (table, target_id.as_str(), target_missing.clone()),
            ];
            return Err(missing_end(tx, pool_id, ends)
                .await?
                .unwrap_or_else(|| Error::Internal("access rule not written".into())));
        }
    }
    Ok(())
}

/// Switches the rules naming the targets on or off; a missing rule is its error.
async fn set_access_enabled(
    tx: &mut Tx<'_>,
    pool_id: &str,
    app_id: &str,
    target_type: TargetType,
    target_ids: &[String],
    enabled: bool,
    at: i64,
) -> Result<()> {
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
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            let ends = vec![("applications", app_id, Error::AppNotFound)];
            return Err(missing_end(tx, pool_id, ends)
                .await?
                .unwrap_or(Error::NotFound(Entity::AccessRule)));
        }
    }
    Ok(())
}

/// Removes the rules naming the targets; absent ones are ignored.
async fn drop_access_rules(
    tx: &mut Tx<'_>,
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
    sql.query().execute(&mut **tx).await.map_err(db_err)?;
    Ok(())
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

/// Inserts a namespace row, on the pool or inside a unit of work.
async fn insert_namespace_row<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    conn: E,
    ns: &ResourceNamespace,
) -> Result<()> {
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
    .execute(conn)
    .await
    .map_err(dir_err)?;
    Ok(())
}

/// Inserts a resource row, on the pool or inside a unit of work.
async fn insert_resource_row<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    conn: E,
    r: &Resource,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO resources ({RESOURCE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
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
    .bind(&r.name)
    .execute(conn)
    .await
    .map_err(dir_err)?;
    Ok(())
}

#[async_trait]
impl AuthorizationStore for SqlStore {
    // --- namespaces -------------------------------------------------------------------

    async fn insert_namespace(&self, ns: &ResourceNamespace) -> Result<()> {
        insert_namespace_row(&self.pool, ns).await
    }

    async fn list_namespaces(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<ResourceNamespace>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let kw = keyword
            .map(|k| {
                let p = sql.bind(&contains_pattern(k));
                format!(
                    " AND (LOWER(code) LIKE {p} ESCAPE '\\' \
                     OR LOWER(COALESCE(name, '')) LIKE {p} ESCAPE '\\')"
                )
            })
            .unwrap_or_default();
        let filter = format!("FROM resource_namespaces WHERE pool_id = $1{kw}");
        fetch_page(
            &self.pool,
            &mut sql,
            NAMESPACE_COLUMNS,
            &filter,
            "created_at, id",
            page,
            namespace,
        )
        .await
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

    // --- resources --------------------------------------------------------------------

    async fn insert_resource(&self, r: &Resource) -> Result<()> {
        insert_resource_row(&self.pool, r).await
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

    async fn list_resources(
        &self,
        pool_id: &str,
        namespaces: &[String],
        resource_type: Option<ResourceType>,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Resource>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let mut filter = String::from("FROM resources WHERE pool_id = $1");
        if !namespaces.is_empty() {
            filter.push_str(&format!(
                " AND namespace IN ({})",
                sql.bind_list(namespaces)
            ));
        }
        if let Some(t) = resource_type {
            filter.push_str(&format!(" AND type = {}", sql.bind(t.as_str())));
        }
        if let Some(k) = keyword {
            let p = sql.bind(&contains_pattern(k));
            filter.push_str(&format!(" AND LOWER(code) LIKE {p} ESCAPE '\\'"));
        }
        fetch_page(
            &self.pool,
            &mut sql,
            RESOURCE_COLUMNS,
            &filter,
            "created_at, id",
            page,
            resource,
        )
        .await
    }

    async fn update_resource(
        &self,
        pool_id: &str,
        resource_id: &str,
        fields: &ResourceFields,
        at: i64,
    ) -> Result<Resource> {
        let mut sets = Vec::new();
        if let Some(v) = fields.resource_type {
            sets.push(("type", SetValue::Text(v.as_str().to_owned())));
        }
        if let Some(v) = &fields.description {
            sets.push(("description", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.actions {
            sets.push(("actions", SetValue::Text(to_json(v)?)));
        }
        if let Some(v) = &fields.name {
            sets.push(("name", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.api_identifier {
            sets.push(("api_identifier", SetValue::OptText(v.clone())));
        }
        targeted_update(
            "resources",
            sets,
            at,
            pool_id,
            resource_id,
            RESOURCE_COLUMNS,
        )
        .query()
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(resource)
        .transpose()?
        .ok_or(Error::NotFound(Entity::Resource))
    }

    // --- grants -----------------------------------------------------------------------

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
            .map(grant)
            .collect::<Result<Vec<_>>>()?;
        grants.sort_by(|a, b| grant_order(a).cmp(&grant_order(b)));
        Ok(grants)
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

    // --- policies ---------------------------------------------------------------------

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
        fetch_page(
            &self.pool,
            &mut sql,
            POLICY_COLUMNS,
            &filter,
            "created_at, id",
            page,
            policy,
        )
        .await
    }

    async fn update_policy(
        &self,
        pool_id: &str,
        policy_id: &str,
        fields: &PolicyFields,
        at: i64,
    ) -> Result<Policy> {
        let mut sets = Vec::new();
        if let Some(v) = &fields.code {
            sets.push(("code", SetValue::Text(v.clone())));
        }
        if let Some(v) = &fields.description {
            sets.push(("description", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.statements {
            sets.push(("statements", SetValue::Text(to_json(v)?)));
        }
        targeted_update("policies", sets, at, pool_id, policy_id, POLICY_COLUMNS)
            .query()
            .fetch_optional(&self.pool)
            .await
            .map_err(admin_err)?
            .as_ref()
            .map(policy)
            .transpose()?
            .ok_or(Error::NotFound(Entity::Policy))
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

    // --- application access -----------------------------------------------------------

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

    async fn app_has_access_rules(&self, pool_id: &str, app_id: &str) -> Result<bool> {
        // A probe of the unique (app_id, target_type, target_id) index's prefix.
        let row = sqlx::query(
            "SELECT 1 AS found FROM app_access_policies p \
             JOIN applications a ON a.id = p.app_id \
             WHERE p.app_id = $2 AND p.enabled = 1 AND a.pool_id = $1 LIMIT 1",
        )
        .bind(pool_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row.is_some())
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

    async fn app_access_records(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<AppAccessRecord>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), app_id.to_owned()]);
        let filter = "FROM app_access_policies WHERE app_id = $2 AND pool_id = $1";
        fetch_page(
            &self.pool,
            &mut sql,
            ACCESS_RECORD_COLUMNS,
            filter,
            "created_at, id",
            page,
            access_record,
        )
        .await
    }

    async fn access_records_of_target(
        &self,
        pool_id: &str,
        target_type: TargetType,
        target_id: &str,
    ) -> Result<Vec<AppAccessRecord>> {
        sqlx::query(&format!(
            "SELECT {ACCESS_RECORD_COLUMNS} FROM app_access_policies \
             WHERE pool_id = $1 AND target_type = $2 AND target_id = $3 ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(target_key(target_type))
        .bind(target_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(access_record)
        .collect()
    }

    async fn app_access_record(&self, pool_id: &str, id: &str) -> Result<Option<AppAccessRecord>> {
        sqlx::query(&format!(
            "SELECT {ACCESS_RECORD_COLUMNS} FROM app_access_policies WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(access_record)
        .transpose()
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
        atomically!(self, tx, {
            put_access_rules(&mut tx, pool_id, app_id, target_type, target_ids, allow, at).await
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
            set_access_enabled(
                &mut tx,
                pool_id,
                app_id,
                target_type,
                target_ids,
                enabled,
                at,
            )
            .await
        })
    }

    async fn delete_app_access_rules(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
    ) -> Result<()> {
        atomically!(self, tx, {
            drop_access_rules(&mut tx, pool_id, app_id, target_type, target_ids).await
        })
    }

    // --- programmatic access accounts -------------------------------------------------

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
        fetch_page(
            &self.pool,
            &mut sql,
            ACCOUNT_COLUMNS,
            filter,
            "created_at, id",
            page,
            account,
        )
        .await
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
}

/// The table of rows keyed by a namespace code.
fn namespace_table(rows: NamespaceRows) -> &'static str {
    match rows {
        NamespaceRows::Roles => "roles",
        NamespaceRows::Resources => "resources",
        NamespaceRows::Grants => "resource_grants",
        NamespaceRows::Policies => "policies",
    }
}

#[async_trait]
impl AuthorizationTx for SqlWriteTx {
    async fn put_access_rules(
        &mut self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        allow: bool,
        at: i64,
    ) -> Result<()> {
        put_access_rules(
            &mut self.tx,
            pool_id,
            app_id,
            target_type,
            target_ids,
            allow,
            at,
        )
        .await
    }

    async fn set_access_enabled(
        &mut self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        enabled: bool,
        at: i64,
    ) -> Result<()> {
        set_access_enabled(
            &mut self.tx,
            pool_id,
            app_id,
            target_type,
            target_ids,
            enabled,
            at,
        )
        .await
    }

    async fn drop_access_rules(
        &mut self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
    ) -> Result<()> {
        drop_access_rules(&mut self.tx, pool_id, app_id, target_type, target_ids).await
    }

    async fn grant_actions(
        &mut self,
        pool_id: &str,
        w: &GrantWrite,
    ) -> Result<Option<Vec<String>>> {
        grant_actions(&mut self.tx, pool_id, w).await
    }

    async fn put_grant(
        &mut self,
        pool_id: &str,
        w: &GrantWrite,
        actions: &[String],
        at: i64,
    ) -> Result<()> {
        put_grant(&mut self.tx, pool_id, w, actions, at).await
    }

    async fn drop_grant(&mut self, pool_id: &str, w: &GrantWrite) -> Result<()> {
        drop_grant(&mut self.tx, pool_id, w).await
    }

    async fn delete_grants_on(
        &mut self,
        pool_id: &str,
        namespace: &str,
        on: GrantsOn<'_>,
    ) -> Result<()> {
        let (sql, resource) = match on {
            GrantsOn::Resource(code) => (
                "DELETE FROM resource_grants WHERE pool_id = $1 AND namespace = $2 \
                 AND resource = $3",
                Some(code.to_owned()),
            ),
            GrantsOn::InstancesOf(code) => (
                "DELETE FROM resource_grants WHERE pool_id = $1 AND namespace = $2 \
                 AND resource LIKE $3 ESCAPE '\\'",
                Some(prefix_pattern(&format!("{code}:"))),
            ),
            GrantsOn::Namespace => (
                "DELETE FROM resource_grants WHERE pool_id = $1 AND namespace = $2",
                None,
            ),
        };
        let mut q = sqlx::query(sql).bind(pool_id).bind(namespace);
        if let Some(r) = resource {
            q = q.bind(r);
        }
        q.execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_grants_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()> {
        self.delete_naming("resource_grants", pool_id, target, ids)
            .await
    }

    async fn insert_namespace(&mut self, ns: &ResourceNamespace) -> Result<()> {
        insert_namespace_row(&mut *self.tx, ns).await
    }

    async fn insert_resource(&mut self, r: &Resource) -> Result<()> {
        insert_resource_row(&mut *self.tx, r).await
    }

    async fn namespace(&mut self, pool_id: &str, code: &str) -> Result<Option<ResourceNamespace>> {
        sqlx::query(&format!(
            "SELECT {NAMESPACE_COLUMNS} FROM resource_namespaces WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(namespace)
        .transpose()
    }

    async fn update_namespace_fields(
        &mut self,
        pool_id: &str,
        namespace_id: &str,
        fields: &NamespaceFields,
        at: i64,
    ) -> Result<ResourceNamespace> {
        let mut sets = Vec::new();
        if let Some(v) = &fields.code {
            sets.push(("code", SetValue::Text(v.clone())));
        }
        if let Some(v) = &fields.name {
            sets.push(("name", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.description {
            sets.push(("description", SetValue::OptText(v.clone())));
        }
        targeted_update(
            "resource_namespaces",
            sets,
            at,
            pool_id,
            namespace_id,
            NAMESPACE_COLUMNS,
        )
        .query()
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(dir_err)?
        .as_ref()
        .map(namespace)
        .transpose()?
        .ok_or(Error::NotFound(Entity::Namespace))
    }

    async fn move_namespace_rows(
        &mut self,
        pool_id: &str,
        rows: NamespaceRows,
        from: &str,
        to: &str,
    ) -> Result<()> {
        let table = namespace_table(rows);
        sqlx::query(&format!(
            "UPDATE {table} SET namespace = $1 WHERE pool_id = $2 AND namespace = $3"
        ))
        .bind(to)
        .bind(pool_id)
        .bind(from)
        .execute(&mut *self.tx)
        .await
        .map_err(admin_err)?;
        Ok(())
    }

    async fn delete_namespace(&mut self, pool_id: &str, code: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM resource_namespaces WHERE pool_id = $1 AND code = $2")
            .bind(pool_id)
            .bind(code)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n > 0)
    }

    async fn delete_resources_in(&mut self, pool_id: &str, namespace: &str) -> Result<()> {
        sqlx::query("DELETE FROM resources WHERE pool_id = $1 AND namespace = $2")
            .bind(pool_id)
            .bind(namespace)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_resource(
        &mut self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<bool> {
        let n = sqlx::query(
            "DELETE FROM resources WHERE pool_id = $1 AND namespace = $2 AND code = $3",
        )
        .bind(pool_id)
        .bind(namespace)
        .bind(code)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn policy_ids_in_namespace(
        &mut self,
        pool_id: &str,
        namespace: &str,
    ) -> Result<Vec<String>> {
        self.ids_where("policies", "namespace", pool_id, namespace)
            .await
    }

    async fn delete_assignments_of_policies(
        &mut self,
        pool_id: &str,
        policy_ids: &[String],
    ) -> Result<()> {
        self.delete_in("policy_assignments", "policy_id", pool_id, policy_ids)
            .await
            .map(drop)
    }

    async fn delete_policy_assignments_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()> {
        self.delete_naming("policy_assignments", pool_id, target, ids)
            .await
    }

    async fn delete_policies(&mut self, pool_id: &str, policy_ids: &[String]) -> Result<()> {
        self.delete_in("policies", "id", pool_id, policy_ids)
            .await
            .map(drop)
    }

    async fn delete_access_rules_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()> {
        self.delete_naming("app_access_policies", pool_id, target, ids)
            .await
    }
}
