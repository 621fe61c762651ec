//! WeChat mini-program logins and helpers (`v3-wire.md` §5.3, §5.6, §6.5). The mini-program
//! is a connection of the pool (`ExtIdpConn` of kind [`WECHAT_MINIPROGRAM_KIND`]) whose
//! `fields` hold its `appId` and `appSecret`; the core asks WeChat through the deployment's
//! [`crate::wechat::WechatApi`] and logs the person in through [`Core::authenticate`] with
//! what WeChat vouched for, so every login rule applies. A WeChat refusal or outage is
//! [`Error::Provider`] and writes nothing.

use serde_json::Value;

use super::account::Session;
use super::authn::AuthEvent;
use super::external_login::{ExternalLogin, VouchedPhone};
use super::login::{Credential, LoginOptions};
use super::mini_program::{required, vouched_phone, MiniProgram, Platform};
use super::Core;
use crate::crypto::ct_eq;
use crate::error::{Error, Result};
use crate::model::{Application, UserPool};
use crate::wechat::{WechatAccessToken, WechatPhone, WechatSession};

/// The connection kind of a WeChat mini-program (`CreateExtIdpConnDto.type`).
pub const WECHAT_MINIPROGRAM_KIND: &str = "wechat:miniprogram:default";
/// The provider a mini-program openid is linked under (`ExternalIdentity::provider`), with
/// the connection it came through.
pub const WECHAT_PROVIDER: &str = "wechat";
/// The provider a WeChat unionid is linked under, with no connection: one user per unionid
/// in a pool, whichever of the pool's mini-programs it came through.
pub const WECHAT_UNIONID_PROVIDER: &str = "wechat:unionid";
/// `registerSource` of a user a mini-program login registers.
pub const WECHAT_REGISTER_SOURCE: &str = "social:wechat:miniprogram";

const WECHAT_PLATFORM: Platform = Platform {
    provider: WECHAT_PROVIDER,
    union_provider: WECHAT_UNIONID_PROVIDER,
    register_source: WECHAT_REGISTER_SOURCE,
};

impl Core {
    async fn wechat_mini_program(&self, pool_id: &str, identifier: &str) -> Result<MiniProgram> {
        self.mini_program(pool_id, identifier, WECHAT_MINIPROGRAM_KIND)
            .await
    }

    async fn wechat_session(&self, mp: &MiniProgram, code: &str) -> Result<WechatSession> {
        required("code", code)?;
        self.wechat
            .code_to_session(&mp.appid, &mp.secret, code)
            .await
    }

    /// The number behind a phone-number button's code, checked to be given to this
    /// mini-program when WeChat says to whom.
    async fn wechat_phone_of(&self, mp: &MiniProgram, phone_code: &str) -> Result<WechatPhone> {
        required("code", phone_code)?;
        let token = self.wechat.access_token(&mp.appid, &mp.secret).await?;
        let phone = self
            .wechat
            .phone_number(&token.access_token, phone_code)
            .await?;
        if !phone.watermark_appid.is_empty() && phone.watermark_appid != mp.appid {
            return Err(Error::InvalidParameter("code"));
        }
        Ok(phone)
    }

    fn wechat_external_login(
        mp: &MiniProgram,
        session: WechatSession,
        phone: Option<VouchedPhone>,
    ) -> ExternalLogin {
        mp.external_login(&WECHAT_PLATFORM, session.openid, session.unionid, phone)
    }

    /// `signin-by-mobile` with `wechat_mini_program_code`: the login code of the connection
    /// `identifier` (`jscode2session`) logs in the user linked to its unionid (which wins
    /// across mini-programs) or openid, or registers one with both linked.
    pub async fn wechat_login_by_code(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        identifier: &str,
        code: &str,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        let mp = self.wechat_mini_program(&pool.id, identifier).await?;
        self.refuse_listed_address(pool, &opts).await?;
        let session = self.wechat_session(&mp, code).await?;
        let credential =
            Credential::External(Box::new(Core::wechat_external_login(&mp, session, None)));
        self.authenticate(pool, app, credential, opts).await
    }

    /// `signin-by-mobile` with `wechat_mini_program_code_and_phone`: as
    /// [`Core::wechat_login_by_code`], with the number behind `phone_code`
    /// (`getuserphonenumber`): a person not linked yet is linked to the user with that
    /// number, or registered with it (verified).
    pub async fn wechat_login_by_code_and_phone(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        identifier: &str,
        code: &str,
        phone_code: &str,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        let mp = self.wechat_mini_program(&pool.id, identifier).await?;
        self.refuse_listed_address(pool, &opts).await?;
        let session = self.wechat_session(&mp, code).await?;
        let phone = self.wechat_phone_of(&mp, phone_code).await?;
        let phone = vouched_phone(pool, &phone)?;
        let login = Core::wechat_external_login(&mp, session, Some(phone));
        let credential = Credential::External(Box::new(login));
        self.authenticate(pool, app, credential, opts).await
    }

    /// `get-wechat-miniprogram-phone` (`getPhone`): the number behind a phone-number
    /// button's code.
    pub async fn wechat_phone(
        &self,
        pool: &UserPool,
        identifier: &str,
        phone_code: &str,
    ) -> Result<WechatPhone> {
        let mp = self.wechat_mini_program(&pool.id, identifier).await?;
        self.wechat_phone_of(&mp, phone_code).await
    }

    /// `decrypt-wechat-miniprogram-data`: `encrypted_data` decrypted under the session key
    /// of a fresh login `code` (AES-128-CBC), as JSON. Data made for another mini-program
    /// (its `watermark.appid`) is refused.
    pub async fn wechat_decrypt(
        &self,
        pool: &UserPool,
        identifier: &str,
        code: &str,
        encrypted_data: &str,
        iv: &str,
    ) -> Result<Value> {
        required("encryptedData", encrypted_data)?;
        required("iv", iv)?;
        let mp = self.wechat_mini_program(&pool.id, identifier).await?;
        let session = self.wechat_session(&mp, code).await?;
        mp.open_sealed(&session.session_key, encrypted_data, iv)
    }

    /// `get-wechat-access-token`: the access token of a mini-program configured in the
    /// pool with exactly this app id and secret (compared in constant time). Any other pair
    /// is refused without asking WeChat: the server is no open proxy to WeChat's token API.
    pub async fn wechat_access_token(
        &self,
        pool: &UserPool,
        appid: &str,
        secret: &str,
    ) -> Result<WechatAccessToken> {
        required("appId", appid)?;
        required("appSecret", secret)?;
        let conns = self
            .store
            .ext_idp_conns_of_kind(&pool.id, WECHAT_MINIPROGRAM_KIND)
            .await?;
        let mp = conns
            .iter()
            .filter_map(|c| MiniProgram::of(c, WECHAT_MINIPROGRAM_KIND))
            .find(|mp| mp.appid == appid && ct_eq(mp.secret.as_bytes(), secret.as_bytes()))
            .ok_or(Error::IdentitySourceNotConfigured)?;
        self.wechat.access_token(&mp.appid, &mp.secret).await
    }

    /// `/connections/social/wechat-miniprogram/bind`: links the mini-program identity of a
    /// fresh login `code` to the logged-in user; an openid or unionid another user holds is
    /// [`Error::IdentityLinkedElsewhere`]. Binding again is no change.
    pub async fn wechat_bind(&self, session: &Session, identifier: &str, code: &str) -> Result<()> {
        let user = session.user();
        let mp = self.wechat_mini_program(&user.pool_id, identifier).await?;
        let wx = self.wechat_session(&mp, code).await?;
        self.bind_external(user, &Core::wechat_external_login(&mp, wx, None))
            .await
    }
}
