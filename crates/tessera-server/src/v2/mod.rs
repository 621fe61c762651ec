//! The v2 façade (authing-js-sdk 4.x): GraphQL at `/graphql/v2` and REST under `/api/v2`.
//! Handlers parse, call one core service and format; see `auth_ops` (GraphQL operations of
//! the AuthenticationClient) and `auth_rest` (its REST routes).

pub(crate) mod args;
mod auth_ops;
mod auth_rest;
mod captcha;
mod context;
mod directory_fields;
mod endpoint;
mod manage;
mod mfa;
mod principal;
mod shapes;
pub(crate) mod upload;
mod user_json;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use crate::envelope::{ok, RequestLang, V2Error};
use crate::AppState;

pub fn routes(max_upload: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v2/.well-known", get(well_known))
        .route(
            "/api/v2/applications/{app_id}/public-config",
            get(public_config),
        )
        .route(
            "/graphql/v2",
            post(endpoint::handler).layer(DefaultBodyLimit::max(endpoint::MAX_BODY)),
        )
        .route(
            "/api/v2/register/email-code",
            post(auth_rest::register_by_email_code),
        )
        .route(
            "/api/v2/login/email-code",
            post(auth_rest::login_by_email_code),
        )
        .route("/api/v2/sms/send", post(auth_rest::send_sms))
        .route("/api/v2/ldap/verify-user", post(auth_rest::directory_login))
        .route("/api/v2/ad/verify-user", post(auth_rest::directory_login))
        .route("/api/v2/logout", get(auth_rest::logout))
        .route("/logout", get(auth_rest::logout))
        .route(
            "/api/v2/users/me/security-level",
            get(auth_rest::security_level),
        )
        .route(
            "/api/v2/users/me/applications/allowed",
            get(auth_rest::allowed_applications),
        )
        .route("/api/v2/users/me/orgs", get(auth_rest::my_orgs))
        .route("/api/v2/users/link", post(auth_rest::link_accounts))
        .route("/api/v2/security/captcha", get(captcha::handler))
        .route(
            "/api/v2/upload",
            post(upload::upload).layer(DefaultBodyLimit::max(max_upload + 64 * 1024)),
        )
        .route("/uploads/{name}", get(upload::serve_upload))
        .merge(manage::routes())
        .merge(mfa::routes())
        .merge(principal::routes())
}
/// The key the SDKs encrypt passwords with (`v2-wire.md` §4.2).
async fn well_known(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
) -> Result<Response, V2Error> {
    let msg = match lang {
        crate::authing::Lang::ZhCn => "获取成功",
        crate::authing::Lang::EnUs => "Success",
    };
    let public_key = state
        .core
        .password_public_key_pem()
        .await
        .map_err(|e| V2Error(e, lang))?;
    Ok(ok(msg, json!({ "publicKey": public_key })))
}

/// An application's public configuration, as hosted login pages read it.
async fn public_config(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    Path(app_id): Path<String>,
) -> Result<Response, V2Error> {
    let app = state
        .core
        .app(&app_id)
        .await
        .map_err(|e| V2Error(e, lang))?;
    let pool = state
        .core
        .pool(&app.pool_id)
        .await
        .map_err(|e| V2Error(e, lang))?;
    let public_key = state
        .core
        .password_public_key_pem()
        .await
        .map_err(|e| V2Error(e, lang))?;
    Ok(ok(
        "",
        json!({
            "id": app.id,
            "name": app.name,
            "identifier": app.identifier,
            "description": app.description,
            "logo": app.logo,
            "userPoolId": app.pool_id,
            "userPoolName": pool.name,
            "registerDisabled": pool.settings.register_disabled,
            "passwordStrength": pool.settings.password_strength,
            "oidcConfig": {
                "redirect_uris": app.oidc.redirect_uris,
                "grant_types": app.oidc.grant_types,
                "response_types": app.oidc.response_types,
                "id_token_signed_response_alg": app.oidc.id_token_signing_alg.as_str(),
            },
            "publicKey": public_key,
            "appHost": state.core.public_url(),
        }),
    ))
}
