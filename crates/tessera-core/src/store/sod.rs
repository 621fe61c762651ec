//! Storage of separation-of-duties rules between roles (角色互斥) and of administrator
//! roles (migration 40, `service::sod`). Every method takes the pool and treats a row of
//! another pool as absent. The store answers structural questions; the core decides.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory::TargetType;

/// A named administrator role of the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRole {
    pub id: String,
    pub pool_id: String,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[async_trait]
pub trait SodStore: Send + Sync {
    /// The exclusion rules naming any of these roles, each pair once as stored (smaller id
    /// first).
    async fn role_exclusions(
        &self,
        pool_id: &str,
        role_ids: &[String],
    ) -> Result<Vec<(String, String)>>;
    /// The administrator role of this code, if any.
    async fn admin_role(&self, pool_id: &str, code: &str) -> Result<Option<AdminRole>>;
}

/// The same inside a unit of work (`Core::pool_write`), where assignments are checked
/// against the rules.
#[async_trait]
pub trait SodTx: Send {
    /// See [`SodStore::role_exclusions`].
    async fn exclusions_of(
        &mut self,
        pool_id: &str,
        role_ids: &[String],
    ) -> Result<Vec<(String, String)>>;
    /// Replaces every rule naming `role_id` with one rule per role of `others` (roles of the
    /// pool, checked by the core, never `role_id` itself).
    async fn set_exclusions(
        &mut self,
        pool_id: &str,
        role_id: &str,
        others: &[String],
        at: i64,
    ) -> Result<()>;
    /// The roles the user holds as the resolver finds them (its own, its groups', its
    /// departments' and their ancestors'), each once; `None` for no user of the pool.
    async fn held_role_ids(&mut self, pool_id: &str, user_id: &str) -> Result<Option<Vec<String>>>;
    /// The roles given directly to one target (a group or department), each once.
    async fn target_role_ids(
        &mut self,
        pool_id: &str,
        target: &(TargetType, String),
    ) -> Result<Vec<String>>;
    /// The users a role given to these targets reaches: a user itself, a group's members,
    /// the members of a department and of every department under it. Each once.
    async fn users_reached(
        &mut self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<String>>;
    /// Gives every role to every target, all or nothing: an unknown role or target is the
    /// usual not-found error (as `DirectoryStore::assign_roles`).
    async fn assign_roles_in_unit(
        &mut self,
        pool_id: &str,
        role_ids: &[String],
        targets: &[(TargetType, String)],
        at: i64,
    ) -> Result<()>;
    /// Inserts the administrator role unless its code is taken in the pool; whether it was
    /// inserted.
    async fn insert_admin_role(&mut self, role: &AdminRole) -> Result<bool>;
    /// The administrator role of this code, if any.
    async fn admin_role_in_unit(&mut self, pool_id: &str, code: &str) -> Result<Option<AdminRole>>;
    /// Gives the administrator role (just inserted) these policies, in this order.
    async fn put_admin_role_policies(&mut self, role_id: &str, policy_ids: &[String])
        -> Result<()>;
    /// The policies of the administrator role, in their order.
    async fn admin_role_policy_ids(&mut self, role_id: &str) -> Result<Vec<String>>;
    /// Deletes these administrator roles (by id).
    async fn delete_admin_roles(&mut self, pool_id: &str, ids: &[String]) -> Result<()>;
}
