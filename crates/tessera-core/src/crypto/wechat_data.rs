//! A mini-program's encrypted user data (`encryptedData` + `iv`): AES-128-CBC with PKCS#7
//! padding under the user's session key, all three base64. The plaintext is a JSON object
//! whose `watermark.appid` names the mini-program it was made for.

use base64::Engine;
use openssl::symm::{decrypt, Cipher};
use serde_json::Value;

use crate::error::{Error, Result};

fn b64(field: &'static str, s: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|_| Error::InvalidParameter(field))
}

/// Decrypts `encrypted_data` under `session_key` and `iv` and reads it as JSON. A key or iv
/// of the wrong length, bad padding or text that is not JSON is the caller's bad input
/// (`encryptedData`/`iv`), never an internal error: they come from the client.
pub fn decrypt_wechat_data(session_key: &str, iv: &str, encrypted_data: &str) -> Result<Value> {
    let key = b64("sessionKey", session_key)?;
    let iv = b64("iv", iv)?;
    let data = b64("encryptedData", encrypted_data)?;
    if key.len() != 16 {
        return Err(Error::InvalidParameter("sessionKey"));
    }
    if iv.len() != 16 {
        return Err(Error::InvalidParameter("iv"));
    }
    let plain = decrypt(Cipher::aes_128_cbc(), &key, Some(&iv), &data)
        .map_err(|_| Error::InvalidParameter("encryptedData"))?;
    serde_json::from_slice(&plain).map_err(|_| Error::InvalidParameter("encryptedData"))
}

/// The mini-program `watermark.appid` of decrypted data names, if any.
pub fn watermark_appid(data: &Value) -> Option<&str> {
    data.get("watermark")?.get("appid")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Produced with:
    // printf '%s' '{"openId":…}' | openssl enc -aes-128-cbc \
    //   -K 000102030405060708090a0b0c0d0e0f -iv f0e1d2c3b4a5968778695a4b3c2d1e0f -base64 -A
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODw==";
    const IV: &str = "8OHSw7Sllod4aVpLPC0eDw==";
    const DATA: &str = "rUtf6IZ5A8wdEuKfLocHC79nUaZuQbQJtH93znfpLxYfyH3lpiVzXkYmvji4eyTotqKS2yeLzD499HcvePj/0YeZZ3o+Ud4/EcZgbw+771LYFuLu7oOT4Ho5OK8aRfI6A2r2GCw1+AGzM9GhEzjyXQ==";

    #[test]
    fn decrypts_openssl_vector() {
        let v = decrypt_wechat_data(KEY, IV, DATA).unwrap();
        assert_eq!(v["openId"], "openid-abc");
        assert_eq!(v["nickName"], "Band");
        assert_eq!(watermark_appid(&v), Some("wx-app-1"));
        assert_eq!(v["watermark"]["timestamp"], 1700000000);
    }

    #[test]
    fn wrong_key_or_iv_is_bad_input() {
        // Another key: the padding check fails (or, rarely, the text is no JSON).
        let other = "AQECAwQFBgcICQoLDA0ODw==";
        assert!(matches!(
            decrypt_wechat_data(other, IV, DATA),
            Err(Error::InvalidParameter("encryptedData"))
        ));
        // Another iv changes only the first block: here its `{` becomes `z`, no JSON.
        let iv2 = "8eHSw7Sllod4aVpLPC0eDw==";
        assert!(matches!(
            decrypt_wechat_data(KEY, iv2, DATA),
            Err(Error::InvalidParameter("encryptedData"))
        ));
        assert!(matches!(
            decrypt_wechat_data(KEY, "AAEC", DATA),
            Err(Error::InvalidParameter("iv"))
        ));
        assert!(matches!(
            decrypt_wechat_data("not base64!", IV, DATA),
            Err(Error::InvalidParameter("sessionKey"))
        ));
        assert!(matches!(
            decrypt_wechat_data(KEY, IV, &DATA[..DATA.len() - 24]),
            Err(Error::InvalidParameter(_))
        ));
    }
}
