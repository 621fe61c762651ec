//! Douyin mini-program logins and helpers (`v3-wire.md` §5.3 `signin-by-mobile`, §5.6
//! `decryptDouyinMiniProgramData`, §6.2 with `platform: 'tt'`). The mini-program is a
//! connection of the pool (`ExtIdpConn` of kind [`DOUYIN_MINIPROGRAM_KIND`]) whose `fields`
//! hold its `appId` and `appSecret`, as for WeChat (`mini_program`). The core asks Douyin
//! through the deployment's [`crate::douyin::DouyinApi`] for the session of a `tt.login` code
//! and logs the person in through [`Core::authenticate`] with what Douyin vouched for, so
//! every login rule applies. Douyin gives a phone number only inside encrypted data
//! (`getPhoneNumber`'s `encryptedData`/`iv`, AES-128-CBC under the session key, the same
//! scheme as WeChat's); data made for another mini-program (`watermark.appid`) is refused.
//! A Douyin refusal or outage is [`Error::Provider`] and writes nothing.

use serde_json::Value;

use super::account::Session;
use super::authn::AuthEvent;
use super::external_login::{ExternalLogin, VouchedPhone};
use super::login::{Credential, LoginOptions};
use super::mini_program::{required, vouched_phone, MiniProgram, Platform};
use super::Core;
use crate::douyin::DouyinSession;
use crate::error::{Error, Result};
use crate::model::{Application, UserPool};
use crate::wechat::WechatPhone;

/// The connection kind of a Douyin mini-program (`CreateExtIdpConnDto.type`).
pub const DOUYIN_MINIPROGRAM_KIND: &str = "douyin:miniprogram:default";
/// The provider a Douyin mini-program openid is linked under, with its connection.
pub const DOUYIN_PROVIDER: &str = "douyin";
/// The provider a Douyin unionid is linked under, with no connection: one user per unionid
/// in a pool, whichever of the pool's Douyin mini-programs it came through.
pub const DOUYIN_UNIONID_PROVIDER: &str = "douyin:unionid";
/// `registerSource` of a user a Douyin mini-program login registers.
pub const DOUYIN_REGISTER_SOURCE: &str = "social:douyin:miniprogram";

const DOUYIN_PLATFORM: Platform = Platform {
    provider: DOUYIN_PROVIDER,
    union_provider: DOUYIN_UNIONID_PROVIDER,
    register_source: DOUYIN_REGISTER_SOURCE,
};

/// The phone number of decrypted `getPhoneNumber` data (`phoneNumber`, `purePhoneNumber`,
/// `countryCode`, `watermark`: the fields WeChat's `phone_info` has too).
fn phone_of(data: &Value) -> Result<WechatPhone> {
    let text = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let phone_number = text("phoneNumber");
    let pure = text("purePhoneNumber");
    let pure_phone_number = if pure.is_empty() {
        phone_number.clone()
    } else {
        pure
    };
    if pure_phone_number.is_empty() {
        return Err(Error::InvalidParameter("encryptedData"));
    }
    let watermark = data.get("watermark");
    Ok(WechatPhone {
        phone_number: if phone_number.is_empty() {
            pure_phone_number.clone()
        } else {
            phone_number
        },
        pure_phone_number,
        country_code: text("countryCode"),
        watermark_appid: watermark
            .and_then(|w| w.get("appid"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        watermark_timestamp: watermark
            .and_then(|w| w.get("timestamp"))
            .and_then(Value::as_i64)
            .unwrap_or(0),
    })
}

impl Core {
    async fn douyin_mini_program(&self, pool_id: &str, identifier: &str) -> Result<MiniProgram> {
        self.mini_program(pool_id, identifier, DOUYIN_MINIPROGRAM_KIND)
            .await
    }

    async fn douyin_session(&self, mp: &MiniProgram, code: &str) -> Result<DouyinSession> {
        required("code", code)?;
        self.douyin
            .code_to_session(&mp.appid, &mp.secret, code)
            .await
    }

    fn douyin_external_login(
        mp: &MiniProgram,
        session: DouyinSession,
        phone: Option<VouchedPhone>,
    ) -> ExternalLogin {
        mp.external_login(&DOUYIN_PLATFORM, session.openid, session.unionid, phone)
    }

    /// `signin-by-mobile` with `douyin_mini_program_code`: the `tt.login` code of the
    /// connection `identifier` logs in the user linked to its unionid (which wins across
    /// mini-programs) or openid, or registers one with both linked.
    pub async fn douyin_login_by_code(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        identifier: &str,
        code: &str,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        let mp = self.douyin_mini_program(&pool.id, identifier).await?;
        self.refuse_listed_address(pool, &opts).await?;
        let session = self.douyin_session(&mp, code).await?;
        let login = Core::douyin_external_login(&mp, session, None);
        self.authenticate(pool, app, Credential::External(Box::new(login)), opts)
            .await
    }

    /// `signin-by-mobile` with `douyin_mini_program_code_and_phone`: as
    /// [`Core::douyin_login_by_code`], with the number sealed in the phone button's
    /// `encryptedData`/`iv` under the same login's session key: a person not linked yet is
    /// linked to the user with that number, or registered with it (verified).
    pub async fn douyin_login_by_code_and_phone(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        identifier: &str,
        code: &str,
        phone_data: (&str, &str),
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        // Missing phone data is the caller's, found before Douyin is asked.
        let (data, iv) = phone_data;
        required("encryptedData", data)?;
        required("iv", iv)?;
        let mp = self.douyin_mini_program(&pool.id, identifier).await?;
        self.refuse_listed_address(pool, &opts).await?;
        let session = self.douyin_session(&mp, code).await?;
        let phone = phone_of(&mp.open_sealed(&session.session_key, data, iv)?)?;
        let phone = vouched_phone(pool, &phone)?;
        let login = Core::douyin_external_login(&mp, session, Some(phone));
        self.authenticate(pool, app, Credential::External(Box::new(login)), opts)
            .await
    }

    /// `decrypt-douyin-miniprogram-phone` (`getPhone` with `platform: 'tt'`): the number
    /// sealed in the phone button's data under the session key of a fresh login `code`.
    pub async fn douyin_phone(
        &self,
        pool: &UserPool,
        identifier: &str,
        code: &str,
        encrypted_data: &str,
        iv: &str,
    ) -> Result<WechatPhone> {
        required("encryptedData", encrypted_data)?;
        required("iv", iv)?;
        let mp = self.douyin_mini_program(&pool.id, identifier).await?;
        let session = self.douyin_session(&mp, code).await?;
        phone_of(&mp.open_sealed(&session.session_key, encrypted_data, iv)?)
    }

    /// `decrypt-douyin-miniprogram-data`: `encrypted_data` decrypted under the session key
    /// of a fresh login `code`, as JSON.
    pub async fn douyin_decrypt(
        &self,
        pool: &UserPool,
        identifier: &str,
        code: &str,
        encrypted_data: &str,
        iv: &str,
    ) -> Result<Value> {
        required("encryptedData", encrypted_data)?;
        required("iv", iv)?;
        let mp = self.douyin_mini_program(&pool.id, identifier).await?;
        let session = self.douyin_session(&mp, code).await?;
        mp.open_sealed(&session.session_key, encrypted_data, iv)
    }

    /// `/connections/social/douyin-miniprogram/bind`: links the Douyin identity of a fresh
    /// login `code` to the logged-in user; an openid or unionid another user holds is
    /// [`Error::IdentityLinkedElsewhere`]. Binding again is no change.
    pub async fn douyin_bind(&self, session: &Session, identifier: &str, code: &str) -> Result<()> {
        let user = session.user();
        let mp = self.douyin_mini_program(&user.pool_id, identifier).await?;
        let dy = self.douyin_session(&mp, code).await?;
        self.bind_external(user, &Core::douyin_external_login(&mp, dy, None))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phone_of_reads_the_fields_and_falls_back_to_the_full_number() {
        let p = phone_of(&json!({
            "phoneNumber": "13800000000", "purePhoneNumber": "13800000000", "countryCode": "86",
            "watermark": { "appid": "tt-app", "timestamp": 5 },
        }))
        .unwrap();
        assert_eq!(p.pure_phone_number, "13800000000");
        assert_eq!(p.country_code, "86");
        assert_eq!(p.watermark_appid, "tt-app");
        assert_eq!(p.watermark_timestamp, 5);
        let p = phone_of(&json!({ "phoneNumber": "13800000001" })).unwrap();
        assert_eq!(p.pure_phone_number, "13800000001");
        assert!(matches!(
            phone_of(&json!({ "nickName": "x" })),
            Err(Error::InvalidParameter("encryptedData"))
        ));
    }
}
