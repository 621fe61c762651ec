//! Separation of duties between roles (角色互斥) and administrator roles.
//!
//! A rule is pool-scoped and symmetric: no user may hold both roles (of any namespaces of the
//! pool). Rules are set as part of a role (`createRole` / `updateRole` with the role's whole
//! set of excluded roles) and go with either role. They act on every assignment path, inside
//! the assignment's unit of work: the users the change reaches (the user itself, a group's
//! members, the members of a department and of every department under it) have their roles
//! resolved before and after the change — as the one resolver finds them: their own, their
//! groups', their departments' and those departments' ancestors' — and the change is refused
//! (nothing written) when a user would newly hold both roles of a rule — or a group or
//! department would be given both itself, members or not. A pair a user already
//! held before the rule existed is left alone: rules bind assignments from now on, and a
//! change that does not add either role is not refused because of it.
//!
//! Administrator roles are named records of the pool (code unique in the pool), each
//! bundling policies of the pool, created and deleted in audited units of work; a tenant
//! cooperator grant (`createTenantCooperator`) may name an administrator role's code among
//! its `policies`, and the cooperator then holds the role's policies as they are at the
//! grant (see [`Core::create_admin_role`]).

use std::collections::HashSet;

use super::audit::AuditEntry;
use super::directory::{
    check_code, checked, description, namespace_or_default, DEFAULT_NAMESPACE, MAX_NAME_LEN,
};
use super::directory_admin::{batch, unique};
use super::directory_batches::RoleRef;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::directory::{Role, TargetType};
use crate::principal::PoolAdmin;
use crate::store::sod::AdminRole;
use crate::store::WriteTx;

/// The most roles one role may exclude, and the most roles one check may name.
pub const MAX_EXCLUSIONS: usize = 50;
/// The most policies one administrator role may bundle.
pub const MAX_ADMIN_ROLE_POLICIES: usize = 50;

/// Who holds roles, as a rule is checked: a user (all it holds, through the resolver), or a
/// group or department (the roles given to it directly).
#[derive(Clone)]
enum Holder {
    User(String),
    Target(TargetType, String),
}

/// The roles each reached holder held before a change.
pub(crate) struct Held(Vec<(Holder, HashSet<String>)>);

async fn holds(tx: &mut dyn WriteTx, pool_id: &str, holder: &Holder) -> Result<HashSet<String>> {
    Ok(match holder {
        Holder::User(id) => tx.held_role_ids(pool_id, id).await?.unwrap_or_default(),
        Holder::Target(t, id) => tx.target_role_ids(pool_id, &(*t, id.clone())).await?,
    }
    .into_iter()
    .collect())
}

/// What the users hold now (call before the change).
pub(crate) async fn held_before(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    user_ids: &[String],
) -> Result<Held> {
    let mut held = Vec::with_capacity(user_ids.len());
    for user in user_ids {
        let holder = Holder::User(user.clone());
        let roles = holds(tx, pool_id, &holder).await?;
        held.push((holder, roles));
    }
    Ok(Held(held))
}

/// Refuses the change (the unit rolls back) when a holder now holds both roles of a rule and
/// at least one of them is new to it.
pub(crate) async fn verify(tx: &mut dyn WriteTx, pool_id: &str, held: Held) -> Result<()> {
    for (holder, before) in held.0 {
        let after = holds(tx, pool_id, &holder).await?;
        let new: Vec<String> = after.difference(&before).cloned().collect();
        if new.is_empty() {
            continue;
        }
        for (a, b) in tx.exclusions_of(pool_id, &new).await? {
            if after.contains(&a) && after.contains(&b) {
                return Err(Error::RolesMutuallyExclusive);
            }
        }
    }
    Ok(())
}

/// Gives every role to every target inside the unit, refused as a whole when it would give
/// a user two excluded roles.
pub(crate) async fn assign_roles(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    role_ids: &[String],
    targets: &[(TargetType, String)],
    at: i64,
) -> Result<()> {
    let users = tx.users_reached(pool_id, targets).await?;
    let mut held = held_before(tx, pool_id, &users).await?;
    // A group or department may not hold both roles of a rule itself either, even with no
    // member yet: every member it gets would be refused.
    for (t, id) in targets {
        if matches!(t, TargetType::Group | TargetType::OrgNode) {
            let holder = Holder::Target(*t, id.clone());
            let roles = holds(tx, pool_id, &holder).await?;
            held.0.push((holder, roles));
        }
    }
    tx.assign_roles_in_unit(pool_id, role_ids, targets, at)
        .await?;
    verify(tx, pool_id, held).await
}

/// Whether any two of `role_ids` exclude each other.
fn any_pair_within(role_ids: &[String], rules: &[(String, String)]) -> bool {
    rules
        .iter()
        .any(|(a, b)| role_ids.contains(a) && role_ids.contains(b))
}

impl Core {
    /// Gives every role to every target in one unit of work, all or nothing, under the
    /// separation-of-duties rules.
    pub(crate) async fn assign_roles_checked(
        &self,
        pool_id: &str,
        role_ids: Vec<String>,
        targets: Vec<(TargetType, String)>,
    ) -> Result<()> {
        let (pool, at) = (pool_id.to_owned(), clock::now_ms());
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move { assign_roles(tx, &pool, &role_ids, &targets, at).await })
        })
        .await
    }

    /// The roles named as a role's excluded set, resolved (each must be a role of the pool,
    /// in exactly the namespace named; absent: the default one), each once. A list longer
    /// than [`MAX_EXCLUSIONS`] is refused.
    pub(crate) async fn exclusion_ids(
        &self,
        pool: &PoolAdmin,
        refs: &[RoleRef],
    ) -> Result<Vec<String>> {
        if refs.len() > MAX_EXCLUSIONS {
            return Err(Error::InvalidParameter("mutuallyExclusiveRoles"));
        }
        let mut ids: Vec<String> = Vec::with_capacity(refs.len());
        for r in refs {
            let ns = namespace_or_default(r.namespace.clone())?;
            let code = check_code(&r.code, "code")?;
            let id = self.role_required(pool, Some(&ns), &code).await?.id;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Replaces the role's excluded set inside a unit (the role and every excluded one are
    /// checked again under the pool's lock); a role excluding itself is refused.
    pub(crate) async fn set_exclusions_in(
        tx: &mut dyn WriteTx,
        pool_id: &str,
        role_id: &str,
        others: &[String],
        at: i64,
    ) -> Result<()> {
        if others.iter().any(|o| o == role_id) {
            return Err(Error::InvalidParameter("mutuallyExclusiveRoles"));
        }
        for id in others {
            if tx.role(pool_id, id).await?.is_none() {
                return Err(Error::NotFound(Entity::Role));
            }
        }
        tx.set_exclusions(pool_id, role_id, others, at).await
    }

    /// `createRole` with an excluded set: the role and its rules in one audited unit, so an
    /// unknown excluded role leaves no role behind.
    pub async fn create_role_with_exclusions(
        &self,
        pool: &PoolAdmin,
        new: super::directory::NewRole,
        excluded: &[RoleRef],
    ) -> Result<Role> {
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::Role)
            .opt_param("namespace", new.namespace.as_deref())
            .param("code", &new.code);
        let others = self.exclusion_ids(pool, excluded).await?;
        let pool_id = pool.pool_id().to_owned();
        let at = clock::now_ms();
        let role = self.role_row(&pool_id, new, at).await?;
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move {
                tx.insert_role(&role).await?;
                Self::set_exclusions_in(tx, &pool_id, &role.id, &others, at).await?;
                Ok(role)
            })
        })
        .await
    }

    /// The roles each of `roles` excludes, in the order of `roles`.
    pub async fn excluded_roles(&self, pool: &PoolAdmin, roles: &[Role]) -> Result<Vec<Vec<Role>>> {
        let pool_id = pool.pool_id();
        let ids: Vec<String> = roles.iter().map(|r| r.id.clone()).collect();
        let rules = self.store.role_exclusions(pool_id, &ids).await?;
        let mut other_ids: Vec<String> = rules
            .iter()
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .collect();
        other_ids.sort();
        other_ids.dedup();
        let others = if other_ids.is_empty() {
            Vec::new()
        } else {
            self.store.roles_by_ids(pool_id, &other_ids, None).await?
        };
        Ok(roles
            .iter()
            .map(|r| {
                others
                    .iter()
                    .filter(|o| {
                        rules
                            .iter()
                            .any(|(a, b)| (*a == r.id && *b == o.id) || (*b == r.id && *a == o.id))
                    })
                    .cloned()
                    .collect()
            })
            .collect())
    }

    /// `checkMutualExclusion`: whether any two of the named roles exclude each other. Every
    /// role must be one of the pool (else not found); at most [`MAX_EXCLUSIONS`] roles.
    pub async fn roles_mutually_exclusive(
        &self,
        pool: &PoolAdmin,
        roles: &[RoleRef],
    ) -> Result<bool> {
        if roles.is_empty() {
            return Err(Error::MissingParameter("roles"));
        }
        let ids = self.exclusion_ids(pool, roles).await?;
        let rules = self.store.role_exclusions(pool.pool_id(), &ids).await?;
        Ok(any_pair_within(&ids, &rules))
    }

    // --- administrator roles ---------------------------------------------------------------

    /// `createAdminRole`: the new administrator role, or `None` when the code is already
    /// taken in the pool (the wire answers that as "not valid", not as an error). Audited
    /// either way. `policies` (codes of the pool's policies in the default namespace, at
    /// most [`MAX_ADMIN_ROLE_POLICIES`]) are what a tenant cooperator grant naming this
    /// role's code gets; an unknown one refuses the call and writes nothing.
    pub async fn create_admin_role(
        &self,
        pool: &PoolAdmin,
        code: &str,
        name: &str,
        description_text: Option<String>,
        policies: &[String],
    ) -> Result<Option<AdminRole>> {
        if policies.len() > MAX_ADMIN_ROLE_POLICIES {
            return Err(Error::InvalidParameter("policies"));
        }
        let mut policy_codes = Vec::with_capacity(policies.len());
        for p in policies {
            policy_codes.push(check_code(p, "policies")?);
        }
        let policy_codes = unique(&policy_codes);
        let at = clock::now_ms();
        let role = AdminRole {
            id: ids::new_id(),
            pool_id: pool.pool_id().to_owned(),
            code: check_code(code, "code")?,
            name: checked(name, "name", MAX_NAME_LEN)?,
            description: description(description_text)?,
            created_at: at,
            updated_at: at,
        };
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::AdminRole)
            .target(&role.id)
            .param("code", &role.code);
        let made = self
            .audited_write(pool, entry, move |tx| {
                Box::pin(async move {
                    if !tx.insert_admin_role(&role).await? {
                        return Err(Error::Duplicate(Entity::AdminRole));
                    }
                    let mut ids = Vec::with_capacity(policy_codes.len());
                    for code in &policy_codes {
                        ids.push(
                            tx.policy_id_by_code(&role.pool_id, DEFAULT_NAMESPACE, code)
                                .await?
                                .ok_or(Error::NotFound(Entity::Policy))?,
                        );
                    }
                    tx.put_admin_role_policies(&role.id, &ids).await?;
                    Ok(role)
                })
            })
            .await;
        match made {
            Ok(role) => Ok(Some(role)),
            Err(Error::Duplicate(Entity::AdminRole)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The administrator role of this code, if any.
    pub async fn admin_role(&self, pool: &PoolAdmin, code: &str) -> Result<Option<AdminRole>> {
        self.store.admin_role(pool.pool_id(), code.trim()).await
    }

    /// `deleteAdminRolesBatch`: deletes every named administrator role, or none when one
    /// code is unknown. Audited.
    pub async fn delete_admin_roles(&self, pool: &PoolAdmin, codes: &[String]) -> Result<()> {
        if codes.is_empty() {
            return Err(Error::MissingParameter("codeList"));
        }
        let codes = unique(batch(codes, "codeList")?);
        // Found first so the record names them; found again under the pool's lock below.
        let mut named = Vec::with_capacity(codes.len());
        for code in &codes {
            let role = self
                .admin_role(pool, code)
                .await?
                .ok_or(Error::NotFound(Entity::AdminRole))?;
            named.push(role.id);
        }
        let entry = AuditEntry::new(OperationType::Delete, ResourceKind::AdminRole)
            .targets(&named)
            .param("codes", &codes.join(","));
        let pool_id = pool.pool_id().to_owned();
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move {
                let mut ids = Vec::with_capacity(codes.len());
                for code in &codes {
                    let role = tx
                        .admin_role_in_unit(&pool_id, code.trim())
                        .await?
                        .ok_or(Error::NotFound(Entity::AdminRole))?;
                    ids.push(role.id);
                }
                tx.delete_admin_roles(&pool_id, &ids).await
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_counts_only_when_both_roles_are_named() {
        let rules = vec![("a".to_owned(), "b".to_owned())];
        assert!(any_pair_within(&["a".into(), "b".into()], &rules));
        assert!(!any_pair_within(&["a".into(), "c".into()], &rules));
        assert!(!any_pair_within(&[], &rules));
    }
}
