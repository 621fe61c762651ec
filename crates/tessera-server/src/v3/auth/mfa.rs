//! The logged-in user's MFA factors (`v3-wire.md` §5.6 "MFA factors"): enrolling one in two
//! requests (`send-enroll-factor-request` hands out an enrollment token and, for OTP, the
//! `otpauth://` URI, its QR code and a recovery code; `enroll-factor` proves it), listing,
//! reading and removing one's own factors, the kinds left to enroll, and checking a TOTP
//! (`mfa-totp-verify`). Every rule — one factor per kind, tokens bound to their user and kind,
//! each TOTP step accepted once, the attempt limit — is `tessera_core::service::mfa_factors`';
//! this module reads the DTOs and shapes the answers.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::service::mfa_factors::{EnrolledFactor, FactorKind, FactorProfile};
use tessera_core::Error;

use super::super::envelope::{done, ok, Reply, V3Error};
use super::call::AuthCall;
use crate::qr;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v3/send-enroll-factor-request",
            post(send_enroll_factor_request),
        )
        .route("/api/v3/enroll-factor", post(enroll_factor))
        .route("/api/v3/reset-factor", post(reset_factor))
        .route("/api/v3/list-enrolled-factors", get(list_enrolled_factors))
        .route("/api/v3/get-factor", get(get_factor))
        .route(
            "/api/v3/list-factors-to-enroll",
            get(list_factors_to_enroll),
        )
        .route("/api/v3/mfa-totp-verify", post(mfa_totp_verify))
}

/// `factorType`: OTP, SMS or EMAIL. FACE is in the SDK's enum but needs a face service
/// Tessera does not have, so it is refused like any other value.
fn factor_kind(call: &AuthCall, s: &str) -> Result<FactorKind, V3Error> {
    FactorKind::parse(s).ok_or_else(|| call.fail(Error::InvalidParameter("factorType")))
}

/// `FactorProfile`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProfileDto {
    phone_number: Option<String>,
    phone_country_code: Option<String>,
    email: Option<String>,
}

/// `SendEnrollFactorRequestDto`. The catalog marks `profile` required, but an OTP factor
/// has nothing to put in it, so its absence is only refused where the kind needs an address
/// (the core's missing `phoneNumber` / `email`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendEnrollRequest {
    factor_type: String,
    #[serde(default)]
    profile: Option<ProfileDto>,
}

/// `SendEnrollFactorRequestDataDto`; `otpData` (`SendEnrollFactorRequestOtpDataDto`) only for
/// OTP. These secrets are shown once, to the user who asked, and never logged.
async fn send_enroll_factor_request(call: AuthCall) -> Reply {
    let r: SendEnrollRequest = call.args()?;
    let kind = factor_kind(&call, &r.factor_type)?;
    let s = call.session().await?;
    let p = r.profile.unwrap_or_default();
    let profile = FactorProfile {
        phone_number: p.phone_number,
        phone_country_code: p.phone_country_code,
        email: p.email,
    };
    let req = call
        .core()
        .send_enroll_factor_request(&s, kind, &profile)
        .await
        .map_err(|e| call.fail(e))?;
    let mut data = Map::new();
    data.insert("enrollmentToken".into(), json!(req.enrollment_token));
    if let Some(otp) = &req.otp {
        // A URI too long for any QR code cannot come from the core (issuer and account are
        // bounded); should it, the enrollment is still possible by typing the URI's secret.
        let image = qr::png_data_url(&otp.qr_code_uri).unwrap_or_default();
        data.insert(
            "otpData".into(),
            json!({
                "qrCodeUri": otp.qr_code_uri,
                "qrCodeDataUrl": image,
                "recoveryCode": otp.recovery_code,
            }),
        );
    }
    Ok(ok(call.lang, Value::Object(data)))
}

/// `EnrollFactorEnrollmentDataDto`: `passCode` (`photo` is FACE's, which is refused).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct EnrollmentData {
    pass_code: Option<String>,
}

/// `EnrollFactorDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Enroll {
    factor_type: String,
    enrollment_token: String,
    enrollment_data: EnrollmentData,
}

/// Envelope only, as the SDK declares.
async fn enroll_factor(call: AuthCall) -> Reply {
    let r: Enroll = call.args()?;
    let kind = factor_kind(&call, &r.factor_type)?;
    let s = call.session().await?;
    let pass_code = r.enrollment_data.pass_code.unwrap_or_default();
    call.core()
        .enroll_factor(&s, kind, &r.enrollment_token, &pass_code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

/// `ResetFactorDto` / the query of `getFactor`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FactorRef {
    factor_id: String,
}

async fn reset_factor(call: AuthCall) -> Reply {
    let r: FactorRef = call.args()?;
    let s = call.session().await?;
    call.core()
        .reset_factor(&s, &r.factor_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

/// `FactorDto`: `profile` is `FactorProfile` with the members the kind has (none for OTP).
fn factor_dto(f: &EnrolledFactor) -> Value {
    let mut profile = Map::new();
    let members = [
        ("phoneNumber", &f.profile.phone_number),
        ("phoneCountryCode", &f.profile.phone_country_code),
        ("email", &f.profile.email),
    ];
    for (name, v) in members {
        if let Some(v) = v {
            profile.insert(name.into(), json!(v));
        }
    }
    json!({
        "factorId": f.id,
        "factorType": f.kind.as_str(),
        "profile": profile,
    })
}

async fn list_enrolled_factors(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let list = call
        .core()
        .list_enrolled_factors(&s)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(
        call.lang,
        list.iter().map(factor_dto).collect::<Vec<_>>(),
    ))
}

async fn get_factor(call: AuthCall) -> Reply {
    let r: FactorRef = call.args()?;
    let s = call.session().await?;
    let f = call
        .core()
        .get_factor(&s, &r.factor_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, factor_dto(&f)))
}

/// `FactorToEnrollDto[]`.
async fn list_factors_to_enroll(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let kinds = call
        .core()
        .list_factors_to_enroll(&s)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = kinds
        .iter()
        .map(|k| json!({ "factorType": k.as_str() }))
        .collect();
    Ok(ok(call.lang, list))
}

/// `MfaOtpVerityDto`.
#[derive(Deserialize)]
struct Totp {
    totp: String,
}

/// `OtpVerityRespDto {verified}`: a wrong code is `verified: false`, not a refusal; past the
/// attempt limit the core refuses (6004).
async fn mfa_totp_verify(call: AuthCall) -> Reply {
    let r: Totp = call.args()?;
    let s = call.session().await?;
    let verified = call
        .core()
        .verify_totp(&s, &r.totp)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, json!({ "verified": verified })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::model::tenant::MfaType;

    #[test]
    fn factor_dto_shows_only_the_profile_members_the_kind_has() {
        let otp = EnrolledFactor {
            id: "f1".into(),
            kind: MfaType::Otp,
            profile: FactorProfile::default(),
            created_at: 0,
        };
        assert_eq!(
            factor_dto(&otp),
            json!({ "factorId": "f1", "factorType": "OTP", "profile": {} })
        );
        let sms = EnrolledFactor {
            id: "f2".into(),
            kind: MfaType::Sms,
            profile: FactorProfile {
                phone_number: Some("13800138000".into()),
                phone_country_code: Some("+86".into()),
                email: None,
            },
            created_at: 0,
        };
        assert_eq!(
            factor_dto(&sms),
            json!({
                "factorId": "f2",
                "factorType": "SMS",
                "profile": { "phoneNumber": "13800138000", "phoneCountryCode": "+86" },
            })
        );
    }
}
