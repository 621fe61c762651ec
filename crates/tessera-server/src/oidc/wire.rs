//! The OAuth/OIDC wire: how core refusals are said (RFC 6749 §5.2 JSON with statuses, RFC
//! 6750 §3 `WWW-Authenticate`), form bodies, client credentials from `Authorization: Basic`
//! or the form (RFC 6749 §2.3.1), and cookies.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_core::service::oidc::client::ClientAuth;
use tessera_core::{Error, ProtocolError};

/// The socket peer, when the server runs with connect info (in-process tests do not).
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Peer, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The RFCs' `error` value for a core refusal.
pub fn error_code(e: &Error) -> &'static str {
    match e {
        Error::Protocol(kind, _) => match kind {
            ProtocolError::UnknownClient | ProtocolError::InvalidClient => "invalid_client",
            ProtocolError::BadRedirectUri | ProtocolError::InvalidRequest => "invalid_request",
            ProtocolError::InvalidGrant => "invalid_grant",
            ProtocolError::UnauthorizedClient => "unauthorized_client",
            ProtocolError::UnsupportedGrantType => "unsupported_grant_type",
            ProtocolError::UnsupportedResponseType => "unsupported_response_type",
            ProtocolError::InvalidScope => "invalid_scope",
            ProtocolError::AccessDenied => "access_denied",
            ProtocolError::LoginRequired => "login_required",
            ProtocolError::ConsentRequired => "consent_required",
            ProtocolError::AuthorizationPending => "authorization_pending",
            ProtocolError::SlowDown => "slow_down",
            ProtocolError::ExpiredToken => "expired_token",
            ProtocolError::InvalidToken => "invalid_token",
        },
        Error::Internal(_) | Error::Storage(_) => "temporarily_unavailable",
        Error::MissingParameter(_) | Error::InvalidParameter(_) => "invalid_request",
        // A login refused inside a grant (blocked, locked, captcha, wrong password…).
        _ => "invalid_grant",
    }
}

/// A human description: the core's for protocol refusals, a fixed one otherwise (never
/// internal detail).
pub fn error_description(e: &Error) -> String {
    match e {
        Error::Protocol(_, why) => why.to_string(),
        Error::Internal(_) | Error::Storage(_) => "the server is busy, try again later".into(),
        Error::UserBlocked => "the user is blocked".into(),
        Error::AccountLocked => "the account is locked after too many failed logins".into(),
        Error::CaptchaRequired | Error::CaptchaWrong => {
            "too many failed logins: log in through the hosted page".into()
        }
        Error::WrongPassword | Error::UserNotFound => "the username or password is wrong".into(),
        Error::MissingParameter(p) => format!("{p} is missing"),
        Error::InvalidParameter(p) => format!("{p} is invalid"),
        other => other.to_string(),
    }
}

#[derive(Serialize)]
struct ErrorJson {
    error: &'static str,
    error_description: String,
}

/// A back-channel error response (token, introspection, revocation, device endpoints).
pub struct OAuthError(pub Error);

impl From<Error> for OAuthError {
    fn from(e: Error) -> OAuthError {
        OAuthError(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let code = error_code(&self.0);
        if matches!(self.0, Error::Internal(_) | Error::Storage(_)) {
            tracing::error!(error = %self.0, "oidc request failed");
        }
        let status = match code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "invalid_token" => StatusCode::UNAUTHORIZED,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut res = (
            status,
            no_store(),
            axum::Json(ErrorJson {
                error: code,
                error_description: error_description(&self.0),
            }),
        )
            .into_response();
        let challenge = match code {
            "invalid_client" => Some("Basic realm=\"tessera\"".to_owned()),
            "invalid_token" => Some("Bearer error=\"invalid_token\"".to_owned()),
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        res
    }
}

/// Token responses and errors are never cached (RFC 6749 §5.1).
pub fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// A form body (`application/x-www-form-urlencoded`), or for a GET the query.
pub fn form<T: DeserializeOwned>(body: &[u8]) -> Result<T, OAuthError> {
    serde_urlencoded::from_bytes(body).map_err(|_| {
        OAuthError(tessera_core::protocol(
            ProtocolError::InvalidRequest,
            "the body is not a valid form",
        ))
    })
}

/// Most a back-channel form may weigh: every real request is well under 16 KiB.
pub const MAX_FORM: usize = 64 * 1024;

/// Refuses a body above [`MAX_FORM`] with an OAuth error instead of a plain-text 413.
pub fn bounded(body: &Bytes) -> Result<&[u8], OAuthError> {
    if body.len() > MAX_FORM {
        return Err(OAuthError(tessera_core::protocol(
            ProtocolError::InvalidRequest,
            "the request is too large",
        )));
    }
    Ok(body)
}

/// The application an Authing SDK names in its `x-authing-app-id` header (`x-genauth-app-id`
/// for the GenAuth rebrand).
fn header_app_id(headers: &HeaderMap) -> Option<String> {
    ["x-authing-app-id", "x-genauth-app-id"]
        .iter()
        .find_map(|n| headers.get(*n))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The client's credentials: `Authorization: Basic` (its parts form-decoded, RFC 6749
/// §2.3.1) or `client_id`/`client_secret` in the form. Both at once is refused (§2.3).
///
/// Without either, the client is the application `x-authing-app-id` names: the
/// mini-program SDK refreshes with no `client_id` in the form (`v3-wire.md` §9.10). A name
/// is no proof: the core accepts a client named this way without a secret only if it is a
/// public one (`token_endpoint_auth_method: none`), exactly as a bare form `client_id`.
pub fn client_auth(
    headers: &HeaderMap,
    form_id: Option<String>,
    form_secret: Option<String>,
) -> Result<ClientAuth, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        });
    let Some(b64) = basic else {
        // `client_id=` (empty) is no name either (§9.11: empty strings are absent).
        let client_id = form_id
            .filter(|id| !id.is_empty())
            .or_else(|| header_app_id(headers));
        return Ok(ClientAuth {
            client_id,
            client_secret: form_secret,
            basic: false,
        });
    };
    let bad = || {
        OAuthError(tessera_core::protocol(
            ProtocolError::InvalidClient,
            "the Basic credentials are malformed",
        ))
    };
    let raw = STANDARD.decode(b64.trim()).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (id, secret) = raw.split_once(':').ok_or_else(bad)?;
    let decode = |s: &str| -> Result<String, OAuthError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(&format!("v={}", s.replace('&', "%26")))
                .map_err(|_| bad())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    let (id, secret) = (decode(id)?, decode(secret)?);
    if form_secret.is_some() || form_id.as_deref().is_some_and(|f| f != id) {
        return Err(OAuthError(tessera_core::protocol(
            ProtocolError::InvalidRequest,
            "client credentials were sent twice",
        )));
    }
    Ok(ClientAuth {
        client_id: Some(id),
        client_secret: Some(secret),
        basic: true,
    })
}

/// Every `name=value` of the `Cookie` headers.
pub fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// A cookie's value from the `Cookie` header.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    cookies(headers)
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Adds a `Set-Cookie` to `res`: HttpOnly, SameSite=Lax (the login's redirect back from
/// another site must carry it; cross-site posts must not), Secure when served over https.
/// `max_age_s` 0 deletes the cookie.
pub fn add_cookie(
    res: &mut axum::response::Response,
    name: &str,
    value: &str,
    path: &str,
    max_age_s: i64,
    secure: bool,
) {
    let c = format!(
        "{name}={value}; Path={path}; Max-Age={max_age_s}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode("my%20app:s%3Acret"));
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        let a = client_auth(&h, None, None).ok().unwrap();
        assert_eq!(a.client_id.as_deref(), Some("my app"));
        assert_eq!(a.client_secret.as_deref(), Some("s:cret"));
        assert!(a.basic);
        assert!(client_auth(&h, None, Some("x".into())).is_err());
    }

    #[test]
    fn the_app_header_names_the_client_only_when_nothing_else_does() {
        let mut h = HeaderMap::new();
        h.insert("x-authing-app-id", "header-app".parse().unwrap());
        let named = |id: Option<&str>| {
            client_auth(&h, id.map(str::to_owned), None)
                .ok()
                .and_then(|a| a.client_id)
        };
        assert_eq!(named(None).as_deref(), Some("header-app"));
        assert_eq!(named(Some("")).as_deref(), Some("header-app"));
        assert_eq!(named(Some("form-app")).as_deref(), Some("form-app"));
        // Basic credentials win over the header, which never adds a secret.
        let v = format!("Basic {}", STANDARD.encode("basic-app:s"));
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        let a = client_auth(&h, None, None).ok().unwrap();
        assert_eq!(a.client_id.as_deref(), Some("basic-app"));
        let mut none = HeaderMap::new();
        none.insert("x-authing-app-id", " ".parse().unwrap());
        assert!(client_auth(&none, None, None)
            .ok()
            .unwrap()
            .client_id
            .is_none());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; tsso_x=abc; b=".parse().unwrap());
        assert_eq!(cookie(&h, "tsso_x"), Some("abc"));
        assert_eq!(cookie(&h, "b"), None);
        assert_eq!(cookie(&h, "c"), None);
    }
}
