//! An application's registration whitelists: per type (username, email, phone), the values
//! allowed to register through that application, beside the pool's own lists
//! (`service::settings`).
//!
//! The rule (enforced by `Core::check_whitelist`, for self-service registrations and for
//! the code logins that create a user): a registration made through an application whose
//! list of a type is non-empty must find its identifier of that type on that list, in
//! addition to the pool's list when the pool's switch for that type is on. A registration
//! without an application, or through one whose list of that type is empty, follows the
//! pool's rule only. An application's list needs no switch: having entries is what turns it
//! on, and removing the last entry turns it off.
//!
//! Every method takes the administrator's pool and answers an application of another pool
//! as [`Error::AppNotFound`].

use super::audit::AuditEntry;
use super::settings::{whitelist_key, WhitelistType};
use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::principal::PoolAdmin;
use crate::store::pool_admin::WhitelistEntry;

/// The audit parameter naming which list changed (never the values: they are identifiers
/// of people who have not registered).
const AUDIT_LIST_PARAM: &str = "whitelistType";

impl Core {
    /// Adds values to one of the application's lists, all or none: one value that is no
    /// valid identifier of the type refuses the call before anything is written. Values
    /// already listed (by their normalised key) are kept as they were.
    pub async fn add_app_whitelist(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        kind: WhitelistType,
        values: &[String],
    ) -> Result<()> {
        let entries = values
            .iter()
            .map(|v| Ok((v.trim().to_owned(), whitelist_key(admin, kind, v)?)))
            .collect::<Result<Vec<_>>>()?;
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::Application)
            .target(app_id)
            .param(AUDIT_LIST_PARAM, kind.as_str());
        let (pool_id, app_id, at) = (admin.id.clone(), app_id.to_owned(), clock::now_ms());
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                // Checked in the unit that writes, so an application deleted meanwhile
                // cannot be left with entries.
                if !tx.app_exists(&pool_id, &app_id).await? {
                    return Err(Error::AppNotFound);
                }
                tx.add_app_whitelist(&pool_id, &app_id, kind.as_str(), &entries, at)
                    .await
            })
        })
        .await
    }

    /// The entries of one of the application's lists, oldest first.
    pub async fn app_whitelist(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        kind: WhitelistType,
    ) -> Result<Vec<WhitelistEntry>> {
        self.admin_app(admin, app_id).await?;
        self.store
            .app_whitelist(&admin.id, app_id, kind.as_str())
            .await
    }

    /// Removes values from one of the application's lists (matched by normalised key, so
    /// `A@x.com` removes `a@x.com`); values not listed are ignored. A value that is no
    /// valid identifier of the type refuses the call and removes nothing.
    pub async fn remove_app_whitelist(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        kind: WhitelistType,
        values: &[String],
    ) -> Result<()> {
        let keys = values
            .iter()
            .map(|v| whitelist_key(admin, kind, v))
            .collect::<Result<Vec<_>>>()?;
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::Application)
            .target(app_id)
            .param(AUDIT_LIST_PARAM, kind.as_str());
        let (pool_id, app_id) = (admin.id.clone(), app_id.to_owned());
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                if !tx.app_exists(&pool_id, &app_id).await? {
                    return Err(Error::AppNotFound);
                }
                tx.remove_app_whitelist(&pool_id, &app_id, kind.as_str(), &keys)
                    .await
            })
        })
        .await
    }
}
