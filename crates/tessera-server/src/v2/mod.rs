//! The v2 façade (authing-js-sdk 4.x): REST under `/api/v2`. GraphQL joins with the
//! AuthenticationClient work.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::envelope::{ok, RequestLang, V2Error};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/.well-known", get(well_known))
        .route(
            "/api/v2/applications/{app_id}/public-config",
            get(public_config),
        )
}

/// The key the SDKs encrypt passwords with (`v2-wire.md` §4.2).
async fn well_known(State(state): State<AppState>, RequestLang(lang): RequestLang) -> Response {
    let msg = match lang {
        tessera_core::Lang::ZhCn => "获取成功",
        tessera_core::Lang::EnUs => "Success",
    };
    ok(
        msg,
        json!({ "publicKey": state.core.password_public_key_pem() }),
    )
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
            "publicKey": state.core.password_public_key_pem(),
            "appHost": state.core.public_url(),
        }),
    ))
}
