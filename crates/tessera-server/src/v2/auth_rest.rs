//! REST routes of the AuthenticationClient (`v2-wire.md` §5.1): the `{code, message, data}`
//! envelope, HTTP 200 even for business errors.

use axum::body::Bytes;
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::{Error, Result};

use super::args::{self, opt_bool, opt_str, req_str};
use super::context::V2Ctx;
use super::shapes::SecurityLevelJson;
use super::user_json::authenticated_json;
use crate::authing::Lang;
use crate::envelope::{ok, V2Error};

pub(super) type Reply = std::result::Result<Response, V2Error>;

pub(super) fn text(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::EnUs => en,
    }
}

pub fn body(bytes: &Bytes) -> Result<Map<String, Value>> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::InvalidParameter("body")),
    }
}

/// Runs a handler body, turning its error into the envelope in the caller's language.
pub(super) async fn reply<F>(ctx: &V2Ctx, f: F) -> Reply
where
    F: std::future::Future<Output = Result<Response>>,
{
    f.await.map_err(|e| V2Error(e, ctx.lang))
}

pub async fn register_by_email_code(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        let pool = ctx.pool()?;
        let reg = Registration::EmailCode {
            email: req_str(&b, "email")?,
            code: req_str(&b, "code")?,
        };
        // `forceLogin` counts a login and returns a token; `generateToken` only returns one.
        let force_login = opt_bool(&b, "forceLogin")?;
        let issue_token = force_login || opt_bool(&b, "generateToken")?;
        let opts = RegisterOptions {
            profile: args::profile(&b)?,
            force_login,
            client: ctx.client(opt_str(&b, "clientIp")?).await,
            custom_data: args::custom_data(&b)?,
        };
        let out = ctx.state.core.register(pool, ctx.app(), reg, opts).await?;
        let core = &ctx.state.core;
        Ok(ok(
            text(ctx.lang, "注册成功", "Registered"),
            authenticated_json(core, pool, ctx.app(), &out, issue_token, true).await?,
        ))
    })
    .await
}

pub async fn login_by_email_code(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        let pool = ctx.pool()?;
        let credential = Credential::EmailCode {
            email: req_str(&b, "email")?,
            code: req_str(&b, "code")?,
        };
        let opts = LoginOptions {
            client: ctx.client(opt_str(&b, "clientIp")?).await,
            custom_data: args::custom_data(&b)?,
            ..LoginOptions::default()
        };
        let core = &ctx.state.core;
        let out = core.authenticate(pool, ctx.app(), credential, opts).await?;
        Ok(ok(
            text(ctx.lang, "登录成功", "Logged in"),
            authenticated_json(core, pool, ctx.app(), &out, true, true).await?,
        ))
    })
    .await
}

pub async fn send_sms(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        let pool = ctx.pool()?;
        ctx.state
            .core
            .send_sms_code(
                pool,
                &req_str(&b, "phone")?,
                opt_str(&b, "phoneCountryCode")?.as_deref(),
                opt_str(&b, "scene")?.as_deref(),
            )
            .await?;
        Ok(ok(text(ctx.lang, "发送成功", "Sent"), Value::Null))
    })
    .await
}

/// LDAP and AD logins need an identity source; none can be configured yet.
pub async fn directory_login(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        req_str(&b, "username")?;
        ctx.pool()?;
        Err(Error::IdentitySourceNotConfigured)
    })
    .await
}

/// A user's own logout; with a management token, `?userId=` ends that user's sessions.
pub async fn logout(ctx: V2Ctx, axum::extract::RawQuery(q): axum::extract::RawQuery) -> Reply {
    // A verified administrator only: an end user's logout never turns into ending sessions.
    let admin = ctx.principal().await.pool_admin().cloned();
    if let Some(pool) = admin {
        return super::manage::admin_logout(super::manage::Admin { ctx, pool }, q).await;
    }
    reply(&ctx, async {
        let s = ctx.session().await?;
        ctx.state.core.logout(s).await?;
        Ok(ok(
            text(ctx.lang, "退出登录成功", "Logged out"),
            Value::Null,
        ))
    })
    .await
}

pub async fn security_level(ctx: V2Ctx) -> Reply {
    reply(&ctx, async {
        let s = ctx.session().await?;
        let level = ctx.state.core.security_level(s.pool(), s.user()).await?;
        Ok(ok("", SecurityLevelJson::from(&level)))
    })
    .await
}

pub async fn link_accounts(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        ctx.state
            .core
            .link_accounts(
                &req_str(&b, "primaryUserToken")?,
                &req_str(&b, "secondaryUserToken")?,
            )
            .await?;
        Ok(ok(
            text(ctx.lang, "绑定成功", "Accounts linked"),
            Value::Null,
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct Page {
    page: Option<String>,
    limit: Option<String>,
}

pub async fn allowed_applications(ctx: V2Ctx, Query(q): Query<Page>) -> Reply {
    reply(&ctx, async {
        let s = ctx.session().await?;
        let num = |v: &Option<String>, d: i64, name: &'static str| -> Result<i64> {
            v.as_deref().map_or(Ok(d), |s| {
                s.parse().map_err(|_| Error::InvalidParameter(name))
            })
        };
        let page = num(&q.page, 1, "page")?;
        let limit = num(&q.limit, 10, "limit")?;
        let (total, apps) = ctx
            .state
            .core
            .allowed_apps(&s.pool().id, &s.user().id, page, limit)
            .await?;
        let list: Vec<Value> = apps
            .iter()
            .map(|a| {
                json!({
                    "id": a.id, "name": a.name, "logo": a.logo, "domain": a.identifier,
                    "description": a.description,
                    "createdAt": tessera_core::clock::iso8601(a.created_at),
                    "updatedAt": tessera_core::clock::iso8601(a.updated_at),
                    "protocol": "oidc",
                })
            })
            .collect();
        Ok(ok("", json!({"totalCount": total, "list": list})))
    })
    .await
}

pub async fn my_orgs(ctx: V2Ctx) -> Reply {
    reply(&ctx, async {
        let s = ctx.session().await?;
        let orgs = ctx.state.core.user_orgs(&s.pool().id, &s.user().id).await?;
        let out: Vec<Value> = orgs
            .iter()
            .map(|path| {
                Value::Array(
                    path.iter()
                        .map(super::directory_fields::node_json)
                        .collect(),
                )
            })
            .collect();
        Ok(ok("", Value::Array(out)))
    })
    .await
}
