//! Public (shared) accounts (公共账号 in Authing's console): an account several people use —
//! a front desk, a shared terminal — that personal users bound to it switch their login into.
//!
//! A public account is a user row with [`User::public_account`] set, so every user rule holds
//! for it unchanged: creation and uniqueness (`user_admin`), the login states, sessions and
//! kicks, directory memberships (roles, groups, departments, posts), deletion's cascade. What
//! is its own: the bindings to personal users (`public_account_users`, migration 32), written
//! in units of work that check both ends' kinds under the pool's lock, and the switch, which
//! is a login through [`Core::authenticate`] (`Credential::AccountSwitch`) so a blocked or
//! listed account, or one the application's access policy keeps out, gets no token.
//!
//! Only a personal user switches into a public account. A switch back from a public account
//! into a personal user is refused: the public account's session is shared by everyone who
//! uses it, and letting it become any personal user bound to it would hand every such
//! account to all of them; the personal user signs in again instead.
//!
//! Ordinary user lists keep listing public accounts (they are users, and the pool's user
//! count includes them); `listPublicAccounts` and the `…PublicAccountsOf…` lists are the
//! same queries narrowed to public accounts ([`UserQuery::public_accounts_only`]).

use super::audit::AuditEntry;
use super::login::{AccountSwitch, Credential, LoginOptions};
use super::paging::{Page, Paged, MAX_PAGE_SIZE};
use super::user_admin::AdminCreate;
use super::users::{LoginContext, NewUser};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::directory::TargetType;
use crate::model::post::PostLink;
use crate::model::{Application, User};
use crate::principal::PoolAdmin;
use crate::service::account::Session;
use crate::service::authn::AuthEvent;
use crate::store::public_accounts::BindingSide;
use crate::store::users::{UserKey, UserQuery};
use crate::store::{UserLookup, WriteTx};

/// Most ids one binding call names (the wire's `maxItems`).
pub const MAX_BINDING_BATCH: usize = 50;

/// Checks, under the pool's lock, that every id of `accounts` is a public account and every
/// id of `users` a personal user of the pool. An unknown id (another pool's included) is
/// [`Error::UserNotFound`]; a user of the wrong kind names the parameter it came in.
async fn check_kinds(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    accounts: &[String],
    users: &[String],
    (accounts_param, users_param): (&'static str, &'static str),
) -> Result<()> {
    let mut ids: Vec<String> = accounts.iter().chain(users).cloned().collect();
    ids.sort();
    ids.dedup();
    let kinds = tx.user_kinds(pool_id, &ids).await?;
    let kind = |id: &String| kinds.iter().find(|(k, _)| k == id).map(|(_, p)| *p);
    for a in accounts {
        match kind(a) {
            None => return Err(Error::UserNotFound),
            Some(false) => return Err(Error::InvalidParameter(accounts_param)),
            Some(true) => {}
        }
    }
    for u in users {
        match kind(u) {
            None => return Err(Error::UserNotFound),
            Some(true) => return Err(Error::InvalidParameter(users_param)),
            Some(false) => {}
        }
    }
    Ok(())
}

fn batch(ids: &[String], param: &'static str) -> Result<Vec<String>> {
    if ids.is_empty() || ids.iter().any(|i| i.trim().is_empty()) {
        return Err(Error::MissingParameter(param));
    }
    if ids.len() > MAX_BINDING_BATCH {
        return Err(Error::InvalidParameter(param));
    }
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

impl Core {
    // --- the accounts --------------------------------------------------------------------

    /// `createPublicAccount`: an administrator's user creation (every rule of
    /// [`Core::admin_create_user`]), the user created as a public account.
    pub async fn create_public_account(
        &self,
        admin: &PoolAdmin,
        new: NewUser,
        opts: AdminCreate,
    ) -> Result<User> {
        let opts = AdminCreate {
            public_account: true,
            ..opts
        };
        self.admin_create_user(admin, new, opts).await
    }

    /// `createPublicAccountsBatch`: [`Core::import_users`]' one transaction, every user
    /// created as a public account.
    pub async fn create_public_accounts(
        &self,
        admin: &PoolAdmin,
        news: Vec<NewUser>,
    ) -> Result<Vec<User>> {
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::User)
            .param("kind", "public-account");
        match self.import_users_as(admin.pool(), news, true).await {
            Ok(users) => {
                let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
                self.audit(admin, entry.targets(&ids), Ok(())).await?;
                Ok(users)
            }
            Err(e) => self.audit(admin, entry, Err(e)).await.map(|()| Vec::new()),
        }
    }

    /// The public account with this id; a personal user or another pool's id is
    /// [`Error::UserNotFound`].
    pub async fn public_account(&self, admin: &PoolAdmin, id: &str) -> Result<User> {
        let user = self.user_by_id(admin.pool_id(), id).await?;
        if !user.public_account {
            return Err(Error::UserNotFound);
        }
        Ok(user)
    }

    /// `listPublicAccounts`: the user query narrowed to public accounts.
    pub async fn list_public_accounts(
        &self,
        admin: &PoolAdmin,
        q: &UserQuery,
        page: Page,
    ) -> Result<Paged<User>> {
        let q = UserQuery {
            public_accounts_only: true,
            ..q.clone()
        };
        self.query_users(admin, &q, page).await
    }

    /// `getPublicAccountBatch`: the public accounts among the users these values name.
    pub async fn public_accounts_by_key(
        &self,
        admin: &PoolAdmin,
        key: UserKey,
        values: &[String],
    ) -> Result<Vec<User>> {
        let mut users = self.users_by_key(admin, key, values).await?;
        users.retain(|u| u.public_account);
        Ok(users)
    }

    /// `changeIntoPublicAccount`: a personal user becomes a public account, keeping its
    /// identifiers, password and memberships. A user bound to public accounts as their
    /// personal user is refused (it would be a public account switching into public
    /// accounts); one that already is a public account stays one.
    pub async fn change_into_public_account(&self, admin: &PoolAdmin, user_id: &str) -> Result<()> {
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .target(user_id)
            .param("fields", "publicAccount");
        let (pool_id, id) = (admin.pool_id().to_owned(), user_id.to_owned());
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                let kinds = tx.user_kinds(&pool_id, std::slice::from_ref(&id)).await?;
                match kinds.first() {
                    None => return Err(Error::UserNotFound),
                    Some((_, true)) => return Ok(()),
                    Some((_, false)) => {}
                }
                if tx.count_bindings_of_user(&pool_id, &id).await? > 0 {
                    return Err(Error::InvalidParameter("userId"));
                }
                if !tx
                    .mark_public_account(&pool_id, &id, clock::now_ms())
                    .await?
                {
                    return Err(Error::UserNotFound);
                }
                Ok(())
            })
        })
        .await
    }

    /// `deletePublicAccountsBatch`: every id must be a public account of the pool, then the
    /// user deletion's cascade removes them with what names them (their bindings go through
    /// the schema's foreign keys); all or none.
    pub async fn delete_public_accounts(&self, admin: &PoolAdmin, ids: &[String]) -> Result<()> {
        let ids = batch(ids, "userIds")?;
        let entry = AuditEntry::new(OperationType::Delete, ResourceKind::User).targets(&ids);
        let pool_id = admin.pool_id().to_owned();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                check_kinds(tx, &pool_id, &ids, &[], ("userIds", "userIds")).await?;
                super::cascade::delete_users(tx, &pool_id, &ids).await
            })
        })
        .await
    }

    /// `kickPublicAccounts`: the public account's sessions end (everyone using it is signed
    /// out: sessions are per user, not per application, as `kickUsers`').
    pub async fn kick_public_account(&self, admin: &PoolAdmin, id: &str) -> Result<()> {
        let account = self.public_account(admin, id).await?;
        self.end_user_sessions(admin, &[account.id]).await
    }

    // --- bindings ------------------------------------------------------------------------

    /// Binds personal users to public accounts, `(account id, user id)` pairs, in one unit
    /// of work: every account must be a public account and every user a personal user of
    /// the pool, or nothing is written. A binding already there stays.
    async fn bind_public_accounts(
        &self,
        admin: &PoolAdmin,
        accounts: Vec<String>,
        users: Vec<String>,
        params: (&'static str, &'static str),
    ) -> Result<()> {
        let mut targets = accounts.clone();
        targets.extend(users.iter().cloned());
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .targets(&targets)
            .param("fields", "publicAccountUsers");
        let pool_id = admin.pool_id().to_owned();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                check_kinds(tx, &pool_id, &accounts, &users, params).await?;
                let pairs: Vec<(String, String)> = accounts
                    .iter()
                    .flat_map(|a| users.iter().map(move |u| (a.clone(), u.clone())))
                    .collect();
                tx.insert_public_account_bindings(&pool_id, &pairs, clock::now_ms())
                    .await
            })
        })
        .await
    }

    /// `bindUsersPublicAccount`: these personal users may switch into the public account.
    pub async fn bind_users_to_public_account(
        &self,
        admin: &PoolAdmin,
        account_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        let users = batch(user_ids, "userIds")?;
        let account = batch(&[account_id.to_owned()], "publicAccountId")?;
        self.bind_public_accounts(admin, account, users, ("publicAccountId", "userIds"))
            .await
    }

    /// `setuserOfPublicAccount`: the personal user may switch into these public accounts.
    pub async fn bind_user_to_public_accounts(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
        account_ids: &[String],
    ) -> Result<()> {
        let accounts = batch(account_ids, "publicAccountIds")?;
        let user = batch(&[user_id.to_owned()], "userId")?;
        self.bind_public_accounts(admin, accounts, user, ("publicAccountIds", "userId"))
            .await
    }

    /// `unbindUsersPublicAccount`: the personal user may no longer switch into the public
    /// account. Both must be users of their kind in the pool; a binding that was not there
    /// is no error (the state asked for holds).
    pub async fn unbind_user_from_public_account(
        &self,
        admin: &PoolAdmin,
        account_id: &str,
        user_id: &str,
    ) -> Result<()> {
        let account = batch(&[account_id.to_owned()], "publicAccountId")?;
        let user = batch(&[user_id.to_owned()], "userId")?;
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .target(account_id)
            .target(user_id)
            .param("fields", "publicAccountUsers");
        let pool_id = admin.pool_id().to_owned();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                check_kinds(tx, &pool_id, &account, &user, ("publicAccountId", "userId")).await?;
                tx.delete_public_account_binding(&pool_id, &account[0], &user[0])
                    .await
                    .map(drop)
            })
        })
        .await
    }

    /// `getPublicAccountsOfUser`: the public accounts a personal user is bound to.
    pub async fn public_accounts_of_user(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        let user = self.user_by_id(admin.pool_id(), user_id).await?;
        self.store
            .public_account_bindings(admin.pool_id(), BindingSide::AccountsOfUser, &user.id, page)
            .await
    }

    /// `getUsersOfPublicAccount`: the personal users bound to a public account.
    pub async fn users_of_public_account(
        &self,
        admin: &PoolAdmin,
        account_id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        let account = self.public_account(admin, account_id).await?;
        self.store
            .public_account_bindings(
                admin.pool_id(),
                BindingSide::UsersOfAccount,
                &account.id,
                page,
            )
            .await
    }

    /// `getPublicAccountsOfRole`: the public accounts the role is given to directly.
    pub async fn public_accounts_of_role(
        &self,
        admin: &PoolAdmin,
        role_id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        let role = self.role_by_id(admin, role_id).await?;
        let q = UserQuery {
            roles: vec![(role.namespace, role.code)],
            ..UserQuery::default()
        };
        self.list_public_accounts(admin, &q, page).await
    }

    /// `bindPublicAccountOfRoles`: gives the public account every role, or none if a role
    /// is not the pool's (the store's all-or-nothing assignment); roles it holds stay.
    pub async fn assign_roles_to_public_account(
        &self,
        admin: &PoolAdmin,
        account_id: &str,
        role_ids: &[String],
    ) -> Result<()> {
        let roles = batch(role_ids, "roleIds")?;
        let account = self.public_account(admin, account_id).await?;
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .target(&account.id)
            .param("fields", "roles");
        let assigned = self
            .assign_roles_checked(
                admin.pool_id(),
                roles.to_vec(),
                vec![(TargetType::User, account.id.clone())],
            )
            .await;
        self.audit(admin, entry, assigned).await
    }

    /// `getPublicAccountOfGroups` (`set-public-account-of-groups`, "公共账号添加批量分组"):
    /// adds the public account to every group named, in one unit of work under the pool's
    /// lock — all of them, or none when one id is not a group of the pool or the user is
    /// not a public account. Groups it is already in stay (as
    /// [`Core::assign_roles_to_public_account`] keeps roles).
    pub async fn add_public_account_to_groups(
        &self,
        admin: &PoolAdmin,
        account_id: &str,
        group_ids: &[String],
    ) -> Result<()> {
        let groups = batch(group_ids, "groupIds")?;
        let account = batch(&[account_id.to_owned()], "userId")?;
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .target(account_id)
            .param("fields", "groups");
        let pool_id = admin.pool_id().to_owned();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                check_kinds(tx, &pool_id, &account, &[], ("userId", "userId")).await?;
                let found = tx.existing_group_ids(&pool_id, &groups).await?;
                if groups.iter().any(|g| !found.contains(g)) {
                    return Err(Error::NotFound(Entity::Group));
                }
                let at = clock::now_ms();
                let held = super::sod::held_before(tx, &pool_id, &account).await?;
                for g in &groups {
                    tx.add_group_member(&pool_id, g, &account[0], at).await?;
                }
                super::sod::verify(tx, &pool_id, held).await
            })
        })
        .await
    }

    /// `getPublicAccountsOfPost`: the public accounts holding the post (of the pool).
    pub async fn public_accounts_of_post(
        &self,
        admin: &PoolAdmin,
        post_id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        let post_id = post_id.trim();
        if post_id.is_empty() {
            return Err(Error::MissingParameter("postId"));
        }
        let found = self
            .store
            .posts_by_ids(admin.pool_id(), &[post_id.to_owned()])
            .await?;
        if found.is_empty() {
            return Err(Error::NotFound(Entity::Post));
        }
        let q = UserQuery {
            post_ids: vec![post_id.to_owned()],
            ..UserQuery::default()
        };
        self.list_public_accounts(admin, &q, page).await
    }

    /// `unbindPublicAccountOfPost`: the public account no longer holds the post; its other
    /// posts stay. Both must be the pool's (the account a public account, the post a post);
    /// a link that was not there is no error (the state asked for holds).
    pub async fn unlink_public_account_post(
        &self,
        admin: &PoolAdmin,
        account_id: &str,
        post_id: &str,
    ) -> Result<()> {
        let account = batch(&[account_id.to_owned()], "userId")?;
        let post = batch(&[post_id.to_owned()], "postId")?;
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .target(account_id)
            .param("fields", "posts");
        let pool_id = admin.pool_id().to_owned();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                check_kinds(tx, &pool_id, &account, &[], ("userId", "userId")).await?;
                if tx.existing_post_ids(&pool_id, &post).await?.is_empty() {
                    return Err(Error::NotFound(Entity::Post));
                }
                tx.unlink_post(&pool_id, &post[0], PostLink::User, &account)
                    .await
            })
        })
        .await
    }

    /// `getPublicAccountsOfGroup`: the public accounts among the group's members.
    pub async fn public_accounts_of_group(
        &self,
        admin: &PoolAdmin,
        group_id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        let group = self
            .store
            .get_group(admin.pool_id(), group_id)
            .await?
            .ok_or(Error::NotFound(Entity::Group))?;
        let q = UserQuery {
            group_codes: vec![group.code],
            ..UserQuery::default()
        };
        self.list_public_accounts(admin, &q, page).await
    }

    // --- the switch ----------------------------------------------------------------------

    /// `listPublicAccountsForSwitchLoggedIn`: the public accounts the session's user may
    /// switch into (bound to them, not blocked); none for a public account's own session.
    pub async fn switchable_public_accounts(&self, session: &Session) -> Result<Vec<User>> {
        let user = session.user();
        if user.public_account {
            return Ok(Vec::new());
        }
        let page = Page::new(Some(1), Some(MAX_PAGE_SIZE))?;
        let bound = self
            .store
            .public_account_bindings(&user.pool_id, BindingSide::AccountsOfUser, &user.id, page)
            .await?;
        Ok(bound.list.into_iter().filter(|a| !a.blocked).collect())
    }

    /// `switchLoginByUser`: the session's personal user logs in as a public account bound to
    /// them, through [`Core::authenticate`] with every login rule (the account's states and
    /// risk lists, the application's access policy); recorded as the account's login. The
    /// caller issues the event's tokens in its own profile.
    pub async fn switch_login(
        &self,
        session: &Session,
        app: &Application,
        target_user_id: &str,
        client: LoginContext,
    ) -> Result<AuthEvent> {
        let target = target_user_id.trim();
        if target.is_empty() {
            return Err(Error::MissingParameter("targetUserId"));
        }
        let pool = session.pool();
        if app.pool_id != pool.id {
            return Err(Error::Forbidden);
        }
        let switch = AccountSwitch::of(session.user().id.clone(), target.to_owned());
        self.authenticate(
            pool,
            Some(app),
            Credential::AccountSwitch(switch),
            LoginOptions {
                client,
                ..LoginOptions::default()
            },
        )
        .await
    }

    /// The public account a switch may log in: a public account of the pool bound to the
    /// switching user, who must be a personal user. Anything else is [`Error::Forbidden`],
    /// an unknown target included, so the call does not tell which ids exist.
    pub(crate) async fn switch_target(
        &self,
        pool_id: &str,
        switch: &AccountSwitch,
    ) -> Result<User> {
        let (origin_id, target_id) = switch.ids();
        let origin = self
            .store
            .find_user(pool_id, UserLookup::Id(origin_id))
            .await?
            .ok_or(Error::Forbidden)?;
        if origin.public_account {
            return Err(Error::Forbidden);
        }
        let target = self
            .store
            .find_user(pool_id, UserLookup::Id(target_id))
            .await?
            .filter(|t| t.public_account)
            .ok_or(Error::Forbidden)?;
        if !self
            .store
            .public_account_bound(pool_id, &target.id, &origin.id)
            .await?
        {
            return Err(Error::Forbidden);
        }
        Ok(target)
    }
}
