//! The administrator's user operations (`mc.users`): create with import options, update any
//! field, list and search a whole pool page by page, batch lookups, delete, archive, end
//! sessions, the login history and linked identities.

use serde_json::{Map, Value};

use super::audit::AuditEntry;
use super::paging::{Page, Paged};
use super::udf::UdfTarget;
use super::users::{CreatedBy, LoginId, NewUser};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::provisioning::{SyncKind, SyncRelation};
use crate::model::{ExternalIdentity, User, UserPool, UserStatus};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::users::{LoginEvent, LoginEventQuery, UserKey, UserQuery};
use crate::store::UserLookup;

/// At most this many users in one batch lookup, as Authing ([`Error::TooManyUsers`]).
pub const MAX_BATCH: usize = 80;

/// How an administrator's new user is created beyond the profile.
#[derive(Debug, Clone, Default)]
pub struct AdminCreate {
    /// `keepPassword`: the given password is an imported hash, stored as is.
    pub keep_password: bool,
    /// Facts carried over from another system by an import.
    pub blocked: bool,
    pub unionid: Option<String>,
    pub openid: Option<String>,
    pub logins_count: Option<i64>,
    pub last_login: Option<i64>,
    pub last_ip: Option<String>,
    pub signed_up: Option<i64>,
    pub device: Option<String>,
    pub browser: Option<String>,
    /// An identity at an external provider to link in the same transaction.
    pub identity: Option<NewIdentity>,
    /// Created as a public (shared) account (`createPublicAccount`).
    pub public_account: bool,
    /// Custom-field values of the new user, checked against the pool's definitions before
    /// anything is written and stored in the user's own unit of work.
    pub custom_data: Vec<(String, Value)>,
    /// Departments (organization nodes) the user joins in the same unit of work; the first
    /// becomes its main department. An unknown one refuses the creation.
    pub departments: Vec<String>,
    /// A tenant the user joins as a member in the same unit of work (`createTenantUser`).
    pub tenant_id: Option<String>,
    /// A link to the upstream directory that provisions the user, recorded in the same
    /// unit of work (`service::provisioning`).
    pub sync_relation: Option<NewSyncRelation>,
}

/// The sync relation a provisioned user is created with. Without an `external_id` the
/// user's own id is recorded, so every provisioned user has a relation to look it up by.
#[derive(Debug, Clone, Default)]
pub struct NewSyncRelation {
    pub provider: String,
    pub external_id: Option<String>,
}

/// A link to an external identity, as `createUser(identity)` and `linkIdentity` give it.
#[derive(Debug, Clone, Default)]
pub struct NewIdentity {
    pub provider: String,
    pub user_id_in_idp: String,
    pub openid: Option<String>,
    pub is_social: bool,
    pub connection_id: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
}

impl NewIdentity {
    fn validate(&self) -> Result<()> {
        identifiers::text("provider", &self.provider)?;
        identifiers::text("userIdInIdp", &self.user_id_in_idp)?;
        if self.provider.is_empty() {
            return Err(Error::MissingParameter("provider"));
        }
        if self.user_id_in_idp.is_empty() {
            return Err(Error::MissingParameter("userIdInIdp"));
        }
        Ok(())
    }

    fn into_identity(self, pool_id: &str, user_id: &str) -> ExternalIdentity {
        let now = clock::now_ms();
        ExternalIdentity {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            user_id: user_id.to_owned(),
            provider: self.provider,
            connection_id: self.connection_id,
            user_id_in_idp: self.user_id_in_idp,
            openid: self.openid,
            is_social: self.is_social,
            user_info_in_idp: None,
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Login status of one user, as `checkLoginStatus(userId)` reports it.
#[derive(Debug, Clone)]
pub struct LoginStatus {
    pub is_login: bool,
    pub user: User,
    pub app_id: Option<String>,
}

fn opt_text(key: &'static str, v: &Option<String>) -> Result<()> {
    match v {
        Some(s) => identifiers::text(key, s),
        None => Ok(()),
    }
}

impl Core {
    /// `createUser`: an administrator's user. The pool's password policy does not apply (an
    /// administrator may set any password); uniqueness does, as for everyone. Audited: the
    /// record names the new user's identifiers, never its password.
    pub async fn admin_create_user(
        &self,
        pool: &PoolAdmin,
        new: NewUser,
        opts: AdminCreate,
    ) -> Result<User> {
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::User)
            .opt_param("username", new.username.as_deref())
            .opt_param("email", new.email.as_deref())
            .opt_param("phone", new.phone.as_deref());
        let created = self.insert_admin_user(pool, new, opts).await;
        self.audit(pool, entry, created).await
    }

    async fn insert_admin_user(
        &self,
        pool: &PoolAdmin,
        mut new: NewUser,
        opts: AdminCreate,
    ) -> Result<User> {
        if opts.keep_password {
            new.password_hash = new.password.take();
        }
        for (k, v) in [
            ("unionid", &opts.unionid),
            ("openid", &opts.openid),
            ("lastIP", &opts.last_ip),
            ("device", &opts.device),
            ("browser", &opts.browser),
        ] {
            opt_text(k, v)?;
        }
        if let Some(i) = &opts.identity {
            i.validate()?;
        }
        if opts.departments.len() > MAX_BATCH {
            return Err(Error::InvalidParameter("departmentIds"));
        }
        // Checked before the password is hashed: a wrong value costs no hash.
        let custom = self
            .validate_udf_values(&pool.id, UdfTarget::User, &opts.custom_data)
            .await?;
        let mut user = self.build_user(pool, new, CreatedBy::Admin).await?;
        user.blocked = opts.blocked;
        user.public_account = opts.public_account;
        user.unionid = opts.unionid;
        user.openid = opts.openid;
        user.login.logins_count = opts.logins_count.unwrap_or(0).max(0);
        user.login.last_login = opts.last_login;
        user.login.last_ip = opts.last_ip;
        user.login.device = opts.device;
        user.login.browser = opts.browser;
        if let Some(t) = opts.signed_up {
            user.signed_up = t;
        }
        let identity = opts.identity.map(|i| i.into_identity(&pool.id, &user.id));
        if custom.is_empty()
            && opts.departments.is_empty()
            && opts.tenant_id.is_none()
            && opts.sync_relation.is_none()
        {
            self.store
                .insert_user_with_identity(&user, identity.as_ref())
                .await?;
            return Ok(user);
        }
        // The user and everything that comes with it are one unit of work: a department or
        // tenant that went away since the request was read refuses the whole creation.
        let (pool_id, departments, tenant_id, at) = (
            pool.id.clone(),
            opts.departments,
            opts.tenant_id,
            clock::now_ms(),
        );
        let relation = opts.sync_relation.map(|r| SyncRelation {
            pool_id: pool_id.clone(),
            kind: SyncKind::User,
            provider: r.provider,
            external_id: r.external_id.unwrap_or_else(|| user.id.clone()),
            target_id: user.id.clone(),
            created_at: at,
        });
        let rows: Vec<(String, String, String)> = custom
            .into_iter()
            .map(|(key, value)| (user.id.clone(), key, value))
            .collect();
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                tx.insert_user_in_unit(&user, identity.as_slice()).await?;
                if !rows.is_empty() {
                    tx.put_custom_data(&pool_id, UdfTarget::User.as_str(), &rows, at)
                        .await?;
                }
                let me = std::slice::from_ref(&user.id);
                for (i, node_id) in departments.iter().enumerate() {
                    super::membership::add_node_members(tx, &pool_id, node_id, me, i == 0, at)
                        .await?;
                }
                if let Some(tenant_id) = &tenant_id {
                    if tx.tenant(&pool_id, tenant_id).await?.is_none() {
                        return Err(Error::NotFound(Entity::Tenant));
                    }
                    tx.add_tenant_member(&pool_id, tenant_id, &user.id, at)
                        .await?;
                }
                if let Some(r) = &relation {
                    super::provisioning::link(tx, r).await?;
                }
                Ok(user)
            })
        })
        .await
    }

    /// `updateUser` by an administrator: any profile field, the unique identifiers, the
    /// verification and block flags, a new password (no strength rule) and `tokenExpiredAt`
    /// (a past instant ends every session). Audited as a block (`disable`), an unblock
    /// (`enable`) or an update, with the names of the fields given (`password` for a reset).
    pub async fn admin_update_user(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        changes: &Map<String, Value>,
        password: Option<String>,
    ) -> Result<User> {
        let operation = match changes.get("blocked") {
            Some(Value::Bool(true)) => OperationType::Disable,
            Some(Value::Bool(false)) => OperationType::Enable,
            _ => OperationType::Update,
        };
        let fields = changes.keys().map(String::as_str);
        let entry = AuditEntry::new(operation, ResourceKind::User)
            .target(user_id)
            .fields(fields.chain(password.is_some().then_some("password")));
        let updated = self
            .update_user_as_admin(pool, user_id, changes, password)
            .await;
        self.audit(pool, entry, updated).await
    }

    async fn update_user_as_admin(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        changes: &Map<String, Value>,
        password: Option<String>,
    ) -> Result<User> {
        // Validate everything before the first write.
        let expire_sessions = match changes.get("tokenExpiredAt") {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => {
                let at =
                    clock::parse_iso8601(s).ok_or(Error::InvalidParameter("tokenExpiredAt"))?;
                at <= clock::now_ms()
            }
            Some(_) => return Err(Error::InvalidParameter("tokenExpiredAt")),
        };
        let hash = match password {
            Some(pw)
                if pw.is_empty()
                    || pw.len() > crate::rules::password_strength::MAX_PASSWORD_LEN =>
            {
                return Err(Error::InvalidParameter("password"))
            }
            Some(pw) => Some(self.hash_password(pw).await?),
            None => None,
        };
        let before = self.user_by_id(&pool.id, user_id).await?;
        let mut user = before.clone();
        apply_admin_fields(pool, &mut user, changes)?;
        if let Some(h) = hash {
            user.password_hash = Some(h);
            user.reset_password_on_next_login = false;
        }
        if expire_sessions {
            user.tokens_valid_after = clock::now_ms();
        }
        let new_password = user.password_hash != before.password_hash;
        // The profile part is the same rule set a user's own update follows.
        let user = self
            .update_profile_of(&before, user, changes, CreatedBy::Admin)
            .await?;
        // Unblocking (`blocked: false`) or a new password also ends a lock the login guard
        // put on the account, and forgives its failures.
        if new_password || changes.get("blocked") == Some(&Value::Bool(false)) {
            self.forgive_login_failures(pool, &user).await?;
        }
        Ok(user)
    }

    /// One page of the pool's users (or archived users), newest first.
    pub async fn query_users(
        &self,
        pool: &PoolAdmin,
        q: &UserQuery,
        page: Page,
    ) -> Result<Paged<User>> {
        self.store.query_users(&pool.id, q, page).await
    }

    /// The users named by one unique field, at most [`MAX_BATCH`] at a time.
    pub async fn users_by_key(
        &self,
        pool: &PoolAdmin,
        key: UserKey,
        values: &[String],
    ) -> Result<Vec<User>> {
        if values.len() > MAX_BATCH {
            return Err(Error::TooManyUsers);
        }
        let values: Vec<String> = match key {
            UserKey::Email => values.iter().map(|v| identifiers::email_key(v)).collect(),
            _ => values.to_vec(),
        };
        self.store.users_by_key(&pool.id, key, &values).await
    }

    /// `findUser`: by one of id, username, email, phone or external id. A value that
    /// cannot be such an identifier finds nobody.
    pub async fn find_user_by(
        &self,
        pool: &PoolAdmin,
        key: UserKey,
        value: &str,
    ) -> Result<Option<User>> {
        let login_id = match key {
            UserKey::Id => return self.store.find_user(&pool.id, UserLookup::Id(value)).await,
            UserKey::ExternalId => {
                return self
                    .store
                    .find_user(&pool.id, UserLookup::ExternalId(value))
                    .await
            }
            UserKey::Username => LoginId::Username(value.to_owned()),
            UserKey::Email => LoginId::Email(value.to_owned()),
            UserKey::Phone => LoginId::Phone {
                number: value.to_owned(),
                country_code: None,
            },
        };
        match self.find_login_user(pool, &login_id).await {
            Err(Error::InvalidEmail | Error::InvalidPhone | Error::InvalidParameter(_)) => Ok(None),
            other => other,
        }
    }

    /// Deletes users with all their assignments; every id must be a user of the pool.
    pub async fn delete_users(&self, pool: &PoolAdmin, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::MissingParameter("ids"));
        }
        let entry = AuditEntry::new(OperationType::Delete, ResourceKind::User).targets(ids);
        let (pool_id, ids) = (pool.id.clone(), ids.to_vec());
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move { super::cascade::delete_users(tx, &pool_id, &ids).await })
        })
        .await
    }

    /// `resignUser`: archives users (they can no longer log in; their sessions end) and
    /// keeps their data for `archivedUsers`.
    pub async fn archive_users(&self, pool: &PoolAdmin, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        self.store
            // An archived user can no longer log in, so the sessions they have end too.
            .set_archived(&pool.id, ids, true, true, clock::now_ms())
            .await
    }

    /// `kick` / admin logout: every token these users hold stops working now.
    pub async fn end_user_sessions(&self, pool: &PoolAdmin, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        self.store
            .end_sessions(&pool.id, ids, clock::now_ms())
            .await
    }

    /// Whether the user holds a live login (of one application, if given): a login since
    /// the last "log out everywhere" that is younger than the token lifetime.
    pub async fn user_login_status(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        app_id: Option<&str>,
    ) -> Result<LoginStatus> {
        let user = self.user_by_id(&pool.id, user_id).await?;
        let is_login = self.login_is_live(pool, &user, app_id).await?;
        Ok(LoginStatus {
            is_login,
            user,
            app_id: app_id.map(str::to_owned),
        })
    }

    /// Whether the user's last login (to one application, if given) is still live: made
    /// since the last "log out everywhere", younger than the token lifetime, the user
    /// neither blocked nor deleted. The administrator's and the user's own views share it.
    pub(crate) async fn login_is_live(
        &self,
        pool: &UserPool,
        user: &User,
        app_id: Option<&str>,
    ) -> Result<bool> {
        let q = LoginEventQuery {
            user_ids: vec![user.id.clone()],
            app_ids: app_id.map(|a| vec![a.to_owned()]).unwrap_or_default(),
            ..LoginEventQuery::default()
        };
        let last = self
            .store
            .login_events(&pool.id, &q, Page { page: 1, limit: 1 })
            .await?;
        let now = clock::now_ms();
        let lifetime_ms = pool.settings.token_expires_after.max(1) * 1000;
        Ok(last.list.first().is_some_and(|e| {
            e.at > user.tokens_valid_after && e.at + lifetime_ms > now && !user.blocked
        }) && !user.is_deleted)
    }

    pub async fn login_events(
        &self,
        pool: &PoolAdmin,
        q: &LoginEventQuery,
        page: Page,
    ) -> Result<Paged<LoginEvent>> {
        self.store.login_events(&pool.id, q, page).await
    }

    pub async fn app_login_user_count(&self, pool: &PoolAdmin, app_id: &str) -> Result<i64> {
        self.app(app_id)
            .await
            .ok()
            .filter(|a| a.pool_id == pool.id)
            .ok_or(Error::AppNotFound)?;
        self.store.app_login_user_count(&pool.id, app_id).await
    }

    pub async fn udf_user_count(&self, pool: &PoolAdmin, key: &str) -> Result<i64> {
        self.store.udf_user_count(&pool.id, key).await
    }

    /// Links a user to an external identity; the identity must not belong to anyone yet.
    pub async fn link_identity(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        identity: NewIdentity,
    ) -> Result<()> {
        identity.validate()?;
        let user = self.user_by_id(&pool.id, user_id).await?;
        self.store
            .insert_identity(&identity.into_identity(&pool.id, &user.id))
            .await
    }

    /// The user's links to external identity providers.
    pub async fn identities(&self, pool_id: &str, user_id: &str) -> Result<Vec<ExternalIdentity>> {
        self.store.list_identities(pool_id, user_id).await
    }

    /// The user linked to `user_id_in_idp` at `provider`, if any.
    pub async fn user_by_identity(
        &self,
        pool: &UserPool,
        provider: &str,
        user_id_in_idp: &str,
    ) -> Result<Option<User>> {
        self.store
            .find_user_by_identity(&pool.id, provider, user_id_in_idp)
            .await
    }

    /// Removes a user's link to an external identity; an absent link is "not found".
    pub async fn unlink_identity(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        provider: &str,
        user_id_in_idp: &str,
    ) -> Result<()> {
        let user = self.user_by_id(&pool.id, user_id).await?;
        if self
            .store
            .delete_identity(&pool.id, &user.id, provider, user_id_in_idp)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::ExternalIdentity))
        }
    }
}

/// The fields only an administrator may change: unique identifiers (normalised, uniqueness
/// left to the store), verification and block flags, ids from social providers.
fn apply_admin_fields(pool: &UserPool, user: &mut User, c: &Map<String, Value>) -> Result<()> {
    let text = |key: &'static str| -> Result<Option<Option<String>>> {
        match c.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(Error::InvalidParameter(key)),
        }
    };
    let flag = |key: &'static str| -> Result<Option<bool>> {
        match c.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Error::InvalidParameter(key)),
        }
    };
    if let Some(e) = text("email")? {
        let new = e
            .as_deref()
            .map(identifiers::email)
            .transpose()?
            .map(|(e, _)| e);
        if new != user.email {
            user.email = new;
            user.email_verified = false;
        }
    }
    if let Some(p) = text("phone")? {
        match p {
            Some(p) => {
                let cc = text("phoneCountryCode")?.flatten();
                let (cc, n) = identifiers::phone(
                    &p,
                    cc.as_deref().or(user.phone_country_code.as_deref()),
                    &pool.settings.default_phone_country_code,
                )?;
                if Some(&n) != user.phone.as_ref() || Some(&cc) != user.phone_country_code.as_ref()
                {
                    user.phone_verified = false;
                }
                user.phone = Some(n);
                user.phone_country_code = Some(cc);
            }
            None => {
                user.phone = None;
                user.phone_country_code = None;
                user.phone_verified = false;
            }
        }
    }
    if let Some(b) = flag("emailVerified")? {
        user.email_verified = b;
    }
    if let Some(b) = flag("phoneVerified")? {
        user.phone_verified = b;
    }
    if let Some(b) = flag("blocked")? {
        user.blocked = b;
    }
    // The legacy soft delete (`isDeleted`) is what archiving does ([`Core::archive_users`]):
    // the user can no longer log in, its sessions end, its data stays for `archivedUsers`.
    if let Some(b) = flag("isDeleted")? {
        if b != user.is_deleted {
            user.is_deleted = b;
            user.status = if b {
                UserStatus::Resigned
            } else {
                UserStatus::Activated
            };
            if b {
                user.tokens_valid_after = clock::now_ms();
            }
        }
    }
    for (key, slot) in [
        ("unionid", &mut user.unionid),
        ("openid", &mut user.openid),
        ("externalId", &mut user.external_id),
    ] {
        if let Some(v) = text(key)? {
            if let Some(s) = &v {
                identifiers::text(key, s)?;
            }
            *slot = v;
        }
    }
    match c.get("registerSource") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            user.register_source = items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or(Error::InvalidParameter("registerSource"))
                })
                .collect::<Result<_>>()?;
        }
        Some(_) => return Err(Error::InvalidParameter("registerSource")),
    }
    // A user a social login registered (a WeChat mini-program's) logs in by its linked
    // identity, recorded in `openid`/`unionid`: it needs no identifier of its own.
    if user.username.is_none()
        && user.email.is_none()
        && user.phone.is_none()
        && user.external_id.is_none()
        && user.openid.is_none()
        && user.unionid.is_none()
        && text("username")?.flatten().is_none()
    {
        return Err(Error::OnlyLoginMethod);
    }
    Ok(())
}

impl Core {
    /// The nodes and all their descendants (each once), for "include child departments".
    pub async fn node_descendants(
        &self,
        pool: &PoolAdmin,
        node_ids: &[String],
    ) -> Result<Vec<String>> {
        let pool_id = pool.pool_id();
        let mut all: Vec<String> = node_ids.to_vec();
        let mut frontier = node_ids.to_vec();
        // An org tree is acyclic; the bound only guards against a corrupt one.
        for _ in 0..64 {
            if frontier.is_empty() {
                break;
            }
            let children = self.store.node_children(pool_id, &frontier).await?;
            frontier = children
                .into_iter()
                .map(|(_, child)| child)
                .filter(|c| !all.contains(c))
                .collect();
            all.extend(frontier.iter().cloned());
        }
        Ok(all)
    }
}
