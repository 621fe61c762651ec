//! The management side of roles and groups (`v2-wire.md` §6.2, §6.4): lists, edits,
//! deletes, members, role parents, custom data of many targets at once, and how the wire
//! names a target.
//!
//! The wire names a user and a node by id but a role or a group by its code; the store links
//! everything by id. [`Core::target_id`] turns a wire identifier into the id (refusing one
//! of another pool as "not found"), [`Core::target_identifiers`] turns ids back into what the
//! wire shows.
//!
//! "What may this role / group / node do" is answered by the same resolver as for a user:
//! the target's own grants, its roles' and their parents' grants (and for a node, its
//! ancestors'), merged by [`Core::resources_for_targets`].

use std::collections::{HashMap, HashSet};

use super::audit::AuditEntry;
use super::directory::{
    check_code, checked, description, namespace_or_default, optional, NewGroup, NewRole,
    DEFAULT_NAMESPACE, MAX_CODE_LEN, MAX_NAME_LEN,
};
use super::paging::{Page, Paged};
use super::udf::{UdfTarget, UdfValue};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::directory::{AuthorizedResource, Group, ResourceType, Role, TargetType};
use crate::model::User;
use crate::principal::PoolAdmin;
use crate::store::directory::Order;
use crate::store::directory::{GroupFields, RoleFields};

/// What `updateRole` changes. `parent_code: Some("")` removes the parent.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    pub new_code: Option<String>,
    /// `Some("")` clears the name.
    pub name: Option<String>,
    pub description: Option<String>,
    pub parent_code: Option<String>,
}

/// What `updateGroup` changes.
#[derive(Debug, Clone, Default)]
pub struct GroupUpdate {
    pub new_code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Who `assignRole` / `revokeRole` name: users by id, groups and nodes by code.
#[derive(Debug, Clone, Default)]
pub struct RoleHolders {
    pub user_ids: Vec<String>,
    pub group_codes: Vec<String>,
    pub node_codes: Vec<String>,
}

/// The most items one batch call may name (ids, codes, targets): a bound on the size of one
/// transaction, far above what an administrator sends by hand.
pub const MAX_BATCH: usize = 1000;

pub(crate) fn batch<'a>(items: &'a [String], field: &'static str) -> Result<&'a [String]> {
    if items.len() > MAX_BATCH {
        return Err(Error::InvalidParameter(field));
    }
    Ok(items)
}

/// Each element once, in first-seen order.
pub(crate) fn unique(items: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter(|i| seen.insert(i.as_str()))
        .cloned()
        .collect()
}

/// The columns an update of a group writes, checked.
fn group_fields(update: GroupUpdate) -> Result<GroupFields> {
    Ok(GroupFields {
        code: match update.new_code.filter(|c| !c.trim().is_empty()) {
            Some(c) => Some(check_code(&c, "newCode")?),
            None => None,
        },
        name: match update.name.filter(|n| !n.trim().is_empty()) {
            Some(n) => Some(checked(&n, "name", MAX_NAME_LEN)?),
            None => None,
        },
        description: match update.description {
            Some(d) => Some(description(Some(d))?),
            None => None,
        },
    })
}

/// `resourceType` as the wire sends it: blank is "any".
pub fn parse_resource_type(value: Option<&str>) -> Result<Option<ResourceType>> {
    match value.map(str::trim) {
        Some(t) if !t.is_empty() => ResourceType::parse(t)
            .map(Some)
            .ok_or(Error::InvalidParameter("resourceType")),
        _ => Ok(None),
    }
}

impl Core {
    // --- targets ---------------------------------------------------------------------------

    /// The id of the target the wire names: a user or node id, or a role or group code. A
    /// role is looked up in `namespace`, then (for roles made without one) in the default
    /// namespace.
    pub async fn target_id(
        &self,
        pool: &PoolAdmin,
        target_type: TargetType,
        identifier: &str,
        namespace: Option<&str>,
    ) -> Result<String> {
        let pool_id = pool.pool_id();
        let identifier = identifier.trim();
        if identifier.is_empty() {
            return Err(Error::MissingParameter("targetIdentifier"));
        }
        match target_type {
            TargetType::User => Ok(self.user_by_id(pool_id, identifier).await?.id),
            TargetType::Role => Ok(self
                .role_in(pool, namespace, identifier)
                .await?
                .ok_or(Error::NotFound(Entity::Role))?
                .id),
            TargetType::Group => Ok(self.group_required(pool, identifier).await?.id),
            TargetType::OrgNode => Ok(self
                .store
                .get_node(pool_id, identifier)
                .await?
                .ok_or(Error::NotFound(Entity::OrgNode))?
                .id),
        }
    }

    /// The ids of several targets of one type; one unknown fails the whole call.
    pub async fn target_ids(
        &self,
        pool: &PoolAdmin,
        target_type: TargetType,
        identifiers: &[String],
        namespace: Option<&str>,
    ) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(identifiers.len());
        for i in unique(batch(identifiers, "targetIdentifiers")?) {
            out.push(self.target_id(pool, target_type, &i, namespace).await?);
        }
        Ok(out)
    }

    /// What the wire shows for each target: user and node ids as they are, role and group
    /// codes. Targets that no longer exist are left out.
    pub async fn target_identifiers(
        &self,
        pool: &PoolAdmin,
        targets: &[(TargetType, String)],
    ) -> Result<HashMap<(TargetType, String), String>> {
        let pool_id = pool.pool_id();
        let of = |t: TargetType| -> Vec<String> {
            targets
                .iter()
                .filter(|(k, _)| *k == t)
                .map(|(_, id)| id.clone())
                .collect()
        };
        let mut out = HashMap::new();
        for (t, id) in targets {
            if matches!(t, TargetType::User | TargetType::OrgNode) {
                out.insert((*t, id.clone()), id.clone());
            }
        }
        for r in self
            .store
            .roles_by_ids(pool_id, &of(TargetType::Role), None)
            .await?
        {
            out.insert((TargetType::Role, r.id), r.code);
        }
        for g in self
            .store
            .groups_by_ids(pool_id, &of(TargetType::Group))
            .await?
        {
            out.insert((TargetType::Group, g.id), g.code);
        }
        Ok(out)
    }

    /// What a target may do, through the one resolver: for a user everything
    /// [`Core::authorized_resources`] finds; for a role its own and its parents' grants; for
    /// a group its own grants and those of its roles; for a node those of the node, its
    /// ancestors and their roles.
    pub async fn target_resources(
        &self,
        pool: &PoolAdmin,
        target_type: TargetType,
        target_id: &str,
        namespace: Option<&str>,
        resource_type: Option<ResourceType>,
    ) -> Result<Vec<AuthorizedResource>> {
        let pool_id = pool.pool_id();
        let mut targets: Vec<(TargetType, String)> = Vec::new();
        let roles = match target_type {
            TargetType::User => {
                return self
                    .authorized_resources(
                        pool_id,
                        target_id,
                        namespace,
                        resource_type.map(ResourceType::as_str),
                    )
                    .await
            }
            TargetType::Role => vec![target_id.to_owned()],
            TargetType::Group => {
                targets.push((TargetType::Group, target_id.to_owned()));
                self.store.roles_of_targets(pool_id, &targets).await?
            }
            TargetType::OrgNode => {
                let ids = [target_id.to_owned()];
                targets.extend(
                    self.store
                        .node_lineage(pool_id, &ids)
                        .await?
                        .into_iter()
                        .map(|n| (TargetType::OrgNode, n.id)),
                );
                self.store.roles_of_targets(pool_id, &targets).await?
            }
        };
        targets.extend(
            self.store
                .role_lineage(pool_id, &roles)
                .await?
                .into_iter()
                .map(|id| (TargetType::Role, id)),
        );
        self.resources_for_targets(pool_id, &targets, namespace, resource_type)
            .await
    }

    // --- roles -----------------------------------------------------------------------------

    /// `createRole` by an administrator: [`Core::create_role`], audited.
    pub async fn admin_create_role(&self, pool: &PoolAdmin, new: NewRole) -> Result<Role> {
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::Role)
            .opt_param("namespace", new.namespace.as_deref())
            .param("code", &new.code);
        let created = self.create_role(pool.pool_id(), new).await;
        self.audit(pool, entry, created).await
    }

    /// A role by code in `namespace` (default: the default namespace); a role made without a
    /// namespace is also found from another one, as SDK callers pass their app namespace.
    pub async fn role_in(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
    ) -> Result<Option<Role>> {
        let pool_id = pool.pool_id();
        let ns = namespace
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(DEFAULT_NAMESPACE);
        if let Some(r) = self.store.find_role(pool_id, ns, code).await? {
            return Ok(Some(r));
        }
        if ns != DEFAULT_NAMESPACE {
            return self.store.find_role(pool_id, DEFAULT_NAMESPACE, code).await;
        }
        Ok(None)
    }

    /// A role by code in exactly `namespace` (default: the default namespace).
    pub async fn role_by_code(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
    ) -> Result<Option<Role>> {
        let pool_id = pool.pool_id();
        let ns = namespace_or_default(namespace.map(str::to_owned))?;
        self.store.find_role(pool_id, &ns, code.trim()).await
    }

    pub async fn role_required(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
    ) -> Result<Role> {
        self.role_by_code(pool, namespace, code)
            .await?
            .ok_or(Error::NotFound(Entity::Role))
    }

    pub async fn role_by_id(&self, pool: &PoolAdmin, id: &str) -> Result<Role> {
        let pool_id = pool.pool_id();
        self.store
            .get_role(pool_id, id)
            .await?
            .ok_or(Error::NotFound(Entity::Role))
    }

    /// The role's parent, if it has one.
    pub async fn role_parent(&self, pool: &PoolAdmin, role: &Role) -> Result<Option<Role>> {
        match &role.parent_id {
            Some(id) => self.store.get_role(pool.pool_id(), id).await,
            None => Ok(None),
        }
    }

    pub async fn list_roles(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        page: Page,
        order: Order,
    ) -> Result<Paged<Role>> {
        let pool_id = pool.pool_id();
        let ns = optional(namespace.map(str::to_owned), "namespace", MAX_CODE_LEN)?;
        self.store
            .list_roles(pool_id, ns.as_deref(), None, page, order)
            .await
    }

    /// Why `create_role` would refuse a role of this code in this namespace, if it would:
    /// a code it does not accept, or one already taken there.
    pub async fn new_role_refusal(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
    ) -> Result<Option<Error>> {
        let ns = match namespace_or_default(namespace.map(str::to_owned)) {
            Ok(ns) => ns,
            Err(e) => return Ok(Some(e)),
        };
        let code = match check_code(code, "code") {
            Ok(c) => c,
            Err(e) => return Ok(Some(e)),
        };
        Ok(self
            .store
            .find_role(pool.pool_id(), &ns, &code)
            .await?
            .map(|_| Error::Duplicate(Entity::RoleCode)))
    }

    /// Roles, optionally of one namespace, whose code or name contains `keyword` (blank:
    /// every role).
    pub async fn search_roles(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Role>> {
        let ns = optional(namespace.map(str::to_owned), "namespace", MAX_CODE_LEN)?;
        let keyword = optional(keyword.map(str::to_owned), "keywords", MAX_NAME_LEN)?;
        self.store
            .list_roles(
                pool.pool_id(),
                ns.as_deref(),
                keyword.as_deref(),
                page,
                Order::Oldest,
            )
            .await
    }

    /// Changes a role's code, description or parent. The parent must be a role of the same
    /// namespace that does not descend from this one (no loops); that is checked in the same
    /// unit of work, under the pool's lock, as the write, so two concurrent changes cannot
    /// close a loop between them.
    pub async fn update_role(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
        update: RoleUpdate,
    ) -> Result<Role> {
        self.update_role_with_exclusions(pool, namespace, code, update, None)
            .await
    }

    /// [`Core::update_role`] that also replaces the role's separation-of-duties set
    /// (`service::sod`) when `excluded` is given, in the same unit of work: an unknown
    /// excluded role or the role itself writes nothing.
    pub async fn update_role_with_exclusions(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
        update: RoleUpdate,
        excluded: Option<&[super::directory_batches::RoleRef]>,
    ) -> Result<Role> {
        let pool_id = pool.pool_id();
        let role = self.role_required(pool, namespace, code).await?;
        let excluded = match excluded {
            Some(refs) => Some(self.exclusion_ids(pool, refs).await?),
            None => None,
        };
        let parent_id = match update.parent_code {
            None => None,
            Some(p) if p.trim().is_empty() => Some(None),
            Some(p) => Some(Some(
                self.store
                    .find_role(pool_id, &role.namespace, &check_code(&p, "parent")?)
                    .await?
                    .ok_or(Error::NotFound(Entity::Role))?
                    .id,
            )),
        };
        let fields = RoleFields {
            name: match update.name {
                Some(n) => Some(optional(Some(n), "name", MAX_NAME_LEN)?),
                None => None,
            },
            code: match update.new_code {
                Some(c) if !c.trim().is_empty() => Some(check_code(&c, "newCode")?),
                _ => None,
            },
            description: match update.description {
                Some(d) => Some(description(Some(d))?),
                None => None,
            },
            parent_id,
        };
        let (pool, role_id, at) = (pool_id.to_owned(), role.id, clock::now_ms());
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                let current = tx
                    .role(&pool, &role_id)
                    .await?
                    .ok_or(Error::NotFound(Entity::Role))?;
                if let Some(Some(parent_id)) = &fields.parent_id {
                    let parent = tx
                        .role(&pool, parent_id)
                        .await?
                        .filter(|p| p.namespace == current.namespace)
                        .ok_or(Error::NotFound(Entity::Role))?;
                    // The lineage of the new parent includes the parent itself, so a role
                    // made its own parent is refused here too.
                    if tx
                        .role_lineage(&pool, &parent.id)
                        .await?
                        .contains(&current.id)
                    {
                        return Err(Error::RoleParentLoop);
                    }
                }
                let updated = tx.update_role_fields(&pool, &role_id, &fields, at).await?;
                if let Some(others) = &excluded {
                    Self::set_exclusions_in(tx, &pool, &role_id, others, at).await?;
                }
                Ok(updated)
            })
        })
        .await
    }

    /// Deletes roles by code with everything naming them; one unknown code deletes none.
    pub async fn delete_roles(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        codes: &[String],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        if codes.is_empty() {
            return Err(Error::MissingParameter("codeList"));
        }
        let mut ids = Vec::new();
        for code in unique(batch(codes, "codeList")?) {
            ids.push(self.role_required(pool, namespace, &code).await?.id);
        }
        let entry = AuditEntry::new(OperationType::Delete, ResourceKind::Role)
            .targets(&ids)
            .opt_param("namespace", namespace)
            .param("codes", &codes.join(","));
        let pool_id = pool_id.to_owned();
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move { super::cascade::delete_roles(tx, &pool_id, &ids).await })
        })
        .await
    }

    /// Gives (or takes back) every named role to (from) every named holder, all or nothing.
    pub async fn set_role_holders(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        role_codes: &[String],
        holders: &RoleHolders,
        assign: bool,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        if role_codes.is_empty() {
            return Err(Error::MissingParameter("roleCodes"));
        }
        let mut role_ids = Vec::new();
        for code in unique(batch(role_codes, "roleCodes")?) {
            role_ids.push(self.role_required(pool, namespace, &code).await?.id);
        }
        let mut targets: Vec<(TargetType, String)> = Vec::new();
        for id in unique(batch(&holders.user_ids, "userIds")?) {
            targets.push((TargetType::User, self.user_by_id(pool_id, &id).await?.id));
        }
        for code in unique(batch(&holders.group_codes, "groupCodes")?) {
            targets.push((
                TargetType::Group,
                self.group_required(pool, &code).await?.id,
            ));
        }
        for code in unique(batch(&holders.node_codes, "nodeCodes")?) {
            targets.push((
                TargetType::OrgNode,
                self.node_by_code_in_pool(pool_id, &code).await?,
            ));
        }
        if targets.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        if targets.iter().any(|(t, _)| !t.can_hold_roles()) {
            return Err(Error::RoleAssignedToRole);
        }
        if assign {
            self.assign_roles_checked(pool_id, role_ids, targets).await
        } else {
            self.store.revoke_roles(pool_id, &role_ids, &targets).await
        }
    }

    /// A node named by code alone (`assignRole(nodeCodes)`): the code must name exactly one
    /// node of the pool, since codes are unique per organization only.
    async fn node_by_code_in_pool(&self, pool_id: &str, code: &str) -> Result<String> {
        let found = self.store.nodes_with_code(pool_id, code.trim()).await?;
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(Error::NotFound(Entity::OrgNode)),
            _ => Err(Error::InvalidParameter("nodeCodes")),
        }
    }

    /// Who holds a role directly — users and/or departments (`kinds`, none: both) — in the
    /// order they got it, optionally matching `search`.
    pub async fn role_assignments(
        &self,
        pool: &PoolAdmin,
        role_id: &str,
        kinds: &[TargetType],
        search: Option<&str>,
        page: Page,
    ) -> Result<Paged<crate::model::directory_admin::RoleAssignment>> {
        let all = [TargetType::User, TargetType::OrgNode];
        let kinds = if kinds.is_empty() { &all[..] } else { kinds };
        if kinds
            .iter()
            .any(|k| !matches!(k, TargetType::User | TargetType::OrgNode))
        {
            return Err(Error::InvalidParameter("targetType"));
        }
        let search = optional(search.map(str::to_owned), "query", MAX_NAME_LEN)?;
        self.store
            .role_assignments(pool.pool_id(), role_id, kinds, search.as_deref(), page)
            .await
    }

    /// The departments a role is given to directly, in the order they got it.
    pub async fn role_departments(
        &self,
        pool: &PoolAdmin,
        role_id: &str,
        page: Page,
    ) -> Result<Paged<crate::model::directory::Node>> {
        self.store.role_nodes(pool.pool_id(), role_id, page).await
    }

    /// The users a role is given to directly, optionally filtered by `search`.
    pub async fn role_users(
        &self,
        pool: &PoolAdmin,
        role_id: &str,
        search: Option<&str>,
        page: Page,
    ) -> Result<Paged<User>> {
        let pool_id = pool.pool_id();
        self.store.role_users(pool_id, role_id, search, page).await
    }

    // --- groups ----------------------------------------------------------------------------

    /// `createGroup` by an administrator: [`Core::create_group`], audited.
    pub async fn admin_create_group(&self, pool: &PoolAdmin, new: NewGroup) -> Result<Group> {
        let entry =
            AuditEntry::new(OperationType::Create, ResourceKind::Group).param("code", &new.code);
        let created = self.create_group(pool.pool_id(), new).await;
        self.audit(pool, entry, created).await
    }

    pub async fn group_by_code(&self, pool: &PoolAdmin, code: &str) -> Result<Option<Group>> {
        let pool_id = pool.pool_id();
        self.store.find_group(pool_id, code.trim()).await
    }

    pub async fn group_required(&self, pool: &PoolAdmin, code: &str) -> Result<Group> {
        self.group_by_code(pool, code)
            .await?
            .ok_or(Error::NotFound(Entity::Group))
    }

    pub async fn list_groups(
        &self,
        pool: &PoolAdmin,
        page: Page,
        order: Order,
    ) -> Result<Paged<Group>> {
        let pool_id = pool.pool_id();
        self.store.list_groups(pool_id, None, page, order).await
    }

    /// Groups whose code or name contains `keyword` (blank: every group).
    pub async fn search_groups(
        &self,
        pool: &PoolAdmin,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Group>> {
        let keyword = optional(keyword.map(str::to_owned), "keywords", MAX_NAME_LEN)?;
        self.store
            .list_groups(pool.pool_id(), keyword.as_deref(), page, Order::Oldest)
            .await
    }

    pub async fn update_group(
        &self,
        pool: &PoolAdmin,
        code: &str,
        update: GroupUpdate,
    ) -> Result<Group> {
        let group = self.group_required(pool, code).await?;
        let fields = group_fields(update)?;
        self.store
            .update_group(pool.pool_id(), &group.id, &fields, clock::now_ms())
            .await
    }

    /// [`Core::update_group`] and new custom values (`(key, value)` as given, checked
    /// against the pool's group fields first) in one unit of work.
    pub async fn update_group_with_data(
        &self,
        pool: &PoolAdmin,
        code: &str,
        update: GroupUpdate,
        custom_data: &[(String, serde_json::Value)],
    ) -> Result<Group> {
        let pool_id = pool.pool_id();
        let group = self.group_required(pool, code).await?;
        let fields = group_fields(update)?;
        let values: Vec<(String, String, String)> = self
            .validate_udf_values(pool_id, UdfTarget::Group, custom_data)
            .await?
            .into_iter()
            .map(|(k, v)| (group.id.clone(), k, v))
            .collect();
        let (pool, at) = (pool_id.to_owned(), clock::now_ms());
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                let g = tx
                    .update_group_fields(&pool, &group.id, &fields, at)
                    .await?;
                tx.put_custom_data(&pool, UdfTarget::Group.as_str(), &values, at)
                    .await?;
                Ok(g)
            })
        })
        .await
    }

    /// Deletes groups by code with their memberships and everything naming them; one
    /// unknown code deletes none.
    pub async fn delete_groups(&self, pool: &PoolAdmin, codes: &[String]) -> Result<()> {
        let pool_id = pool.pool_id();
        if codes.is_empty() {
            return Err(Error::MissingParameter("codeList"));
        }
        let mut ids = Vec::new();
        for code in unique(batch(codes, "codeList")?) {
            ids.push(self.group_required(pool, &code).await?.id);
        }
        let entry = AuditEntry::new(OperationType::Delete, ResourceKind::Group)
            .targets(&ids)
            .param("codes", &codes.join(","));
        let pool_id = pool_id.to_owned();
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move { super::cascade::delete_groups(tx, &pool_id, &ids).await })
        })
        .await
    }

    /// Removes users from a group; every user must exist in the pool.
    pub async fn remove_group_members(
        &self,
        pool: &PoolAdmin,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        if user_ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        let user_ids = unique(batch(user_ids, "userIds")?);
        for id in &user_ids {
            self.user_by_id(pool_id, id).await?;
        }
        self.store
            .remove_group_members(pool_id, group_id, &user_ids)
            .await
    }

    pub async fn group_users(
        &self,
        pool: &PoolAdmin,
        group_id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        let pool_id = pool.pool_id();
        self.store.group_users(pool_id, group_id, page).await
    }

    // --- custom data of directory targets --------------------------------------------------

    /// The custom data of several targets, in definition order per target; a target without
    /// values gets an empty list.
    pub async fn udf_values_batch(
        &self,
        pool: &PoolAdmin,
        target: UdfTarget,
        ids: &[String],
    ) -> Result<Vec<(String, Vec<UdfValue>)>> {
        let pool_id = pool.pool_id();
        let ids = unique(batch(ids, "targetIds")?);
        let defs = self
            .store
            .list_udf_definitions(pool_id, target.as_str())
            .await?;
        let mut by_target: HashMap<String, HashMap<String, String>> = HashMap::new();
        for (target_id, key, value) in self
            .store
            .udf_values_of(pool_id, target.as_str(), &ids)
            .await?
        {
            by_target.entry(target_id).or_default().insert(key, value);
        }
        Ok(ids
            .into_iter()
            .map(|id| {
                let values = by_target.remove(&id).unwrap_or_default();
                let list = defs
                    .iter()
                    .filter_map(|d| {
                        Some(UdfValue {
                            key: d.key.clone(),
                            data_type: d.data_type.clone(),
                            value: values.get(&d.key)?.clone(),
                            label: d.label.clone(),
                        })
                    })
                    .collect();
                (id, list)
            })
            .collect())
    }
}
