//! Directory writes that name many objects at once and take effect all together or not at
//! all: creating several roles, groups, namespaces or resources, deleting roles of several
//! namespaces, several namespaces or several resources, and giving (or taking back) several
//! roles to several targets named as the v3 wire names them.
//!
//! Each batch checks every item first (fields, the roles and targets it names), then writes
//! inside one unit of work: a duplicate code — already stored or twice in the batch — makes
//! the store refuse an insert, and the whole unit rolls back.

use super::directory::{
    check_code, description, optional, NewGroup, NewResource, NewRole, MAX_NAME_LEN,
};
use super::directory_admin::{batch, MAX_BATCH};
use super::udf::UdfTarget;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::directory::{Group, Resource, ResourceNamespace, Role, TargetType};
use crate::principal::PoolAdmin;

/// A role as a caller names it: its namespace (absent or blank: the default one) and code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleRef {
    pub namespace: Option<String>,
    pub code: String,
}

/// A new group with the custom values it starts with, `(key, value)` as given.
#[derive(Debug, Clone, Default)]
pub struct NewGroupWithData {
    pub group: NewGroup,
    pub custom_data: Vec<(String, serde_json::Value)>,
}

/// A new namespace as a caller describes it.
#[derive(Debug, Clone, Default)]
pub struct NewNamespace {
    pub code: String,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// How many items a batch names: none is a missing parameter, more than [`MAX_BATCH`] a
/// refused one.
fn sized<T>(items: &[T], field: &'static str) -> Result<()> {
    if items.is_empty() {
        return Err(Error::MissingParameter(field));
    }
    if items.len() > MAX_BATCH {
        return Err(Error::InvalidParameter(field));
    }
    Ok(())
}

impl Core {
    /// Creates every role or none. A parent, if named, must already exist.
    pub async fn create_roles(&self, pool: &PoolAdmin, list: Vec<NewRole>) -> Result<Vec<Role>> {
        let pool_id = pool.pool_id();
        sized(&list, "list")?;
        let now = clock::now_ms();
        let mut rows = Vec::with_capacity(list.len());
        for new in list {
            rows.push(self.role_row(pool_id, new, now).await?);
        }
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for r in &rows {
                    tx.insert_role(r).await?;
                }
                Ok(rows)
            })
        })
        .await
    }

    /// Creates every group, with its custom values, or none. The values are checked against
    /// the pool's group fields before anything is written, and written in the same unit as
    /// the groups.
    pub async fn create_groups(
        &self,
        pool: &PoolAdmin,
        list: Vec<NewGroupWithData>,
    ) -> Result<Vec<Group>> {
        let pool_id = pool.pool_id();
        sized(&list, "list")?;
        let now = clock::now_ms();
        let mut rows = Vec::with_capacity(list.len());
        let mut values: Vec<(String, String, String)> = Vec::new();
        for item in list {
            let g = Self::group_row(pool_id, item.group, now)?;
            for (key, stored) in self
                .validate_udf_values(pool_id, UdfTarget::Group, &item.custom_data)
                .await?
            {
                values.push((g.id.clone(), key, stored));
            }
            rows.push(g);
        }
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for g in &rows {
                    tx.insert_group(g).await?;
                }
                tx.put_custom_data(&pool, UdfTarget::Group.as_str(), &values, now)
                    .await?;
                Ok(rows)
            })
        })
        .await
    }

    /// Creates every namespace or none.
    pub async fn create_namespaces(
        &self,
        pool: &PoolAdmin,
        list: Vec<NewNamespace>,
    ) -> Result<Vec<ResourceNamespace>> {
        let pool_id = pool.pool_id();
        sized(&list, "list")?;
        let now = clock::now_ms();
        let mut rows = Vec::with_capacity(list.len());
        for n in list {
            rows.push(ResourceNamespace {
                id: ids::new_id(),
                pool_id: pool_id.to_owned(),
                code: check_code(&n.code, "code")?,
                name: optional(n.name, "name", MAX_NAME_LEN)?,
                description: description(n.description)?,
                app_id: None,
                created_at: now,
                updated_at: now,
            });
        }
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for n in &rows {
                    tx.insert_namespace(n).await?;
                }
                Ok(rows)
            })
        })
        .await
    }

    /// Creates every resource or none; each needs at least one action, as a single
    /// `create_resource_full` does.
    pub async fn create_resources(
        &self,
        pool: &PoolAdmin,
        list: Vec<NewResource>,
    ) -> Result<Vec<Resource>> {
        let pool_id = pool.pool_id();
        sized(&list, "list")?;
        let now = clock::now_ms();
        let mut rows = Vec::with_capacity(list.len());
        for new in list {
            if new.actions.is_empty() {
                return Err(Error::MissingParameter("actions"));
            }
            rows.push(Self::resource_row(pool_id, new, now)?);
        }
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for r in &rows {
                    tx.insert_resource(r).await?;
                }
                Ok(rows)
            })
        })
        .await
    }

    /// Deletes roles of any namespaces with everything naming them; one unknown role
    /// deletes none.
    pub async fn delete_roles_named(&self, pool: &PoolAdmin, roles: &[RoleRef]) -> Result<()> {
        let pool_id = pool.pool_id();
        sized(roles, "roleList")?;
        let mut ids: Vec<String> = Vec::with_capacity(roles.len());
        for r in roles {
            let id = self
                .role_required(pool, r.namespace.as_deref(), &r.code)
                .await?
                .id;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move { super::cascade::delete_roles(tx, &pool, &ids).await })
        })
        .await
    }

    /// Deletes namespaces with their roles, resources, grants and policies; one unknown
    /// code deletes none.
    pub async fn delete_namespaces(&self, pool: &PoolAdmin, codes: &[String]) -> Result<()> {
        let pool_id = pool.pool_id();
        sized(codes, "codeList")?;
        let codes = super::directory_admin::unique(batch(codes, "codeList")?);
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for code in &codes {
                    let code = code.trim();
                    if !tx.delete_namespace(&pool, code).await? {
                        return Err(Error::NotFound(Entity::Namespace));
                    }
                    super::cascade::delete_namespace_contents(tx, &pool, code).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Deletes resources, each named by (namespace, code), with every grant on them or on
    /// their instances; one unknown resource deletes none.
    pub async fn delete_resources(
        &self,
        pool: &PoolAdmin,
        resources: &[(String, String)],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        sized(resources, "codeList")?;
        let mut named: Vec<(String, String)> = Vec::with_capacity(resources.len());
        for (ns, code) in resources {
            let key = (check_code(ns, "namespace")?, check_code(code, "code")?);
            if !named.contains(&key) {
                named.push(key);
            }
        }
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                for (ns, code) in &named {
                    if !super::cascade::delete_resource(tx, &pool, ns, code).await? {
                        return Err(Error::NotFound(Entity::Resource));
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// Deletes resources named by id, as [`Core::delete_resources`] does.
    pub async fn delete_resources_by_id(&self, pool: &PoolAdmin, ids: &[String]) -> Result<()> {
        sized(ids, "ids")?;
        let mut named = Vec::with_capacity(ids.len());
        for id in ids {
            let r = self
                .resource_by_id(pool, id.trim())
                .await?
                .ok_or(Error::NotFound(Entity::Resource))?;
            named.push((r.namespace, r.code));
        }
        self.delete_resources(pool, &named).await
    }

    /// Gives (`assign`) or takes back every named role to or from every named target, all
    /// or nothing. Targets are named as the v3 wire does: a user or department by id, a
    /// group by code; a role cannot hold a role.
    pub async fn set_roles_of_targets(
        &self,
        pool: &PoolAdmin,
        roles: &[RoleRef],
        targets: &[(TargetType, String)],
        assign: bool,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        sized(roles, "roles")?;
        sized(targets, "targets")?;
        let mut role_ids: Vec<String> = Vec::with_capacity(roles.len());
        for r in roles {
            let id = self
                .role_required(pool, r.namespace.as_deref(), &r.code)
                .await?
                .id;
            if !role_ids.contains(&id) {
                role_ids.push(id);
            }
        }
        let mut resolved: Vec<(TargetType, String)> = Vec::with_capacity(targets.len());
        for (t, identifier) in targets {
            if !t.can_hold_roles() {
                return Err(Error::RoleAssignedToRole);
            }
            let key = (*t, self.target_id(pool, *t, identifier, None).await?);
            if !resolved.contains(&key) {
                resolved.push(key);
            }
        }
        if assign {
            self.assign_roles_checked(pool_id, role_ids, resolved).await
        } else {
            self.store.revoke_roles(pool_id, &role_ids, &resolved).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_neither_empty_nor_huge() {
        assert!(matches!(
            sized::<u8>(&[], "list"),
            Err(Error::MissingParameter("list"))
        ));
        assert!(sized(&[1u8], "list").is_ok());
        assert!(matches!(
            sized(&vec![0u8; MAX_BATCH + 1], "list"),
            Err(Error::InvalidParameter("list"))
        ));
    }
}
