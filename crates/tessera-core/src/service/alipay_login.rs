//! Alipay's app login (`v3-wire.md` §5.3 `signin-by-mobile` with `connection: 'alipay'`,
//! `getAlipayAuthInfo`). The application is a connection of the pool of kind
//! [`ALIPAY_KIND`] whose `fields` hold its `appId`, the merchant's `pid` (the `2088…`
//! partner id) and the application's RSA `privateKey`. `getAlipayAuthInfo` gives the
//! Alipay app SDK its signed `authInfo` (Alipay's "APP 支付宝登录" request parameters,
//! RSA2-signed by `crypto::alipay_sign`); the `auth_code` the Alipay app hands back is
//! exchanged at Alipay's gateway (`alipay.system.oauth.token`) for the user's id, which logs
//! in through [`Core::authenticate`] with `Credential::External`, so every login rule
//! applies. An Alipay refusal or outage is [`Error::Provider`] and writes nothing.

use super::authn::AuthEvent;
use super::external_login::{ExternalLogin, ExternalTarget};
use super::login::{Credential, LoginOptions};
use super::mini_program::{field, required};
use super::Core;
use crate::crypto::alipay_sign::{private_key, signed_auth_info};
use crate::error::{Error, Result};
use crate::ids;
use crate::model::tenant::ExtIdpConn;
use crate::model::{Application, UserPool};

/// The connection kind of an Alipay application (`CreateExtIdpConnDto.type`).
pub const ALIPAY_KIND: &str = "alipay";
/// The provider an Alipay user id is linked under, with the connection.
pub const ALIPAY_PROVIDER: &str = "alipay";
/// `registerSource` of a user an Alipay login registers.
pub const ALIPAY_REGISTER_SOURCE: &str = "social:alipay";

const APP_ID_FIELDS: [&str; 3] = ["appId", "appID", "appid"];
const PID_FIELDS: [&str; 4] = ["pid", "partnerId", "partner", "PID"];
const PRIVATE_KEY_FIELDS: [&str; 3] = ["privateKey", "appPrivateKey", "rsaPrivateKey"];

/// The fixed parameters of the app SDK's login request (Alipay open docs, "APP 支付宝登录
/// 授权请求参数": constants `com.alipay.account.auth`, `alipay.open.auth.sdk.code.get`, `mc`,
/// `openservice`, `APP_FAST_LOGIN`, `kuaijie`, `AUTHACCOUNT`).
const AUTH_INFO_CONSTANTS: [(&str, &str); 8] = [
    ("apiname", "com.alipay.account.auth"),
    ("method", "alipay.open.auth.sdk.code.get"),
    ("app_name", "mc"),
    ("biz_type", "openservice"),
    ("product_id", "APP_FAST_LOGIN"),
    ("scope", "kuaijie"),
    ("auth_type", "AUTHACCOUNT"),
    ("sign_type", "RSA2"),
];

/// An Alipay connection of a pool. The private key never reaches a log.
struct AlipayApp {
    conn_id: String,
    app_id: String,
    pid: Option<String>,
    private_key: String,
}

impl AlipayApp {
    fn of(conn: &ExtIdpConn) -> Option<AlipayApp> {
        if conn.kind != ALIPAY_KIND || !conn.enabled {
            return None;
        }
        Some(AlipayApp {
            conn_id: conn.id.clone(),
            app_id: field(&conn.fields, &APP_ID_FIELDS)?,
            pid: field(&conn.fields, &PID_FIELDS),
            private_key: field(&conn.fields, &PRIVATE_KEY_FIELDS)?,
        })
    }
}

impl Core {
    async fn alipay_app(&self, pool_id: &str, identifier: &str) -> Result<AlipayApp> {
        required("extIdpConnidentifier", identifier)?;
        self.store
            .ext_idp_conn_by_identifier(pool_id, identifier)
            .await?
            .as_ref()
            .and_then(AlipayApp::of)
            .ok_or(Error::IdentitySourceNotConfigured)
    }

    /// `get-alipay-authinfo`: the signed `authInfo` of the connection `identifier`, with a
    /// fresh `target_id` (unique per request, as Alipay asks). A connection without a `pid`
    /// or whose key cannot sign is not configured.
    pub async fn alipay_auth_info(&self, pool: &UserPool, identifier: &str) -> Result<String> {
        let app = self.alipay_app(&pool.id, identifier).await?;
        let pid = app.pid.ok_or(Error::IdentitySourceNotConfigured)?;
        let key = private_key(&app.private_key).map_err(|e| {
            tracing::warn!(
                pool = %pool.id,
                connection = %app.conn_id,
                error = %e,
                "Alipay connection's key"
            );
            Error::IdentitySourceNotConfigured
        })?;
        let target_id = ids::new_id();
        let mut params: Vec<(&str, &str)> = AUTH_INFO_CONSTANTS.to_vec();
        params.extend([
            ("app_id", app.app_id.as_str()),
            ("pid", pid.as_str()),
            ("target_id", target_id.as_str()),
        ]);
        signed_auth_info(&key, &params).map_err(|e| {
            tracing::warn!(pool = %pool.id, error = %e, "Alipay authInfo signing");
            Error::IdentitySourceNotConfigured
        })
    }

    /// `signin-by-mobile` with `alipay`: the `authCode` the Alipay app returned logs in the
    /// user linked to the Alipay user (its `user_id`, else its `open_id`) through this
    /// connection, or registers one with it linked.
    pub async fn alipay_login(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        identifier: &str,
        auth_code: &str,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        let conn = self.alipay_app(&pool.id, identifier).await?;
        required("authCode", auth_code)?;
        self.refuse_listed_address(pool, &opts).await?;
        let user = self
            .alipay
            .oauth_token(&conn.app_id, &conn.private_key, auth_code)
            .await?;
        let subject = user
            .user_id
            .or(user.open_id)
            .filter(|s| !s.is_empty())
            .ok_or(Error::Provider(crate::error::ProviderFailure::Unavailable))?;
        let login = ExternalLogin {
            provider: ALIPAY_PROVIDER,
            connection_id: conn.conn_id,
            subject,
            union: None,
            phone: None,
            register_source: ALIPAY_REGISTER_SOURCE,
            profile: Default::default(),
            target: ExternalTarget::Resolve { register: true },
            per_connection: false,
        };
        self.authenticate(pool, app, Credential::External(Box::new(login)), opts)
            .await
    }
}
