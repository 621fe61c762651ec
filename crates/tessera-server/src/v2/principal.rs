//! `ac.principal` and `mc.principal` (`v2-wire.md` §5, §6.11): a user's real-name (principal)
//! authentication, by the user (`/api/v2/users/principal_authentication`) or an administrator
//! (`/api/v2/users/<id>/management/principal_authentication`). The core decides everything
//! (`tessera_core::service::principal`); the number is answered masked.
//!
//! The SDK's body is `{type:'P'|'E', name, idCard, ext}` (`ext` a person's bank card or an
//! enterprise's legal representative); `detail` answers `PrincipalDetail` or `null`, and
//! `authenticate` resolves `true` whatever `data` is (it is the detail here). The detail's
//! `id` is the user's id: a user has at most one authentication.

use axum::body::Bytes;
use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::{Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::service::principal::{PrincipalForm, PrincipalInfo};
use tessera_core::Result;

use super::args::opt_str;
use super::auth_rest::{body, reply, text, Reply};
use super::context::V2Ctx;
use super::manage::{done, Admin};
use crate::envelope::ok;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v2/users/principal_authentication",
            get(own_detail).post(own_authenticate),
        )
        .route(
            "/api/v2/users/{id}/management/principal_authentication",
            get(admin_detail).post(admin_authenticate),
        )
}

/// `PrincipalDetail`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrincipalDetail {
    id: String,
    user_pool_id: String,
    user_id: String,
    principal_type: &'static str,
    principal_name: String,
    principal_code: String,
    authentication_time: String,
    created_at: String,
    updated_at: String,
}

fn detail(p: Option<PrincipalInfo>) -> Option<PrincipalDetail> {
    p.map(|p| PrincipalDetail {
        id: p.user_id.clone(),
        user_pool_id: p.pool_id,
        user_id: p.user_id,
        principal_type: p.kind.as_str(),
        principal_name: p.name,
        principal_code: p.code_masked,
        authentication_time: iso8601(p.authenticated_at),
        created_at: iso8601(p.created_at),
        updated_at: iso8601(p.updated_at),
    })
}

/// The SDK's body: every field a string when present (a missing one is the core's
/// "missing parameter").
fn form(b: &Map<String, Value>) -> Result<PrincipalForm> {
    Ok(PrincipalForm {
        kind: opt_str(b, "type")?.unwrap_or_default(),
        name: opt_str(b, "name")?.unwrap_or_default(),
        code: opt_str(b, "idCard")?.unwrap_or_default(),
        ext: opt_str(b, "ext")?,
    })
}

async fn own_detail(ctx: V2Ctx) -> Reply {
    reply(&ctx, async {
        let s = ctx.session().await?;
        let p = ctx.state.core.own_principal(s).await?;
        Ok(ok(text(ctx.lang, "获取成功", "Success"), detail(p)))
    })
    .await
}

async fn own_authenticate(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let f = form(&body(&bytes)?)?;
        let s = ctx.session().await?;
        let p = ctx.state.core.authenticate_principal(s, f).await?;
        Ok(ok(
            text(ctx.lang, "认证成功", "Authenticated"),
            detail(Some(p)),
        ))
    })
    .await
}

async fn admin_detail(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            let p = admin.core().user_principal(&admin.pool, &id).await?;
            Ok(done(admin.lang(), detail(p)))
        })
        .await
}

async fn admin_authenticate(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let f = form(&body(&bytes)?)?;
            let p = admin
                .core()
                .admin_authenticate_principal(&admin.pool, &id, f)
                .await?;
            Ok(done(admin.lang(), detail(Some(p))))
        })
        .await
}
