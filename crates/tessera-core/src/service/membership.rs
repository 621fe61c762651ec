//! Department membership rules, decided in the core inside one unit of work: a user has at
//! most one main department; a main department is one the user has joined; a member moved
//! from one department to another keeps being "main" there if the source was their main
//! one. The store reads and writes single memberships; these functions decide. A change
//! that would give a user two mutually exclusive roles (through the departments' roles) is
//! refused as a whole (`service::sod`).

use crate::error::{Entity, Error, Result};
use crate::store::WriteTx;

/// Adds every user or none (the unit rolls back on an unknown user). With `is_main` the
/// node becomes each user's one main department.
pub(crate) async fn add_node_members(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    node_id: &str,
    user_ids: &[String],
    is_main: bool,
    at: i64,
) -> Result<()> {
    if tx.node(pool_id, node_id).await?.is_none() {
        return Err(Error::NotFound(Entity::OrgNode));
    }
    let held = super::sod::held_before(tx, pool_id, user_ids).await?;
    for user_id in user_ids {
        if !tx.user_exists(pool_id, user_id).await? {
            return Err(Error::UserNotFound);
        }
        tx.add_node_member(pool_id, node_id, user_id, at).await?;
        if is_main {
            tx.set_member_main(pool_id, node_id, user_id, true).await?;
            tx.clear_main_except(pool_id, user_id, Some(node_id))
                .await?;
        }
    }
    super::sod::verify(tx, pool_id, held).await
}

/// Moves the users from `from` to `to`; each must be a member of `from`.
pub(crate) async fn move_node_members(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    user_ids: &[String],
    from: &str,
    to: &str,
    at: i64,
) -> Result<()> {
    let held = super::sod::held_before(tx, pool_id, user_ids).await?;
    for user_id in user_ids {
        let Some(was_main) = tx.node_membership(pool_id, from, user_id).await? else {
            // Not a member of the source: say which end is wrong.
            return Err(if tx.node(pool_id, from).await?.is_none() {
                Error::NotFound(Entity::OrgNode)
            } else if !tx.user_exists(pool_id, user_id).await? {
                Error::UserNotFound
            } else {
                Error::MoveOfNonMember
            });
        };
        if tx.node(pool_id, to).await?.is_none() {
            return Err(Error::NotFound(Entity::OrgNode));
        }
        tx.remove_node_member(pool_id, from, user_id).await?;
        tx.add_node_member(pool_id, to, user_id, at).await?;
        if was_main {
            tx.set_member_main(pool_id, to, user_id, true).await?;
        }
    }
    super::sod::verify(tx, pool_id, held).await
}

/// Makes `node_id` the user's main department (they must have joined it), or with `None`
/// leaves them without one.
pub(crate) async fn set_main_department(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    user_id: &str,
    node_id: Option<&str>,
) -> Result<()> {
    if !tx.user_exists(pool_id, user_id).await? {
        return Err(Error::UserNotFound);
    }
    if let Some(node_id) = node_id {
        if tx.node(pool_id, node_id).await?.is_none() {
            return Err(Error::NotFound(Entity::OrgNode));
        }
        if tx
            .node_membership(pool_id, node_id, user_id)
            .await?
            .is_none()
        {
            return Err(Error::MainDepartmentNotJoined);
        }
        tx.set_member_main(pool_id, node_id, user_id, true).await?;
    }
    tx.clear_main_except(pool_id, user_id, node_id).await
}

/// Makes `wanted` (node id, main?) the user's departments: every node must exist; the
/// memberships not named are left, the new ones joined at `at`.
pub(crate) async fn set_user_departments(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    user_id: &str,
    wanted: &[(String, bool)],
    at: i64,
) -> Result<()> {
    if !tx.user_exists(pool_id, user_id).await? {
        return Err(Error::UserNotFound);
    }
    for (node_id, _) in wanted {
        if tx.node(pool_id, node_id).await?.is_none() {
            return Err(Error::NotFound(Entity::OrgNode));
        }
    }
    let held = super::sod::held_before(tx, pool_id, &[user_id.to_owned()]).await?;
    for joined in tx.user_node_ids(pool_id, user_id).await? {
        if !wanted.iter().any(|(w, _)| *w == joined) {
            tx.remove_node_member(pool_id, &joined, user_id).await?;
        }
    }
    for (node_id, _) in wanted {
        if tx
            .node_membership(pool_id, node_id, user_id)
            .await?
            .is_none()
        {
            tx.add_node_member(pool_id, node_id, user_id, at).await?;
        }
    }
    if let Some((main, _)) = wanted.iter().find(|(_, m)| *m) {
        tx.set_member_main(pool_id, main, user_id, true).await?;
        tx.clear_main_except(pool_id, user_id, Some(main)).await?;
    }
    super::sod::verify(tx, pool_id, held).await
}
