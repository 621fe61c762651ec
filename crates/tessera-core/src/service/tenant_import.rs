//! Tenant import from a spreadsheet (`v3-wire.md` "Tenants": `importTenant`,
//! `importTenantHistory`, `importTenantNotifyUser`, `sendEmailBatch`, `sendSmsBatch`).
//!
//! The façade reads the file (from this server's own uploads only) and hands the core its
//! data rows, one [`ImportRow`] each. Every distinct tenant name becomes a new tenant; each row
//! makes its user a member (or an administrator) of its tenant. A row's user is the pool's
//! user with the row's email or phone, else a new user created with the row's identifiers
//! under the same rules as an administrator's `createUser` (no password: they sign in by code
//! or reset one). Everything — tenants, users, memberships and the import's record — is
//! written in one unit of work under the pool's lock: a bad row refuses the whole file,
//! naming the row, and writes nothing.
//!
//! The record lists the users the import created, one per row, for the administrator to
//! notify by email or SMS through the notifier; each notice is stamped on its row.

use std::collections::HashSet;

use super::audit::AuditEntry;
use super::paging::{Page, Paged};
use super::users::{prepare_user, CreatedBy, NewUser};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, ImportProblem, Result};
use crate::ids;
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::tenant::{NoticeChannel, Tenant, TenantImport, TenantImportUser};
use crate::model::{Profile, User};
use crate::notify::{EmailMessage, SmsMessage, TenantNotice, TENANT_IMPORT_SCENE};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::users::UserKey;
use crate::store::UserLookup;

/// Most data rows one file may hold: one unit of work holds the pool's lock while it writes
/// them all.
pub const MAX_IMPORT_ROWS: usize = 1000;

/// Most users one `sendEmailBatch` / `sendSmsBatch` call notifies.
pub const MAX_NOTICES: usize = 100;

/// Longest tenant name or administrator name, in characters.
const MAX_NAME_CHARS: usize = 128;

/// One data row of the spreadsheet, as the façade read it (`row`: its number in the file,
/// the header being row 1). Empty cells are `None`.
#[derive(Debug, Clone, Default)]
pub struct ImportRow {
    pub row: i64,
    pub tenant_name: String,
    pub tenant_description: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    pub is_admin: bool,
}

/// A user an import created, as `importTenantNotifyUser` lists it.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    pub row: TenantImportUser,
    pub user: User,
    pub tenant: Tenant,
}

/// Whom one notice goes to: a user of the import in one of its tenants, named by the
/// address the notice is sent to (the email for email, the phone for SMS).
#[derive(Debug, Clone, Default)]
pub struct NoticeRecipient {
    pub tenant_id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
}

fn bad_row(row: i64, field: &'static str) -> Error {
    Error::TenantImport(ImportProblem::Row { row, field })
}

/// A short name: present, bounded, no control characters.
fn short_name(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty() && v.chars().count() <= MAX_NAME_CHARS && !v.chars().any(char::is_control))
        .then(|| v.to_owned())
}

/// A row checked: its tenant (an index into the file's tenants), the user it would create,
/// and the identifiers that find an existing one.
struct CheckedRow {
    row: i64,
    tenant: usize,
    email_key: Option<String>,
    phone: Option<(String, String)>,
    new_user: User,
    is_admin: bool,
}

/// The field of a row that `prepare_user` refused.
fn field_of(e: &Error) -> &'static str {
    match e {
        Error::InvalidEmail => "email",
        Error::InvalidPhone => "phone",
        Error::InvalidParameter(f) | Error::MissingParameter(f) => f,
        _ => "row",
    }
}

impl Core {
    /// `importTenant`: creates the file's tenants and members in one unit of work and records
    /// the import; returns the record. `file_name` is the stored upload's name.
    pub async fn import_tenants(
        &self,
        admin: &PoolAdmin,
        file_name: &str,
        rows: Vec<ImportRow>,
    ) -> Result<TenantImport> {
        if rows.is_empty() {
            return Err(Error::TenantImport(ImportProblem::NoRows));
        }
        if rows.len() > MAX_IMPORT_ROWS {
            return Err(Error::TenantImport(ImportProblem::TooManyRows));
        }
        identifiers::text("excelUrl", file_name)?;
        let pool = self.pool(&admin.id).await?;
        let now = clock::now_ms();
        let mut tenants: Vec<Tenant> = Vec::new();
        let mut checked = Vec::with_capacity(rows.len());
        for r in rows {
            let row = r.row;
            let name = short_name(&r.tenant_name).ok_or(bad_row(row, "tenantName"))?;
            let description = r.tenant_description.filter(|d| !d.trim().is_empty());
            if let Some(d) = &description {
                identifiers::text("tenantDescription", d)
                    .map_err(|_| bad_row(row, "tenantDescription"))?;
            }
            let tenant = match tenants.iter().position(|t| t.name == name) {
                Some(i) => i,
                None => {
                    tenants.push(Tenant {
                        id: ids::new_id(),
                        pool_id: pool.id.clone(),
                        name,
                        // As `create_tenant`: 40 random bits, the store's unique index refusing
                        // a collision.
                        code: ids::new_secret(5),
                        description,
                        logo: None,
                        app_ids: Vec::new(),
                        config: serde_json::Map::new(),
                        created_at: now,
                        updated_at: now,
                    });
                    tenants.len() - 1
                }
            };
            let email = match r.email.as_deref() {
                Some(e) => Some(identifiers::email(e).map_err(|_| bad_row(row, "email"))?),
                None => None,
            };
            let phone = match r.phone.as_deref() {
                Some(p) => Some(
                    identifiers::phone(
                        p,
                        r.phone_country_code.as_deref(),
                        &pool.settings.default_phone_country_code,
                    )
                    .map_err(|e| match e {
                        Error::InvalidParameter(f) => bad_row(row, f),
                        _ => bad_row(row, "phone"),
                    })?,
                ),
                None => None,
            };
            // A row names its user by email or phone: that finds an existing user, and a
            // new one can be told of the import.
            if email.is_none() && phone.is_none() {
                return Err(bad_row(row, "email"));
            }
            if let Some(n) = &r.name {
                if short_name(n).is_none() {
                    return Err(bad_row(row, "name"));
                }
            }
            let new = NewUser {
                username: r.username,
                email: email.as_ref().map(|(e, _)| e.clone()),
                phone: phone.as_ref().map(|(_, n)| n.clone()),
                phone_country_code: phone.as_ref().map(|(cc, _)| cc.clone()),
                profile: Profile {
                    name: r.name.map(|n| n.trim().to_owned()),
                    ..Profile::default()
                },
                ..NewUser::default()
            };
            let (new_user, _) = prepare_user(&pool, new, CreatedBy::Admin, now)
                .map_err(|e| bad_row(row, field_of(&e)))?;
            checked.push(CheckedRow {
                row,
                tenant,
                email_key: email.map(|(_, k)| k),
                phone,
                new_user,
                is_admin: r.is_admin,
            });
        }
        let file_name = file_name.to_owned();
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::User)
            .param("tenantImport", &file_name)
            .targets(&tenants.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
        let pool_id = pool.id.clone();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                for t in &tenants {
                    tx.insert_tenant_in_unit(t).await?;
                }
                let mut created: HashSet<String> = HashSet::new();
                let mut members: HashSet<(usize, String)> = HashSet::new();
                let mut recorded = Vec::new();
                for c in checked {
                    let by_email = match &c.email_key {
                        Some(k) => tx.find_user_in_unit(&pool_id, UserLookup::Email(k)).await?,
                        None => None,
                    };
                    let by_phone = match &c.phone {
                        Some((cc, n)) => {
                            let by = UserLookup::Phone {
                                country_code: cc,
                                number: n,
                            };
                            tx.find_user_in_unit(&pool_id, by).await?
                        }
                        None => None,
                    };
                    let (user_id, field) = match (by_email, by_phone) {
                        // The email and the phone name two different users: the row is
                        // ambiguous.
                        (Some(a), Some(b)) if a.id != b.id => return Err(bad_row(c.row, "phone")),
                        (Some(u), _) => (u.id, "email"),
                        (None, Some(u)) => (u.id, "phone"),
                        (None, None) => {
                            tx.insert_user_in_unit(&c.new_user, &[]).await.map_err(
                                |e| match e {
                                    Error::AlreadyExists(f) => bad_row(c.row, unique_field(f)),
                                    other => other,
                                },
                            )?;
                            created.insert(c.new_user.id.clone());
                            let field = if c.email_key.is_some() {
                                "email"
                            } else {
                                "phone"
                            };
                            (c.new_user.id.clone(), field)
                        }
                    };
                    // One user once per tenant: a repeated row is a mistake in the file.
                    if !members.insert((c.tenant, user_id.clone())) {
                        return Err(bad_row(c.row, field));
                    }
                    let tenant_id = &tenants[c.tenant].id;
                    tx.add_tenant_member(&pool_id, tenant_id, &user_id, now)
                        .await?;
                    if c.is_admin {
                        tx.set_tenant_admin(&pool_id, tenant_id, &user_id).await?;
                    }
                    if created.contains(&user_id) {
                        recorded.push(TenantImportUser {
                            pool_id: pool_id.clone(),
                            import_id: 0,
                            row_no: c.row,
                            user_id,
                            tenant_id: tenant_id.clone(),
                            is_admin: c.is_admin,
                            email_notified_at: None,
                            sms_notified_at: None,
                        });
                    }
                }
                let import_id = tx.last_tenant_import_id(&pool_id).await? + 1;
                for r in &mut recorded {
                    r.import_id = import_id;
                }
                let import = TenantImport {
                    pool_id: pool_id.clone(),
                    import_id,
                    file_name,
                    tenant_count: tenants.len() as i64,
                    member_count: members.len() as i64,
                    created_user_count: created.len() as i64,
                    created_at: now,
                };
                tx.insert_tenant_import(&import, &recorded).await?;
                Ok(import)
            })
        })
        .await
    }

    /// `importTenantHistory`: the pool's imports, newest first.
    pub async fn tenant_imports(
        &self,
        admin: &PoolAdmin,
        page: Page,
    ) -> Result<Paged<TenantImport>> {
        self.store.tenant_imports(&admin.id, page).await
    }

    async fn tenant_import_of(&self, admin: &PoolAdmin, import_id: i64) -> Result<TenantImport> {
        self.store
            .tenant_import(&admin.id, import_id)
            .await?
            .ok_or(Error::NotFound(Entity::TenantImport))
    }

    /// The users of an import's rows with their tenants (a row whose user or tenant is gone
    /// went with it).
    async fn import_rows_with_users(
        &self,
        pool_id: &str,
        rows: Vec<TenantImportUser>,
    ) -> Result<Vec<ImportedUser>> {
        let mut ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let users = self.store.users_by_key(pool_id, UserKey::Id, &ids).await?;
        let mut tenants: Vec<Tenant> = Vec::new();
        for r in &rows {
            if !tenants.iter().any(|t| t.id == r.tenant_id) {
                if let Some(t) = self.store.get_tenant(pool_id, &r.tenant_id).await? {
                    tenants.push(t);
                }
            }
        }
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let user = users.iter().find(|u| u.id == row.user_id)?.clone();
                let tenant = tenants.iter().find(|t| t.id == row.tenant_id)?.clone();
                Some(ImportedUser { row, user, tenant })
            })
            .collect())
    }

    /// `importTenantNotifyUser`: one page of the users an import created, in the file's
    /// order; another pool's import is not found.
    pub async fn tenant_import_users(
        &self,
        admin: &PoolAdmin,
        import_id: i64,
        page: Page,
    ) -> Result<Paged<ImportedUser>> {
        self.tenant_import_of(admin, import_id).await?;
        let rows = self
            .store
            .tenant_import_users(&admin.id, import_id, page)
            .await?;
        let list = self.import_rows_with_users(&admin.id, rows.list).await?;
        Ok(Paged {
            total_count: rows.total_count,
            list,
        })
    }

    /// `sendEmailBatch` / `sendSmsBatch`: tells each recipient — a user the import created, in
    /// the tenant its row made them join, named by the address the notice goes to — of their
    /// tenant, then stamps their rows. Every recipient must be one of the import's (else
    /// nothing is sent); the words are the stored ones (tenant, code, account), only the
    /// administrator's name is the caller's. Returns how many notices went.
    pub async fn notify_tenant_import(
        &self,
        admin: &PoolAdmin,
        import_id: i64,
        channel: NoticeChannel,
        admin_name: &str,
        recipients: &[NoticeRecipient],
    ) -> Result<usize> {
        if admin_name.trim().is_empty() {
            return Err(Error::MissingParameter("adminName"));
        }
        let admin_name = short_name(admin_name).ok_or(Error::InvalidParameter("adminName"))?;
        if recipients.is_empty() {
            return Err(Error::MissingParameter("users"));
        }
        if recipients.len() > MAX_NOTICES {
            return Err(Error::InvalidParameter("users"));
        }
        self.tenant_import_of(admin, import_id).await?;
        let pool = self.pool(&admin.id).await?;
        // Every row of the import: at most `MAX_IMPORT_ROWS`, so one page.
        let all = Page {
            page: 1,
            limit: MAX_IMPORT_ROWS as i64,
        };
        let rows = self
            .store
            .tenant_import_users(&pool.id, import_id, all)
            .await?;
        let imported = self.import_rows_with_users(&pool.id, rows.list).await?;
        let mut chosen: Vec<&ImportedUser> = Vec::new();
        for r in recipients {
            let found = match channel {
                NoticeChannel::Email => {
                    let key = r
                        .email
                        .as_deref()
                        .map(identifiers::email)
                        .transpose()
                        .map_err(|_| Error::InvalidParameter("email"))?
                        .ok_or(Error::MissingParameter("email"))?
                        .1;
                    imported.iter().find(|i| {
                        i.tenant.id == r.tenant_id
                            && i.user.email.as_deref().map(identifiers::email_key)
                                == Some(key.clone())
                    })
                }
                NoticeChannel::Sms => {
                    let (cc, number) = identifiers::phone(
                        r.phone.as_deref().ok_or(Error::MissingParameter("phone"))?,
                        r.phone_country_code.as_deref(),
                        &pool.settings.default_phone_country_code,
                    )?;
                    imported.iter().find(|i| {
                        i.tenant.id == r.tenant_id
                            && i.user.phone.as_deref() == Some(number.as_str())
                            && i.user.phone_country_code.as_deref() == Some(cc.as_str())
                    })
                }
            };
            let found = found.ok_or(Error::InvalidParameter("users"))?;
            if !chosen.iter().any(|c| c.row.row_no == found.row.row_no) {
                chosen.push(found);
            }
        }
        let mut sent: Vec<i64> = Vec::with_capacity(chosen.len());
        let mut failure = None;
        for c in &chosen {
            let outcome = self
                .send_import_notice(&pool, channel, &admin_name, c)
                .await;
            match outcome {
                Ok(()) => sent.push(c.row.row_no),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // What went is stamped even when a later notice failed: the list tells the truth.
        self.store
            .mark_tenant_import_notified(&pool.id, import_id, &sent, channel, clock::now_ms())
            .await?;
        match failure {
            Some(e) => Err(e),
            None => Ok(sent.len()),
        }
    }

    async fn send_import_notice(
        &self,
        pool: &crate::model::UserPool,
        channel: NoticeChannel,
        admin_name: &str,
        to: &ImportedUser,
    ) -> Result<()> {
        let u = &to.user;
        let account = match channel {
            NoticeChannel::Email => u.email.clone().unwrap_or_default(),
            NoticeChannel::Sms => u.phone.clone().unwrap_or_default(),
        };
        let user_name = u
            .profile
            .name
            .clone()
            .or_else(|| u.username.clone())
            .unwrap_or_else(|| account.clone());
        let notice = TenantNotice {
            admin_name: admin_name.to_owned(),
            user_name,
            account,
            tenant_name: to.tenant.name.clone(),
            tenant_code: to.tenant.code.clone(),
            is_admin: to.row.is_admin,
            login_url: self.public_url().to_owned(),
        };
        match channel {
            NoticeChannel::Email => {
                self.notifier
                    .send_email(&EmailMessage {
                        pool_id: pool.id.clone(),
                        to: notice.account.clone(),
                        code: String::new(),
                        valid_minutes: 0,
                        scene: TENANT_IMPORT_SCENE.to_owned(),
                        route: super::pool_admin::email_route(pool),
                        custom: None,
                        invitation: None,
                        notice: None,
                        import_notice: Some(notice),
                    })
                    .await
            }
            NoticeChannel::Sms => {
                self.notifier
                    .send_sms(&SmsMessage {
                        pool_id: pool.id.clone(),
                        phone: notice.account.clone(),
                        phone_country_code: u.phone_country_code.clone().unwrap_or_default(),
                        code: String::new(),
                        scene: TENANT_IMPORT_SCENE.to_owned(),
                        webhook_url: super::pool_admin::sms_route(pool),
                        import_notice: Some(notice),
                    })
                    .await
            }
        }
    }
}

/// The row field a taken identifier came from.
fn unique_field(f: crate::error::UniqueField) -> &'static str {
    use crate::error::UniqueField;
    match f {
        UniqueField::Email => "email",
        UniqueField::Username => "username",
        UniqueField::Phone => "phone",
        UniqueField::ExternalId => "row",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_single_line_texts() {
        assert_eq!(short_name("  Acme "), Some("Acme".to_owned()));
        assert_eq!(short_name(" "), None);
        assert_eq!(short_name("a\nb"), None);
        assert_eq!(short_name(&"x".repeat(MAX_NAME_CHARS + 1)), None);
        assert!(short_name(&"é".repeat(MAX_NAME_CHARS)).is_some());
    }

    #[test]
    fn a_refused_user_names_its_field() {
        assert_eq!(field_of(&Error::InvalidEmail), "email");
        assert_eq!(field_of(&Error::InvalidParameter("username")), "username");
        assert_eq!(field_of(&Error::InvalidPhone), "phone");
    }
}
