//! Policies (`v2-wire.md` §6.11): named sets of statements `{resource, actions, effect,
//! condition}` in a namespace, and their assignments to users, roles, groups and nodes, each
//! of which can be disabled without being removed.
//!
//! Policies are records the management API keeps and lists; permission questions are
//! answered by the resource grants through the one resolver ([`Core::is_allowed`]), not by
//! policy statements.

use super::directory::{check_code, description, namespace_or_default};
use super::directory_admin::{batch, unique, MAX_BATCH};
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::directory::TargetType;
use crate::model::directory_admin::{Policy, PolicyAssignment, PolicyStatement};
use crate::principal::PoolAdmin;
use crate::store::authorization::{AssignmentFilter, PolicyFields};

/// Most statements one policy may hold.
pub const MAX_STATEMENTS: usize = 100;

/// An assignment with its target as the wire names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentView {
    pub assignment: PolicyAssignment,
    pub identifier: String,
}

fn checked_statements(statements: Vec<PolicyStatement>) -> Result<Vec<PolicyStatement>> {
    if statements.is_empty() {
        return Err(Error::MissingParameter("statements"));
    }
    if statements.len() > MAX_STATEMENTS {
        return Err(Error::InvalidParameter("statements"));
    }
    statements
        .into_iter()
        .map(|s| {
            if s.actions.is_empty() {
                return Err(Error::MissingParameter("actions"));
            }
            let mut actions: Vec<String> = Vec::with_capacity(s.actions.len());
            for a in &s.actions {
                let a = check_code(a, "actions")?;
                if !actions.contains(&a) {
                    actions.push(a);
                }
            }
            Ok(PolicyStatement {
                resource: check_code(&s.resource, "resource")?,
                actions,
                effect: s.effect,
                condition: s.condition,
            })
        })
        .collect()
}

impl Core {
    pub async fn create_policy(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
        desc: Option<String>,
        statements: Vec<PolicyStatement>,
    ) -> Result<Policy> {
        let pool_id = pool.pool_id();
        self.pool(pool_id).await?;
        let now = clock::now_ms();
        let policy = Policy {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            namespace: namespace_or_default(namespace.map(str::to_owned))?,
            code: check_code(code, "code")?,
            description: description(desc)?,
            statements: checked_statements(statements)?,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_policy(&policy).await?;
        Ok(policy)
    }

    pub async fn policy_by_code(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
    ) -> Result<Option<Policy>> {
        let pool_id = pool.pool_id();
        let ns = namespace_or_default(namespace.map(str::to_owned))?;
        self.store.find_policy(pool_id, &ns, code.trim()).await
    }

    pub async fn policy_required(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
    ) -> Result<Policy> {
        self.policy_by_code(pool, namespace, code)
            .await?
            .ok_or(Error::NotFound(Entity::Policy))
    }

    /// Changes code, description or statements; absent fields are kept.
    pub async fn update_policy(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        code: &str,
        desc: Option<String>,
        statements: Option<Vec<PolicyStatement>>,
        new_code: Option<String>,
    ) -> Result<Policy> {
        let policy = self.policy_required(pool, namespace, code).await?;
        let fields = PolicyFields {
            code: match new_code.filter(|c| !c.trim().is_empty()) {
                Some(c) => Some(check_code(&c, "newCode")?),
                None => None,
            },
            description: match desc {
                Some(d) => Some(description(Some(d))?),
                None => None,
            },
            statements: match statements {
                Some(s) => Some(checked_statements(s)?),
                None => None,
            },
        };
        self.store
            .update_policy(pool.pool_id(), &policy.id, &fields, clock::now_ms())
            .await
    }

    /// Deletes policies by code with their assignments; one unknown code deletes none.
    pub async fn delete_policies(
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
            ids.push(self.policy_required(pool, namespace, &code).await?.id);
        }
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move { super::cascade::delete_policies(tx, &pool, &ids).await })
        })
        .await
    }

    pub async fn list_policies(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        page: Page,
    ) -> Result<Paged<Policy>> {
        let pool_id = pool.pool_id();
        let ns = namespace
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| check_code(n, "namespace"))
            .transpose()?;
        self.store.list_policies(pool_id, ns.as_deref(), page).await
    }

    /// How many assignments the policy has.
    pub async fn policy_assignment_count(&self, pool: &PoolAdmin, policy: &Policy) -> Result<i64> {
        Ok(self
            .store
            .policy_assignment_counts(pool.pool_id(), std::slice::from_ref(&policy.id))
            .await?
            .first()
            .map_or(0, |(_, n)| *n))
    }

    /// A policy target by its wire identifier. The SDK's `roles.addPolicies` /
    /// `removePolicies` send a role code with type USER (`v2-wire.md` §9.16): a USER
    /// identifier that names no user but a role is taken as that role.
    async fn policy_target(
        &self,
        pool: &PoolAdmin,
        target_type: TargetType,
        identifier: &str,
        namespace: Option<&str>,
    ) -> Result<(TargetType, String)> {
        match self
            .target_id(pool, target_type, identifier, namespace)
            .await
        {
            Ok(id) => Ok((target_type, id)),
            Err(Error::UserNotFound) if target_type == TargetType::User => {
                match self.role_in(pool, namespace, identifier.trim()).await? {
                    Some(role) => Ok((TargetType::Role, role.id)),
                    None => Err(Error::UserNotFound),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Assigns (or removes) every named policy to (from) every named target, all or
    /// nothing.
    pub async fn set_policy_assignments(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        policy_codes: &[String],
        target_type: TargetType,
        identifiers: &[String],
        assign: bool,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        if policy_codes.is_empty() {
            return Err(Error::MissingParameter("policies"));
        }
        if identifiers.is_empty() {
            return Err(Error::MissingParameter("targetIdentifiers"));
        }
        if policy_codes.len().saturating_mul(identifiers.len()) > MAX_BATCH {
            return Err(Error::InvalidParameter("targetIdentifiers"));
        }
        let mut policy_ids = Vec::new();
        for code in unique(policy_codes) {
            policy_ids.push(self.policy_required(pool, namespace, &code).await?.id);
        }
        let mut targets = Vec::new();
        for i in unique(identifiers) {
            targets.push(self.policy_target(pool, target_type, &i, namespace).await?);
        }
        if assign {
            self.store
                .add_policy_assignments(pool_id, &policy_ids, &targets, clock::now_ms())
                .await
        } else {
            self.store
                .remove_policy_assignments(pool_id, &policy_ids, &targets)
                .await
        }
    }

    pub async fn set_policy_assignment_enabled(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        policy_code: &str,
        target_type: TargetType,
        identifier: &str,
        enabled: bool,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let policy = self.policy_required(pool, namespace, policy_code).await?;
        let target = self
            .policy_target(pool, target_type, identifier, namespace)
            .await?;
        if self
            .store
            .set_policy_assignment_enabled(pool_id, &policy.id, &target, enabled)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::PolicyAssignment))
        }
    }

    /// Assignments filtered by policy code and/or target; a filter naming an unknown policy
    /// or target lists nothing rather than failing, as a search would.
    pub async fn policy_assignments(
        &self,
        pool: &PoolAdmin,
        namespace: Option<&str>,
        policy_code: Option<&str>,
        target_type: Option<TargetType>,
        identifier: Option<&str>,
        page: Page,
    ) -> Result<Paged<AssignmentView>> {
        let pool_id = pool.pool_id();
        let empty = Paged {
            total_count: 0,
            list: Vec::new(),
        };
        let mut filter = AssignmentFilter::default();
        if let Some(code) = policy_code.map(str::trim).filter(|c| !c.is_empty()) {
            match self.policy_by_code(pool, namespace, code).await? {
                Some(p) => filter.policy_id = Some(p.id),
                None => return Ok(empty),
            }
        }
        filter.target_type = target_type;
        if let Some(i) = identifier.map(str::trim).filter(|i| !i.is_empty()) {
            let Some(t) = target_type else {
                return Err(Error::MissingParameter("targetType"));
            };
            match self.policy_target(pool, t, i, namespace).await {
                Ok((t, id)) => {
                    filter.target_type = Some(t);
                    filter.target_id = Some(id);
                }
                Err(Error::NotFound(_) | Error::UserNotFound) => return Ok(empty),
                Err(e) => return Err(e),
            }
        }
        let page = self
            .store
            .policy_assignments(pool_id, &filter, page)
            .await?;
        let keys: Vec<(TargetType, String)> = page
            .list
            .iter()
            .map(|a| (a.target_type, a.target_id.clone()))
            .collect();
        let names = self.target_identifiers(pool, &keys).await?;
        Ok(page.map(|a| {
            let identifier = names
                .get(&(a.target_type, a.target_id.clone()))
                .cloned()
                .unwrap_or_else(|| a.target_id.clone());
            AssignmentView {
                assignment: a,
                identifier,
            }
        }))
    }
}
