//! What the mini-program identity sources share (WeChat's, `wechat_login`, and Douyin's,
//! `douyin_login`): the connection of the pool that holds the mini-program's app id and
//! secret, the risk-list check made before a provider is asked, and the phone number a
//! provider vouched for, normalised as the pool stores numbers. Each provider's module asks
//! its own API; both log in through [`Core::authenticate`] with `Credential::External`.

use serde_json::{Map, Value};

use super::external_login::{ExternalLogin, ExternalTarget, VouchedPhone};
use super::login::LoginOptions;
use super::Core;
use crate::crypto::wechat_data::{decrypt_wechat_data, watermark_appid};
use crate::error::{Error, Result};
use crate::model::risk::Limit;
use crate::model::tenant::ExtIdpConn;
use crate::model::UserPool;
use crate::rules::identifiers;
use crate::wechat::WechatPhone;

/// The spellings of a mini-program's app id and secret in a connection's `fields`: the
/// console's camelCase first, then the other spellings Authing's documents use.
pub(crate) const APP_ID_FIELDS: [&str; 3] = ["appId", "appID", "appid"];
pub(crate) const APP_SECRET_FIELDS: [&str; 3] = ["appSecret", "appsecret", "secret"];

/// The first non-blank string among `names` in a connection's `fields`.
pub(crate) fn field(fields: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| fields.get(*n)?.as_str())
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A blank required argument is [`Error::MissingParameter`] named as on the wire.
pub(crate) fn required(name: &'static str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(Error::MissingParameter(name));
    }
    Ok(())
}

/// A mini-program connection of a pool. The secret never reaches a log.
pub(crate) struct MiniProgram {
    pub conn_id: String,
    pub appid: String,
    pub secret: String,
}

/// The names under which a mini-program platform's identities and the users its logins
/// register are stored.
pub(crate) struct Platform {
    /// The per-connection identity (the openid).
    pub provider: &'static str,
    /// The identity shared across the platform's mini-programs (the unionid), kept with no
    /// connection: one user per unionid in a pool.
    pub union_provider: &'static str,
    pub register_source: &'static str,
}

impl MiniProgram {
    /// The login of the person a code session of this mini-program named: its openid, its
    /// unionid when the platform gave one, and a phone number it vouched for.
    pub(crate) fn external_login(
        &self,
        platform: &Platform,
        openid: String,
        unionid: Option<String>,
        phone: Option<VouchedPhone>,
    ) -> ExternalLogin {
        ExternalLogin {
            provider: platform.provider,
            connection_id: self.conn_id.clone(),
            subject: openid,
            union: unionid
                .filter(|u| !u.is_empty())
                .map(|u| (platform.union_provider, u)),
            phone,
            register_source: platform.register_source,
            profile: Default::default(),
            target: ExternalTarget::Resolve { register: true },
            per_connection: false,
        }
    }

    /// Data this mini-program sealed under a login's session key (AES-128-CBC, §6.5), as
    /// JSON. Data whose watermark names another mini-program is refused: it was sealed for
    /// that one, whatever key opened it.
    pub(crate) fn open_sealed(&self, session_key: &str, data: &str, iv: &str) -> Result<Value> {
        required("encryptedData", data)?;
        required("iv", iv)?;
        let value = decrypt_wechat_data(session_key, iv, data)?;
        match watermark_appid(&value) {
            Some(appid) if appid != self.appid => Err(Error::InvalidParameter("encryptedData")),
            _ => Ok(value),
        }
    }

    /// The connection as a mini-program of `kind`, if it is one, enabled and complete.
    pub fn of(conn: &ExtIdpConn, kind: &str) -> Option<MiniProgram> {
        if conn.kind != kind || !conn.enabled {
            return None;
        }
        Some(MiniProgram {
            conn_id: conn.id.clone(),
            appid: field(&conn.fields, &APP_ID_FIELDS)?,
            secret: field(&conn.fields, &APP_SECRET_FIELDS)?,
        })
    }
}

/// A provider's country code (`86`, or `+86`) as the pool stores it (`+86`), with the
/// number normalised by the pool's rules.
pub(crate) fn vouched_phone(pool: &UserPool, phone: &WechatPhone) -> Result<VouchedPhone> {
    let cc = phone.country_code.trim().trim_start_matches('+');
    let cc = (!cc.is_empty()).then(|| format!("+{cc}"));
    let (country_code, number) = identifiers::phone(
        &phone.pure_phone_number,
        cc.as_deref(),
        &pool.settings.default_phone_country_code,
    )?;
    Ok(VouchedPhone {
        country_code,
        number,
    })
}

impl Core {
    /// The pool's enabled mini-program connection of `kind` named `identifier` with its app
    /// id and secret; anything else is "identity source not configured".
    pub(crate) async fn mini_program(
        &self,
        pool_id: &str,
        identifier: &str,
        kind: &str,
    ) -> Result<MiniProgram> {
        required("extIdpConnidentifier", identifier)?;
        self.store
            .ext_idp_conn_by_identifier(pool_id, identifier)
            .await?
            .as_ref()
            .and_then(|c| MiniProgram::of(c, kind))
            .ok_or(Error::IdentitySourceNotConfigured)
    }

    /// A client address the pool's risk lists forbid to log in asks the provider nothing.
    pub(crate) async fn refuse_listed_address(
        &self,
        pool: &UserPool,
        opts: &LoginOptions,
    ) -> Result<()> {
        self.ip_standing(&pool.id, opts.client.ip.as_deref())
            .await?
            .refuse(Limit::ForbidLogin)
    }
}
