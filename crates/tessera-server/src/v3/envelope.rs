//! The v3 envelope (`v3-wire.md` §2.1): always HTTP 200, `{statusCode, message, data}` on
//! success and `{statusCode, apiCode, message, requestId}` on failure; the SDK never checks
//! the HTTP status except to throw on ≥ 400, so business errors never use it.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use tessera_core::Error;

use super::params::ParamError;
use crate::authing::{errors, Lang};
use crate::envelope::log_error;

/// A successful answer with `data`.
pub fn ok<T: Serialize>(lang: Lang, data: T) -> Response {
    Json(json!({
        "statusCode": 200,
        "message": lang.pick("操作成功", "Success"),
        "apiCode": 0,
        "data": data,
    }))
    .into_response()
}

/// A successful answer without `data` (`CommonResponseDto`).
pub fn done(lang: Lang) -> Response {
    Json(json!({
        "statusCode": 200,
        "message": lang.pick("操作成功", "Success"),
        "apiCode": 0,
    }))
    .into_response()
}

/// `IsSuccessRespDto`: `data: {success: true}`.
pub fn success(lang: Lang) -> Response {
    ok(lang, json!({ "success": true }))
}

/// What went wrong with a v3 request.
#[derive(Debug)]
pub enum Failure {
    /// A core refusal, worded by `authing::errors`.
    Core(Error),
    /// Parameters that could not be read into the request struct.
    Params(ParamError),
    /// A path segment that is the SDK's unsubstituted placeholder (`%7Bid%7D`, §9.1): the
    /// id the caller meant never reached the wire.
    Placeholder(&'static str),
    /// A method of the SDK that this server does not implement.
    Unsupported { method: String, family: String },
    /// No v3 endpoint at this verb and path.
    UnknownEndpoint,
    /// A sign-in whose account is unknown or whose password is wrong: one answer for both,
    /// so a sign-in cannot tell which accounts exist (§2.1's example, 403 / 2333).
    BadCredentials,
    /// A sign-in of a user the pool or application asks a second factor of: the v3 sign-in
    /// has no step to give one (Authing's skips MFA), and a login path around the step would
    /// make it worthless, so it is refused (1635) without the ticket the v2 wire hands out.
    MfaRequired,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Core(e)
    }
}

impl From<ParamError> for Failure {
    fn from(e: ParamError) -> Failure {
        Failure::Params(e)
    }
}

/// A failure in the caller's language.
pub struct V3Error(pub Failure, pub Lang);

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        Json(self.body()).into_response()
    }
}

impl V3Error {
    /// The failure envelope.
    pub fn body(&self) -> serde_json::Value {
        let V3Error(failure, lang) = self;
        let lang = *lang;
        let (status, api_code, message): (u16, i64, String) = match failure {
            Failure::Core(e) => {
                log_error(e);
                (
                    errors::http_status(e),
                    errors::code(e),
                    errors::message(e, lang),
                )
            }
            Failure::Params(p) => (
                400,
                2231,
                format!("{}{p}", lang.pick("参数错误：", "Invalid parameter: ")),
            ),
            Failure::Placeholder(name) => (
                400,
                2231,
                format!(
                    "{}{name}",
                    lang.pick(
                        "路径参数未被替换（SDK 发送了字面量占位符）：",
                        "Path parameter was not substituted (the SDK sent a literal placeholder): "
                    )
                ),
            ),
            Failure::Unsupported { method, family } => (
                501,
                501,
                match lang {
                    Lang::ZhCn => format!("Tessera 暂不支持此方法：{method}（{family}）"),
                    Lang::EnUs => {
                        format!("Tessera does not support this method: {method} ({family})")
                    }
                },
            ),
            Failure::MfaRequired => (
                403,
                1635,
                lang.pick(
                    "该账号需要二次认证，请通过支持二次认证的登录方式登录",
                    "This account requires a second factor: sign in where MFA can be completed",
                )
                .to_owned(),
            ),
            Failure::UnknownEndpoint => (
                404,
                404,
                lang.pick("接口不存在", "No such endpoint").to_owned(),
            ),
            Failure::BadCredentials => (
                403,
                2333,
                lang.pick(
                    "账号不存在或密码错误",
                    "Account not exists or password is incorrect.",
                )
                .to_owned(),
            ),
        };
        let mut body = json!({
            "statusCode": status,
            "apiCode": api_code,
            "message": message,
            "requestId": tessera_core::ids::new_id(),
        });
        if let Failure::Core(e) = failure {
            if let Some(d) = errors::data(e) {
                body["data"] = d;
            }
        }
        body
    }
}

/// For the few `/api/v3/*` routes the v2 SDK (authing-js-sdk 4.x) calls too, with its
/// management token: the v3 envelope plus the `code` member the v2 SDK checks (`v2-wire.md`
/// §2.2), so one route serves both SDKs.
pub fn dual(lang: Lang, r: Result<serde_json::Value, V3Error>) -> Response {
    let body = match r {
        Ok(data) => json!({
            "statusCode": 200,
            "code": 200,
            "apiCode": 0,
            "message": lang.pick("操作成功", "Success"),
            "data": data,
        }),
        Err(e) => {
            let mut b = e.body();
            b["code"] = b["apiCode"].clone();
            b
        }
    };
    Json(body).into_response()
}

pub type Reply = Result<Response, V3Error>;
