//! Inbound provisioning (上下游同步): an upstream directory (Okta, Entra ID, Lark…) writes a
//! pool's users and departments through a provisioning connection, and every object it
//! creates or adopts is linked to its upstream id by a sync relation.
//!
//! - A **connection** belongs to a pool, names its `provider` (the name its relations
//!   carry) and optionally an organization whose departments the upstream's groups become.
//!   Its bearer token is 256 random bits shown once; the store keeps its SHA-256 digest and
//!   finds the connection by it, so no stored secret is compared byte by byte.
//! - A **sync relation** is `(pool, kind, provider, external id) → target`, unique both ways:
//!   one upstream object is one user or department and back. Deleting a relation unlinks;
//!   deleting the user or department takes its relations (`cascade.rs`).
//! - The caller is a [`ProvisioningClient`], which only [`Core::provisioning_client`]
//!   builds from a token. It carries a [`PoolAdmin`] of proof
//!   [`AdminProof::Provisioning`], so a provisioned user is created, updated, blocked and
//!   deleted by the very services an administrator uses (uniqueness, hashing, the block
//!   rule every login obeys, the cascade, the audit log), never by a second copy of them.
//!
//! Decisions the SCIM RFCs leave to the service provider:
//! - A user created without an upstream id is linked under its own Tessera id.
//! - Creating a user whose username (ignoring case) is taken is refused as a duplicate: a
//!   client finds the existing user by its username and then writes it, which adopts it —
//!   every write of a user through a connection records the user's relation with that
//!   connection's provider when it has none.
//! - A password sent by the upstream must pass the pool's password policy (an
//!   administrator's own `createUser` is exempt; an upstream directory is not the
//!   administrator), then it is hashed as any other.
//! - Groups need the connection's organization; without one they are refused.

use crate::clock;
use crate::crypto;
use crate::error::{Entity, Error, Result, UniqueField};
use crate::ids;
use crate::model::directory::{Node, NodeView};
use crate::model::directory_admin::NodeChange;
use crate::model::provisioning::{ProvisioningConnection, SyncKind, SyncRelation};
use crate::model::{Profile, User};
use crate::principal::{AdminProof, PoolAdmin, RequestFacts};
use crate::rules::{identifiers, password_strength};
use crate::service::directory::NewNode;
use crate::service::paging::Page;
use crate::service::user_admin::{AdminCreate, NewSyncRelation};
use crate::service::users::NewUser;
use crate::store::UserLookup;
use crate::store::WriteTx;
use crate::Core;

/// Bytes of randomness in a connection's token.
const TOKEN_BYTES: usize = 32;
/// At most this many connections per pool.
pub const MAX_CONNECTIONS: usize = 50;
/// At most this many members read or written for one group.
pub const MAX_GROUP_MEMBERS: usize = 10_000;
/// At most this many users match one `userName` (ignoring case; usernames are unique as
/// written, so a few may differ only in case).
const MAX_CI_MATCHES: i64 = 50;
/// Longest upstream id accepted.
const MAX_EXTERNAL_ID: usize = 256;

/// A provider name: lowercase `[a-z0-9_-]{1,32}`.
pub fn check_provider(p: &str) -> Result<()> {
    let ok = !p.is_empty()
        && p.len() <= 32
        && p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParameter("provider"))
    }
}

fn check_external_id(v: &str) -> Result<()> {
    if v.trim().is_empty() || v.len() > MAX_EXTERNAL_ID || v.chars().any(char::is_control) {
        return Err(Error::InvalidParameter("externalId"));
    }
    Ok(())
}

/// A connection just created, with its token: the only time the token is known.
#[derive(Debug, Clone)]
pub struct CreatedConnection {
    pub connection: ProvisioningConnection,
    pub token: String,
}

/// An upstream directory proved by a connection's token. Only
/// [`Core::provisioning_client`] builds one.
#[derive(Clone)]
pub struct ProvisioningClient {
    admin: PoolAdmin,
    connection: ProvisioningConnection,
}

impl ProvisioningClient {
    pub fn connection(&self) -> &ProvisioningConnection {
        &self.connection
    }

    pub fn pool_id(&self) -> &str {
        self.admin.pool_id()
    }

    pub fn provider(&self) -> &str {
        &self.connection.provider
    }

    /// The same client acting from the request `facts` describe, for the audit log.
    pub fn with_facts(self, facts: RequestFacts) -> ProvisioningClient {
        ProvisioningClient {
            admin: self.admin.with_facts(facts),
            ..self
        }
    }
}

/// The ids only: the pool carries its secret.
impl std::fmt::Debug for ProvisioningClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvisioningClient")
            .field("pool_id", &self.admin.pool_id())
            .field("connection", &self.connection.id)
            .finish()
    }
}

/// A user as an upstream sees it: the user and its id in that upstream, if linked.
#[derive(Debug, Clone)]
pub struct ProvisionedUser {
    pub user: User,
    pub external_id: Option<String>,
}

/// The attributes an upstream sets on a user, whole (a create or a replacement). `None`
/// clears an optional attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAttributes {
    pub username: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The full name as one text (`Profile::name`).
    pub formatted_name: Option<String>,
    /// The name shown (`Profile::nickname`).
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `false` blocks the user: every login on every wire is refused.
    pub active: bool,
    pub external_id: Option<String>,
}

impl UserAttributes {
    /// What the user currently carries, for a partial change to start from.
    pub fn of(p: &ProvisionedUser) -> UserAttributes {
        let u = &p.user;
        UserAttributes {
            username: u.username.clone().unwrap_or_default(),
            given_name: u.profile.given_name.clone(),
            family_name: u.profile.family_name.clone(),
            formatted_name: u.profile.name.clone(),
            display_name: u.profile.nickname.clone(),
            email: u.email.clone(),
            phone: u.phone.clone(),
            active: !u.blocked,
            external_id: p.external_id.clone(),
        }
    }
}

/// Which users a list is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    All,
    /// The username, ignoring case.
    Username(String),
    Email(String),
    /// The user's id in this connection's upstream.
    ExternalId(String),
    Id(String),
}

/// A department as an upstream sees it (a SCIM Group).
#[derive(Debug, Clone)]
pub struct ProvisionedGroup {
    pub node: Node,
    pub external_id: Option<String>,
    /// Member user ids; empty unless asked for.
    pub members: Vec<String>,
}

/// Which groups a list is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupFilter {
    All,
    /// The department's name, ignoring case.
    DisplayName(String),
    ExternalId(String),
    Id(String),
}

/// A change to a group's members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MembersChange {
    #[default]
    Keep,
    /// Exactly these members.
    Set(Vec<String>),
    Edit {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

/// What an upstream changes on a group; `None` keeps.
#[derive(Debug, Clone, Default)]
pub struct GroupChange {
    pub display_name: Option<String>,
    /// `Some(None)` links the group under its own id.
    pub external_id: Option<Option<String>>,
    pub members: MembersChange,
}

/// A page of a list and the number of matches.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub total: i64,
    pub items: Vec<T>,
}

/// Records `r`, refusing an upstream id or a target already linked with its provider.
/// Decided here, under the pool's lock, with the write that needs it.
pub(crate) async fn link(tx: &mut dyn WriteTx, r: &SyncRelation) -> Result<()> {
    check_external_id(&r.external_id)?;
    if tx
        .sync_relation_of_external(&r.pool_id, r.kind, &r.provider, &r.external_id)
        .await?
        .is_some()
        || tx
            .sync_relation_of_target(&r.pool_id, r.kind, &r.provider, &r.target_id)
            .await?
            .is_some()
    {
        return Err(Error::Duplicate(Entity::SyncRelation));
    }
    tx.insert_sync_relation(r).await
}

/// Makes the target's relation with `provider` name `external_id` (its own id when
/// `None`): kept when it already does, replaced otherwise.
async fn relink(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    kind: SyncKind,
    provider: &str,
    target_id: &str,
    external_id: Option<&str>,
    at: i64,
) -> Result<()> {
    let wanted = external_id.unwrap_or(target_id);
    let current = tx
        .sync_relation_of_target(pool_id, kind, provider, target_id)
        .await?;
    if current.as_ref().is_some_and(|r| r.external_id == wanted) {
        return Ok(());
    }
    if current.is_some() {
        tx.delete_sync_relation(pool_id, kind, provider, target_id)
            .await?;
    }
    link(
        tx,
        &SyncRelation {
            pool_id: pool_id.to_owned(),
            kind,
            provider: provider.to_owned(),
            external_id: wanted.to_owned(),
            target_id: target_id.to_owned(),
            created_at: at,
        },
    )
    .await
}

fn opt_text(v: &Option<String>, field: &'static str) -> Result<()> {
    match v {
        Some(s) => identifiers::text(field, s),
        None => Ok(()),
    }
}

impl UserAttributes {
    fn check(&self) -> Result<()> {
        identifiers::username(&self.username)?;
        opt_text(&self.given_name, "givenName")?;
        opt_text(&self.family_name, "familyName")?;
        opt_text(&self.formatted_name, "name")?;
        opt_text(&self.display_name, "nickname")?;
        if let Some(e) = &self.external_id {
            check_external_id(e)?;
        }
        Ok(())
    }
}

impl Core {
    // --- connections (the operator's or an administrator's) --------------------------------

    /// Creates a connection for `provider`, its groups the departments of the organization
    /// whose code is `org_code` when given. The token is returned once.
    pub async fn create_provisioning_connection(
        &self,
        admin: &PoolAdmin,
        provider: &str,
        org_code: Option<&str>,
    ) -> Result<CreatedConnection> {
        check_provider(provider)?;
        let org_id = match org_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => Some(self.org_by_code(admin, code).await?.record.org.id),
            None => None,
        };
        let token = ids::new_url_token(TOKEN_BYTES);
        let digest = crypto::digest(&token);
        let connection = ProvisioningConnection {
            id: ids::new_id(),
            pool_id: admin.pool_id().to_owned(),
            provider: provider.to_owned(),
            org_id,
            created_at: clock::now_ms(),
        };
        let existing = self.store.provisioning_connections(admin.pool_id()).await?;
        if existing.len() >= MAX_CONNECTIONS {
            return Err(Error::InvalidParameter("provider"));
        }
        let c = connection.clone();
        self.pool_write(admin.pool_id(), move |tx| {
            Box::pin(async move { tx.insert_provisioning_connection(&c, &digest).await })
        })
        .await?;
        Ok(CreatedConnection { connection, token })
    }

    pub async fn provisioning_connections(
        &self,
        admin: &PoolAdmin,
    ) -> Result<Vec<ProvisioningConnection>> {
        self.store.provisioning_connections(admin.pool_id()).await
    }

    /// Revokes a connection: its token stops working at once, in every process. Its
    /// relations stay.
    pub async fn revoke_provisioning_connection(&self, admin: &PoolAdmin, id: &str) -> Result<()> {
        let (pool_id, id) = (admin.pool_id().to_owned(), id.trim().to_owned());
        let gone = self
            .pool_write(admin.pool_id(), move |tx| {
                Box::pin(async move { tx.delete_provisioning_connection(&pool_id, &id).await })
            })
            .await?;
        if gone {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::ProvisioningConnection))
        }
    }

    /// The upstream a bearer token proves. An unknown token is [`Error::TokenInvalid`].
    pub async fn provisioning_client(&self, token: &str) -> Result<ProvisioningClient> {
        let token = token.trim();
        if token.is_empty() || token.len() > 256 {
            return Err(Error::TokenInvalid);
        }
        let connection = self
            .store
            .provisioning_connection_by_token(&crypto::digest(token))
            .await?
            .ok_or(Error::TokenInvalid)?;
        let pool = self.pool(&connection.pool_id).await?;
        Ok(ProvisioningClient {
            admin: PoolAdmin::new(pool, AdminProof::Provisioning),
            connection,
        })
    }

    // --- users ---------------------------------------------------------------------------

    async fn with_external_ids(
        &self,
        c: &ProvisioningClient,
        users: Vec<User>,
    ) -> Result<Vec<ProvisionedUser>> {
        let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
        let relations = self
            .store
            .sync_relations_of(c.pool_id(), SyncKind::User, &ids)
            .await?;
        Ok(users
            .into_iter()
            .map(|user| {
                let external_id = relations
                    .iter()
                    .find(|r| r.target_id == user.id && r.provider == c.provider())
                    .map(|r| r.external_id.clone());
                ProvisionedUser { user, external_id }
            })
            .collect())
    }

    /// A user of the connection's pool.
    pub async fn provisioned_user(
        &self,
        c: &ProvisioningClient,
        id: &str,
    ) -> Result<ProvisionedUser> {
        let user = self
            .store
            .find_user(c.pool_id(), UserLookup::Id(id.trim()))
            .await?
            .ok_or(Error::UserNotFound)?;
        self.with_external_ids(c, vec![user])
            .await?
            .pop()
            .ok_or(Error::UserNotFound)
    }

    /// The users of the pool `filter` selects, from the 0-based `offset`, at most `limit`.
    pub async fn provisioned_users(
        &self,
        c: &ProvisioningClient,
        filter: &UserFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Listed<ProvisionedUser>> {
        let pool_id = c.pool_id();
        let (offset, limit) = (offset.max(0), limit.clamp(0, 1000));
        let matched: Vec<User> = match filter {
            UserFilter::All => {
                let total = self.store.count_users(pool_id).await?;
                let users = if limit == 0 {
                    Vec::new()
                } else {
                    self.store.users_from(pool_id, offset, limit).await?
                };
                let items = self.with_external_ids(c, users).await?;
                return Ok(Listed { total, items });
            }
            UserFilter::Username(u) => {
                self.store
                    .users_by_username_ci(pool_id, u.trim(), MAX_CI_MATCHES)
                    .await?
            }
            UserFilter::Email(e) => match identifiers::email(e) {
                Ok((_, key)) => self
                    .store
                    .find_user(pool_id, UserLookup::Email(&key))
                    .await?
                    .into_iter()
                    .collect(),
                // Not an address: nobody has it.
                Err(_) => Vec::new(),
            },
            UserFilter::ExternalId(x) => {
                match self
                    .store
                    .sync_relation_by_external(pool_id, SyncKind::User, c.provider(), x)
                    .await?
                {
                    Some(r) => self
                        .store
                        .find_user(pool_id, UserLookup::Id(&r.target_id))
                        .await?
                        .into_iter()
                        .collect(),
                    None => Vec::new(),
                }
            }
            UserFilter::Id(id) => self
                .store
                .find_user(pool_id, UserLookup::Id(id))
                .await?
                .into_iter()
                .collect(),
        };
        let total = matched.len() as i64;
        let page: Vec<User> = matched
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        let items = self.with_external_ids(c, page).await?;
        Ok(Listed { total, items })
    }

    /// Creates a user from an upstream, linked to it in the same unit of work, through the
    /// administrator's `createUser` (every uniqueness rule, argon2id). A username taken
    /// (ignoring case) or an upstream id already linked is a duplicate.
    pub async fn provision_user(
        &self,
        c: &ProvisioningClient,
        attrs: UserAttributes,
        password: Option<String>,
    ) -> Result<ProvisionedUser> {
        attrs.check()?;
        let username = identifiers::username(&attrs.username)?;
        if !self
            .store
            .users_by_username_ci(c.pool_id(), &username, 1)
            .await?
            .is_empty()
        {
            return Err(Error::AlreadyExists(UniqueField::Username));
        }
        if let Some(pw) = &password {
            password_strength::enforce(&c.admin.settings, pw)?;
        }
        let new = NewUser {
            username: Some(username),
            email: attrs.email.clone(),
            phone: attrs.phone.clone(),
            password,
            profile: Profile {
                given_name: attrs.given_name.clone(),
                family_name: attrs.family_name.clone(),
                name: attrs.formatted_name.clone(),
                nickname: attrs.display_name.clone(),
                ..Profile::default()
            },
            register_source: vec![format!("sync:{}", c.provider())],
            ..NewUser::default()
        };
        let opts = AdminCreate {
            blocked: !attrs.active,
            sync_relation: Some(NewSyncRelation {
                provider: c.provider().to_owned(),
                external_id: attrs.external_id.clone(),
            }),
            ..AdminCreate::default()
        };
        let user = self.admin_create_user(&c.admin, new, opts).await?;
        let external_id = Some(attrs.external_id.unwrap_or_else(|| user.id.clone()));
        Ok(ProvisionedUser { user, external_id })
    }

    /// Sets a user's attributes as `attrs` gives them whole, through the administrator's
    /// `updateUser` (only what differs is written, by name), with a new password when
    /// given (the pool's policy applies). Links the user to this upstream (its id, or the
    /// user's own) when it was not linked, or relinks it to a new upstream id.
    pub async fn replace_provisioned_user(
        &self,
        c: &ProvisioningClient,
        id: &str,
        attrs: UserAttributes,
        password: Option<String>,
    ) -> Result<ProvisionedUser> {
        attrs.check()?;
        let before = self.provisioned_user(c, id).await?;
        let u = &before.user;
        let username = identifiers::username(&attrs.username)?;
        if u.username.as_deref() != Some(username.as_str()) {
            let taken = self
                .store
                .users_by_username_ci(c.pool_id(), &username, MAX_CI_MATCHES)
                .await?
                .iter()
                .any(|other| other.id != u.id);
            if taken {
                return Err(Error::AlreadyExists(UniqueField::Username));
            }
        }
        if let Some(x) = &attrs.external_id {
            // Refused before anything is written: the id belongs to another user.
            if let Some(r) = self
                .store
                .sync_relation_by_external(c.pool_id(), SyncKind::User, c.provider(), x)
                .await?
            {
                if r.target_id != u.id {
                    return Err(Error::Duplicate(Entity::SyncRelation));
                }
            }
        }
        if let Some(pw) = &password {
            password_strength::enforce(&c.admin.settings, pw)?;
        }
        let mut changes = serde_json::Map::new();
        let mut put = |key: &str, old: Option<&str>, new: Option<&str>| {
            if old != new {
                changes.insert(
                    key.to_owned(),
                    new.map_or(serde_json::Value::Null, |v| v.to_owned().into()),
                );
            }
        };
        put("username", u.username.as_deref(), Some(&username));
        put(
            "givenName",
            u.profile.given_name.as_deref(),
            attrs.given_name.as_deref(),
        );
        put(
            "familyName",
            u.profile.family_name.as_deref(),
            attrs.family_name.as_deref(),
        );
        put(
            "name",
            u.profile.name.as_deref(),
            attrs.formatted_name.as_deref(),
        );
        put(
            "nickname",
            u.profile.nickname.as_deref(),
            attrs.display_name.as_deref(),
        );
        let email_key = |e: &str| identifiers::email_key(e);
        if u.email.as_deref().map(email_key) != attrs.email.as_deref().map(email_key) {
            changes.insert(
                "email".into(),
                attrs
                    .email
                    .clone()
                    .map_or(serde_json::Value::Null, Into::into),
            );
        }
        let same_phone = match (&u.phone, &attrs.phone) {
            (None, None) => true,
            (Some(old), Some(new)) => {
                let cc = u.phone_country_code.as_deref();
                let default_cc = &c.admin.settings.default_phone_country_code;
                identifiers::phone(new, None, default_cc)
                    .map(|(ncc, n)| Some(ncc.as_str()) == cc && &n == old)
                    .unwrap_or(false)
                    || new == old
            }
            _ => false,
        };
        if !same_phone {
            changes.insert(
                "phone".into(),
                attrs
                    .phone
                    .clone()
                    .map_or(serde_json::Value::Null, Into::into),
            );
        }
        if u.blocked == attrs.active {
            changes.insert("blocked".into(), (!attrs.active).into());
        }
        let user = if changes.is_empty() && password.is_none() {
            before.user.clone()
        } else {
            self.admin_update_user(&c.admin, &u.id, &changes, password)
                .await?
        };
        let (pool_id, provider, user_id) = (
            c.pool_id().to_owned(),
            c.provider().to_owned(),
            user.id.clone(),
        );
        let wanted = attrs.external_id.clone();
        let keep = wanted.is_none() && before.external_id.is_some();
        if !keep && before.external_id != wanted.clone().or_else(|| Some(user.id.clone())) {
            let at = clock::now_ms();
            let w = wanted.clone();
            self.pool_write(c.pool_id(), move |tx| {
                Box::pin(async move {
                    relink(
                        tx,
                        &pool_id,
                        SyncKind::User,
                        &provider,
                        &user_id,
                        w.as_deref(),
                        at,
                    )
                    .await
                })
            })
            .await?;
        }
        let external_id = if keep {
            before.external_id
        } else {
            Some(wanted.unwrap_or_else(|| user.id.clone()))
        };
        Ok(ProvisionedUser { user, external_id })
    }

    /// Deletes a user of the pool with everything that names it, its relations included
    /// (the administrator's delete).
    pub async fn deprovision_user(&self, c: &ProvisioningClient, id: &str) -> Result<()> {
        let user = self.provisioned_user(c, id).await?;
        self.delete_users(&c.admin, &[user.user.id]).await
    }

    // --- groups (departments of the connection's organization) ---------------------------

    /// The connection's organization, or the refusal of groups without one.
    fn group_org(c: &ProvisioningClient) -> Result<&str> {
        c.connection
            .org_id
            .as_deref()
            .ok_or(Error::NotFound(Entity::Org))
    }

    async fn group_members(&self, c: &ProvisioningClient, node_id: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let per = crate::service::paging::MAX_PAGE_SIZE;
        for page in 1.. {
            let p = Page::new(Some(page), Some(per))?;
            let got = self
                .store
                .node_users(c.pool_id(), node_id, false, false, p)
                .await?;
            let n = got.list.len() as i64;
            out.extend(got.list.into_iter().map(|u| u.id));
            if n < per || out.len() >= MAX_GROUP_MEMBERS {
                break;
            }
        }
        out.truncate(MAX_GROUP_MEMBERS);
        Ok(out)
    }

    async fn groups_of(
        &self,
        c: &ProvisioningClient,
        nodes: Vec<NodeView>,
        members: bool,
    ) -> Result<Vec<ProvisionedGroup>> {
        let ids: Vec<String> = nodes.iter().map(|n| n.node.id.clone()).collect();
        let relations = self
            .store
            .sync_relations_of(c.pool_id(), SyncKind::Department, &ids)
            .await?;
        let mut out = Vec::with_capacity(nodes.len());
        for n in nodes {
            let external_id = relations
                .iter()
                .find(|r| r.target_id == n.node.id && r.provider == c.provider())
                .map(|r| r.external_id.clone());
            let members = if members {
                self.group_members(c, &n.node.id).await?
            } else {
                Vec::new()
            };
            out.push(ProvisionedGroup {
                node: n.node,
                external_id,
                members,
            });
        }
        Ok(out)
    }

    /// The departments of the connection's organization (its root excluded).
    async fn group_nodes(&self, c: &ProvisioningClient) -> Result<Vec<NodeView>> {
        let org_id = Self::group_org(c)?;
        let tree = self.org_tree(&c.admin, org_id).await?;
        Ok(tree.nodes.into_iter().filter(|n| !n.root).collect())
    }

    pub async fn provisioned_group(
        &self,
        c: &ProvisioningClient,
        id: &str,
    ) -> Result<ProvisionedGroup> {
        let id = id.trim();
        let node = self
            .group_nodes(c)
            .await?
            .into_iter()
            .find(|n| n.node.id == id)
            .ok_or(Error::NotFound(Entity::OrgNode))?;
        self.groups_of(c, vec![node], true)
            .await?
            .pop()
            .ok_or(Error::NotFound(Entity::OrgNode))
    }

    pub async fn provisioned_groups(
        &self,
        c: &ProvisioningClient,
        filter: &GroupFilter,
        offset: i64,
        limit: i64,
        members: bool,
    ) -> Result<Listed<ProvisionedGroup>> {
        let mut nodes = self.group_nodes(c).await?;
        match filter {
            GroupFilter::All => {}
            GroupFilter::DisplayName(name) => {
                let name = name.trim().to_lowercase();
                nodes.retain(|n| n.node.name.to_lowercase() == name);
            }
            GroupFilter::Id(id) => nodes.retain(|n| &n.node.id == id),
            GroupFilter::ExternalId(x) => {
                let target = self
                    .store
                    .sync_relation_by_external(c.pool_id(), SyncKind::Department, c.provider(), x)
                    .await?
                    .map(|r| r.target_id);
                nodes.retain(|n| Some(&n.node.id) == target.as_ref());
            }
        }
        let total = nodes.len() as i64;
        let page: Vec<NodeView> = nodes
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.clamp(0, 1000) as usize)
            .collect();
        let items = self.groups_of(c, page, members).await?;
        Ok(Listed { total, items })
    }

    /// Creates a department under the organization's root with its members and its
    /// relation, in one unit of work. A name another department of the organization has
    /// (ignoring case) is a duplicate, as SCIM clients look groups up by it.
    pub async fn provision_group(
        &self,
        c: &ProvisioningClient,
        display_name: &str,
        external_id: Option<String>,
        members: Vec<String>,
    ) -> Result<ProvisionedGroup> {
        let org_id = Self::group_org(c)?.to_owned();
        if let Some(x) = &external_id {
            check_external_id(x)?;
        }
        if members.len() > MAX_GROUP_MEMBERS {
            return Err(Error::InvalidParameter("members"));
        }
        let tree = self.org_tree(&c.admin, &org_id).await?;
        let lower = display_name.trim().to_lowercase();
        if tree
            .nodes
            .iter()
            .any(|n| !n.root && n.node.name.to_lowercase() == lower)
        {
            return Err(Error::Duplicate(Entity::OrgNode));
        }
        let root = tree
            .root()
            .ok_or(Error::NotFound(Entity::Org))?
            .node
            .id
            .clone();
        let node = Self::node_from(
            NewNode {
                name: display_name.trim().to_owned(),
                ..NewNode::default()
            },
            c.pool_id(),
            &org_id,
            Some(root),
        )?;
        let (pool_id, provider, at) = (
            c.pool_id().to_owned(),
            c.provider().to_owned(),
            clock::now_ms(),
        );
        let n = node.clone();
        let (x, m) = (external_id.clone(), members.clone());
        self.pool_write(c.pool_id(), move |tx| {
            Box::pin(async move {
                tx.insert_node_in_unit(&n).await?;
                if !m.is_empty() {
                    super::membership::add_node_members(tx, &pool_id, &n.id, &m, false, at).await?;
                }
                link(
                    tx,
                    &SyncRelation {
                        pool_id: pool_id.clone(),
                        kind: SyncKind::Department,
                        provider,
                        external_id: x.unwrap_or_else(|| n.id.clone()),
                        target_id: n.id.clone(),
                        created_at: at,
                    },
                )
                .await
            })
        })
        .await?;
        self.provisioned_group(c, &node.id).await
    }

    /// Changes a department's name, relation and members in one unit of work.
    pub async fn update_provisioned_group(
        &self,
        c: &ProvisioningClient,
        id: &str,
        change: GroupChange,
    ) -> Result<ProvisionedGroup> {
        let before = self.provisioned_group(c, id).await?;
        let node_id = before.node.id.clone();
        if let Some(name) = &change.display_name {
            let lower = name.trim().to_lowercase();
            let taken = self
                .group_nodes(c)
                .await?
                .iter()
                .any(|n| n.node.id != node_id && n.node.name.to_lowercase() == lower);
            if taken {
                return Err(Error::Duplicate(Entity::OrgNode));
            }
        }
        if let Some(Some(x)) = &change.external_id {
            check_external_id(x)?;
        }
        let (add, remove): (Vec<String>, Vec<String>) = match change.members {
            MembersChange::Keep => (Vec::new(), Vec::new()),
            MembersChange::Set(wanted) => {
                if wanted.len() > MAX_GROUP_MEMBERS {
                    return Err(Error::InvalidParameter("members"));
                }
                let add = wanted
                    .iter()
                    .filter(|w| !before.members.contains(w))
                    .cloned()
                    .collect();
                let remove = before
                    .members
                    .iter()
                    .filter(|m| !wanted.contains(m))
                    .cloned()
                    .collect();
                (add, remove)
            }
            MembersChange::Edit { add, remove } => {
                let add = add
                    .into_iter()
                    .filter(|a| !before.members.contains(a))
                    .collect();
                let remove = remove
                    .into_iter()
                    .filter(|r| before.members.contains(r))
                    .collect();
                (add, remove)
            }
        };
        let (pool_id, provider, at) = (
            c.pool_id().to_owned(),
            c.provider().to_owned(),
            clock::now_ms(),
        );
        let name = change.display_name.map(|n| n.trim().to_owned());
        let relink_to = change.external_id;
        let nid = node_id.clone();
        self.pool_write(c.pool_id(), move |tx| {
            Box::pin(async move {
                if let Some(name) = name {
                    let fields = NodeChange {
                        name: Some(name),
                        ..NodeChange::default()
                    };
                    tx.update_node_fields(&pool_id, &nid, &fields, at).await?;
                }
                if !add.is_empty() {
                    super::membership::add_node_members(tx, &pool_id, &nid, &add, false, at)
                        .await?;
                }
                for user_id in &remove {
                    tx.remove_node_member(&pool_id, &nid, user_id).await?;
                }
                if let Some(x) = relink_to {
                    relink(
                        tx,
                        &pool_id,
                        SyncKind::Department,
                        &provider,
                        &nid,
                        x.as_deref(),
                        at,
                    )
                    .await?;
                } else if tx
                    .sync_relation_of_target(&pool_id, SyncKind::Department, &provider, &nid)
                    .await?
                    .is_none()
                {
                    // Adopted: a group written through a connection is linked to it.
                    relink(
                        tx,
                        &pool_id,
                        SyncKind::Department,
                        &provider,
                        &nid,
                        None,
                        at,
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await?;
        self.provisioned_group(c, &node_id).await
    }

    /// Deletes a department of the organization (with its subtree, members' links and
    /// relations, as the administrator's delete does).
    pub async fn deprovision_group(&self, c: &ProvisioningClient, id: &str) -> Result<()> {
        let group = self.provisioned_group(c, id).await?;
        self.delete_org_node(&c.admin, &group.node.org_id, &group.node.id)
            .await
    }

    // --- sync relations, for administrators ----------------------------------------------

    /// The user's relations with every upstream, by provider.
    pub async fn user_sync_relations(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
    ) -> Result<Vec<SyncRelation>> {
        self.store
            .sync_relations_of(admin.pool_id(), SyncKind::User, &[user_id.to_owned()])
            .await
    }

    /// The department's relations with every upstream, by provider.
    pub async fn department_sync_relations(
        &self,
        admin: &PoolAdmin,
        node_id: &str,
    ) -> Result<Vec<SyncRelation>> {
        self.store
            .sync_relations_of(admin.pool_id(), SyncKind::Department, &[node_id.to_owned()])
            .await
    }

    /// Unlinks a user or department from one upstream; it stays. No such relation is
    /// [`Entity::SyncRelation`] not found.
    pub async fn delete_sync_relation(
        &self,
        admin: &PoolAdmin,
        kind: SyncKind,
        provider: &str,
        target_id: &str,
    ) -> Result<()> {
        let (pool_id, provider, target_id) = (
            admin.pool_id().to_owned(),
            provider.trim().to_owned(),
            target_id.to_owned(),
        );
        if provider.is_empty() {
            return Err(Error::MissingParameter("provider"));
        }
        let gone = self
            .pool_write(admin.pool_id(), move |tx| {
                Box::pin(async move {
                    tx.delete_sync_relation(&pool_id, kind, &provider, &target_id)
                        .await
                })
            })
            .await?;
        if gone {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::SyncRelation))
        }
    }

    /// The target an upstream object is linked to, named `<provider>:<id in the upstream>`
    /// (the v3 wire's `sync_relation` id type). Malformed is `InvalidParameter(field)`;
    /// unknown is `None`.
    pub async fn sync_relation_target(
        &self,
        admin: &PoolAdmin,
        kind: SyncKind,
        named: &str,
        field: &'static str,
    ) -> Result<Option<String>> {
        let (provider, external_id) = named
            .split_once(':')
            .filter(|(p, x)| !p.is_empty() && !x.is_empty())
            .ok_or(Error::InvalidParameter(field))?;
        Ok(self
            .store
            .sync_relation_by_external(admin.pool_id(), kind, provider, external_id)
            .await?
            .map(|r| r.target_id))
    }
}
