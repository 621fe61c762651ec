//! [`TenantsStore`] on SQL. Every transaction starts with a write (an `UPDATE` of the
//! parent row doubles as the "exists in this pool" check), so SQLite takes its write lock up
//! front; returning early drops the transaction, which rolls it back.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::tenant::{
    ExtIdp, ExtIdpConn, NoticeChannel, Tenant, TenantImport, TenantImportUser, TenantInvitation,
    TenantMember,
};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::tenants::{
    ExtIdpConnFields, MemberFilter, MemberFlag, TenantFields, TenantRows, TenantsStore, TenantsTx,
};
use tessera_core::{Entity, Error, Result};

use super::statement::{
    contains_pattern, fetch_page, targeted_update, user_keyword_match, SetValue, Sql,
};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::{col, flag, to_json};

pub(super) type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

pub(super) const TENANT_COLUMNS: &str =
    "id, pool_id, name, description, logo, app_ids, config, created_at, updated_at, code";

const MEMBER_COLUMNS: &str = "m.tenant_id, m.user_id, m.is_admin, m.enabled, m.created_at";

fn member(r: &AnyRow) -> Result<TenantMember> {
    Ok(TenantMember {
        tenant_id: col(r, "tenant_id")?,
        user_id: col(r, "user_id")?,
        is_admin: flag(r, "is_admin")?,
        enabled: flag(r, "enabled")?,
        created_at: col(r, "created_at")?,
    })
}

const INVITATION_COLUMNS: &str = "pool_id, record_id, tenant_id, app_id, email, token_hash, \
     expires_at, created_at, accepted_at, accepted_by";

fn invitation(r: &AnyRow) -> Result<TenantInvitation> {
    Ok(TenantInvitation {
        pool_id: col(r, "pool_id")?,
        record_id: col(r, "record_id")?,
        tenant_id: col(r, "tenant_id")?,
        app_id: col(r, "app_id")?,
        email: col(r, "email")?,
        token_hash: col(r, "token_hash")?,
        expires_at: col(r, "expires_at")?,
        created_at: col(r, "created_at")?,
        accepted_at: col(r, "accepted_at")?,
        accepted_by: col(r, "accepted_by")?,
    })
}

const IMPORT_COLUMNS: &str = "pool_id, import_id, file_name, tenant_count, member_count, \
     created_user_count, created_at";

fn tenant_import(r: &AnyRow) -> Result<TenantImport> {
    Ok(TenantImport {
        pool_id: col(r, "pool_id")?,
        import_id: col(r, "import_id")?,
        file_name: col(r, "file_name")?,
        tenant_count: col(r, "tenant_count")?,
        member_count: col(r, "member_count")?,
        created_user_count: col(r, "created_user_count")?,
        created_at: col(r, "created_at")?,
    })
}

const IMPORT_USER_COLUMNS: &str = "pool_id, import_id, row_no, user_id, tenant_id, is_admin, \
     email_notified_at, sms_notified_at";

fn import_user(r: &AnyRow) -> Result<TenantImportUser> {
    Ok(TenantImportUser {
        pool_id: col(r, "pool_id")?,
        import_id: col(r, "import_id")?,
        row_no: col(r, "row_no")?,
        user_id: col(r, "user_id")?,
        tenant_id: col(r, "tenant_id")?,
        is_admin: flag(r, "is_admin")?,
        email_notified_at: col(r, "email_notified_at")?,
        sms_notified_at: col(r, "sms_notified_at")?,
    })
}

/// `INSERT INTO tenants` through any executor (the store's own transaction or a unit's).
async fn insert_tenant_row(tx: &mut Tx<'_>, t: &Tenant) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO tenants ({TENANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&t.id)
    .bind(&t.pool_id)
    .bind(&t.name)
    .bind(&t.description)
    .bind(&t.logo)
    .bind(to_json(&t.app_ids)?)
    .bind(to_json(&t.config)?)
    .bind(t.created_at)
    .bind(t.updated_at)
    .bind(&t.code)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    check_apps(tx, &t.pool_id, &t.app_ids).await
}

const IDP_COLUMNS: &str = "id, pool_id, tenant_id, name, type, created_at, updated_at";

const CONN_COLUMNS: &str = "id, pool_id, ext_idp_id, type, identifier, display_name, fields, \
     user_match_fields, logo, enabled, created_at, updated_at";

pub(super) fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, name: &str) -> Result<T> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| Error::Storage(format!("column {name}: {e}")))
}

pub(super) fn tenant(row: &AnyRow) -> Result<Tenant> {
    Ok(Tenant {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        name: col(row, "name")?,
        code: col(row, "code")?,
        description: col(row, "description")?,
        logo: col(row, "logo")?,
        app_ids: json_col(row, "app_ids")?,
        config: json_col(row, "config")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn idp(row: &AnyRow) -> Result<ExtIdp> {
    Ok(ExtIdp {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        kind: col(row, "type")?,
        connections: Vec::new(),
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn conn(row: &AnyRow) -> Result<ExtIdpConn> {
    Ok(ExtIdpConn {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        ext_idp_id: col(row, "ext_idp_id")?,
        kind: col(row, "type")?,
        identifier: col(row, "identifier")?,
        display_name: col(row, "display_name")?,
        fields: json_col(row, "fields")?,
        user_match_fields: json_col(row, "user_match_fields")?,
        logo: col(row, "logo")?,
        enabled: flag(row, "enabled")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// A unique violation becomes `err`; anything else is a storage failure.
pub(super) fn unique_as(e: sqlx::Error, err: Error) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => err,
        _ => db_err(e),
    }
}

/// Touches a row of `table` in the pool (the transaction's first write) and fails with
/// `missing` if there is none.
pub(super) async fn touch(
    tx: &mut Tx<'_>,
    table: &'static str,
    pool_id: &str,
    id: &str,
    at: i64,
    missing: Error,
) -> Result<()> {
    let n = sqlx::query(&format!(
        "UPDATE {table} SET updated_at = $1 WHERE pool_id = $2 AND id = $3"
    ))
    .bind(at)
    .bind(pool_id)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if n == 0 {
        return Err(missing);
    }
    Ok(())
}

/// Fails with [`Error::AppNotFound`] unless every id is an application of the pool.
async fn check_apps(tx: &mut Tx<'_>, pool_id: &str, app_ids: &[String]) -> Result<()> {
    for app_id in app_ids {
        let found = sqlx::query("SELECT id FROM applications WHERE pool_id = $1 AND id = $2")
            .bind(pool_id)
            .bind(app_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        if found.is_none() {
            return Err(Error::AppNotFound);
        }
    }
    Ok(())
}

async fn insert_conn(tx: &mut Tx<'_>, c: &ExtIdpConn) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO ext_idp_conns ({CONN_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&c.id)
    .bind(&c.pool_id)
    .bind(&c.ext_idp_id)
    .bind(&c.kind)
    .bind(&c.identifier)
    .bind(&c.display_name)
    .bind(to_json(&c.fields)?)
    .bind(to_json(&c.user_match_fields)?)
    .bind(&c.logo)
    .bind(i64::from(c.enabled))
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(&mut **tx)
    .await
    .map_err(|e| unique_as(e, Error::Duplicate(Entity::ExtIdpConnIdentifier)))?;
    Ok(())
}

impl SqlStore {
    async fn conns_of(&self, pool_id: &str, ext_idp_id: &str) -> Result<Vec<ExtIdpConn>> {
        sqlx::query(&format!(
            "SELECT {CONN_COLUMNS} FROM ext_idp_conns WHERE pool_id = $1 AND ext_idp_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(ext_idp_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(conn)
        .collect()
    }

    async fn with_conns(&self, mut idp: ExtIdp) -> Result<ExtIdp> {
        idp.connections = self.conns_of(&idp.pool_id, &idp.id).await?;
        Ok(idp)
    }
}

#[async_trait]
impl TenantsStore for SqlStore {
    async fn tenant_linked_resources(
        &self,
        pool_id: &str,
        resource_ids: &[String],
    ) -> Result<Vec<String>> {
        if resource_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(resource_ids);
        sql.text = format!(
            "SELECT DISTINCT resource_id FROM tenant_resources \
             WHERE pool_id = $1 AND resource_id IN ({list})"
        );
        sql.query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "resource_id"))
            .collect()
    }

    // --- tenants ----------------------------------------------------------------------

    async fn tenant_invitations(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<TenantInvitation>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let mut filter = "FROM tenant_invitations WHERE pool_id = $1".to_owned();
        if let Some(k) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
            let p = sql.bind(&contains_pattern(k));
            filter.push_str(&format!(" AND LOWER(email) LIKE {p} ESCAPE '\\'"));
        }
        fetch_page(
            &self.pool,
            &mut sql,
            INVITATION_COLUMNS,
            &filter,
            "record_id DESC",
            page,
            invitation,
        )
        .await
    }

    async fn tenant_invitation_by_token(
        &self,
        pool_id: &str,
        token_hash: &str,
    ) -> Result<Option<TenantInvitation>> {
        sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM tenant_invitations \
             WHERE pool_id = $1 AND token_hash = $2"
        ))
        .bind(pool_id)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(invitation)
        .transpose()
    }

    async fn insert_tenant(&self, t: &Tenant) -> Result<()> {
        atomically!(self, tx, { insert_tenant_row(&mut tx, t).await })
    }

    async fn tenant_imports(&self, pool_id: &str, page: Page) -> Result<Paged<TenantImport>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        fetch_page(
            &self.pool,
            &mut sql,
            IMPORT_COLUMNS,
            "FROM tenant_imports WHERE pool_id = $1",
            "import_id DESC",
            page,
            tenant_import,
        )
        .await
    }

    async fn tenant_import(&self, pool_id: &str, import_id: i64) -> Result<Option<TenantImport>> {
        sqlx::query(&format!(
            "SELECT {IMPORT_COLUMNS} FROM tenant_imports WHERE pool_id = $1 AND import_id = $2"
        ))
        .bind(pool_id)
        .bind(import_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(tenant_import)
        .transpose()
    }

    async fn tenant_import_users(
        &self,
        pool_id: &str,
        import_id: i64,
        page: Page,
    ) -> Result<Paged<TenantImportUser>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let id = sql.bind_int(import_id);
        fetch_page(
            &self.pool,
            &mut sql,
            IMPORT_USER_COLUMNS,
            &format!("FROM tenant_import_users WHERE pool_id = $1 AND import_id = {id}"),
            "row_no",
            page,
            import_user,
        )
        .await
    }

    async fn mark_tenant_import_notified(
        &self,
        pool_id: &str,
        import_id: i64,
        row_nos: &[i64],
        channel: NoticeChannel,
        at: i64,
    ) -> Result<()> {
        if row_nos.is_empty() {
            return Ok(());
        }
        // A constant of this module, never caller input.
        let column = match channel {
            NoticeChannel::Email => "email_notified_at",
            NoticeChannel::Sms => "sms_notified_at",
        };
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let at = sql.bind_int(at);
        let id = sql.bind_int(import_id);
        let list: Vec<String> = row_nos.iter().map(|n| sql.bind_int(*n)).collect();
        sql.text = format!(
            "UPDATE tenant_import_users SET {column} = {at} \
             WHERE pool_id = $1 AND import_id = {id} AND row_no IN ({})",
            list.join(", ")
        );
        sql.query()
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn tenant_by_code(&self, pool_id: &str, code: &str) -> Result<Option<Tenant>> {
        sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(tenant)
        .transpose()
    }

    async fn get_tenant(&self, pool_id: &str, id: &str) -> Result<Option<Tenant>> {
        sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(tenant)
        .transpose()
    }

    async fn list_tenants(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Tenant>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let mut filter = "FROM tenants WHERE pool_id = $1".to_owned();
        if let Some(k) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
            let p = sql.bind(&contains_pattern(k));
            filter.push_str(&format!(" AND LOWER(name) LIKE {p} ESCAPE '\\'"));
        }
        fetch_page(
            &self.pool,
            &mut sql,
            TENANT_COLUMNS,
            &filter,
            "created_at, id",
            page,
            tenant,
        )
        .await
    }

    async fn tenants_of_app(&self, pool_id: &str, app_id: &str) -> Result<Vec<Tenant>> {
        // The LIKE narrows the pool's tenants to candidates; the exact test is on the array.
        let pattern = format!("%{}%", serde_json::Value::from(app_id));
        let all = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 AND app_ids LIKE $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(&pattern)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(tenant)
        .collect::<Result<Vec<_>>>()?;
        Ok(all
            .into_iter()
            .filter(|t| t.app_ids.iter().any(|a| a == app_id))
            .collect())
    }

    async fn tenants_of_user(&self, pool_id: &str, user_id: &str) -> Result<Vec<Tenant>> {
        sqlx::query(&format!(
            "SELECT {} FROM tenant_members m JOIN tenants t ON t.id = m.tenant_id \
             WHERE m.user_id = $1 AND m.pool_id = $2 AND t.pool_id = $2 \
             ORDER BY m.created_at, t.id",
            TENANT_COLUMNS
                .split(", ")
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(user_id)
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(tenant)
        .collect()
    }

    // --- members ----------------------------------------------------------------------

    async fn tenant_members(
        &self,
        pool_id: &str,
        tenant_id: &str,
        filter: &MemberFilter,
        page: Page,
    ) -> Result<Paged<TenantMember>> {
        let mut sql = Sql::new(vec![pool_id.to_owned(), tenant_id.to_owned()]);
        let mut from = "FROM tenant_members m".to_owned();
        let mut cond = " WHERE m.tenant_id = $2 AND m.pool_id = $1".to_owned();
        if filter.admins_only {
            cond.push_str(" AND m.is_admin = 1");
        }
        if let Some(k) = filter
            .keyword
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            // Only a keyword needs the users' columns.
            from.push_str(" JOIN users u ON u.id = m.user_id AND u.pool_id = m.pool_id");
            let p = sql.bind(&contains_pattern(k));
            cond.push_str(&user_keyword_match(&p));
        }
        fetch_page(
            &self.pool,
            &mut sql,
            MEMBER_COLUMNS,
            &format!("{from}{cond}"),
            "m.created_at, m.user_id",
            page,
            member,
        )
        .await
    }

    async fn tenant_member(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Option<TenantMember>> {
        sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM tenant_members m \
             WHERE m.pool_id = $1 AND m.tenant_id = $2 AND m.user_id = $3"
        ))
        .bind(pool_id)
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(member)
        .transpose()
    }

    async fn remove_tenant_member(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<()> {
        let n = sqlx::query(
            "DELETE FROM tenant_members WHERE pool_id = $1 AND tenant_id = $2 AND user_id = $3",
        )
        .bind(pool_id)
        .bind(tenant_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::TenantMember));
        }
        Ok(())
    }

    async fn set_tenant_member_flag(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
        which: MemberFlag,
        value: bool,
    ) -> Result<()> {
        let column = match which {
            MemberFlag::Admin => "is_admin",
            MemberFlag::Enabled => "enabled",
        };
        let n = sqlx::query(&format!(
            "UPDATE tenant_members SET {column} = $1 \
             WHERE pool_id = $2 AND tenant_id = $3 AND user_id = $4"
        ))
        .bind(i64::from(value))
        .bind(pool_id)
        .bind(tenant_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::TenantMember));
        }
        Ok(())
    }

    // --- external identity providers --------------------------------------------------

    async fn insert_ext_idp(&self, idp: &ExtIdp) -> Result<()> {
        atomically!(self, tx, {
            // The tenant's row is touched first: it proves the tenant is of this pool before the
            // foreign key would turn a bad id into a storage error, and takes the write lock.
            if let Some(tenant_id) = &idp.tenant_id {
                touch(
                    &mut tx,
                    "tenants",
                    &idp.pool_id,
                    tenant_id,
                    idp.created_at,
                    Error::NotFound(Entity::Tenant),
                )
                .await?;
            }
            sqlx::query(&format!(
                "INSERT INTO ext_idps ({IDP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(&idp.id)
            .bind(&idp.pool_id)
            .bind(&idp.tenant_id)
            .bind(&idp.name)
            .bind(&idp.kind)
            .bind(idp.created_at)
            .bind(idp.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            for c in &idp.connections {
                insert_conn(&mut tx, c).await?;
            }
            Ok(())
        })
    }

    async fn get_ext_idp(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdp>> {
        let row = sqlx::query(&format!(
            "SELECT {IDP_COLUMNS} FROM ext_idps WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(self.with_conns(idp(&r)?).await?)),
        }
    }

    async fn list_ext_idps(&self, pool_id: &str, tenant_id: Option<&str>) -> Result<Vec<ExtIdp>> {
        let by_tenant = format!(
            "SELECT {IDP_COLUMNS} FROM ext_idps WHERE pool_id = $1 AND tenant_id = $2 \
             ORDER BY created_at, id"
        );
        let all = format!(
            "SELECT {IDP_COLUMNS} FROM ext_idps WHERE pool_id = $1 ORDER BY created_at, id"
        );
        let rows = match tenant_id {
            Some(t) => sqlx::query(&by_tenant).bind(pool_id).bind(t),
            None => sqlx::query(&all).bind(pool_id),
        }
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.with_conns(idp(r)?).await?);
        }
        Ok(out)
    }

    async fn rename_ext_idp(&self, pool_id: &str, id: &str, name: &str, at: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE ext_idps SET name = $1, updated_at = $2 WHERE pool_id = $3 AND id = $4",
        )
        .bind(name)
        .bind(at)
        .bind(pool_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::ExtIdp));
        }
        Ok(())
    }

    async fn insert_ext_idp_conn(&self, c: &ExtIdpConn) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "ext_idps",
                &c.pool_id,
                &c.ext_idp_id,
                c.created_at,
                Error::NotFound(Entity::ExtIdp),
            )
            .await?;
            insert_conn(&mut tx, c).await?;
            Ok(())
        })
    }

    async fn get_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdpConn>> {
        sqlx::query(&format!(
            "SELECT {CONN_COLUMNS} FROM ext_idp_conns WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(conn)
        .transpose()
    }

    async fn update_ext_idp_conn(
        &self,
        pool_id: &str,
        conn_id: &str,
        fields: &ExtIdpConnFields,
        at: i64,
    ) -> Result<ExtIdpConn> {
        let mut sets = Vec::new();
        if let Some(v) = &fields.display_name {
            sets.push(("display_name", SetValue::Text(v.clone())));
        }
        if let Some(v) = &fields.fields {
            sets.push(("fields", SetValue::Text(to_json(v)?)));
        }
        if let Some(v) = &fields.user_match_fields {
            sets.push(("user_match_fields", SetValue::Text(to_json(v)?)));
        }
        if let Some(v) = &fields.logo {
            sets.push(("logo", SetValue::OptText(v.clone())));
        }
        targeted_update("ext_idp_conns", sets, at, pool_id, conn_id, CONN_COLUMNS)
            .query()
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(conn)
            .transpose()?
            .ok_or(Error::NotFound(Entity::ExtIdpConn))
    }

    async fn delete_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<()> {
        let n = sqlx::query("DELETE FROM ext_idp_conns WHERE pool_id = $1 AND id = $2")
            .bind(pool_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::ExtIdpConn));
        }
        Ok(())
    }

    async fn ext_idp_conn_identifier_taken(&self, pool_id: &str, identifier: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT id FROM ext_idp_conns WHERE pool_id = $1 AND identifier = $2")
                .bind(pool_id)
                .bind(identifier)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .is_some(),
        )
    }

    async fn ext_idp_conn_by_identifier(
        &self,
        pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ExtIdpConn>> {
        sqlx::query(&format!(
            "SELECT {CONN_COLUMNS} FROM ext_idp_conns WHERE pool_id = $1 AND identifier = $2"
        ))
        .bind(pool_id)
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(conn)
        .transpose()
    }

    async fn ext_idp_conns_of_kind(&self, pool_id: &str, kind: &str) -> Result<Vec<ExtIdpConn>> {
        sqlx::query(&format!(
            "SELECT {CONN_COLUMNS} FROM ext_idp_conns WHERE pool_id = $1 AND type = $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(kind)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(conn)
        .collect()
    }

    async fn set_ext_idp_conn_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE ext_idp_conns SET enabled = $1, updated_at = $2 WHERE pool_id = $3 AND id = $4",
        )
        .bind(i64::from(enabled))
        .bind(at)
        .bind(pool_id)
        .bind(conn_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Entity::ExtIdpConn));
        }
        Ok(())
    }

    async fn set_ext_idp_conn_apps_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        app_ids: &[String],
        enabled: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "ext_idp_conns",
                pool_id,
                conn_id,
                at,
                Error::NotFound(Entity::ExtIdpConn),
            )
            .await?;
            if enabled {
                sqlx::query("UPDATE ext_idp_conns SET enabled = 1 WHERE pool_id = $1 AND id = $2")
                    .bind(pool_id)
                    .bind(conn_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            for app_id in app_ids {
                sqlx::query(
                    "INSERT INTO ext_idp_conn_apps (pool_id, conn_id, app_id, enabled, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (pool_id, conn_id, app_id) DO UPDATE SET enabled = $4, updated_at = $5",
                )
                .bind(pool_id)
                .bind(conn_id)
                .bind(app_id)
                .bind(i64::from(enabled))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn ext_idp_conn_app_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        app_id: &str,
    ) -> Result<Option<bool>> {
        let row = sqlx::query(
            "SELECT enabled FROM ext_idp_conn_apps \
             WHERE pool_id = $1 AND conn_id = $2 AND app_id = $3",
        )
        .bind(pool_id)
        .bind(conn_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(|r| flag(r, "enabled")).transpose()
    }

    async fn ext_idp_conn_app_states(
        &self,
        pool_id: &str,
        app_id: &str,
    ) -> Result<Vec<(String, bool)>> {
        let rows = sqlx::query(
            "SELECT conn_id, enabled FROM ext_idp_conn_apps WHERE pool_id = $1 AND app_id = $2",
        )
        .bind(pool_id)
        .bind(app_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((col(r, "conn_id")?, flag(r, "enabled")?)))
            .collect()
    }

    async fn set_ext_idp_conns_enabled(
        &self,
        pool_id: &str,
        ext_idp_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()> {
        atomically!(self, tx, {
            touch(
                &mut tx,
                "ext_idps",
                pool_id,
                ext_idp_id,
                at,
                Error::NotFound(Entity::ExtIdp),
            )
            .await?;
            sqlx::query(
                "UPDATE ext_idp_conns SET enabled = $1, updated_at = $2 \
                 WHERE pool_id = $3 AND ext_idp_id = $4",
            )
            .bind(i64::from(enabled))
            .bind(at)
            .bind(pool_id)
            .bind(ext_idp_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }
}

#[async_trait]
impl TenantsTx for SqlWriteTx {
    async fn insert_tenant_in_unit(&mut self, t: &Tenant) -> Result<()> {
        insert_tenant_row(&mut self.tx, t).await
    }

    async fn last_tenant_import_id(&mut self, pool_id: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(import_id), 0) AS n FROM tenant_imports WHERE pool_id = $1",
        )
        .bind(pool_id)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db_err)?;
        col(&row, "n")
    }

    async fn insert_tenant_import(
        &mut self,
        import: &TenantImport,
        users: &[TenantImportUser],
    ) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO tenant_imports ({IMPORT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&import.pool_id)
        .bind(import.import_id)
        .bind(&import.file_name)
        .bind(import.tenant_count)
        .bind(import.member_count)
        .bind(import.created_user_count)
        .bind(import.created_at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let sql = format!(
            "INSERT INTO tenant_import_users ({IMPORT_USER_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        );
        for u in users {
            sqlx::query(&sql)
                .bind(&u.pool_id)
                .bind(u.import_id)
                .bind(u.row_no)
                .bind(&u.user_id)
                .bind(&u.tenant_id)
                .bind(i64::from(u.is_admin))
                .bind(u.email_notified_at)
                .bind(u.sms_notified_at)
                .execute(&mut *self.tx)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    async fn set_tenant_resource(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        resource_id: &str,
        linked: bool,
        at: i64,
    ) -> Result<()> {
        if !linked {
            sqlx::query(
                "DELETE FROM tenant_resources \
                 WHERE pool_id = $1 AND tenant_id = $2 AND resource_id = $3",
            )
            .bind(pool_id)
            .bind(tenant_id)
            .bind(resource_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
            return Ok(());
        }
        // The resource row supplies itself, so only a resource of the pool is linked.
        sqlx::query(
            "INSERT INTO tenant_resources (tenant_id, resource_id, pool_id, created_at) \
             SELECT $1, r.id, r.pool_id, $4 FROM resources r WHERE r.pool_id = $2 AND r.id = $3 \
             ON CONFLICT (tenant_id, resource_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(pool_id)
        .bind(resource_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let there = sqlx::query(
            "SELECT 1 AS one FROM tenant_resources WHERE tenant_id = $1 AND resource_id = $2",
        )
        .bind(tenant_id)
        .bind(resource_id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?;
        if there.is_none() {
            return Err(Error::NotFound(Entity::Resource));
        }
        Ok(())
    }

    async fn last_invitation_record_id(&mut self, pool_id: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(record_id), 0) AS n FROM tenant_invitations WHERE pool_id = $1",
        )
        .bind(pool_id)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db_err)?;
        col(&row, "n")
    }

    async fn insert_tenant_invitation(&mut self, inv: &TenantInvitation) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO tenant_invitations ({INVITATION_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&inv.pool_id)
        .bind(inv.record_id)
        .bind(&inv.tenant_id)
        .bind(&inv.app_id)
        .bind(&inv.email)
        .bind(&inv.token_hash)
        .bind(inv.expires_at)
        .bind(inv.created_at)
        .bind(inv.accepted_at)
        .bind(&inv.accepted_by)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn accept_tenant_invitation(
        &mut self,
        pool_id: &str,
        token_hash: &str,
        user_id: &str,
        at: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE tenant_invitations SET accepted_at = $4, accepted_by = $3 \
             WHERE pool_id = $1 AND token_hash = $2 AND accepted_at IS NULL AND expires_at > $4",
        )
        .bind(pool_id)
        .bind(token_hash)
        .bind(user_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn tenant(&mut self, pool_id: &str, id: &str) -> Result<Option<Tenant>> {
        self.by_id("tenants", TENANT_COLUMNS, pool_id, id, tenant)
            .await
    }

    async fn update_tenant_fields(
        &mut self,
        pool_id: &str,
        id: &str,
        fields: &TenantFields,
        at: i64,
    ) -> Result<Tenant> {
        let mut sets = Vec::new();
        if let Some(v) = &fields.name {
            sets.push(("name", SetValue::Text(v.clone())));
        }
        if let Some(v) = &fields.description {
            sets.push(("description", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.logo {
            sets.push(("logo", SetValue::OptText(v.clone())));
        }
        if let Some(v) = &fields.app_ids {
            check_apps(&mut self.tx, pool_id, v).await?;
            sets.push(("app_ids", SetValue::Text(to_json(v)?)));
        }
        if let Some(v) = &fields.config {
            sets.push(("config", SetValue::Text(to_json(v)?)));
        }
        targeted_update("tenants", sets, at, pool_id, id, TENANT_COLUMNS)
            .query()
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(tenant)
            .transpose()?
            .ok_or(Error::NotFound(Entity::Tenant))
    }

    async fn tenants_using_app(&mut self, pool_id: &str, app_id: &str) -> Result<Vec<Tenant>> {
        // The LIKE narrows the pool's tenants to candidates; the exact test is on the array.
        let pattern = format!("%{}%", serde_json::Value::from(app_id));
        Ok(sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE pool_id = $1 AND app_ids LIKE $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(&pattern)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(tenant)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|t| t.app_ids.iter().any(|a| a == app_id))
        .collect())
    }

    async fn delete_tenant_rows(
        &mut self,
        pool_id: &str,
        id: &str,
        rows: TenantRows,
    ) -> Result<()> {
        let sql = match rows {
            TenantRows::ExtIdpConns => {
                "DELETE FROM ext_idp_conns WHERE pool_id = $1 AND ext_idp_id IN \
                 (SELECT id FROM ext_idps WHERE pool_id = $1 AND tenant_id = $2)"
            }
            TenantRows::ExtIdps => "DELETE FROM ext_idps WHERE pool_id = $1 AND tenant_id = $2",
            TenantRows::Members => {
                "DELETE FROM tenant_members WHERE pool_id = $1 AND tenant_id = $2"
            }
        };
        sqlx::query(sql)
            .bind(pool_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn add_tenant_member(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenant_members (tenant_id, user_id, pool_id, is_admin, enabled, \
             created_at) VALUES ($1, $2, $3, 0, 1, $4) \
             ON CONFLICT (tenant_id, user_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(pool_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn remove_tenant_member(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<bool> {
        let n = sqlx::query(
            "DELETE FROM tenant_members WHERE pool_id = $1 AND tenant_id = $2 AND user_id = $3",
        )
        .bind(pool_id)
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn set_tenant_admin(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE tenant_members SET is_admin = 1 \
             WHERE pool_id = $1 AND tenant_id = $2 AND user_id = $3",
        )
        .bind(pool_id)
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_ext_idp_conns_of(&mut self, pool_id: &str, ext_idp_id: &str) -> Result<()> {
        self.delete_in(
            "ext_idp_conns",
            "ext_idp_id",
            pool_id,
            &[ext_idp_id.to_owned()],
        )
        .await
        .map(drop)
    }

    async fn delete_ext_idp(&mut self, pool_id: &str, id: &str) -> Result<bool> {
        Ok(self
            .delete_in("ext_idps", "id", pool_id, &[id.to_owned()])
            .await?
            > 0)
    }

    async fn detach_orgs(&mut self, pool_id: &str, tenant_id: &str) -> Result<()> {
        sqlx::query("UPDATE orgs SET tenant_id = NULL WHERE pool_id = $1 AND tenant_id = $2")
            .bind(pool_id)
            .bind(tenant_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_tenant(&mut self, pool_id: &str, id: &str) -> Result<()> {
        self.delete_in("tenants", "id", pool_id, &[id.to_owned()])
            .await
            .map(drop)
    }
}
