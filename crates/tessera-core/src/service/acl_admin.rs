//! The management side of access control (`v2-wire.md` §6.3): resource namespaces,
//! resources, grants (authorize, revoke, allow), who holds a resource, an application's
//! access policy and its programmatic access accounts.
//!
//! Grants are written by [`Core::apply_grants`], one unit of work per call however many
//! targets and resources it names, which merges actions there (the store only puts and
//! drops whole grants); targets are named as
//! the wire names them and resolved by [`Core::target_id`] first, so an unknown one fails
//! the call before anything is written. Reading permissions back goes through the one
//! resolver ([`Core::is_allowed`], [`Core::target_resources`]).

use super::directory::{
    action_matches, app_allowed, check_code, description, namespace_or_default, optional,
    NewResource, MAX_CODE_LEN, MAX_DESCRIPTION_LEN, MAX_NAME_LEN,
};
use super::directory_admin::{batch, unique, MAX_BATCH};
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::directory::{
    default_access_allows, Resource, ResourceAction, ResourceGrant, ResourceNamespace,
    ResourceType, TargetType,
};
use crate::model::directory_admin::{AppAccessRecord, GrantOp, GrantWrite, ProgrammaticAccount};
use crate::model::Application;
use crate::principal::PoolAdmin;
use crate::store::authorization::{NamespaceFields, NamespaceRows, ResourceFields};

/// The token lifetime of a programmatic access account made without one (the SDK's
/// default), and the longest accepted.
pub const DEFAULT_ACCOUNT_TOKEN_LIFETIME: i64 = 600;
pub const MAX_ACCOUNT_TOKEN_LIFETIME: i64 = 30 * 24 * 3600;

/// A new or changed resource as the wire gives it.
#[derive(Debug, Clone, Default)]
pub struct ResourceInput {
    pub namespace: String,
    pub code: String,
    pub resource_type: Option<ResourceType>,
    pub description: Option<String>,
    pub actions: Option<Vec<ResourceAction>>,
    pub api_identifier: Option<String>,
    /// A display name; `Some("")` clears it on an update.
    pub name: Option<String>,
}

/// One target of a grant call with what it gets: `(type, wire identifier, actions)`.
#[derive(Debug, Clone)]
pub struct GrantTarget {
    pub target_type: TargetType,
    pub identifier: String,
    pub actions: Vec<String>,
}

/// One item of `authorizeResources` / `revokeResources`: targets of one type and the
/// resources (with actions) they get or lose.
#[derive(Debug, Clone)]
pub struct GrantBatch {
    pub target_type: TargetType,
    pub identifiers: Vec<String>,
    /// `(code, actions, type)`.
    pub resources: Vec<(String, Vec<String>, Option<ResourceType>)>,
}

/// A holder of a resource as `authorizedTargets` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceHolder {
    pub target_type: TargetType,
    /// User or node id, role or group code.
    pub identifier: String,
    pub actions: Vec<String>,
}

/// An access rule with the target as the wire names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRuleView {
    pub record: AppAccessRecord,
    pub identifier: String,
}

fn actions_of(list: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for a in list {
        let a = check_code(a, "actions")?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

fn resource_actions(list: Vec<ResourceAction>) -> Result<Vec<ResourceAction>> {
    let mut out: Vec<ResourceAction> = Vec::with_capacity(list.len());
    for a in list {
        let name = check_code(&a.name, "actions")?;
        if out.iter().any(|x| x.name == name) {
            continue;
        }
        out.push(ResourceAction {
            name,
            description: description(a.description)?,
        });
    }
    Ok(out)
}

/// A secret a caller chose for an account: printable ASCII of a sensible length.
fn account_secret(secret: Option<&str>) -> Result<String> {
    match secret.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(ids::new_secret(16)),
        Some(s) if (16..=128).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(s.to_owned())
        }
        Some(_) => Err(Error::InvalidParameter("secret")),
    }
}

impl Core {
    // --- namespaces ------------------------------------------------------------------------

    pub async fn list_namespaces(
        &self,
        pool: &PoolAdmin,
        page: Page,
    ) -> Result<Paged<ResourceNamespace>> {
        let pool_id = pool.pool_id();
        self.store.list_namespaces(pool_id, None, page).await
    }

    /// Namespaces whose code or name contains `keyword` (blank: every namespace).
    pub async fn search_namespaces(
        &self,
        pool: &PoolAdmin,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<ResourceNamespace>> {
        let keyword = optional(keyword.map(str::to_owned), "keywords", MAX_NAME_LEN)?;
        self.store
            .list_namespaces(pool.pool_id(), keyword.as_deref(), page)
            .await
    }

    pub async fn namespace_by_code(
        &self,
        pool: &PoolAdmin,
        code: &str,
    ) -> Result<Option<ResourceNamespace>> {
        self.store.find_namespace(pool.pool_id(), code.trim()).await
    }

    pub async fn create_namespace_full(
        &self,
        pool: &PoolAdmin,
        code: &str,
        name: Option<String>,
        desc: Option<String>,
    ) -> Result<ResourceNamespace> {
        let pool_id = pool.pool_id();
        self.pool(pool_id).await?;
        let now = clock::now_ms();
        let ns = ResourceNamespace {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            code: check_code(code, "code")?,
            name: optional(name, "name", MAX_NAME_LEN)?,
            description: description(desc)?,
            app_id: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_namespace(&ns).await?;
        Ok(ns)
    }

    /// Changes name, description or code; a new code moves the namespace's roles,
    /// resources, grants and policies with it.
    pub async fn update_namespace(
        &self,
        pool: &PoolAdmin,
        code: &str,
        new_code: Option<String>,
        name: Option<String>,
        desc: Option<String>,
    ) -> Result<ResourceNamespace> {
        let pool_id = pool.pool_id();
        let fields = NamespaceFields {
            code: match new_code.filter(|c| !c.trim().is_empty()) {
                Some(c) => Some(check_code(&c, "code")?),
                None => None,
            },
            name: match name {
                Some(n) => Some(optional(Some(n), "name", MAX_NAME_LEN)?),
                None => None,
            },
            description: match desc {
                Some(d) => Some(description(Some(d))?),
                None => None,
            },
        };
        let (pool, code, at) = (pool_id.to_owned(), code.trim().to_owned(), clock::now_ms());
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                let ns = tx
                    .namespace(&pool, &code)
                    .await?
                    .ok_or(Error::NotFound(Entity::Namespace))?;
                let updated = tx
                    .update_namespace_fields(&pool, &ns.id, &fields, at)
                    .await?;
                // Roles, resources, grants and policies name their namespace by code: a new
                // code takes them along, in the same unit as the rename.
                if updated.code != ns.code {
                    for rows in [
                        NamespaceRows::Roles,
                        NamespaceRows::Resources,
                        NamespaceRows::Grants,
                        NamespaceRows::Policies,
                    ] {
                        tx.move_namespace_rows(&pool, rows, &ns.code, &updated.code)
                            .await?;
                    }
                }
                Ok(updated)
            })
        })
        .await
    }

    /// Deletes a namespace with its roles, resources, grants and policies.
    pub async fn delete_namespace(&self, pool: &PoolAdmin, code: &str) -> Result<()> {
        let (pool_id, code) = (pool.pool_id(), code.trim().to_owned());
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                if !tx.delete_namespace(&pool, &code).await? {
                    return Err(Error::NotFound(Entity::Namespace));
                }
                super::cascade::delete_namespace_contents(tx, &pool, &code).await
            })
        })
        .await
    }

    // --- resources -------------------------------------------------------------------------

    pub async fn list_resources(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        resource_type: Option<ResourceType>,
        page: Page,
    ) -> Result<Paged<Resource>> {
        let pool_id = pool.pool_id();
        let ns = optional(namespace.map(str::to_owned), "namespace", MAX_CODE_LEN)?;
        self.store
            .list_resources(pool_id, &Vec::from_iter(ns), resource_type, None, page)
            .await
    }

    /// Resources of some namespaces (none named: all), optionally of one type, whose code
    /// contains `keyword`.
    pub async fn search_resources(
        &self,
        pool: &PoolAdmin,
        namespaces: &[String],
        resource_type: Option<ResourceType>,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Resource>> {
        let mut ns = Vec::with_capacity(namespaces.len());
        for n in batch(namespaces, "namespace")? {
            if let Some(n) = optional(Some(n.clone()), "namespace", MAX_CODE_LEN)? {
                ns.push(n);
            }
        }
        let keyword = optional(keyword.map(str::to_owned), "keyword", MAX_NAME_LEN)?;
        self.store
            .list_resources(pool.pool_id(), &ns, resource_type, keyword.as_deref(), page)
            .await
    }

    pub async fn resource_by_id(&self, pool: &PoolAdmin, id: &str) -> Result<Option<Resource>> {
        let pool_id = pool.pool_id();
        self.store.get_resource(pool_id, id).await
    }

    pub async fn resource_by_code(
        &self,
        pool: &PoolAdmin,
        namespace: &str,
        code: &str,
    ) -> Result<Option<Resource>> {
        let pool_id = pool.pool_id();
        self.store
            .find_resource(pool_id, namespace.trim(), code.trim())
            .await
    }

    /// Creates a resource; it needs at least one action (as the SDK itself insists).
    pub async fn create_resource_full(
        &self,
        pool: &PoolAdmin,
        input: ResourceInput,
    ) -> Result<Resource> {
        let pool_id = pool.pool_id();
        let actions = input.actions.unwrap_or_default();
        if actions.is_empty() {
            return Err(Error::MissingParameter("actions"));
        }
        self.create_resource(
            pool_id,
            NewResource {
                namespace: input.namespace,
                code: input.code,
                resource_type: input.resource_type.unwrap_or_default(),
                description: input.description,
                actions: resource_actions(actions)?,
                api_identifier: input.api_identifier,
                name: input.name,
            },
        )
        .await
    }

    /// Changes type, description, actions or API identifier of a resource found by
    /// (namespace, code); absent fields are kept.
    pub async fn update_resource(
        &self,
        pool: &PoolAdmin,
        input: ResourceInput,
    ) -> Result<Resource> {
        let pool_id = pool.pool_id();
        let ns = check_code(&input.namespace, "namespace")?;
        let r = self
            .store
            .find_resource(pool_id, &ns, input.code.trim())
            .await?
            .ok_or(Error::NotFound(Entity::Resource))?;
        let fields = ResourceFields {
            resource_type: input.resource_type,
            description: match input.description {
                Some(d) => Some(description(Some(d))?),
                None => None,
            },
            actions: match input.actions {
                Some(a) => Some(resource_actions(a)?),
                None => None,
            },
            api_identifier: match input.api_identifier {
                Some(api) => Some(optional(Some(api), "apiIdentifier", MAX_DESCRIPTION_LEN)?),
                None => None,
            },
            name: match input.name {
                Some(n) => Some(optional(Some(n), "name", MAX_NAME_LEN)?),
                None => None,
            },
        };
        self.store
            .update_resource(pool_id, &r.id, &fields, clock::now_ms())
            .await
    }

    /// Deletes a resource and every grant on it or on its instances.
    pub async fn delete_resource(
        &self,
        pool: &PoolAdmin,
        namespace: &str,
        code: &str,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let ns = check_code(namespace, "namespace")?;
        let code = check_code(code, "code")?;
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                if super::cascade::delete_resource(tx, &pool, &ns, &code).await? {
                    Ok(())
                } else {
                    Err(Error::NotFound(Entity::Resource))
                }
            })
        })
        .await
    }

    // --- grants ----------------------------------------------------------------------------

    async fn grant_write(
        &self,
        pool_id: &str,
        namespace: &str,
        resource: &str,
        resource_type: Option<ResourceType>,
        target: (TargetType, String),
        op: GrantOp,
    ) -> Result<GrantWrite> {
        let resource = check_code(resource, "resource")?;
        let resource_type = match resource_type {
            Some(t) => t,
            None => self.declared_type(pool_id, namespace, &resource).await?,
        };
        Ok(GrantWrite {
            namespace: namespace.to_owned(),
            resource,
            resource_type,
            target_type: target.0,
            target_id: target.1,
            op,
        })
    }

    /// Applies every grant write or none, in one unit of work. The merge is decided here:
    /// `Replace` sets the actions, `Add` keeps the grant's actions and appends new ones in
    /// order, `Remove` takes actions away and drops the grant when none are left, `Delete`
    /// drops it. The pool's lock is held from the read of a grant's actions to the write, so
    /// two racing `allow`s cannot both start from the same actions and lose one.
    pub(crate) async fn apply_grants(&self, pool_id: &str, writes: Vec<GrantWrite>) -> Result<()> {
        let (pool, at) = (pool_id.to_owned(), clock::now_ms());
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for w in &writes {
                    match &w.op {
                        GrantOp::Replace(actions) => tx.put_grant(&pool, w, actions, at).await?,
                        GrantOp::Add(actions) => {
                            let mut merged = tx.grant_actions(&pool, w).await?.unwrap_or_default();
                            for a in actions {
                                if !merged.contains(a) {
                                    merged.push(a.clone());
                                }
                            }
                            tx.put_grant(&pool, w, &merged, at).await?;
                        }
                        GrantOp::Remove(actions) => {
                            if let Some(mut left) = tx.grant_actions(&pool, w).await? {
                                left.retain(|a| !actions.contains(a));
                                if left.is_empty() {
                                    tx.drop_grant(&pool, w).await?;
                                } else {
                                    tx.put_grant(&pool, w, &left, at).await?;
                                }
                            }
                        }
                        GrantOp::Delete => tx.drop_grant(&pool, w).await?,
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// `authorizeResource`: gives each target exactly the listed actions on one resource.
    pub async fn authorize_targets(
        &self,
        pool: &PoolAdmin,
        namespace: &str,
        resource: &str,
        resource_type: Option<ResourceType>,
        targets: &[GrantTarget],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let namespace = check_code(namespace, "namespace")?;
        if targets.is_empty() {
            return Err(Error::MissingParameter("opts"));
        }
        if targets.len() > MAX_BATCH {
            return Err(Error::InvalidParameter("opts"));
        }
        let mut writes = Vec::with_capacity(targets.len());
        for t in targets {
            let id = self
                .target_id(pool, t.target_type, &t.identifier, Some(&namespace))
                .await?;
            writes.push(
                self.grant_write(
                    pool_id,
                    &namespace,
                    resource,
                    resource_type,
                    (t.target_type, id),
                    GrantOp::Replace(actions_of(&t.actions)?),
                )
                .await?,
            );
        }
        self.apply_grants(pool_id, writes).await
    }

    /// `authorizeResources` (`revoke: false`: each target gets exactly the listed actions on
    /// each resource) and `revokeResources` (`revoke: true`: the listed actions are taken
    /// away, the whole grant when none are listed or none are left). All or nothing.
    pub async fn grant_batches(
        &self,
        pool: &PoolAdmin,
        namespace: &str,
        batches: &[GrantBatch],
        revoke: bool,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let namespace = check_code(namespace, "namespace")?;
        if batches.is_empty() {
            return Err(Error::MissingParameter("opts"));
        }
        let mut writes = Vec::new();
        for b in batches {
            let ids = self
                .target_ids(pool, b.target_type, &b.identifiers, Some(&namespace))
                .await?;
            if ids.is_empty() {
                return Err(Error::MissingParameter("targetIdentifiers"));
            }
            for id in ids {
                for (code, actions, ty) in &b.resources {
                    let actions = actions_of(actions)?;
                    let op = match (revoke, actions.is_empty()) {
                        (false, _) => GrantOp::Replace(actions),
                        (true, true) => GrantOp::Delete,
                        (true, false) => GrantOp::Remove(actions),
                    };
                    writes.push(
                        self.grant_write(
                            pool_id,
                            &namespace,
                            code,
                            *ty,
                            (b.target_type, id.clone()),
                            op,
                        )
                        .await?,
                    );
                    if writes.len() > MAX_BATCH {
                        return Err(Error::InvalidParameter("opts"));
                    }
                }
            }
        }
        self.apply_grants(pool_id, writes).await
    }

    /// `revokeResource`: every named target loses its whole grant on one resource.
    pub async fn revoke_targets(
        &self,
        pool: &PoolAdmin,
        namespace: &str,
        resource: &str,
        targets: &[(TargetType, String)],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let namespace = check_code(namespace, "namespace")?;
        if targets.is_empty() {
            return Err(Error::MissingParameter("opts"));
        }
        if targets.len() > MAX_BATCH {
            return Err(Error::InvalidParameter("opts"));
        }
        let mut writes = Vec::with_capacity(targets.len());
        for (t, identifier) in targets {
            let id = self
                .target_id(pool, *t, identifier, Some(&namespace))
                .await?;
            writes.push(
                self.grant_write(
                    pool_id,
                    &namespace,
                    resource,
                    None,
                    (*t, id),
                    GrantOp::Delete,
                )
                .await?,
            );
        }
        self.apply_grants(pool_id, writes).await
    }

    /// `allow`: adds one action on one resource to users (by id) and roles (by code),
    /// keeping the actions they already have.
    pub async fn allow_action(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        resource: &str,
        action: &str,
        user_ids: &[String],
        role_codes: &[String],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let namespace = namespace_or_default(namespace.map(str::to_owned))?;
        let action = check_code(action, "action")?;
        let mut targets = Vec::new();
        for id in unique(batch(user_ids, "userIds")?) {
            targets.push((TargetType::User, self.user_by_id(pool_id, &id).await?.id));
        }
        for code in unique(batch(role_codes, "roleCodes")?) {
            targets.push((
                TargetType::Role,
                self.target_id(pool, TargetType::Role, &code, Some(&namespace))
                    .await?,
            ));
        }
        if targets.is_empty() {
            return Err(Error::MissingParameter("userId"));
        }
        let mut writes = Vec::with_capacity(targets.len());
        for target in targets {
            writes.push(
                self.grant_write(
                    pool_id,
                    &namespace,
                    resource,
                    None,
                    target,
                    GrantOp::Add(vec![action.clone()]),
                )
                .await?,
            );
        }
        self.apply_grants(pool_id, writes).await
    }

    /// `authorizedTargets`: who holds a grant on exactly this resource code, optionally of
    /// one target type, of one resource type, and holding all (`and`) or any of `actions`.
    pub async fn resource_holders(
        &self,
        pool: &PoolAdmin,
        namespace: &str,
        resource: &str,
        resource_type: Option<ResourceType>,
        target_type: Option<TargetType>,
        actions: Option<(bool, Vec<String>)>,
    ) -> Result<Vec<ResourceHolder>> {
        let pool_id = pool.pool_id();
        let namespace = check_code(namespace, "namespace")?;
        let resource = check_code(resource, "resource")?;
        let mut grants: Vec<ResourceGrant> = self
            .store
            .grants_on_resource(pool_id, &namespace, &resource, target_type)
            .await?;
        if let Some(t) = resource_type {
            grants.retain(|g| g.resource_type == t);
        }
        if let Some((all, wanted)) = actions.filter(|(_, l)| !l.is_empty()) {
            grants.retain(|g| {
                let has = |a: &String| g.actions.iter().any(|x| action_matches(x, a));
                if all {
                    wanted.iter().all(has)
                } else {
                    wanted.iter().any(has)
                }
            });
        }
        let keys: Vec<(TargetType, String)> = grants
            .iter()
            .map(|g| (g.target_type, g.target_id.clone()))
            .collect();
        let names = self.target_identifiers(pool, &keys).await?;
        Ok(grants
            .into_iter()
            .filter_map(|g| {
                Some(ResourceHolder {
                    identifier: names.get(&(g.target_type, g.target_id.clone()))?.clone(),
                    target_type: g.target_type,
                    actions: g.actions,
                })
            })
            .collect())
    }

    // --- application access ----------------------------------------------------------------

    /// The application if it is one of the pool's (another pool's is "not found").
    pub async fn pool_app(&self, pool: &PoolAdmin, app_id: &str) -> Result<(Application, bool)> {
        let pool_id = pool.pool_id();
        let (app, config) = self
            .store
            .app_with_config(pool_id, app_id.trim())
            .await?
            .ok_or(Error::AppNotFound)?;
        let allow = crate::model::directory::default_access_allows(&config);
        Ok((app, allow))
    }

    pub async fn app_access_rules_page(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<AccessRuleView>> {
        let pool_id = pool.pool_id();
        self.pool_app(pool, app_id).await?;
        let records = self.store.app_access_records(pool_id, app_id, page).await?;
        let keys: Vec<(TargetType, String)> = records
            .list
            .iter()
            .map(|r| (r.target_type, r.target_id.clone()))
            .collect();
        let names = self.target_identifiers(pool, &keys).await?;
        Ok(records.map(|r| {
            let identifier = names
                .get(&(r.target_type, r.target_id.clone()))
                .cloned()
                .unwrap_or_else(|| r.target_id.clone());
            AccessRuleView {
                record: r,
                identifier,
            }
        }))
    }

    /// What `allow` / `deny` / `enable-effect` / `disable-effect` / `revoke` of an
    /// application's access policy do to the named targets, all or nothing.
    pub async fn change_app_access(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        target_type: TargetType,
        identifiers: &[String],
        namespace: Option<&str>,
        change: AccessChange,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        self.pool_app(pool, app_id).await?;
        if identifiers.is_empty() {
            return Err(Error::MissingParameter("targetIdentifiers"));
        }
        let ids = self
            .target_ids(pool, target_type, identifiers, namespace)
            .await?;
        self.write_access(pool_id, app_id, target_type, &ids, change, clock::now_ms())
            .await
    }

    async fn write_access(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        ids: &[String],
        change: AccessChange,
        at: i64,
    ) -> Result<()> {
        match change {
            AccessChange::Allow | AccessChange::Deny => {
                self.store
                    .set_app_access_rules(
                        pool_id,
                        app_id,
                        target_type,
                        ids,
                        change == AccessChange::Allow,
                        at,
                    )
                    .await
            }
            AccessChange::Enable | AccessChange::Disable => {
                self.store
                    .set_app_access_enabled(
                        pool_id,
                        app_id,
                        target_type,
                        ids,
                        change == AccessChange::Enable,
                        at,
                    )
                    .await
            }
            AccessChange::Revoke => {
                self.store
                    .delete_app_access_rules(pool_id, app_id, target_type, ids)
                    .await
            }
        }
    }

    /// Several changes of one application's access policy (targets of several types).
    /// Every target of every item is resolved before anything is written, so an unknown
    /// one refuses the whole call and writes nothing.
    pub async fn change_app_access_batch(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        items: &[AccessItem],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        self.pool_app(pool, app_id).await?;
        if items.is_empty() {
            return Err(Error::MissingParameter("list"));
        }
        if items.len() > MAX_BATCH {
            return Err(Error::InvalidParameter("list"));
        }
        let mut resolved = Vec::with_capacity(items.len());
        for item in items {
            if item.identifiers.is_empty() {
                return Err(Error::MissingParameter("targetIdentifier"));
            }
            let ids = self
                .target_ids(
                    pool,
                    item.target_type,
                    &item.identifiers,
                    item.namespace.as_deref(),
                )
                .await?;
            resolved.push((item, ids));
        }
        let writes: Vec<AccessWrite> = resolved
            .into_iter()
            .map(|(item, ids)| (item.target_type, ids, item.change))
            .collect();
        self.write_access_unit(pool_id, app_id, writes).await
    }

    /// Writes several access changes of one application in one unit of work holding the
    /// pool's lock: all land or none does.
    async fn write_access_unit(
        &self,
        pool_id: &str,
        app_id: &str,
        writes: Vec<AccessWrite>,
    ) -> Result<()> {
        let (pool, app, at) = (pool_id.to_owned(), app_id.to_owned(), clock::now_ms());
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for (target_type, ids, change) in &writes {
                    let (t, ids) = (*target_type, ids.as_slice());
                    match change {
                        AccessChange::Allow | AccessChange::Deny => {
                            let allow = *change == AccessChange::Allow;
                            tx.put_access_rules(&pool, &app, t, ids, allow, at).await?
                        }
                        AccessChange::Enable | AccessChange::Disable => {
                            let on = *change == AccessChange::Enable;
                            tx.set_access_enabled(&pool, &app, t, ids, on, at).await?
                        }
                        AccessChange::Revoke => tx.drop_access_rules(&pool, &app, t, ids).await?,
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// One access rule of the pool's applications, by id.
    pub async fn access_rule(&self, pool: &PoolAdmin, id: &str) -> Result<AppAccessRecord> {
        self.store
            .app_access_record(pool.pool_id(), id.trim())
            .await?
            .ok_or(Error::NotFound(Entity::AccessRule))
    }

    /// Switches one access rule on or off (a rule switched off decides nothing).
    pub async fn set_access_rule_enabled(
        &self,
        pool: &PoolAdmin,
        id: &str,
        enabled: bool,
    ) -> Result<()> {
        let r = self.access_rule(pool, id).await?;
        let change = if enabled {
            AccessChange::Enable
        } else {
            AccessChange::Disable
        };
        self.write_access(
            pool.pool_id(),
            &r.app_id,
            r.target_type,
            &[r.target_id],
            change,
            clock::now_ms(),
        )
        .await
    }

    /// Deletes access rules by id; one unknown id refuses the call before anything is
    /// deleted.
    pub async fn delete_access_rules(&self, pool: &PoolAdmin, ids: &[String]) -> Result<()> {
        let ids = unique(batch(ids, "authIds")?);
        if ids.is_empty() {
            return Err(Error::MissingParameter("authIds"));
        }
        let mut records = Vec::with_capacity(ids.len());
        for id in &ids {
            records.push(self.access_rule(pool, id).await?);
        }
        // The rules may belong to several applications: one unit of work holds them all.
        let pool_id = pool.pool_id().to_owned();
        self.pool_write(pool.pool_id(), move |tx| {
            Box::pin(async move {
                for r in &records {
                    let ids = std::slice::from_ref(&r.target_id);
                    tx.drop_access_rules(&pool_id, &r.app_id, r.target_type, ids)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// The access rules naming one target (named as the wire names it: users and nodes by
    /// id, roles and groups by code), each with its application, oldest first.
    pub async fn target_access_rules(
        &self,
        pool: &PoolAdmin,
        target_type: TargetType,
        identifier: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<(AppAccessRecord, Application)>> {
        let pool_id = pool.pool_id();
        let id = self
            .target_id(pool, target_type, identifier, namespace)
            .await?;
        let records = self
            .store
            .access_records_of_target(pool_id, target_type, &id)
            .await?;
        let apps = self.store.apps_with_config(pool_id).await?;
        Ok(records
            .into_iter()
            .filter_map(|r| {
                let app = apps.iter().find(|(a, _)| a.id == r.app_id)?.0.clone();
                Some((r, app))
            })
            .collect())
    }

    /// How the access policies of the pool's applications decide for one user: a deny
    /// naming the user or one of their roles, groups or nodes wins, then an allow, then
    /// the application's default (the login's rule, `directory::app_allowed`).
    pub async fn user_app_access(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
    ) -> Result<Vec<UserAppAccess>> {
        let pool_id = pool.pool_id();
        let subjects = self
            .store
            .user_subjects(pool_id, user_id)
            .await?
            .ok_or(Error::UserNotFound)?;
        self.app_access_of(pool_id, &subjects.targets(false)).await
    }

    /// How the access policies of the pool's applications decide for a member of one
    /// department by what the department gives: the rules naming it or one of its
    /// ancestors (a user's departments count with their ancestors, as in `user_subjects`),
    /// then the application's default — the same decision as [`Self::user_app_access`],
    /// without the member's own, role or group rules.
    pub async fn node_app_access(
        &self,
        pool: &PoolAdmin,
        node_id: &str,
    ) -> Result<Vec<UserAppAccess>> {
        let node = self.node_required(pool, node_id).await?;
        let targets: Vec<(TargetType, String)> = node
            .path
            .iter()
            .map(|id| (TargetType::OrgNode, id.clone()))
            .collect();
        self.app_access_of(pool.pool_id(), &targets).await
    }

    /// Every application of the pool with the decision for a subject holding `targets`.
    async fn app_access_of(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<UserAppAccess>> {
        let rules = self.store.app_access_rules(pool_id, targets).await?;
        Ok(self
            .store
            .apps_with_config(pool_id)
            .await?
            .into_iter()
            .map(|(app, config)| {
                let mine: Vec<_> = rules.iter().filter(|r| r.app_id == app.id).collect();
                let allow_all_by_default = default_access_allows(&config);
                let accessible = app_allowed(allow_all_by_default, &mine);
                UserAppAccess {
                    explicitly_allowed: accessible && mine.iter().any(|r| r.allow),
                    accessible,
                    allow_all_by_default,
                    app,
                }
            })
            .collect())
    }

    /// Sets the default of the app's access policy and returns the app with it.
    pub async fn set_app_default_strategy(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        allow_all: bool,
    ) -> Result<(Application, bool)> {
        let pool_id = pool.pool_id();
        self.pool_app(pool, app_id).await?;
        self.set_app_default_access(pool_id, app_id, allow_all)
            .await?;
        self.pool_app(pool, app_id).await
    }

    // --- programmatic access accounts ------------------------------------------------------

    pub async fn programmatic_accounts(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<ProgrammaticAccount>> {
        let pool_id = pool.pool_id();
        self.pool_app(pool, app_id).await?;
        self.store
            .programmatic_accounts(pool_id, app_id, page)
            .await
    }

    pub async fn create_programmatic_account(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        token_lifetime: Option<i64>,
        remarks: Option<String>,
    ) -> Result<ProgrammaticAccount> {
        let pool_id = pool.pool_id();
        let lifetime = token_lifetime.unwrap_or(DEFAULT_ACCOUNT_TOKEN_LIFETIME);
        if !(1..=MAX_ACCOUNT_TOKEN_LIFETIME).contains(&lifetime) {
            return Err(Error::InvalidParameter("tokenLifetime"));
        }
        let now = clock::now_ms();
        let account = ProgrammaticAccount {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            app_id: app_id.trim().to_owned(),
            secret: account_secret(None)?,
            enabled: true,
            remarks: description(remarks)?,
            token_lifetime: lifetime,
            user_id: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_programmatic_account(&account).await?;
        Ok(account)
    }

    /// Changes an account's secret (`Some(None)`: a new random one) and/or enabled flag.
    pub async fn update_programmatic_account(
        &self,
        pool: &PoolAdmin,
        id: &str,
        secret: Option<Option<&str>>,
        enabled: Option<bool>,
    ) -> Result<ProgrammaticAccount> {
        let pool_id = pool.pool_id();
        if secret.is_none() && enabled.is_none() {
            return Err(Error::MissingParameter("secret"));
        }
        let secret = secret.map(account_secret).transpose()?;
        self.store
            .update_programmatic_account(
                pool_id,
                id.trim(),
                secret.as_deref(),
                enabled,
                clock::now_ms(),
            )
            .await?
            .ok_or(Error::NotFound(Entity::ProgrammaticAccessAccount))
    }

    pub async fn delete_programmatic_account(&self, pool: &PoolAdmin, id: &str) -> Result<()> {
        let pool_id = pool.pool_id();
        if self
            .store
            .delete_programmatic_account(pool_id, id.trim())
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::ProgrammaticAccessAccount))
        }
    }
}

/// One write of a batch: targets of one type (ids) and what happens to their rules.
type AccessWrite = (TargetType, Vec<String>, AccessChange);

/// One item of [`Core::change_app_access_batch`]: targets of one type and what happens
/// to their rules.
#[derive(Debug, Clone)]
pub struct AccessItem {
    pub target_type: TargetType,
    /// User or node ids, role or group codes.
    pub identifiers: Vec<String>,
    /// The namespace of role codes.
    pub namespace: Option<String>,
    pub change: AccessChange,
}

/// An application as its access policy decides it for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAppAccess {
    pub app: Application,
    pub allow_all_by_default: bool,
    /// The user may sign in to it.
    pub accessible: bool,
    /// A rule naming the user (or a role, group or node of theirs) lets them in, rather
    /// than the application's default.
    pub explicitly_allowed: bool,
}

/// What a call does to an application's access rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessChange {
    Allow,
    Deny,
    Enable,
    Disable,
    Revoke,
}
