//! [`TenantAdminsStore`] and [`TenantAdminsTx`] on SQL (tables of migration 37). A
//! certification's personal numbers are only ever the sealed text here.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::directory_admin::Policy;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::tenant_admins::{
    AdminGrant, CertificationFields, CooperatorGrant, GrantFilter, StoredCertification,
    TenantAdminsStore, TenantAdminsTx,
};
use tessera_core::Result;

use super::authorization::policy;
use super::statement::{contains_pattern, fetch_page, user_keyword_match, Sql};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::{col, flag};

const GRANT_COLUMNS: &str = "g.user_id, g.api_authorized, g.created_at, g.updated_at";

/// Whether the grant's user is a member of no department of the pool.
const EXTERNAL: &str = "NOT EXISTS (SELECT 1 FROM node_members nm \
     WHERE nm.user_id = g.user_id AND nm.pool_id = g.pool_id)";

fn grant(r: &AnyRow) -> Result<AdminGrant> {
    Ok(AdminGrant {
        user_id: col(r, "user_id")?,
        api_authorized: flag(r, "api_authorized")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

fn cooperator(r: &AnyRow) -> Result<CooperatorGrant> {
    Ok(CooperatorGrant {
        grant: grant(r)?,
        external: flag(r, "external")?,
    })
}

fn cooperator_columns() -> String {
    format!("{GRANT_COLUMNS}, CAST(CASE WHEN {EXTERNAL} THEN 1 ELSE 0 END AS BIGINT) AS external")
}

const CERT_COLUMNS: &str = "pool_id, tenant_id, business_name, business_license, \
     business_registration_name, unified_social_credit, legal_representative_name, \
     sealed_personal, status, review_reason, created_at, updated_at";

fn certification(r: &AnyRow) -> Result<StoredCertification> {
    Ok(StoredCertification {
        pool_id: col(r, "pool_id")?,
        tenant_id: col(r, "tenant_id")?,
        fields: CertificationFields {
            business_name: col(r, "business_name")?,
            business_license: col(r, "business_license")?,
            business_registration_name: col(r, "business_registration_name")?,
            unified_social_credit: col(r, "unified_social_credit")?,
            legal_representative_name: col(r, "legal_representative_name")?,
            sealed_personal: col(r, "sealed_personal")?,
        },
        status: col(r, "status")?,
        review_reason: col(r, "review_reason")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

/// `FROM <table> g …` with the filter's conditions; the pool is `$1`.
fn grants_from(table: &str, sql: &mut Sql, filter: &GrantFilter) -> String {
    let mut from = format!("FROM {table} g");
    let mut cond = " WHERE g.pool_id = $1".to_owned();
    if let Some(k) = filter
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        from.push_str(" JOIN users u ON u.id = g.user_id AND u.pool_id = g.pool_id");
        let p = sql.bind(&contains_pattern(k));
        cond.push_str(&user_keyword_match(&p));
    }
    match filter.external {
        Some(true) => cond.push_str(&format!(" AND {EXTERNAL}")),
        Some(false) => cond.push_str(&format!(" AND NOT {EXTERNAL}")),
        None => {}
    }
    format!("{from}{cond}")
}

#[async_trait]
impl TenantAdminsStore for SqlStore {
    async fn multi_tenant_admins(
        &self,
        pool_id: &str,
        filter: &GrantFilter,
        page: Page,
    ) -> Result<Paged<AdminGrant>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let from = grants_from(
            "multi_tenant_admins",
            &mut sql,
            &GrantFilter {
                external: None,
                ..filter.clone()
            },
        );
        fetch_page(
            &self.pool,
            &mut sql,
            GRANT_COLUMNS,
            &from,
            "g.created_at, g.user_id",
            page,
            grant,
        )
        .await
    }

    async fn multi_tenant_admin(&self, pool_id: &str, user_id: &str) -> Result<Option<AdminGrant>> {
        sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS} FROM multi_tenant_admins g \
             WHERE g.pool_id = $1 AND g.user_id = $2"
        ))
        .bind(pool_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(grant)
        .transpose()
    }

    async fn tenants_administered(&self, pool_id: &str, user_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT tenant_id FROM tenant_members \
             WHERE pool_id = $1 AND user_id = $2 AND is_admin = 1 \
             ORDER BY created_at, tenant_id",
        )
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| col(r, "tenant_id")).collect()
    }

    async fn tenant_cooperators(
        &self,
        pool_id: &str,
        filter: &GrantFilter,
        page: Page,
    ) -> Result<Paged<CooperatorGrant>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let from = grants_from("tenant_cooperators", &mut sql, filter);
        fetch_page(
            &self.pool,
            &mut sql,
            &cooperator_columns(),
            &from,
            "g.created_at, g.user_id",
            page,
            cooperator,
        )
        .await
    }

    async fn tenant_cooperator(
        &self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<Option<CooperatorGrant>> {
        sqlx::query(&format!(
            "SELECT {} FROM tenant_cooperators g WHERE g.pool_id = $1 AND g.user_id = $2",
            cooperator_columns()
        ))
        .bind(pool_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(cooperator)
        .transpose()
    }

    async fn cooperator_policies(&self, pool_id: &str, user_id: &str) -> Result<Vec<Policy>> {
        let rows = sqlx::query(
            "SELECT p.id, p.pool_id, p.namespace, p.code, p.description, p.statements, \
             p.created_at, p.updated_at \
             FROM tenant_cooperator_policies c JOIN policies p ON p.id = c.policy_id \
             WHERE c.pool_id = $1 AND c.user_id = $2 AND p.pool_id = $1 \
             ORDER BY c.position",
        )
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(policy).collect()
    }

    async fn tenant_certification(
        &self,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<Option<StoredCertification>> {
        sqlx::query(&format!(
            "SELECT {CERT_COLUMNS} FROM tenant_certifications \
             WHERE pool_id = $1 AND tenant_id = $2"
        ))
        .bind(pool_id)
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(certification)
        .transpose()
    }
}

#[async_trait]
impl TenantAdminsTx for SqlWriteTx {
    async fn put_multi_tenant_admin(
        &mut self,
        pool_id: &str,
        user_id: &str,
        api_authorized: bool,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO multi_tenant_admins \
             (pool_id, user_id, api_authorized, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (pool_id, user_id) \
             DO UPDATE SET api_authorized = $3, updated_at = $4",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(i64::from(api_authorized))
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn put_tenant_cooperator(
        &mut self,
        pool_id: &str,
        user_id: &str,
        api_authorized: bool,
        policy_ids: &[String],
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenant_cooperators \
             (pool_id, user_id, api_authorized, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (pool_id, user_id) \
             DO UPDATE SET api_authorized = $3, updated_at = $4",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(i64::from(api_authorized))
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        // The cooperator's policies are one set, replaced whole: the call names all of them.
        sqlx::query("DELETE FROM tenant_cooperator_policies WHERE pool_id = $1 AND user_id = $2")
            .bind(pool_id)
            .bind(user_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        for (i, policy_id) in policy_ids.iter().enumerate() {
            sqlx::query(
                "INSERT INTO tenant_cooperator_policies (pool_id, user_id, policy_id, position) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(pool_id)
            .bind(user_id)
            .bind(policy_id)
            .bind(i as i64)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn policy_id_by_code(
        &mut self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<Option<String>> {
        sqlx::query("SELECT id FROM policies WHERE pool_id = $1 AND namespace = $2 AND code = $3")
            .bind(pool_id)
            .bind(namespace)
            .bind(code)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(|r| col(r, "id"))
            .transpose()
    }

    async fn tenant_certification_status(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<Option<String>> {
        sqlx::query(
            "SELECT status FROM tenant_certifications WHERE pool_id = $1 AND tenant_id = $2",
        )
        .bind(pool_id)
        .bind(tenant_id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(|r| col(r, "status"))
        .transpose()
    }

    async fn insert_tenant_certification(&mut self, c: &StoredCertification) -> Result<()> {
        let f = &c.fields;
        sqlx::query(&format!(
            "INSERT INTO tenant_certifications ({CERT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&c.pool_id)
        .bind(&c.tenant_id)
        .bind(&f.business_name)
        .bind(&f.business_license)
        .bind(&f.business_registration_name)
        .bind(&f.unified_social_credit)
        .bind(&f.legal_representative_name)
        .bind(&f.sealed_personal)
        .bind(&c.status)
        .bind(c.review_reason.as_deref())
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn resubmit_tenant_certification(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        fields: &CertificationFields,
        at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tenant_certifications SET business_name = $1, business_license = $2, \
             business_registration_name = $3, unified_social_credit = $4, \
             legal_representative_name = $5, sealed_personal = $6, status = 'reviewing', \
             review_reason = NULL, updated_at = $7 \
             WHERE pool_id = $8 AND tenant_id = $9",
        )
        .bind(&fields.business_name)
        .bind(&fields.business_license)
        .bind(&fields.business_registration_name)
        .bind(&fields.unified_social_credit)
        .bind(&fields.legal_representative_name)
        .bind(&fields.sealed_personal)
        .bind(at)
        .bind(pool_id)
        .bind(tenant_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn review_tenant_certification(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        from: &str,
        to: &str,
        reason: Option<&str>,
        at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tenant_certifications SET status = $1, review_reason = $2, updated_at = $3 \
             WHERE pool_id = $4 AND tenant_id = $5 AND status = $6",
        )
        .bind(to)
        .bind(reason)
        .bind(at)
        .bind(pool_id)
        .bind(tenant_id)
        .bind(from)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }
}
