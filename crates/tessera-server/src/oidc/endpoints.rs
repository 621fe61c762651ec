//! The provider's back-channel and metadata endpoints: discovery, token, userinfo,
//! introspection, revocation, device authorization, and the legacy `validate_token`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_core::service::oidc::token::{TokenRequest, AUTHING_TOKEN_GRANT};
use tessera_core::service::oidc::SUPPORTED_SCOPES;
use tessera_core::service::users::LoginContext;
use tessera_core::ProtocolError;

use super::wire::{bounded, client_auth, form, no_store, OAuthError, Peer};
use crate::client_ip::Origin;
use crate::AppState;

/// OpenID Provider metadata (OIDC Discovery §3, RFC 8414), answered from the document the
/// router wrote once ([`discovery_document`]: it depends only on the issuer).
pub fn discovery(doc: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        doc,
    )
        .into_response()
}

pub fn discovery_document(iss: &str) -> String {
    let doc = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/auth"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/me"),
        "jwks_uri": format!("{iss}/.well-known/jwks.json"),
        "end_session_endpoint": format!("{iss}/session/end"),
        "introspection_endpoint": format!("{iss}/token/introspection"),
        "revocation_endpoint": format!("{iss}/token/revocation"),
        "device_authorization_endpoint": format!("{iss}/device/auth"),
        "scopes_supported": SUPPORTED_SCOPES,
        "response_types_supported": [
            "code", "id_token", "id_token token", "code id_token", "code token",
            "code id_token token", "none"
        ],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": [
            "authorization_code", "implicit", "refresh_token", "client_credentials", "password",
            "urn:ietf:params:oauth:grant-type:device_code",
            "http://authing.cn/oidc/grant_type/authing_token"
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "HS256"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_post", "client_secret_basic", "none"],
        "introspection_endpoint_auth_methods_supported":
            ["client_secret_post", "client_secret_basic", "none"],
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_post", "client_secret_basic", "none"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "at_hash",
            "c_hash", "name", "family_name", "given_name", "middle_name", "nickname",
            "preferred_username", "profile", "picture", "website", "gender", "birthdate",
            "zoneinfo", "locale", "updated_at", "email", "email_verified", "phone_number",
            "phone_number_verified", "address"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "ui_locales_supported": ["zh-CN", "en-US"],
    });
    doc.to_string()
}

#[derive(Deserialize, Default)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    username: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    unionid: Option<String>,
    password: Option<String>,
    token: Option<String>,
    /// The legacy SDK's name for `token` (`authingTokenToOidcToken`, `v1-legacy-wire.md` §8).
    #[serde(rename = "authingToken")]
    authing_token: Option<String>,
    device_code: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The legacy SDK (3.22.3) names Authing's token exchange by the short `authingToken`
/// (`v1-legacy-wire.md` §8); it is the same grant.
fn grant_type(sent: Option<String>) -> Option<String> {
    match sent.as_deref() {
        Some("authingToken") => Some(AUTHING_TOKEN_GRANT.to_owned()),
        _ => sent,
    }
}

fn login_context(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> LoginContext {
    LoginContext {
        app_id: None,
        ip: peer.map(|p| {
            Origin::of(p.ip(), headers, &state.options.trusted_proxies)
                .client_ip
                .to_string()
        }),
        device: None,
        browser: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect()),
    }
}

/// The token endpoint (RFC 6749 §3.2).
pub async fn token(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let f: TokenForm = form(bounded(&body)?)?;
    let auth = client_auth(&headers, f.client_id, f.client_secret)?;
    let req = TokenRequest {
        grant_type: grant_type(f.grant_type),
        code: f.code,
        redirect_uri: f.redirect_uri,
        code_verifier: f.code_verifier,
        refresh_token: f.refresh_token,
        scope: f.scope,
        username: f.username,
        email: f.email,
        phone: f.phone,
        unionid: f.unionid,
        password: f.password,
        token: f.token.filter(|t| !t.is_empty()).or(f.authing_token),
        device_code: f.device_code,
    };
    let ctx = login_context(&state, peer, &headers);
    let set = state.core.oidc_token(auth, req, ctx).await?;
    Ok((no_store(), Json(set)).into_response())
}

#[derive(Deserialize, Default)]
struct TokenOnly {
    token: Option<String>,
    access_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The bearer token of a UserInfo request: header, then form body, then query (RFC 6750
/// §2; the SDK's `getUserInfoByAccessToken` uses all three).
fn bearer(headers: &HeaderMap, body: &TokenOnly, query: &TokenOnly) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
        .or_else(|| body.access_token.clone())
        .or_else(|| query.access_token.clone())
        .filter(|t| !t.is_empty())
}

/// UserInfo (OIDC Core §5.3), GET or POST.
pub async fn userinfo(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let query = TokenOnly {
        access_token: query.get("access_token").cloned(),
        ..TokenOnly::default()
    };
    let body: TokenOnly = if method == Method::POST && !body.is_empty() {
        form(bounded(&body)?)?
    } else {
        TokenOnly::default()
    };
    let token = bearer(&headers, &body, &query).ok_or_else(|| {
        OAuthError(tessera_core::protocol(
            ProtocolError::InvalidToken,
            "no access token was sent",
        ))
    })?;
    let claims = state.core.oidc_userinfo(&token).await?;
    Ok((no_store(), Json(Value::Object(claims))).into_response())
}

/// Token introspection (RFC 7662).
pub async fn introspection(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let f: TokenOnly = form(bounded(&body)?)?;
    let auth = client_auth(&headers, f.client_id, f.client_secret)?;
    let token = f.token.unwrap_or_default();
    let answer = state.core.oidc_introspect(auth, &token).await?;
    Ok((no_store(), Json(answer)).into_response())
}

/// Token revocation (RFC 7009): 200 with an empty body whenever the client is genuine.
pub async fn revocation(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let f: TokenOnly = form(bounded(&body)?)?;
    let auth = client_auth(&headers, f.client_id, f.client_secret)?;
    let token = f.token.filter(|t| !t.is_empty()).ok_or_else(|| {
        OAuthError(tessera_core::protocol(
            ProtocolError::InvalidRequest,
            "token is missing",
        ))
    })?;
    state.core.oidc_revoke(auth, &token).await?;
    Ok((no_store(), "").into_response())
}

#[derive(Deserialize, Default)]
struct DeviceForm {
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Serialize)]
struct DeviceAnswer {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: i64,
    interval: i64,
}

/// Device authorization (RFC 8628 §3.1).
pub async fn device_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let f: DeviceForm = form(bounded(&body)?)?;
    let auth = client_auth(&headers, f.client_id, f.client_secret)?;
    let d = state
        .core
        .oidc_device_authorize(auth, f.scope.as_deref())
        .await?;
    let uri = format!("{}/device", state.core.issuer());
    let complete = format!(
        "{uri}?{}",
        serde_urlencoded::to_string([("user_code", d.user_code.as_str())]).unwrap_or_default()
    );
    Ok((
        no_store(),
        Json(DeviceAnswer {
            device_code: d.device_code,
            user_code: d.user_code,
            verification_uri: uri,
            verification_uri_complete: complete,
            expires_in: d.expires_in,
            interval: d.interval,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ValidateQuery {
    id_token: Option<String>,
    access_token: Option<String>,
}

/// `GET /api/v2/oidc/validate_token` (v2 wire §5.5): the decoded payload of a valid token,
/// else HTTP 200 `{code: 400, message}` as the SDK's `validateToken` expects.
pub async fn validate_token(
    State(state): State<AppState>,
    Query(q): Query<ValidateQuery>,
) -> Response {
    let core = &state.core;
    let answer = match (q.id_token, q.access_token) {
        (Some(t), _) => core.oidc_validate_id_token(&t).await.ok(),
        (None, Some(t)) => core
            .oidc_check_access_token(&t)
            .await
            .ok()
            .and_then(|(c, _)| serde_json::to_value(c).ok()),
        (None, None) => None,
    };
    match answer {
        Some(payload) => Json(payload).into_response(),
        None => Json(json!({"code": 400, "message": "id_token 不合法"})).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legacy_grant_name_is_the_token_exchange() {
        assert_eq!(
            grant_type(Some("authingToken".into())).as_deref(),
            Some(AUTHING_TOKEN_GRANT)
        );
        assert_eq!(
            grant_type(Some("password".into())).as_deref(),
            Some("password")
        );
        assert_eq!(grant_type(None), None);
    }

    #[test]
    fn the_legacy_form_fields_are_read() {
        let f: TokenForm =
            form(b"grant_type=authingToken&authingToken=t1&email=a%40b.c&phone=138&unionid=u")
                .ok()
                .unwrap();
        assert_eq!(f.authing_token.as_deref(), Some("t1"));
        assert_eq!(f.email.as_deref(), Some("a@b.c"));
        assert_eq!(f.phone.as_deref(), Some("138"));
        assert_eq!(f.unionid.as_deref(), Some("u"));
    }
}
