//! What goes with a deleted directory or authorization object: the one place that decides
//! it. Each function runs inside a unit of work (`Core::pool_write`), so the object and
//! every row naming it go together or not at all; the store only deletes what it is told.
//!
//! The rule, stated once: a user, role, group or node may be named by role assignments,
//! resource grants, application access rules, policy assignments, ASA account assignments
//! and custom data as a *target*; all of those go with it. A role also takes the assignments *of* itself and
//! leaves its children without a parent; a group takes its memberships; a node takes its
//! memberships and its subtree; an organization takes every node and its own custom data; a
//! namespace takes its roles (as a role deletion), policies (with their assignments),
//! grants and resources; a resource takes the grants on it and on its instances. An
//! application takes its agreements, access rules, access keys, registration whitelist
//! entries, ASA accounts (with their assignments) and its own namespace (code = application id) with its contents, and leaves the
//! tenants that used it; a tenant takes its members and providers (with their connections), and its organizations stop naming it; a
//! provider takes its connections. A
//! user takes what names it, its risk-list entries and its sub-accounts (with what names
//! them and their entries) and its sync relations, as a node takes its own. A post takes its links to users and departments; a user
//! (sub-accounts included) or a node takes its post links, never the post.

use crate::error::{Error, Result};
use crate::model::directory::TargetType;
use crate::model::post::PostLink;
use crate::model::provisioning::SyncKind;
use crate::service::udf::UdfTarget;
use crate::store::apps::AppRows;
use crate::store::authorization::GrantsOn;
use crate::store::tenants::{TenantFields, TenantRows};
use crate::store::WriteTx;

/// The custom-data kind of a directory target.
fn udf_kind(t: TargetType) -> UdfTarget {
    match t {
        TargetType::User => UdfTarget::User,
        TargetType::Role => UdfTarget::Role,
        TargetType::Group => UdfTarget::Group,
        TargetType::OrgNode => UdfTarget::Node,
    }
}

/// Deletes every row that names one of `ids` (of type `t`) as a target.
pub(crate) async fn forget_targets(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    t: TargetType,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.delete_role_assignments_to(pool_id, t, ids).await?;
    tx.delete_grants_to(pool_id, t, ids).await?;
    tx.delete_access_rules_to(pool_id, t, ids).await?;
    tx.delete_policy_assignments_to(pool_id, t, ids).await?;
    tx.delete_asa_assignments_to(pool_id, t, ids).await?;
    // A user's or department's links to upstream directories go with it
    // (`service::provisioning`); the upstream object is then unlinked, not deleted.
    let synced = match t {
        TargetType::User => Some(SyncKind::User),
        TargetType::OrgNode => Some(SyncKind::Department),
        TargetType::Role | TargetType::Group => None,
    };
    if let Some(kind) = synced {
        tx.delete_sync_relations_to(pool_id, kind, ids).await?;
    }
    tx.delete_custom_data(pool_id, udf_kind(t).as_str(), ids)
        .await
}

pub(crate) async fn delete_roles(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    forget_targets(tx, pool_id, TargetType::Role, ids).await?;
    tx.unparent_roles(pool_id, ids).await?;
    tx.delete_assignments_of_roles(pool_id, ids).await?;
    tx.delete_roles(pool_id, ids).await
}

pub(crate) async fn delete_groups(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.delete_group_members(pool_id, ids).await?;
    forget_targets(tx, pool_id, TargetType::Group, ids).await?;
    tx.delete_groups(pool_id, ids).await
}

/// Deletes these nodes (every id listed: a subtree is the caller's to collect).
pub(crate) async fn delete_nodes(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    forget_targets(tx, pool_id, TargetType::OrgNode, ids).await?;
    tx.delete_post_links_to(pool_id, PostLink::Department, ids)
        .await?;
    tx.delete_node_members(pool_id, ids).await?;
    tx.delete_nodes(pool_id, ids).await
}

pub(crate) async fn delete_org(tx: &mut dyn WriteTx, pool_id: &str, org_id: &str) -> Result<()> {
    let nodes = tx.org_node_ids(pool_id, org_id).await?;
    delete_nodes(tx, pool_id, &nodes).await?;
    tx.delete_custom_data(pool_id, UdfTarget::Org.as_str(), &[org_id.to_owned()])
        .await?;
    tx.delete_org(pool_id, org_id).await
}

pub(crate) async fn delete_policies(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.delete_assignments_of_policies(pool_id, ids).await?;
    tx.delete_policies(pool_id, ids).await
}

/// Deletes a resource and the grants on it and on its instances; whether it existed.
pub(crate) async fn delete_resource(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    namespace: &str,
    code: &str,
) -> Result<bool> {
    if !tx.delete_resource(pool_id, namespace, code).await? {
        return Ok(false);
    }
    tx.delete_grants_on(pool_id, namespace, GrantsOn::Resource(code))
        .await?;
    tx.delete_grants_on(pool_id, namespace, GrantsOn::InstancesOf(code))
        .await?;
    Ok(true)
}

/// Deletes what a namespace holds (not the namespace row itself). An application's
/// namespace has the application's id as its code, so deleting the application runs this
/// too.
pub(crate) async fn delete_namespace_contents(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    code: &str,
) -> Result<()> {
    let roles = tx.role_ids_in_namespace(pool_id, code).await?;
    delete_roles(tx, pool_id, &roles).await?;
    let policies = tx.policy_ids_in_namespace(pool_id, code).await?;
    delete_policies(tx, pool_id, &policies).await?;
    tx.delete_grants_on(pool_id, code, GrantsOn::Namespace)
        .await?;
    tx.delete_resources_in(pool_id, code).await
}

pub(crate) async fn delete_app(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    app_id: &str,
    at: i64,
) -> Result<()> {
    if !tx.app_exists(pool_id, app_id).await? {
        return Err(Error::AppNotFound);
    }
    for rows in [
        AppRows::Agreements,
        AppRows::AccessRules,
        AppRows::AccessKeys,
        AppRows::Whitelist,
    ] {
        tx.delete_app_rows(pool_id, app_id, rows).await?;
    }
    tx.delete_asa_of_app(pool_id, app_id).await?;
    tx.delete_namespace(pool_id, app_id).await?;
    delete_namespace_contents(tx, pool_id, app_id).await?;
    for t in tx.tenants_using_app(pool_id, app_id).await? {
        let kept: Vec<String> = t.app_ids.iter().filter(|a| *a != app_id).cloned().collect();
        if kept.len() != t.app_ids.len() {
            let fields = TenantFields {
                app_ids: Some(kept),
                ..TenantFields::default()
            };
            tx.update_tenant_fields(pool_id, &t.id, &fields, at).await?;
        }
    }
    tx.delete_app(pool_id, app_id).await
}

pub(crate) async fn delete_tenant(tx: &mut dyn WriteTx, pool_id: &str, id: &str) -> Result<()> {
    if tx.tenant(pool_id, id).await?.is_none() {
        return Err(Error::NotFound(crate::error::Entity::Tenant));
    }
    for rows in [
        TenantRows::ExtIdpConns,
        TenantRows::ExtIdps,
        TenantRows::Members,
    ] {
        tx.delete_tenant_rows(pool_id, id, rows).await?;
    }
    tx.detach_orgs(pool_id, id).await?;
    tx.delete_tenant(pool_id, id).await
}

/// Deletes every user or none ([`Error::UserNotFound`] if one is not in the pool), with
/// what names them and their sub-accounts.
pub(crate) async fn delete_users(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    ids: &[String],
) -> Result<()> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    if tx.count_users_in(pool_id, &ids).await? != ids.len() as u64 {
        return Err(Error::UserNotFound);
    }
    // Sub-accounts go with their primary user (the foreign key cascades), so what names
    // them must go too.
    let mut named = tx.sub_account_ids(pool_id, &ids).await?;
    named.extend(ids.iter().cloned());
    forget_targets(tx, pool_id, TargetType::User, &named).await?;
    tx.delete_post_links_to(pool_id, PostLink::User, &named)
        .await?;
    tx.delete_user_entries_of(pool_id, &named).await?;
    tx.delete_users(pool_id, &ids).await
}

/// Deletes these posts (every id a post of the pool: the caller's to check) with their
/// links to users and departments.
pub(crate) async fn delete_posts(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    for link in [PostLink::User, PostLink::Department] {
        tx.delete_links_of_posts(pool_id, link, ids).await?;
    }
    tx.delete_posts(pool_id, ids).await
}

pub(crate) async fn delete_ext_idp(tx: &mut dyn WriteTx, pool_id: &str, id: &str) -> Result<()> {
    tx.delete_ext_idp_conns_of(pool_id, id).await?;
    if tx.delete_ext_idp(pool_id, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound(crate::error::Entity::ExtIdp))
    }
}
