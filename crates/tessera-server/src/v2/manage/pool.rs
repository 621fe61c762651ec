//! `mc.userpool`, `mc.whitelist` and `mc.udf` (`v2-wire.md` §6.7–6.9), plus the custom
//! values of any target type (`udv`, `udfValueBatch`, …) that `mc.users` and `mc.roles` use.

use axum::body::Bytes;
use axum::extract::Path;
use axum::routing::{delete, get};
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::UserPool;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::settings::WhitelistType;
use tessera_core::service::udf::{decode_wire_value, UdfDataType, UdfTarget};
use tessera_core::store::UdfDefinition;
use tessera_core::{Error, Result};

use super::super::args::{obj, opt_str, req_str, str_list, udv_list};
use super::super::context::V2Ctx;
use super::super::shapes::{
    login_fail_strategy, CustomPasswordStrengthJson, PasswordUpdatePolicyJson, ProviderJson,
    RateCheckJson, WhitelistJson,
};
use super::super::user_json::udv_json;
use super::{body, common_message, done, Admin, Reply};
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "updateUserpool" => update_pool(ctx, a).await,
        "userpool" => pool_detail_gql(ctx).await,
        "refreshUserpoolSecret" => refresh_secret(ctx).await,
        "whitelist" => whitelist(ctx, a).await,
        "addWhitelist" | "removeWhitelist" => edit_whitelist(ctx, f).await,
        "setUdf" => set_udf(ctx, a).await,
        "removeUdf" => remove_udf(ctx, a).await,
        "udf" => list_udf(ctx, a).await,
        "udv" | "setUdv" | "setUdvBatch" | "removeUdv" => udv(ctx, f).await,
        "udfValueBatch" => udf_value_batch(ctx, a).await,
        "setUdfValueBatch" => set_udf_value_batch(ctx, a).await,
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/userpools/detail", get(pool_detail))
        .route("/api/v2/env", get(list_env).post(add_env))
        .route("/api/v2/env/{key}", delete(remove_env))
}

/// The `Userpool` object. The pool's own SMTP password never leaves the server.
fn pool_json(p: &UserPool) -> Value {
    let s = &p.settings;
    let mut email_provider = ProviderJson::from(&s.custom_email_provider);
    email_provider.config = match serde_json::from_str::<Value>(&email_provider.config) {
        Ok(Value::Object(mut m)) => {
            if let Some(Value::String(url)) = m.get("url") {
                let url = mask_password(url);
                m.insert("url".into(), Value::String(url));
            }
            Value::Object(m).to_string()
        }
        _ => String::new(),
    };
    json!({
        "id": p.id, "name": p.name, "domain": p.domain, "description": p.description,
        "secret": p.secret, "jwtSecret": null, "userpoolTypes": [], "logo": p.logo,
        "createdAt": iso8601(p.created_at), "updatedAt": iso8601(p.updated_at),
        "emailVerifiedDefault": s.email_verified_default,
        "sendWelcomeEmail": s.send_welcome_email,
        "registerDisabled": s.register_disabled,
        "appSsoEnabled": false,
        "showWxQRCodeWhenRegisterDisabled": s.show_wx_qr_code_when_register_disabled,
        "allowedOrigins": s.allowed_origins,
        "tokenExpiresAfter": s.token_expires_after,
        "isDeleted": false,
        "frequentRegisterCheck": RateCheckJson::from(&s.frequent_register_check),
        "loginFailCheck": RateCheckJson::from(&s.login_fail_check),
        "loginFailStrategy": login_fail_strategy(s.login_fail_strategy),
        "loginPasswordFailCheck": RateCheckJson::from(&s.login_password_fail_check),
        "changePhoneStrategy": {"verifyOldPhone": s.verify_old_phone},
        "changeEmailStrategy": {"verifyOldEmail": s.verify_old_email},
        "qrcodeLoginStrategy": null,
        "app2WxappLoginStrategy": null,
        "whitelist": WhitelistJson::from(&s.whitelist),
        "customSMSProvider": ProviderJson::from(&s.custom_sms_provider),
        "customEmailProvider": email_provider,
        "packageType": null,
        "useCustomUserStore": false,
        "loginRequireEmailVerified": s.login_require_email_verified,
        "verifyCodeLength": s.verify_code_length,
        "verifyCodeMaxAttempts": s.verify_code_max_attempts,
        "verifyCodeExpiresAfter": s.verify_code_expires_after,
        "verifyCodeResendInterval": s.verify_code_resend_interval,
        "passwordStrength": s.password_strength,
        "customPasswordStrength": CustomPasswordStrengthJson::from(&s.custom_password_strength),
        "passwordUpdatePolicy": PasswordUpdatePolicyJson::from(&s.password_update_policy),
        "defaultPhoneCountryCode": s.default_phone_country_code,
    })
}

/// `smtp://user:pass@host` → `smtp://user:***@host`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((creds, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

async fn update_pool(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let input = obj(a, "input")?;
    let updated = ctx.state.core.update_pool(pool, input).await?;
    Ok(pool_json(&updated))
}

async fn pool_detail_gql(ctx: &V2Ctx) -> Result<Value> {
    Ok(pool_json(ctx.admin().await?))
}

async fn refresh_secret(ctx: &V2Ctx) -> Result<Value> {
    let pool = ctx.admin().await?;
    Ok(Value::String(
        ctx.state.core.refresh_pool_secret(pool).await?,
    ))
}

async fn pool_detail(admin: Admin) -> Reply {
    let v = pool_json(&admin.pool);
    Ok(done(admin.lang(), v))
}

// --- whitelist ------------------------------------------------------------------------------

fn whitelist_type(a: &Map<String, Value>) -> Result<WhitelistType> {
    WhitelistType::parse(&req_str(a, "type")?).ok_or(Error::InvalidParameter("type"))
}

async fn whitelist_json(ctx: &V2Ctx, pool: &PoolAdmin, kind: WhitelistType) -> Result<Value> {
    let entries = ctx.state.core.whitelist(pool, kind).await?;
    Ok(Value::Array(
        entries
            .iter()
            .map(|e| {
                json!({"value": e.value, "createdAt": iso8601(e.created_at),
                       "updatedAt": iso8601(e.updated_at)})
            })
            .collect(),
    ))
}

async fn whitelist(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    whitelist_json(ctx, pool, whitelist_type(a)?).await
}

async fn edit_whitelist(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let kind = whitelist_type(&f.args)?;
    let list = str_list(&f.args, "list")?;
    if list.len() > 1000 {
        return Err(Error::InvalidParameter("list"));
    }
    let core = &ctx.state.core;
    if f.name == "addWhitelist" {
        let values: Vec<&str> = list.iter().map(String::as_str).collect();
        core.add_whitelist(&pool.id, kind, &values).await?;
    } else {
        core.remove_whitelist(pool, kind, &list).await?;
    }
    whitelist_json(ctx, pool, kind).await
}

// --- custom fields --------------------------------------------------------------------------

fn udf_target(a: &Map<String, Value>) -> Result<UdfTarget> {
    let t = req_str(a, "targetType")?;
    // The SDK's `NODE` and the org's nodes are one target; `USERPOOL` and `PERMISSION` have
    // no values anywhere in Tessera.
    UdfTarget::parse(&t).ok_or(Error::InvalidParameter("targetType"))
}

fn udf_json(d: &UdfDefinition) -> Value {
    json!({"targetType": d.target_type, "dataType": d.data_type, "key": d.key,
           "label": d.label, "options": d.options})
}

async fn set_udf(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let target = udf_target(a)?;
    let data_type =
        UdfDataType::parse(&req_str(a, "dataType")?).ok_or(Error::InvalidParameter("dataType"))?;
    let key = req_str(a, "key")?;
    let label = opt_str(a, "label")?.unwrap_or_default();
    let def = ctx
        .state
        .core
        .define_udf(&pool.id, target, &key, data_type, &label)
        .await?;
    Ok(udf_json(&def))
}

async fn remove_udf(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state
        .core
        .remove_udf(pool, udf_target(a)?, &req_str(a, "key")?)
        .await?;
    Ok(common_message(ctx.lang))
}

async fn list_udf(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let defs = ctx.state.core.udf_definitions(pool, udf_target(a)?).await?;
    Ok(Value::Array(defs.iter().map(udf_json).collect()))
}

/// `udv`, `setUdv`, `setUdvBatch`, `removeUdv` on any target of the pool.
async fn udv(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    let target = udf_target(a)?;
    let id = req_str(a, "targetId")?;
    core.ensure_udf_target(pool, target, &id).await?;
    let values = match f.name.as_str() {
        "setUdv" => {
            let value = decode_wire_value(&opt_str(a, "value")?.unwrap_or_default());
            core.set_udf_values(&pool.id, target, &id, &[(req_str(a, "key")?, value)])
                .await?
        }
        "setUdvBatch" => {
            core.set_udf_values(&pool.id, target, &id, &udv_list(a)?)
                .await?
        }
        "removeUdv" => {
            core.remove_udf_value(&pool.id, target, &id, &req_str(a, "key")?)
                .await?
        }
        _ => core.udf_values(&pool.id, target, &id).await?,
    };
    Ok(udv_json(&values))
}

async fn udf_value_batch(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let target = udf_target(a)?;
    let ids = str_list(a, "targetIds")?;
    if ids.len() > tessera_core::service::user_admin::MAX_BATCH {
        return Err(Error::TooManyUsers);
    }
    for id in &ids {
        core.ensure_udf_target(pool, target, id).await?;
    }
    let values = core.udf_values_batch(pool, target, &ids).await?;
    Ok(Value::Array(
        values
            .iter()
            .map(|(id, list)| json!({"targetId": id, "data": udv_json(list)}))
            .collect(),
    ))
}

async fn set_udf_value_batch(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let target = udf_target(a)?;
    let input = match a.get("input") {
        Some(Value::Array(l)) => l,
        None | Some(Value::Null) => return Err(Error::MissingParameter("input")),
        Some(_) => return Err(Error::InvalidParameter("input")),
    };
    let mut items = Vec::with_capacity(input.len());
    for item in input {
        let item = item.as_object().ok_or(Error::InvalidParameter("input"))?;
        let value = decode_wire_value(&opt_str(item, "value")?.unwrap_or_default());
        items.push((req_str(item, "targetId")?, req_str(item, "key")?, value));
    }
    ctx.state
        .core
        .set_udf_values_batch(pool, target, &items)
        .await?;
    Ok(common_message(ctx.lang))
}

// --- environment variables ------------------------------------------------------------------

async fn list_env(admin: Admin) -> Reply {
    admin
        .reply(async {
            let vars = admin.core().env_vars(&admin.pool).await?;
            let list: Vec<Value> = vars
                .iter()
                .map(|v| {
                    json!({"key": v.key, "value": decode_wire_value(&v.value),
                           "userPoolId": admin.pool.id,
                           "createdAt": iso8601(v.created_at), "updatedAt": iso8601(v.updated_at)})
                })
                .collect();
            Ok(done(admin.lang(), list))
        })
        .await
}

async fn add_env(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let key = req_str(&b, "key")?;
            let value = b.get("value").cloned().unwrap_or(Value::Null);
            admin.core().set_env_var(&admin.pool, &key, &value).await?;
            Ok(done(admin.lang(), json!({"key": key, "value": value})))
        })
        .await
}

async fn remove_env(admin: Admin, Path(key): Path<String>) -> Reply {
    admin
        .reply(async {
            admin.core().remove_env_var(&admin.pool, &key).await?;
            Ok(done(admin.lang(), true))
        })
        .await
}
