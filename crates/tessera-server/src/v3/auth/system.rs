//! Public information (`v3-wire.md` §5.6 "Public info"). `GET /api/v3/system` (§7.1): the
//! deployment's password-encryption public keys, at the top level where both SDKs read them
//! (`body.rsa.publicKey`, `body.sm2.publicKey`), and again under the envelope's `data` for
//! generic clients. `GET /api/v3/get-country-list`: countries and their calling codes.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::LazyLock;

use serde_json::{json, Value};

use super::super::call::lang_of;
use super::super::envelope::{ok, Failure, V3Error};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/system", get(system))
        .route("/api/v3/get-country-list", get(country_list))
}

/// Every ISO 3166-1 country with a calling code, written by `scripts/countries` from
/// iso-codes and libphonenumber's metadata; parsed once per process.
static COUNTRIES: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("countries.json")).unwrap_or(Value::Array(Vec::new()))
});

/// `getCountryList`: `CountryDetailInfo[]`, names in the four languages of `LangObject`.
async fn country_list(headers: HeaderMap) -> Response {
    ok(lang_of(&headers), &*COUNTRIES)
}

async fn system(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let keys = async {
        let rsa = state.core.password_public_key_pem().await?.to_owned();
        let sm2 = state.core.password_sm2_public_key().await?;
        Ok::<_, tessera_core::Error>((rsa, sm2))
    };
    let (rsa, sm2) = match keys.await {
        Ok(k) => k,
        Err(e) => return V3Error(Failure::Core(e), lang).into_response(),
    };
    let info = json!({
        "rsa": { "publicKey": rsa },
        "sm2": { "publicKey": sm2 },
        "version": {
            "server": env!("CARGO_PKG_VERSION"),
            "console": env!("CARGO_PKG_VERSION"),
            "login": env!("CARGO_PKG_VERSION"),
        },
        "publicIps": [],
    });
    let mut body = info.clone();
    body["statusCode"] = json!(200);
    body["apiCode"] = json!(0);
    body["message"] = json!(lang.pick("操作成功", "Success"));
    body["data"] = info;
    Json(body).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_country_table_parses_and_names_china_in_four_languages() {
        let list = super::COUNTRIES.as_array().expect("an array");
        assert!(list.len() > 200, "{}", list.len());
        let cn = list.iter().find(|c| c["alpha2"] == "CN").expect("CN");
        assert_eq!(cn["alpha3"], "CHN");
        assert_eq!(cn["phoneCountryCode"], "+86");
        assert_eq!(cn["flag"], "🇨🇳");
        assert_eq!(cn["name"]["zh-CN"]["value"], "中国");
        assert_eq!(cn["name"]["en-US"]["value"], "China");
        for c in list {
            for lang in ["zh-CN", "en-US", "zh-TW", "ja-JP"] {
                assert!(c["name"][lang]["value"]
                    .as_str()
                    .is_some_and(|v| !v.is_empty()));
            }
        }
    }
}
