//! The pools, settings and users the JS tests rely on, created through the core's services
//! and written to a JSON file the tests read (`COMPAT_FIXTURES`).
//!
//! Shape of the JSON (every pool entry is `{name, userPoolId, appId, appHost}`):
//!
//! ```json
//! {
//!   "appHost": "http://127.0.0.1:PORT",
//!   "pools": {
//!     "main": {…}, "registerDisabled": {…}, "whitelist": {…}, "loginFail": {…},
//!     "frequentRegister": {…}, "strength2": {…}, "strength3": {…},
//!     "verifiedEmail": {…}, "noVerifyOld": {…}
//!   },
//!   "settings": { "loginFail": {"limit":3,"timeInterval":300},
//!                 "frequentRegister": {"limit":2,"timeInterval":300},
//!                 "verifyCodeResendInterval": 3 },
//!   "whitelist": { "allowedEmail": "…" },
//!   "udf": [ {"key":"school","dataType":"STRING","label":"学校"}, … ],
//!   "users": {
//!     "loginFail":       {"id","email","password"},
//!     "verifiedEmail":   {"id","email","password"},          // emailVerified false
//!     "firstLoginReset": {"id","email","username","password"}, // reset_password_on_next_login
//!     "forceReset":      {"id","email","username","password"}, // reset_password_on_next_login
//!     "primary":         {"id","username","password"},
//!     "external":        {"id","username","externalId"},
//!     "subAccount":      {"id","username":"sub-1","password","primaryUserId"}
//!   },
//!   "directory": { "email":"dir-user@example.com", "password":"Passw0rd!", "userId",
//!                  "namespace":"default", "deniedAppName":"Denied App" }
//! }
//! ```

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tessera_core::model::pool::{RateCheck, WhitelistConfig};
use tessera_core::model::{PoolSettings, UserPool};
use tessera_core::service::settings::WhitelistType;
use tessera_core::service::udf::{UdfDataType, UdfTarget};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::Core;

pub const DIRECTORY_EMAIL: &str = "dir-user@example.com";
pub const DIRECTORY_PASSWORD: &str = "Passw0rd!";
pub const DEFAULT_PASSWORD: &str = "Passw0rd!";
/// Seconds between two codes to one address in every seeded pool.
pub const RESEND_INTERVAL: i64 = 3;
pub const EXTERNAL_ID: &str = "ext-1001";

type Res<T> = Result<T, String>;

fn err(what: &str) -> impl Fn(tessera_core::Error) -> String + '_ {
    move |e| format!("seeding {what}: {e} ({e:?})")
}

/// A created pool: its record and the credentials the JS tests need.
pub struct SeededPool {
    pub pool: UserPool,
    pub json: Value,
}

async fn pool(core: &Core, name: &str, edit: impl FnOnce(&mut PoolSettings)) -> Res<SeededPool> {
    let creds = core.create_pool(name).await.map_err(err(name))?;
    let mut settings = core
        .pool(&creds.user_pool_id)
        .await
        .map_err(err(name))?
        .settings;
    settings.verify_code_resend_interval = RESEND_INTERVAL;
    edit(&mut settings);
    let pool = core
        .update_pool_settings(&creds.user_pool_id, settings)
        .await
        .map_err(err(name))?;
    Ok(SeededPool {
        pool,
        json: json!({
            "name": name,
            "userPoolId": creds.user_pool_id,
            "appId": creds.app_id,
            "appHost": creds.app_host,
            "appSecret": creds.app_secret,
            "secret": creds.secret,
            "accessKeyId": creds.access_key_id,
            "accessKeySecret": creds.access_key_secret,
        }),
    })
}

async fn user(core: &Core, pool: &UserPool, new: NewUser, what: &str) -> Res<String> {
    Ok(core
        .create_user(pool, new, CreatedBy::Admin)
        .await
        .map_err(err(what))?
        .id)
}

/// Seeds everything and returns the fixture document (without the directory part, which
/// the lead's directory seed fills in) plus the main pool.
pub async fn seed(core: &Arc<Core>) -> Res<(Value, SeededPool)> {
    let mut pools = Map::new();

    // main: defaults (no strength rule, verify old email/phone on) + UDF definitions. Every
    // pool's code resend interval is short (RESEND_INTERVAL) so that tests needing two codes
    // for one address wait seconds, not a minute.
    //
    // The main pool keeps the login-failure check on, with a limit ten times the default:
    // the whole suite is one client (127.0.0.1), so its per-address count (twice the limit)
    // sees every test's wrong passwords, as an office behind one address would. The guard
    // pools below keep the defaults.
    let main = pool(core, "main", |s| {
        s.login_fail_check.limit = 50;
    })
    .await?;
    let udfs = [
        ("school", UdfDataType::String, "学校"),
        ("age", UdfDataType::Number, "年龄"),
        ("source", UdfDataType::String, "来源"),
        ("birthday", UdfDataType::Datetime, "生日"),
        ("meta", UdfDataType::Object, "元数据"),
    ];
    let mut udf_json = Vec::new();
    for (key, ty, label) in udfs {
        core.define_udf(&main.pool.id, UdfTarget::User, key, ty, label)
            .await
            .map_err(err("udf"))?;
        udf_json.push(json!({"key": key, "dataType": ty.as_str(), "label": label}));
    }

    let register_disabled = pool(core, "registerDisabled", |s| s.register_disabled = true).await?;

    let allowed_email = "allowed@whitelist.example.com";
    let whitelist = pool(core, "whitelist", |s| {
        s.whitelist = WhitelistConfig {
            email_enabled: true,
            ..WhitelistConfig::default()
        }
    })
    .await?;
    core.add_whitelist(&whitelist.pool.id, WhitelistType::Email, &[allowed_email])
        .await
        .map_err(err("whitelist"))?;

    let login_fail = pool(core, "loginFail", |s| {
        s.login_fail_check = RateCheck {
            enabled: true,
            time_interval: 300,
            limit: 3,
        }
    })
    .await?;
    let frequent_register = pool(core, "frequentRegister", |s| {
        s.frequent_register_check = RateCheck {
            enabled: true,
            time_interval: 300,
            limit: 2,
        }
    })
    .await?;
    let strength2 = pool(core, "strength2", |s| s.password_strength = 2).await?;
    let strength3 = pool(core, "strength3", |s| s.password_strength = 3).await?;
    let verified_email = pool(core, "verifiedEmail", |s| {
        s.login_require_email_verified = true
    })
    .await?;
    let no_verify_old = pool(core, "noVerifyOld", |s| {
        s.verify_old_email = false;
        s.verify_old_phone = false;
    })
    .await?;

    // Login-guard pools (`guard.test.mjs`): every setting at its default, so the tests see
    // what a new pool does; one pool per case whose counters would disturb the others.
    let mut guard_pools = Vec::new();
    for name in ["guardDefaults", "guardSpray", "guardLock", "guardCaptcha"] {
        guard_pools.push(pool(core, name, |_| {}).await?);
    }

    // Management pools: each ManagementClient test file works in a pool of its own so that
    // list counts are exact; `mgmtOther` is the other pool of the cross-pool isolation cases.
    let mut mgmt_pools = Vec::new();
    for name in [
        "mgmtUsers",
        "mgmtPool",
        "mgmtApps",
        "mgmtRoles",
        "mgmtAcl",
        "mgmtGroups",
        "mgmtOrg",
        "mgmtOther",
        "mgmtQuick",
        // The OpenID Provider's tests (`oidc.test.mjs`) create their applications here.
        "oidc",
        // The v3 ManagementClient's tests (`v3-*.test.mjs`), one pool per family file.
        "v3Users",
        "v3Sign",
        "v3Directory",
        "v3Org",
        "v3Apps",
        "v3Tenants",
        "v3Security",
        "v3Risk",
        "v3Audit",
        "v3Posts",
        "v3Templates",
        // `v3-sweep.test.mjs` sends every served method malformed parameters.
        "v3Sweep",
        "v3AppWhitelist",
        "v3Asa",
        // The v3 AuthenticationClient's tests (`v3-auth-*.test.mjs`).
        "v3Auth",
        // The mini-program SDK's tests (`miniapp*.test.mjs`); they add the pool's
        // mini-program application (a public client) through the v3 ManagementClient.
        "miniapp",
        // The v3 AuthenticationClient's "my" resources tests (`v3-auth-mine.test.mjs`).
        "v3Mine",
        // The v3 AuthenticationClient's MFA factor tests (`v3-auth-mfa.test.mjs`).
        "v3Mfa",
        // The v3 AuthenticationClient's "my devices" tests (`v3-auth-devices.test.mjs`).
        "v3Devices",
        // The Douyin mini-program identity source (`v3-auth-douyin.test.mjs`), the Alipay
        // app login (`v3-auth-alipay.test.mjs`) and the mini-program SDK on Douyin
        // (`miniapp-douyin.test.mjs`).
        "v3Douyin",
        "v3Alipay",
        "miniappDouyin",
        // The legacy SDK's tests (`v1-*.test.mjs`, authing-js-sdk@3.22.3): the SDK keeps
        // one user token per pool for its whole process, so each file has pools of its own;
        // `v1Other` is the other pool of the cross-pool cases.
        "v1Auth",
        "v1Admin",
        "v1Account",
        "v1Oauth",
        "v1Bad",
        "v1Other",
        // The legacy SDK's login with the pool's MFA step on (`v1-mfa.test.mjs`).
        "v1Mfa",
        // The MFA step of the login (`mfa-login.test.mjs`).
        "mfaLogin",
        // Per-user MFA rules (`v3-user-mfa.test.mjs`).
        "v3UserMfa",
        // Tenant invitations (`v3-tenant-invite.test.mjs`).
        "v3Invite",
        // Quick authentication from the personal center (`v3-auth-fastpass.test.mjs`).
        "v3Fastpass",
        // Public accounts (`v3-public-accounts.test.mjs`); the other pool's ids are refused.
        "v3PubAcct",
        "v3PubAcctOther",
        // Single methods of issue 13 (`v3-misc.test.mjs`): the other pool for isolation, the
        // third receives a password hash exported from the first.
        "v3Misc",
        "v3MiscOther",
        "v3MiscImport",
        // Linking an external OpenID Provider (`v3-auth-extidp-link.test.mjs`): the first
        // pool's OpenID Provider is the second pool's `oidc` connection.
        "extOidcUp",
        "extOidcDown",
        // The pool's tenant and login-page configuration (`v3-tenant-config.test.mjs`): its
        // settings are pool-wide, so no other file shares the pool.
        "v3TenantCfg",
        // Separation of duties and administrator roles (`v3-sod.test.mjs`, v2 and v3 SDKs);
        // the second pool for the cross-pool refusals.
        "v3Sod",
        "v3SodOther",
        // The event center (`v3-events.test.mjs`); the second pool for isolation.
        "v3Events",
        "v3Events2",
        // Multi-tenant administrators, cooperators and tenant enterprise certification
        // (`v3-tenant-admins.test.mjs`); the second pool's users and tenants are refused.
        "v3TenantAdm",
        "v3TenantAdmOther",
        // Tenant import from a spreadsheet (`v3-tenant-import.test.mjs`); the second pool for
        // isolation.
        "v3TenantImport",
        "v3TenantImportOther",
        // Real-name (principal) authentication through the v2 SDK (`principal.test.mjs`) and
        // the v3 ManagementClient (`v3-principal.test.mjs`); the other pool's users are
        // refused.
        "principal",
        "principalV3",
        "principalOther",
    ] {
        mgmt_pools.push(pool(core, name, |_| {}).await?);
    }
    // WeChat mobile-app sign-in and account linking (`v3-auth-wxmobile.test.mjs`); the
    // second pool refuses registration.
    mgmt_pools.push(pool(core, "v3WxMobile", |_| {}).await?);
    mgmt_pools.push(pool(core, "v3WxMobileClosed", |s| s.register_disabled = true).await?);
    // The v3 AuthenticationClient's account tests (`v3-auth-account.test.mjs`): password
    // rules that refuse something, for validatePassword and resetPassword.
    mgmt_pools.push(pool(core, "v3Account", |s| s.password_strength = 2).await?);
    // The v3 token-bound captcha (`v3-auth-captcha.test.mjs`): a captcha after 2 failures.
    mgmt_pools.push(
        pool(core, "v3Captcha", |s| {
            s.login_fail_check = RateCheck {
                enabled: true,
                time_interval: 300,
                limit: 2,
            }
        })
        .await?,
    );
    // Push login (`v3-auth-push.test.mjs`); the second pool's login guard allows 2 pushes
    // (or failed logins) per account in its window.
    mgmt_pools.push(pool(core, "v3Push", |_| {}).await?);
    mgmt_pools.push(
        pool(core, "v3PushGuard", |s| {
            s.login_fail_check = RateCheck {
                enabled: true,
                time_interval: 300,
                limit: 2,
            }
        })
        .await?,
    );
    // Custom fields of roles, for the role custom-data tests (`mgmt-roles.test.mjs`).
    let role_udfs = [
        ("level", UdfDataType::Number, "级别"),
        ("team", UdfDataType::String, "团队"),
    ];
    for p in &mgmt_pools {
        if p.json["name"] == "mgmtRoles" {
            for (key, ty, label) in role_udfs {
                core.define_udf(&p.pool.id, UdfTarget::Role, key, ty, label)
                    .await
                    .map_err(err("role udf"))?;
            }
        }
    }

    // Users.
    let email_user = |email: &str, username: Option<&str>, reset: bool| NewUser {
        email: Some(email.to_owned()),
        username: username.map(str::to_owned),
        password: Some(DEFAULT_PASSWORD.to_owned()),
        register_source: vec!["import:manual".into()],
        reset_password_on_next_login: reset,
        ..NewUser::default()
    };
    let lf_email = "lf-user@example.com";
    let lf_id = user(
        core,
        &login_fail.pool,
        email_user(lf_email, None, false),
        "loginFail user",
    )
    .await?;
    let ve_email = "unverified@example.com";
    let ve_id = user(
        core,
        &verified_email.pool,
        NewUser {
            email_verified: Some(false),
            ..email_user(ve_email, None, false)
        },
        "verifiedEmail user",
    )
    .await?;
    let flr_email = "first-login-reset@example.com";
    let flr_id = user(
        core,
        &main.pool,
        email_user(flr_email, Some("first-login-reset"), true),
        "first-login reset user",
    )
    .await?;
    let fr_email = "force-reset@example.com";
    let fr_id = user(
        core,
        &main.pool,
        email_user(fr_email, Some("force-reset"), true),
        "force-reset user",
    )
    .await?;
    let primary_id = user(
        core,
        &main.pool,
        NewUser {
            username: Some("primary-1".into()),
            password: Some(DEFAULT_PASSWORD.into()),
            register_source: vec!["import:manual".into()],
            ..NewUser::default()
        },
        "primary user",
    )
    .await?;
    let sub_id = user(
        core,
        &main.pool,
        NewUser {
            username: Some("sub-1".into()),
            password: Some(DEFAULT_PASSWORD.into()),
            register_source: vec!["import:manual".into()],
            primary_user_id: Some(primary_id.clone()),
            ..NewUser::default()
        },
        "sub-account",
    )
    .await?;
    let ext_id = user(
        core,
        &main.pool,
        NewUser {
            username: Some("external-1".into()),
            external_id: Some(EXTERNAL_ID.into()),
            register_source: vec!["import:manual".into()],
            ..NewUser::default()
        },
        "external-id user",
    )
    .await?;
    let dir_id = user(
        core,
        &main.pool,
        NewUser {
            email: Some(DIRECTORY_EMAIL.into()),
            password: Some(DIRECTORY_PASSWORD.into()),
            register_source: vec!["import:manual".into()],
            ..NewUser::default()
        },
        "directory user",
    )
    .await?;

    let app_host = main.json["appHost"].clone();
    for p in [
        &main,
        &register_disabled,
        &whitelist,
        &login_fail,
        &frequent_register,
        &strength2,
        &strength3,
        &verified_email,
        &no_verify_old,
    ]
    .into_iter()
    .chain(mgmt_pools.iter())
    .chain(guard_pools.iter())
    {
        let name = p.json["name"].as_str().unwrap_or_default().to_owned();
        pools.insert(name, p.json.clone());
    }

    let doc = json!({
        "appHost": app_host,
        "defaultPassword": DEFAULT_PASSWORD,
        "pools": pools,
        "settings": {
            "loginFail": {"limit": 3, "timeInterval": 300},
            "frequentRegister": {"limit": 2, "timeInterval": 300},
            "verifyCodeResendInterval": RESEND_INTERVAL,
        },
        "whitelist": {"allowedEmail": allowed_email},
        "udf": udf_json,
        "roleUdf": role_udfs
            .iter()
            .map(|(key, ty, label)| json!({"key": key, "dataType": ty.as_str(), "label": label}))
            .collect::<Vec<_>>(),
        "users": {
            "loginFail": {"id": lf_id, "email": lf_email, "password": DEFAULT_PASSWORD},
            "verifiedEmail": {"id": ve_id, "email": ve_email, "password": DEFAULT_PASSWORD},
            "firstLoginReset": {"id": flr_id, "email": flr_email, "username": "first-login-reset", "password": DEFAULT_PASSWORD},
            "forceReset": {"id": fr_id, "email": fr_email, "username": "force-reset", "password": DEFAULT_PASSWORD},
            "primary": {"id": primary_id, "username": "primary-1", "password": DEFAULT_PASSWORD},
            "external": {"id": ext_id, "username": "external-1", "externalId": EXTERNAL_ID},
            "subAccount": {"id": sub_id, "username": "sub-1", "password": DEFAULT_PASSWORD, "primaryUserId": primary_id},
        },
        "directory": {
            "email": DIRECTORY_EMAIL,
            "password": DIRECTORY_PASSWORD,
            "userId": dir_id,
            "namespace": "default",
            "deniedAppName": "Denied App",
        },
    });
    Ok((doc, main))
}
