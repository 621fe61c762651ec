//! The SCIM 2.0 façade (RFC 7643, RFC 7644) under `/scim/v2`: an upstream directory (Okta,
//! Microsoft Entra ID, OneLogin, any SCIM client) provisions a pool's users and, through a
//! connection that names an organization, its departments as Groups.
//!
//! Every request starts with [`Scim`], the extractor that turns the bearer token into the
//! core's `ProvisioningClient` (pool and connection) and reads a bounded body; then each
//! handler calls one core service (`tessera_core::service::provisioning`) and shapes the
//! typed resource (`resources.rs`). Filters and PATCH paths are read by `filter.rs` and
//! `patch.rs`; refusals are RFC 7644 §3.12 errors (`error.rs`). Bulk is not offered.

mod discovery;
mod error;
mod filter;
mod groups;
mod patch;
mod resources;
mod users;

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use tessera_core::principal::RequestFacts;
use tessera_core::service::provisioning::ProvisioningClient;

use crate::client_ip::Origin;
use crate::AppState;
use error::{ScimError, ScimType};
use resources::{lowercase_keys, SCIM_CONTENT_TYPE};

/// Largest request body read (a Group PUT listing thousands of members fits).
pub const MAX_BODY: usize = 1024 * 1024;
/// Largest page (`count`) answered (RFC 7644 §3.4.2.4 lets the provider cap it).
pub const MAX_PAGE: i64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(discovery::resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/scim/v2/Schemas", get(discovery::schemas))
        .route("/scim/v2/Schemas/{id}", get(discovery::schema))
        .route("/scim/v2/Users", get(users::list).post(users::create))
        .route("/scim/v2/Users/.search", any(not_offered))
        .route(
            "/scim/v2/Users/{id}",
            get(users::read)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::remove),
        )
        .route("/scim/v2/Groups", get(groups::list).post(groups::create))
        .route(
            "/scim/v2/Groups/{id}",
            get(groups::read)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::remove),
        )
        .route("/scim/v2/Bulk", any(not_offered))
        .route("/scim/v2/.search", any(not_offered))
        .route("/scim/v2/Me", any(not_offered))
        .route("/scim/v2", any(unknown))
        .route("/scim/v2/{*rest}", any(unknown))
}

/// A path of the SCIM space no resource lives at.
async fn unknown() -> ScimError {
    ScimError::not_found("endpoint")
}

/// What `ServiceProviderConfig` says is not supported (RFC 7644 §3.12: 501).
async fn not_offered() -> ScimError {
    ScimError::status(
        StatusCode::NOT_IMPLEMENTED,
        "not supported by this service provider",
    )
}

/// A verified SCIM request: the upstream its token proves and the request's parts.
pub struct Scim {
    pub state: AppState,
    pub client: ProvisioningClient,
    pub query: Option<String>,
    body: Bytes,
}

impl Scim {
    /// The body as JSON, or `invalidSyntax`.
    pub fn json(&self) -> Result<Value, ScimError> {
        if self.body.is_empty() {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                "a JSON body is required",
            ));
        }
        serde_json::from_slice::<Value>(&self.body)
            .map_err(|_| ScimError::bad(ScimType::InvalidSyntax, "the body is not JSON"))
    }

    /// The body read through a typed input struct (keys lowercased first: attribute names
    /// are case-insensitive, RFC 7643 §2.1).
    pub fn resource<T: serde::de::DeserializeOwned>(&self) -> Result<T, ScimError> {
        serde_json::from_value(lowercase_keys(self.json()?)).map_err(|e| {
            ScimError::bad(
                ScimType::InvalidValue,
                format!("the resource cannot be read: {e}"),
            )
        })
    }

    /// `<public url>/scim/v2/<kind>/<id>`.
    pub fn location(&self, kind: &str, id: &str) -> String {
        format!("{}/scim/v2/{kind}/{id}", self.state.core.public_url())
    }

    /// One query parameter (names case-insensitive), percent-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = auth.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Whether a body's declared type is one SCIM accepts: `application/scim+json`, or
/// `application/json` as many clients send (RFC 7644 §3.1 asks servers to accept it).
fn json_type(req: &Request) -> bool {
    match req.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.to_str().is_ok_and(|v| {
            let t = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            t == SCIM_CONTENT_TYPE || t == "application/json"
        }),
    }
}

impl FromRequest<AppState> for Scim {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        // The token is checked first: nothing of an unauthenticated request is read.
        let token = bearer(&req).ok_or_else(ScimError::unauthorized)?.to_owned();
        let client = state.core.provisioning_client(&token).await?;
        let h = req.headers();
        let origin = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| Origin::of(c.0.ip(), h, &state.options.trusted_proxies));
        let facts = RequestFacts {
            client_ip: origin.map(|o| o.client_ip),
            user_agent: h
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(256).collect()),
        };
        let query = req.uri().query().map(str::to_owned);
        let typed = json_type(&req);
        let body: Body = req.into_body();
        let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
            ScimError::status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            )
        })?;
        if !body.is_empty() && !typed {
            return Err(ScimError::status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/scim+json",
            ));
        }
        Ok(Scim {
            state: state.clone(),
            client: client.with_facts(facts),
            query,
            body,
        })
    }
}

/// A resource answer: `status`, the SCIM content type, and `Location` for a creation
/// (RFC 7644 §3.3).
pub fn answer<T: Serialize>(status: StatusCode, location: Option<&str>, body: &T) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCIM_CONTENT_TYPE),
    );
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::LOCATION, l);
    }
    res
}

/// `startIndex` (1-based, RFC 7644 §3.4.2.4: below 1 reads as 1) and `count` (negative
/// reads as 0, capped at [`MAX_PAGE`]).
pub fn paging(s: &Scim) -> Result<(i64, i64), ScimError> {
    let num = |name: &str, default: i64| -> Result<i64, ScimError> {
        match s.param(name) {
            None => Ok(default),
            Some(v) => v.trim().parse::<i64>().map_err(|_| {
                ScimError::bad(ScimType::InvalidValue, format!("{name} must be an integer"))
            }),
        }
    };
    let start = num("startIndex", 1)?.max(1);
    let count = num("count", MAX_PAGE)?.clamp(0, MAX_PAGE);
    Ok((start, count))
}

/// `meta.version`: a weak entity tag of the last modification (RFC 7644 §3.14).
pub fn version(updated_at: i64) -> String {
    format!("W/\"{updated_at}\"")
}
