//! A v3 management call: the administrator its credentials prove, its language, where it
//! comes from and its parameters (`v3-wire.md` §3).
//!
//! Two credentials (§3): `authorization: authing <AK>:<sig>` (or `GenAuth`, with the
//! `x-genauth-*` header family) signs this very request; anything else is a management
//! token, optionally `Bearer`, bought at `/api/v3/get-management-token`. Either way the pool
//! comes from the key, never from a header the caller chose.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tessera_core::principal::{PoolAdmin, RequestFacts};
use tessera_core::service::access_keys::SignedRequest;
use tessera_core::{Error, SignatureProblem};

use super::envelope::{Failure, V3Error};
use super::params::{self, Members};
use super::signature::{self, QueryValue, Signed};
use crate::authing::Lang;
use crate::client_ip::Origin;
use crate::AppState;

/// A verified management call.
pub struct Mgmt {
    pub state: AppState,
    pub admin: PoolAdmin,
    pub lang: Lang,
    pub facts: RequestFacts,
    /// The tenant the SDK's `tenantId` option names (sent as `x-authing-app-id`, §3.1, or
    /// `x-authing-tenant-id` by other clients).
    #[allow(dead_code)] // read by the tenant families
    pub tenant_id: Option<String>,
    args: Map<String, Value>,
}

fn header<'a>(h: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| h.get(*n))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The caller's language (`x-authing-lang` or `x-genauth-lang`).
pub fn lang_of(h: &HeaderMap) -> Lang {
    Lang::from_header(header(h, &["x-authing-lang", "x-genauth-lang"]))
}

/// The path the client signed: percent-decoded (the SDK signs its path template before
/// axios encodes `{id}` as `%7Bid%7D`).
fn signed_path(parts: &Parts) -> String {
    let raw = parts.uri.path();
    percent_decode(raw).unwrap_or_else(|| raw.to_owned())
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl FromRequest<AppState> for Mgmt {
    type Rejection = V3Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let lang = lang_of(&parts.headers);
        let fail = |f: Failure| V3Error(f, lang);
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|_| fail(Failure::Core(Error::FileTooLarge)))?;
        let is_get = parts.method == Method::GET || parts.method == Method::HEAD;
        let query = params::query_values(parts.uri.query()).map_err(|e| fail(e.into()))?;
        let members = if is_get {
            Members::default()
        } else {
            params::body_members(&bytes).map_err(|e| fail(e.into()))?
        };
        let admin = authenticate(state, &parts, &query, &members)
            .await
            .map_err(|e| fail(Failure::Core(e)))?;
        let args = if is_get {
            params::query_object(parts.method.as_str(), parts.uri.path(), &query)
        } else {
            params::body_object(&members)
        }
        .map_err(|e| fail(e.into()))?;
        let h = &parts.headers;
        let origin = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| Origin::of(c.0.ip(), h, &state.options.trusted_proxies));
        let facts = RequestFacts {
            client_ip: origin.map(|o| o.client_ip),
            user_agent: header(h, &["user-agent"]).map(|s| s.chars().take(256).collect()),
        };
        Ok(Mgmt {
            state: state.clone(),
            // The audit log records where an administrator's change came from.
            admin: admin.with_facts(facts.clone()),
            lang,
            facts,
            tenant_id: header(
                h,
                &[
                    "x-authing-app-id",
                    "x-genauth-app-id",
                    "x-authing-tenant-id",
                ],
            )
            .map(str::to_owned),
            args,
        })
    }
}

async fn authenticate(
    state: &AppState,
    parts: &Parts,
    query: &[(String, QueryValue)],
    members: &Members,
) -> Result<PoolAdmin, Error> {
    let h = &parts.headers;
    let Some(auth) = header(h, &["authorization"]) else {
        return Err(Error::NotLoggedIn);
    };
    let core = &state.core;
    let scheme_end = auth.find(' ').unwrap_or(0);
    let (scheme, rest) = auth.split_at(scheme_end);
    let family = if scheme.eq_ignore_ascii_case("authing") {
        Some("x-authing-")
    } else if scheme.eq_ignore_ascii_case("genauth") {
        Some("x-genauth-")
    } else {
        None
    };
    let Some(family) = family else {
        // Mode B: a management token, with or without `Bearer ` (§3.2).
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .unwrap_or(auth)
            .trim();
        let pool_header = header(h, &["x-authing-userpool-id", "x-genauth-userpool-id"]);
        return core.verify_management_token(token, pool_header, None).await;
    };
    let sig_header = |name: &str| header(h, &[&format!("{family}{name}")]);
    if sig_header("signature-method").is_some_and(|m| !m.eq_ignore_ascii_case("HMAC-SHA1")) {
        return Err(Error::Signature(SignatureProblem::UnsupportedMethod));
    }
    if sig_header("signature-version").is_some_and(|v| v != "1.0") {
        return Err(Error::Signature(SignatureProblem::UnsupportedVersion));
    }
    let signed_at = match header(h, &["date"]) {
        None => None,
        Some(d) => {
            Some(signature::parse_date(d).ok_or(Error::Signature(SignatureProblem::BadDate))?)
        }
    };
    let (key_id, sig) = rest
        .trim()
        .split_once(':')
        .ok_or(Error::Signature(SignatureProblem::Invalid))?;
    let is_get = parts.method == Method::GET || parts.method == Method::HEAD;
    let signed = if is_get {
        Signed::Query(query)
    } else {
        Signed::Body(&members.0)
    };
    let path = signed_path(parts);
    let mut candidates = signature::strings_to_sign(parts.method.as_str(), h, &path, signed);
    if is_get {
        // The SDK signs parameters axios then leaves out of the URL (§3.1 case b): one set
        // to `null` (signed `k=null`) or an empty array (signed `k=[]` or `k=`). The
        // catalog names the method's query fields, so each absent one is tried in those
        // forms; a forger gains nothing, the HMAC still needs the key.
        for variant in absent_field_variants(parts.method.as_str(), parts.uri.path(), query) {
            candidates.extend(signature::strings_to_sign(
                parts.method.as_str(),
                h,
                &path,
                Signed::Query(&variant),
            ));
        }
    }
    core.pool_admin_by_signature(&SignedRequest {
        key_id,
        candidates: &candidates,
        signature: sig,
        nonce: sig_header("signature-nonce"),
        signed_at_ms: signed_at,
    })
    .await
}

/// The query with one declared-but-absent field added as the SDK would have signed it.
fn absent_field_variants(
    verb: &str,
    path: &str,
    query: &[(String, QueryValue)],
) -> Vec<Vec<(String, QueryValue)>> {
    let Some(method) = super::catalog::find(verb, path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, ty) in &method.query {
        if query.iter().any(|(k, _)| k == name) {
            continue;
        }
        let forms: &[&str] = match ty {
            super::catalog::QueryType::List => &["[]", "", "null"],
            _ => &["null"],
        };
        for form in forms {
            let mut v = query.to_vec();
            v.push((name.clone(), QueryValue::One((*form).to_owned())));
            out.push(v);
        }
    }
    out
}

impl Mgmt {
    pub fn core(&self) -> &tessera_core::Core {
        &self.state.core
    }

    /// The parameters as the handler's request struct.
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        Ok(params::typed(&self.args)?)
    }

    /// The raw parameters, for the few handlers that pass a patch through.
    pub fn raw_args(&self) -> &Map<String, Value> {
        &self.args
    }

    pub fn fail(&self, f: impl Into<Failure>) -> V3Error {
        V3Error(f.into(), self.lang)
    }
}
