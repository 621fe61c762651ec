//! The deployment's ES256 key (ECDSA P-256 with SHA-256, RFC 7518 §3.4) for applications
//! configured to sign their ID tokens with it. JWS wants the signature as `r ‖ s`, each 32
//! bytes big-endian, not OpenSSL's DER.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::{Private, Public};
use serde_json::json;

use crate::error::{Error, Result};

fn ossl(e: openssl::error::ErrorStack) -> Error {
    Error::Internal(format!("openssl: {e}"))
}

/// The P-256 signing key with its key id and public JWK.
pub struct EcSigningKey {
    pub kid: String,
    key: EcKey<Private>,
    public: EcKey<Public>,
    /// The public JWK, serialised once.
    pub jwk: String,
}

impl EcSigningKey {
    /// A new key, as PKCS#8 PEM.
    pub fn generate_pem() -> Result<String> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(ossl)?;
        let key = EcKey::generate(&group).map_err(ossl)?;
        let pem = openssl::pkey::PKey::from_ec_key(key)
            .and_then(|k| k.private_key_to_pem_pkcs8())
            .map_err(ossl)?;
        String::from_utf8(pem).map_err(|e| Error::Internal(e.to_string()))
    }

    /// Parses a stored key; its `kid` is derived from the public key (the first 16 bytes of
    /// the SHA-256 of its JWK's coordinates), so every process names it alike.
    pub fn from_pem(pem: &str) -> Result<EcSigningKey> {
        let corrupt = || Error::Internal("the stored ES256 key is corrupt".into());
        let pkey =
            openssl::pkey::PKey::private_key_from_pem(pem.as_bytes()).map_err(|_| corrupt())?;
        let key = pkey.ec_key().map_err(|_| corrupt())?;
        key.check_key().map_err(|_| corrupt())?;
        if key.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
            return Err(corrupt());
        }
        let public = EcKey::from_public_key(key.group(), key.public_key()).map_err(ossl)?;
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        let (mut x, mut y) = (BigNum::new().map_err(ossl)?, BigNum::new().map_err(ossl)?);
        key.public_key()
            .affine_coordinates(key.group(), &mut x, &mut y, &mut ctx)
            .map_err(ossl)?;
        let x = URL_SAFE_NO_PAD.encode(x.to_vec_padded(32).map_err(ossl)?);
        let y = URL_SAFE_NO_PAD.encode(y.to_vec_padded(32).map_err(ossl)?);
        let kid =
            URL_SAFE_NO_PAD.encode(&openssl::sha::sha256(format!("{x}.{y}").as_bytes())[..16]);
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"
        })
        .to_string();
        Ok(EcSigningKey {
            kid,
            key,
            public,
            jwk,
        })
    }

    /// The JWS signature of `input`: `r ‖ s`.
    pub fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
        let digest = openssl::sha::sha256(input);
        let sig = EcdsaSig::sign(&digest, &self.key).map_err(ossl)?;
        let mut out = sig.r().to_vec_padded(32).map_err(ossl)?;
        out.extend(sig.s().to_vec_padded(32).map_err(ossl)?);
        Ok(out)
    }

    /// Whether `sig` (`r ‖ s`) signs `input`.
    pub fn verify(&self, input: &[u8], sig: &[u8]) -> bool {
        if sig.len() != 64 {
            return false;
        }
        let (Ok(r), Ok(s)) = (
            BigNum::from_slice(&sig[..32]),
            BigNum::from_slice(&sig[32..]),
        ) else {
            return false;
        };
        let Ok(sig) = EcdsaSig::from_private_components(r, s) else {
            return false;
        };
        sig.verify(&openssl::sha::sha256(input), &self.public)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_as_jws_wants() {
        let k = EcSigningKey::from_pem(&EcSigningKey::generate_pem().unwrap()).unwrap();
        let sig = k.sign(b"header.payload").unwrap();
        assert_eq!(sig.len(), 64);
        assert!(k.verify(b"header.payload", &sig));
        assert!(!k.verify(b"header.payloaD", &sig));
        let mut bad = sig.clone();
        bad[5] ^= 1;
        assert!(!k.verify(b"header.payload", &bad));
        assert!(!k.verify(b"header.payload", &sig[..63]));
        let jwk: serde_json::Value = serde_json::from_str(&k.jwk).unwrap();
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["kid"], k.kid.as_str());
        // The same stored key is the same kid in every process.
        let pem = EcSigningKey::generate_pem().unwrap();
        assert_eq!(
            EcSigningKey::from_pem(&pem).unwrap().kid,
            EcSigningKey::from_pem(&pem).unwrap().kid
        );
    }
}
