//! The OpenID Provider: OAuth 2.0 (RFC 6749, 7636 PKCE, 7009 revocation, 7662
//! introspection, 8628 device authorization) and OpenID Connect Core / RP-initiated logout.
//!
//! Its rules live here, once: which requests are valid, when the user must log in or
//! consent, what is granted, which tokens and claims come out. Logins go through
//! [`Core::authenticate`](crate::Core::authenticate) like every other wire's; this module only
//! turns the resulting [`AuthEvent`](super::authn::AuthEvent) into an SSO session and
//! OIDC tokens (the OIDC token profile). The HTTP shapes (forms, redirects, JSON, pages) are
//! the façade's (`tessera-server/src/oidc`).
//!
//! Every piece of state (sessions, interactions, grants, codes, refresh tokens, consents,
//! device codes) is in the store, so several processes serve one provider.

pub mod authorize;
pub mod authorized_apps;
pub mod claims;
pub mod client;
pub mod device;
pub mod session;
pub mod token;

use serde::{Deserialize, Serialize};

use crate::error::{protocol, ProtocolError, Result};

/// The scopes this provider knows; others are dropped from what is granted (RFC 6749 §3.3
/// lets the server grant fewer than asked, and says so in the `scope` it returns).
pub const SUPPORTED_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
];

/// How long an authorization code lives: RFC 6749 §4.1.2 recommends at most 10 minutes; a
/// client redeems it within seconds of the redirect.
pub const CODE_TTL_MS: i64 = 60_000;
/// How long a parked authorization request waits for the user to log in and consent.
pub const INTERACTION_TTL_MS: i64 = 30 * 60_000;
/// A browser's SSO session.
pub const SSO_SESSION_TTL_MS: i64 = 14 * 24 * 3_600_000;

/// The granted scopes: supported ones only, each once, in the order asked.
pub fn granted_scopes(asked: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in asked.split_whitespace() {
        if SUPPORTED_SCOPES.contains(&s) && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

pub fn has_scope(scopes: &[String], s: &str) -> bool {
    scopes.iter().any(|x| x == s)
}

/// What the authorization response carries (`response_type`, a set of words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ResponseType {
    pub code: bool,
    pub id_token: bool,
    pub token: bool,
}

impl ResponseType {
    /// `none` is the empty set (OAuth 2.0 Multiple Response Types §4).
    pub fn parse(s: &str) -> Result<ResponseType> {
        let mut rt = ResponseType::default();
        let mut none = false;
        let mut words = 0;
        for w in s.split_whitespace() {
            words += 1;
            match w {
                "code" => rt.code = true,
                "id_token" => rt.id_token = true,
                "token" => rt.token = true,
                "none" => none = true,
                _ => {
                    return Err(protocol(
                        ProtocolError::UnsupportedResponseType,
                        "response_type must combine code, id_token and token, or be none",
                    ))
                }
            }
        }
        if words == 0 || (none && words > 1) {
            return Err(protocol(
                ProtocolError::UnsupportedResponseType,
                "response_type must combine code, id_token and token, or be none",
            ));
        }
        Ok(rt)
    }

    /// Whether tokens come back in the front channel (implicit or hybrid): such responses
    /// never go in a query string (OAuth 2.0 Multiple Response Types §5).
    pub fn front_channel_tokens(self) -> bool {
        self.id_token || self.token
    }

    pub fn as_string(self) -> String {
        let mut words = Vec::new();
        if self.code {
            words.push("code");
        }
        if self.id_token {
            words.push("id_token");
        }
        if self.token {
            words.push("token");
        }
        if words.is_empty() {
            "none".into()
        } else {
            words.join(" ")
        }
    }
}

/// Where the authorization response goes in the redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub fn parse(s: &str) -> Result<ResponseMode> {
        match s {
            "query" => Ok(ResponseMode::Query),
            "fragment" => Ok(ResponseMode::Fragment),
            "form_post" => Ok(ResponseMode::FormPost),
            _ => Err(protocol(
                ProtocolError::InvalidRequest,
                "response_mode must be query, fragment or form_post",
            )),
        }
    }
}

/// Where and how the user's browser is sent back to the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
}

/// An authorization response (success or error) for the browser to carry to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub to: ReplyTo,
    /// In order; `state` is added by the façade from `to.state`.
    pub params: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_types_are_sets() {
        let a = ResponseType::parse("id_token code").unwrap();
        let b = ResponseType::parse("code id_token").unwrap();
        assert_eq!(a, b);
        assert!(a.front_channel_tokens());
        assert!(!ResponseType::parse("code").unwrap().front_channel_tokens());
        assert_eq!(
            ResponseType::parse("none").unwrap(),
            ResponseType::default()
        );
        assert!(ResponseType::parse("none code").is_err());
        assert!(ResponseType::parse("").is_err());
        assert!(ResponseType::parse("code tokens").is_err());
    }

    #[test]
    fn unknown_scopes_are_not_granted() {
        assert_eq!(
            granted_scopes("openid  email openid read:all offline_access"),
            ["openid", "email", "offline_access"]
        );
    }
}
