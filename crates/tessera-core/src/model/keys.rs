//! Key material kept in the store.

/// An RSA key used to sign tokens. Old keys stay verifiable until `retire_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The JWS `kid`.
    pub kid: String,
    /// PKCS#8 PEM.
    pub private_pem: String,
    /// Newest key that is not retiring signs; the others only verify.
    pub created_at: i64,
    /// When set, the key is no longer used to sign and leaves the JWKS at this time (ms).
    pub retire_at: Option<i64>,
}

/// The names of deployment-wide secrets kept in the `deployment_secrets` table.
pub mod secret_names {
    /// PKCS#8 PEM of the RSA key the SDKs encrypt passwords with (`/api/v2/.well-known`).
    pub const PASSWORD_RSA_KEY: &str = "password_rsa_key";
    /// The 64 hex digits of the SM2 private key the v3 SDKs may encrypt passwords with
    /// (`passwordEncryptType: 'sm2'`; the public key is served by `/api/v3/system`).
    pub const PASSWORD_SM2_KEY: &str = "password_sm2_key";
    /// The ES256 (P-256) key of applications that sign ID tokens with it.
    pub const ES256_KEY: &str = "es256_signing_key";
    /// The 64 hex digits of the AES-256-GCM key that seals ASA (form-filling) account
    /// information at rest (`crypto::sealing`).
    pub const ASA_SEALING_KEY: &str = "asa_sealing_key";
    /// Marks that first-start bootstrap ran, so a second process does not repeat it.
    pub const BOOTSTRAPPED: &str = "bootstrapped";
}
