//! An application's resources associated with tenants (v3 `associateTenantResource`,
//! "关联/取消关联应用资源到租户"), table `tenant_resources` (migration 38).
//!
//! A resource of an application lives in the namespace named by the application's id; an
//! association names that resource and a tenant that uses the application. What it changes:
//! the resource's `linkedToTenant` (`ResourceDto`), which reads whether any tenant holds it.
//! Tessera has no permission check made within a tenant (a session carries no tenant, and
//! no permission call names one), so the association grants or withholds nothing; the
//! resolver's answers are unchanged.

use super::audit::AuditEntry;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::principal::PoolAdmin;

impl Core {
    /// Associates (`linked`) the application's resource `code` with the tenant, or ends the
    /// association. The tenant must be the pool's and use the application; the resource must
    /// be one of the application's namespace. Either state already holding is no error.
    pub async fn associate_tenant_resource(
        &self,
        pool: &PoolAdmin,
        tenant_id: Option<&str>,
        app_id: &str,
        code: &str,
        linked: bool,
    ) -> Result<()> {
        let tenant_id = tenant_id
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::MissingParameter("tenantId"))?
            .to_owned();
        let app_id = app_id.trim();
        if app_id.is_empty() {
            return Err(Error::MissingParameter("appId"));
        }
        if code.trim().is_empty() {
            return Err(Error::MissingParameter("code"));
        }
        let (app, _) = self.pool_app(pool, app_id).await?;
        let resource = self
            .resource_by_code(pool, &app.id, code.trim())
            .await?
            .ok_or(Error::NotFound(Entity::Resource))?;
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::Application)
            .target(&app.id)
            .target(&tenant_id)
            .param("fields", "tenantResources");
        let (pool_id, app_id, resource_id) = (pool.pool_id().to_owned(), app.id, resource.id);
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move {
                let tenant = tx
                    .tenant(&pool_id, &tenant_id)
                    .await?
                    .ok_or(Error::NotFound(Entity::Tenant))?;
                if !tenant.app_ids.contains(&app_id) {
                    return Err(Error::InvalidParameter("appId"));
                }
                tx.set_tenant_resource(&pool_id, &tenant_id, &resource_id, linked, clock::now_ms())
                    .await
            })
        })
        .await
    }

    /// Which of these resources (ids of the pool's) are associated with a tenant, for their
    /// `linkedToTenant`.
    pub async fn tenant_linked_resources(
        &self,
        pool: &PoolAdmin,
        resource_ids: &[String],
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        // Read in parts: the ids come from a page or batch the façade read.
        for part in resource_ids.chunks(super::directory_admin::MAX_BATCH) {
            out.extend(
                self.store
                    .tenant_linked_resources(pool.pool_id(), part)
                    .await?,
            );
        }
        Ok(out)
    }
}
