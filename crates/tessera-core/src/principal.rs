//! Who is calling, and from where.
//!
//! A façade resolves its caller once per request into a [`Principal`] and reads the
//! request's [`RequestFacts`]; core services take the part of the principal they need.
//! The proofs are types: a [`PoolAdmin`] (an administrator of one pool) and a
//! [`Session`] (a logged-in user) can only be built by this crate's verification functions
//! ([`Core::verify_management_token`], [`Core::pool_admin_by_secret`],
//! [`Core::authenticate_bearer`], [`Core::session`]), so a management service that takes a
//! `&PoolAdmin` cannot be reached with a pool that anyone can read.

use std::net::IpAddr;
use std::ops::Deref;

use serde::Deserialize;

use crate::crypto::jwt;
use crate::error::{Error, Result};
use crate::model::{Application, UserPool};
use crate::service::account::Session;
use crate::service::admin::MANAGEMENT_TOKEN_TYPE;
use crate::service::tokens::parse_user_token;
use crate::service::users::LoginContext;
use crate::Core;

/// The caller of one request, as its credentials proved it. (The proofs are boxed: each
/// carries a pool, and `Anonymous`, the common case, carries nothing.)
#[derive(Debug, Clone)]
pub enum Principal {
    /// No credential, or one that did not verify.
    Anonymous,
    /// A user with a valid, unrevoked token of the request's pool.
    User(Box<Session>),
    /// An administrator of one pool.
    PoolAdmin(Box<PoolAdmin>),
    /// An application that authenticated with its own secret (a backend acting for its
    /// end users).
    AppClient(Box<AppClient>),
}

impl Principal {
    pub fn session(&self) -> Option<&Session> {
        match self {
            Principal::User(s) => Some(s.as_ref()),
            _ => None,
        }
    }

    pub fn pool_admin(&self) -> Option<&PoolAdmin> {
        match self {
            Principal::PoolAdmin(a) => Some(a.as_ref()),
            _ => None,
        }
    }

    /// Whether the caller may state the address of the end user it acts for (the SDKs'
    /// `clientIp`, which a backend passes for its user, seed 001): an administrator of
    /// `pool_id`, or an application of that pool authenticated by its secret. Nobody else
    /// may, or an anonymous caller could pick the address the per-IP limits count it under.
    pub fn may_state_client_ip(&self, pool_id: &str) -> bool {
        match self {
            Principal::PoolAdmin(a) => a.pool.id == pool_id,
            Principal::AppClient(c) => c.pool.id == pool_id,
            Principal::Anonymous | Principal::User(_) => false,
        }
    }
}

/// How an administrator proved it may manage its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminProof {
    /// The pool's secret itself.
    PoolSecret,
    /// A management token bought with the secret (`v2-wire.md` §3.1).
    ManagementToken,
    /// The operator of the deployment, who reaches the database itself (the `tessera`
    /// command's administration subcommands); no wire request ever carries this proof.
    Operator,
    /// A request signed with an access key, or a management token bought with one
    /// (`v3-wire.md` §3.1, §3.2). The pool's own id and secret are one such key.
    AccessKey,
    /// The bearer token of one of the pool's provisioning connections (SCIM, RFC 7644
    /// §2): an upstream directory writing the pool's users and departments
    /// (`service::provisioning`), through the same services as an administrator.
    Provisioning,
}

/// Proof that the caller administers one pool. Only the core's verification functions
/// build one (its fields are private), so every management service takes it where a bare
/// [`UserPool`] would prove nothing. It reads as the pool it manages.
#[derive(Clone)]
pub struct PoolAdmin {
    pool: UserPool,
    proof: AdminProof,
    /// Where the request came from, for the audit log; empty unless the façade attached it.
    facts: RequestFacts,
}

impl PoolAdmin {
    pub(crate) fn new(pool: UserPool, proof: AdminProof) -> PoolAdmin {
        PoolAdmin {
            pool,
            proof,
            facts: RequestFacts::default(),
        }
    }

    /// The same administrator, acting from the request `facts` describe: the audit log
    /// records its changes with that client address and user agent. The facts prove
    /// nothing, so attaching them is open to every façade.
    pub fn with_facts(self, facts: RequestFacts) -> PoolAdmin {
        PoolAdmin { facts, ..self }
    }

    /// Where the request came from, as the façade attached it.
    pub fn facts(&self) -> &RequestFacts {
        &self.facts
    }

    /// The pool this administrator manages, as read when the proof was checked.
    pub fn pool(&self) -> &UserPool {
        &self.pool
    }

    pub fn pool_id(&self) -> &str {
        &self.pool.id
    }

    pub fn proof(&self) -> AdminProof {
        self.proof
    }
}

/// The pool id and the proof only: the pool carries its secret.
impl std::fmt::Debug for PoolAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolAdmin")
            .field("pool_id", &self.pool.id)
            .field("proof", &self.proof)
            .finish()
    }
}

impl Deref for PoolAdmin {
    type Target = UserPool;

    fn deref(&self) -> &UserPool {
        &self.pool
    }
}

/// An application that proved itself with its secret, and its pool.
#[derive(Clone)]
pub struct AppClient {
    app: Application,
    pool: UserPool,
}

impl AppClient {
    pub fn app(&self) -> &Application {
        &self.app
    }

    pub fn pool(&self) -> &UserPool {
        &self.pool
    }
}

/// The ids only: the application and the pool carry their secrets.
impl std::fmt::Debug for AppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppClient")
            .field("app_id", &self.app.id)
            .field("pool_id", &self.pool.id)
            .finish()
    }
}

/// What a request says about where it comes from. The façade fills it from the connection
/// (the client address through trusted proxies only); the core records and counts it.
/// Language is a façade matter and stays there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestFacts {
    /// What a login or registration records on the user and counts per client address.
    pub fn login_context(&self, app_id: Option<String>) -> LoginContext {
        LoginContext {
            app_id,
            ip: self.client_ip.map(|ip| ip.to_string()),
            device: None,
            browser: self.user_agent.clone(),
        }
    }
}

/// What a Bearer token presents itself as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    User,
    Management,
}

/// A Bearer token that did not verify, and what it presented itself as (`None`: not a
/// token of ours at all), so the façade can answer in the terms of the credential the
/// caller used: a management client whose token died with its pool's secret learns that
/// its token expired, a user's token on a management call is refused as a user's.
#[derive(Debug, Clone)]
pub struct Refused {
    pub presented_as: Option<TokenKind>,
    pub error: Error,
}

/// The pool a request is for, against which a Bearer token is checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct BearerScope<'a> {
    /// The pool the request names (by its app or its pool id): a user token must be of it,
    /// and a management token of it is checked without reading the pool again.
    pub pool: Option<&'a UserPool>,
    /// The pool id a management call names (`x-authing-userpool-id`): a management token
    /// of another pool is refused.
    pub pool_header: Option<&'a str>,
    /// The user token's session, read ahead with the request's pool
    /// ([`Core::app_and_pool_ahead`]).
    pub ahead: Option<&'a crate::service::account::SessionAhead>,
}

#[derive(Deserialize)]
struct KindClaims {
    data: KindData,
}

#[derive(Deserialize)]
struct KindData {
    #[serde(rename = "type")]
    kind: String,
}

/// The kind a token claims (`data.type`), read before any check. It only chooses which
/// verification runs; that verification checks the kind again under the signature. Any
/// kind but management is verified as a user token (and a purpose token fails as one);
/// `None` is a string that is not one of our tokens at all.
///
/// Not a proof of anything: a façade may use it only to skip work whose answer it already
/// knows, e.g. a token that does not present the management kind can never verify as a
/// management token ([`Core::authenticate_bearer`] verifies one only down that path).
pub fn presented_kind(token: &str) -> Option<TokenKind> {
    let claims = jwt::parse(token)
        .ok()?
        .claims_unverified::<KindClaims>()
        .ok()?;
    Some(if claims.data.kind == MANAGEMENT_TOKEN_TYPE {
        TokenKind::Management
    } else {
        TokenKind::User
    })
}

/// Whether `token` presents itself as a management token: [`presented_kind`] made cheap for
/// every request with a Bearer, since a user's token never names the management kind, its
/// claims are not parsed here at all (they are read later by its own check). Not a proof.
pub fn presents_management(token: &str) -> bool {
    jwt::claims_unverified_if::<KindClaims>(token, MANAGEMENT_TOKEN_TYPE)
        .is_some_and(|c| c.data.kind == MANAGEMENT_TOKEN_TYPE)
}

impl Core {
    /// Resolves a Bearer token into its caller: a management token into the
    /// [`PoolAdmin`] of its pool, a user token into the user's [`Session`]. Each is fully
    /// verified (signature, kind, expiry, pool, revocation or secret rotation); a token that
    /// fails is [`Refused`] with the error its own verification gave.
    pub async fn authenticate_bearer(
        &self,
        token: &str,
        scope: BearerScope<'_>,
    ) -> std::result::Result<Principal, Refused> {
        // The token is decoded once: read as a user token's claims, which also tell its
        // kind; only a token without that shape is looked at again to tell it.
        let as_user = match scope.ahead.and_then(|a| a.parsed_for(token)) {
            Some(kept) => Ok(kept),
            None => parse_user_token(token),
        };
        let kind = match &as_user {
            Ok((_, claims)) if claims.kind() == MANAGEMENT_TOKEN_TYPE => {
                Some(TokenKind::Management)
            }
            Ok(_) => Some(TokenKind::User),
            Err(_) => presented_kind(token),
        };
        let verified = match (kind, as_user) {
            (Some(TokenKind::Management), _) => self
                .verify_management_token(token, scope.pool_header, scope.pool)
                .await
                .map(|a| Principal::PoolAdmin(Box::new(a))),
            (_, Ok((parsed, claims))) => self
                .session_of_parsed(token, &parsed, claims, scope.pool, scope.ahead)
                .await
                .map(|s| Principal::User(Box::new(s))),
            (_, Err(e)) => Err(e),
        };
        verified.map_err(|error| Refused {
            presented_as: kind,
            error,
        })
    }

    /// An application authenticated by its secret. An unknown application and a wrong
    /// secret give the same answer, so the call cannot probe for application ids.
    pub async fn authenticate_app(&self, app_id: &str, secret: &str) -> Result<AppClient> {
        let (app, pool) = match self.app_and_pool(app_id).await {
            Ok(found) => found,
            Err(Error::AppNotFound | Error::PoolNotFound) => return Err(Error::Forbidden),
            Err(e) => return Err(e),
        };
        if !app.secret_matches(secret) {
            return Err(Error::Forbidden);
        }
        Ok(AppClient { app, pool })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn token_with(payload: &str) -> String {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#);
        let p = URL_SAFE_NO_PAD.encode(payload);
        format!("{h}.{p}.c2ln")
    }

    #[test]
    fn only_tokens_naming_the_management_kind_present_it() {
        assert!(presents_management(&token_with(
            r#"{"data":{"type":"management","userPoolId":"p"}}"#
        )));
        // The word elsewhere in a user's token does not make it one.
        assert!(!presents_management(&token_with(
            r#"{"data":{"type":"user","nickname":"\"type\":\"management\""}}"#
        )));
        assert!(!presents_management(&token_with(
            r#"{"data":{"type":"user"}}"#
        )));
        assert!(!presents_management("not.a.token"));
        assert!(!presents_management(""));
    }

    #[test]
    fn the_presented_kind_only_picks_the_verification() {
        let mgmt = token_with(r#"{"data":{"type":"management","userPoolId":"p"}}"#);
        assert_eq!(presented_kind(&mgmt), Some(TokenKind::Management));
        let user = token_with(r#"{"data":{"type":"user","id":"u"}}"#);
        assert_eq!(presented_kind(&user), Some(TokenKind::User));
        let purpose = token_with(r#"{"data":{"type":"first-login","id":"u"}}"#);
        assert_eq!(presented_kind(&purpose), Some(TokenKind::User));
        assert_eq!(presented_kind("not a token"), None);
        assert_eq!(presented_kind(&token_with("{}")), None);
    }

    fn pool(id: &str) -> UserPool {
        UserPool {
            id: id.into(),
            name: "p".into(),
            domain: id.into(),
            description: None,
            logo: None,
            secret: "s".into(),
            settings: crate::model::PoolSettings::default(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn only_an_administrator_or_application_of_the_pool_may_state_the_client_ip() {
        let admin = Principal::PoolAdmin(Box::new(PoolAdmin::new(
            pool("p1"),
            AdminProof::ManagementToken,
        )));
        assert!(admin.may_state_client_ip("p1"));
        assert!(
            !admin.may_state_client_ip("p2"),
            "another pool's administrator"
        );
        let app = Principal::AppClient(Box::new(AppClient {
            app: Application {
                id: "a".into(),
                pool_id: "p1".into(),
                name: "a".into(),
                identifier: "a".into(),
                description: None,
                logo: None,
                secret: "s".into(),
                oidc: crate::model::OidcSettings::default(),
                created_at: 0,
                updated_at: 0,
            },
            pool: pool("p1"),
        }));
        assert!(app.may_state_client_ip("p1"));
        assert!(!app.may_state_client_ip("p2"));
        assert!(!Principal::Anonymous.may_state_client_ip("p1"));
    }

    #[test]
    fn facts_become_the_login_context() {
        let facts = RequestFacts {
            client_ip: Some("2001:db8::1".parse().unwrap()),
            user_agent: Some("sdk".into()),
        };
        let ctx = facts.login_context(Some("app".into()));
        assert_eq!(ctx.ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(ctx.browser.as_deref(), Some("sdk"));
        assert_eq!(ctx.app_id.as_deref(), Some("app"));
        assert_eq!(RequestFacts::default().login_context(None).ip, None);
    }

    #[test]
    fn debug_output_names_no_secret() {
        let admin = PoolAdmin::new(pool("p1"), AdminProof::PoolSecret);
        let shown = format!("{:?}", Principal::PoolAdmin(Box::new(admin)));
        // The test pool's secret is "s".
        assert!(
            shown.contains("\"p1\"") && !shown.contains("\"s\""),
            "{shown}"
        );
    }
}
