//! WebAuthn (passkeys) for the v3 AuthenticationClient (`v3-wire.md` §5.6):
//! `initRegisterOptions` / `verifyRegister` (GET / POST `/api/v3/webauthn/registration`,
//! the user's access token) and `initAuthenticationOptions` / `verifyAuthentication`
//! (GET / POST `/api/v3/webauthn/authentication`, `x-authing-app-id`).
//!
//! The SDK types the options and credentials as `any`: they are the W3C WebAuthn Level 2
//! JSON shapes as SimpleWebAuthn-style servers and browsers exchange them
//! (`PublicKeyCredentialCreationOptions` / `RequestOptions` with base64url challenge and
//! ids; `RegistrationResponseJSON` / `AuthenticationResponseJSON`). Every rule is the
//! core's (`Core::passkey_*`); a sign-in is the one core login and answers the token set a
//! password sign-in would. A refused verification is an error envelope naming the check,
//! not `{verified: false}`, so a client sees why.

use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::service::login::LoginOptions;
use tessera_core::service::webauthn::{
    Assertion, AuthenticationOptions, AuthenticatorKind, NewCredential, RegistrationOptions,
};
use tessera_core::{Error, PasskeyProblem};

use super::super::envelope::{ok, Reply};
use super::call::AuthCall;
use super::signin::{custom_data, LoginTokens};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v3/webauthn/registration",
            get(registration_options).post(verify_registration),
        )
        .route(
            "/api/v3/webauthn/authentication",
            get(authentication_options).post(verify_authentication),
        )
}

/// base64url as WebAuthn JSON carries binary members; padding and the standard alphabet
/// are tolerated (some clients send them).
fn bytes(v: &str, field: &'static str) -> Result<Vec<u8>, Error> {
    let t: String = v
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD
        .decode(t)
        .map_err(|_| Error::InvalidParameter(field))
}

/// The credential id from `rawId` (or `id` alone); when both come they must agree.
fn raw_id(id: Option<&str>, raw: Option<&str>) -> Result<Vec<u8>, Error> {
    let from_raw = raw.map(|r| bytes(r, "rawId")).transpose()?;
    let from_id = id.map(|i| bytes(i, "id")).transpose()?;
    match (from_raw, from_id) {
        (Some(r), Some(i)) if r != i => Err(Error::Passkey(PasskeyProblem::Malformed)),
        (Some(r), _) | (None, Some(r)) => Ok(r),
        (None, None) => Err(Error::MissingParameter("rawId")),
    }
}

/// `type` must be `public-key` when sent.
fn public_key_type(kind: Option<&str>) -> Result<(), Error> {
    match kind {
        None | Some("public-key") => Ok(()),
        Some(_) => Err(Error::InvalidParameter("type")),
    }
}

fn registration_json(o: RegistrationOptions) -> Value {
    let params: Vec<Value> = o
        .algorithms
        .iter()
        .map(|alg| json!({ "type": "public-key", "alg": alg }))
        .collect();
    let exclude: Vec<Value> = o
        .exclude
        .iter()
        .map(|c| json!({ "id": c.id, "type": "public-key", "transports": c.transports }))
        .collect();
    json!({
        "registrationOptions": {
            "challenge": o.challenge,
            "rp": { "id": o.rp.id, "name": o.rp.name },
            "user": {
                "id": o.user_handle,
                "name": o.user_name,
                "displayName": o.user_display_name,
            },
            "pubKeyCredParams": params,
            "timeout": o.timeout_ms,
            "attestation": "none",
            "excludeCredentials": exclude,
            // Sign-in is usernameless: only a discoverable credential can be offered there.
            "authenticatorSelection": {
                "residentKey": "required",
                "requireResidentKey": true,
                "userVerification": "preferred",
            },
            "extensions": { "credProps": true },
        },
        "ticket": o.ticket,
    })
}

fn authentication_json(o: AuthenticationOptions) -> Value {
    json!({
        "authenticationOptions": {
            "challenge": o.challenge,
            "rpId": o.rp_id,
            "timeout": o.timeout_ms,
            "allowCredentials": [],
            "userVerification": "preferred",
        },
        "ticket": o.ticket,
    })
}

async fn registration_options(call: AuthCall) -> Reply {
    let session = call.session().await?;
    let options = call
        .core()
        .passkey_registration_options(&session, call.app_opt())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, registration_json(options)))
}

#[derive(Debug, Deserialize)]
struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    #[serde(rename = "attestationObject")]
    attestation_object: String,
    #[serde(default)]
    transports: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistrationCredential {
    id: Option<String>,
    raw_id: Option<String>,
    response: AttestationResponse,
    #[serde(default)]
    transports: Option<Vec<String>>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum AuthenticatorCode {
    Fingerprint,
    Face,
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyRegistration {
    ticket: String,
    registration_credential: RegistrationCredential,
    authenticator_code: Option<AuthenticatorCode>,
}

fn new_credential(req: VerifyRegistration) -> Result<NewCredential, Error> {
    let c = req.registration_credential;
    public_key_type(c.kind.as_deref())?;
    Ok(NewCredential {
        raw_id: raw_id(c.id.as_deref(), c.raw_id.as_deref())?,
        client_data_json: bytes(&c.response.client_data_json, "clientDataJSON")?,
        attestation_object: bytes(&c.response.attestation_object, "attestationObject")?,
        transports: c.transports.or(c.response.transports).unwrap_or_default(),
        authenticator: match req.authenticator_code {
            Some(AuthenticatorCode::Fingerprint) => AuthenticatorKind::Fingerprint,
            Some(AuthenticatorCode::Face) => AuthenticatorKind::Face,
            Some(AuthenticatorCode::Other) | None => AuthenticatorKind::Other,
        },
    })
}

async fn verify_registration(call: AuthCall) -> Reply {
    let req: VerifyRegistration = call.args()?;
    let session = call.session().await?;
    let ticket = req.ticket.clone();
    let cred = new_credential(req).map_err(|e| call.fail(e))?;
    let client = call.login_context(None, false);
    call.core()
        .passkey_register(&session, call.app_opt(), &ticket, cred, &client)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, json!({ "verified": true })))
}

async fn authentication_options(call: AuthCall) -> Reply {
    let (pool, app) = (call.pool()?, call.app()?);
    let options = call
        .core()
        .passkey_authentication_options(pool, app)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, authentication_json(options)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssertionResponse {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    authenticator_data: String,
    signature: String,
    user_handle: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationCredential {
    id: Option<String>,
    raw_id: Option<String>,
    response: AssertionResponse,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `SignInByWebAuthnOptionsDto`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SignInOptions {
    scope: Option<String>,
    custom_data: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyAuthentication {
    ticket: String,
    authentication_credential: AuthenticationCredential,
    options: Option<SignInOptions>,
}

fn assertion(c: AuthenticationCredential) -> Result<Assertion, Error> {
    public_key_type(c.kind.as_deref())?;
    let r = c.response;
    Ok(Assertion {
        raw_id: raw_id(c.id.as_deref(), c.raw_id.as_deref())?,
        client_data_json: bytes(&r.client_data_json, "clientDataJSON")?,
        authenticator_data: bytes(&r.authenticator_data, "authenticatorData")?,
        signature: bytes(&r.signature, "signature")?,
        user_handle: r
            .user_handle
            .filter(|h| !h.is_empty())
            .map(|h| bytes(&h, "userHandle"))
            .transpose()?,
    })
}

async fn verify_authentication(call: AuthCall) -> Reply {
    let req: VerifyAuthentication = call.args()?;
    let (pool, app) = (call.pool()?.clone(), call.app()?.clone());
    let opts = req.options.unwrap_or_default();
    let assertion = assertion(req.authentication_credential).map_err(|e| call.fail(e))?;
    let login = LoginOptions {
        client: call.login_context(None, false),
        custom_data: custom_data(opts.custom_data).map_err(|e| call.fail(e))?,
        ..LoginOptions::default()
    };
    let core = call.core();
    let event = core
        .passkey_authenticate(&pool, &app, &req.ticket, assertion, login)
        .await
        .map_err(|e| call.fail(e))?;
    let tokens = core
        .oidc_tokens_for_event(&pool, &app, &event, opts.scope.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(
        call.lang,
        json!({ "verified": true, "tokenSet": LoginTokens::from(tokens) }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_decode_from_base64url_with_or_without_padding_and_must_agree() {
        assert_eq!(bytes("AQID", "id").unwrap(), vec![1, 2, 3]);
        assert_eq!(bytes("-_8=", "id").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(bytes("+/8", "id").unwrap(), vec![0xfb, 0xff]);
        assert!(bytes("*", "id").is_err());
        assert_eq!(raw_id(Some("AQID"), Some("AQID")).unwrap(), vec![1, 2, 3]);
        assert!(raw_id(Some("AQID"), Some("AQIE")).is_err());
        assert!(raw_id(None, None).is_err());
    }
}
