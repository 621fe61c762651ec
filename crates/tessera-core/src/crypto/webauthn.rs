//! The byte formats of WebAuthn Level 2 (W3C, 2021) a relying party reads: the CBOR subset
//! of attestation objects and COSE keys (RFC 8949, CTAP2 canonical encoding), authenticator
//! data (§6.1), COSE public keys (RFC 9053: EC2 P-256 and RSA) and the assertion signature
//! (§6.3.3, ES256 and RS256).
//!
//! Everything here reads untrusted bytes: lengths are checked against what is left before
//! anything is allocated, nesting is bounded, and indefinite lengths and tags (which CTAP2's
//! canonical encoding never uses) are refused.

use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::sign::Verifier;

/// Why bytes were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    Cbor,
    AuthData,
    Key,
    /// A COSE algorithm or key type this relying party does not offer.
    UnsupportedAlgorithm,
}

/// A decoded CBOR item (the subset WebAuthn structures use).
#[derive(Debug, Clone, PartialEq)]
pub enum Cbor {
    Uint(u64),
    /// A negative integer, `-1 - n` for the encoded `n`.
    Neg(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Bool(bool),
    Null,
    /// A float, read and not kept: nothing WebAuthn asks for is one.
    Float,
}

impl Cbor {
    /// The integer value of an integer item.
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Cbor::Uint(n) => Some(i128::from(*n)),
            Cbor::Neg(n) => Some(*n),
            _ => None,
        }
    }

    /// The value under an integer key of a map.
    pub fn get_int(&self, key: i128) -> Option<&Cbor> {
        match self {
            Cbor::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_int() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value under a text key of a map.
    pub fn get_text(&self, key: &str) -> Option<&Cbor> {
        match self {
            Cbor::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Cbor::Text(t) if t == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Cbor::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// Nesting deeper than this is refused (a COSE key is 1 deep, an attestation object 3).
const MAX_DEPTH: usize = 8;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(n).ok_or(Malformed::Cbor)?;
        let s = self.bytes.get(self.pos..end).ok_or(Malformed::Cbor)?;
        self.pos = end;
        Ok(s)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The argument of a head: the additional information or the 1/2/4/8 bytes after it.
    fn argument(&mut self, info: u8) -> Result<u64, Malformed> {
        Ok(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(
                self.take(2)?.try_into().map_err(|_| Malformed::Cbor)?,
            )),
            26 => u64::from(u32::from_be_bytes(
                self.take(4)?.try_into().map_err(|_| Malformed::Cbor)?,
            )),
            27 => u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| Malformed::Cbor)?),
            // 28–30 are reserved; 31 is an indefinite length, which canonical CTAP2 CBOR
            // never uses.
            _ => return Err(Malformed::Cbor),
        })
    }

    /// A length that must fit in what is left (every item takes at least one byte).
    fn length(&mut self, info: u8) -> Result<usize, Malformed> {
        let n = self.argument(info)?;
        let n = usize::try_from(n).map_err(|_| Malformed::Cbor)?;
        if n > self.remaining() {
            return Err(Malformed::Cbor);
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Cbor, Malformed> {
        if depth > MAX_DEPTH {
            return Err(Malformed::Cbor);
        }
        let head = self.take(1)?[0];
        let (major, info) = (head >> 5, head & 0x1f);
        Ok(match major {
            0 => Cbor::Uint(self.argument(info)?),
            1 => Cbor::Neg(-1 - i128::from(self.argument(info)?)),
            2 => {
                let n = self.length(info)?;
                Cbor::Bytes(self.take(n)?.to_vec())
            }
            3 => {
                let n = self.length(info)?;
                let s = std::str::from_utf8(self.take(n)?).map_err(|_| Malformed::Cbor)?;
                Cbor::Text(s.to_owned())
            }
            4 => {
                let n = self.length(info)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Cbor::Array(items)
            }
            5 => {
                let n = self.length(info)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.item(depth + 1)?;
                    let v = self.item(depth + 1)?;
                    entries.push((k, v));
                }
                Cbor::Map(entries)
            }
            // Tags: nothing WebAuthn reads is tagged.
            6 => return Err(Malformed::Cbor),
            _ => match info {
                20 => Cbor::Bool(false),
                21 => Cbor::Bool(true),
                22 | 23 => Cbor::Null,
                25 => {
                    self.take(2)?;
                    Cbor::Float
                }
                26 => {
                    self.take(4)?;
                    Cbor::Float
                }
                27 => {
                    self.take(8)?;
                    Cbor::Float
                }
                _ => return Err(Malformed::Cbor),
            },
        })
    }
}

/// Decodes the first CBOR item of `bytes`; returns it and how many bytes it took.
pub fn cbor_prefix(bytes: &[u8]) -> Result<(Cbor, usize), Malformed> {
    let mut r = Reader { bytes, pos: 0 };
    let item = r.item(0)?;
    Ok((item, r.pos))
}

/// Decodes `bytes` as exactly one CBOR item.
pub fn cbor(bytes: &[u8]) -> Result<Cbor, Malformed> {
    let (item, used) = cbor_prefix(bytes)?;
    if used != bytes.len() {
        return Err(Malformed::Cbor);
    }
    Ok(item)
}

/// COSE algorithm identifiers this relying party offers (`pubKeyCredParams`).
pub const ES256: i64 = -7;
pub const RS256: i64 = -257;

/// A credential's public key: its COSE algorithm and the key as DER SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub alg: i64,
    pub spki_der: Vec<u8>,
}

/// RSA keys shorter than this are refused (NIST SP 800-131A; Windows Hello's are 2048).
const MIN_RSA_BITS: u32 = 2048;

/// Reads a COSE_Key (RFC 9052 §7; WebAuthn §5.8.5): EC2 on P-256 with ES256, or RSA with
/// RS256.
pub fn cose_public_key(key: &Cbor) -> Result<PublicKey, Malformed> {
    let kty = key
        .get_int(1)
        .and_then(Cbor::as_int)
        .ok_or(Malformed::Key)?;
    let alg = key
        .get_int(3)
        .and_then(Cbor::as_int)
        .ok_or(Malformed::Key)?;
    let der = match (kty, alg) {
        // kty EC2 (2), crv P-256 (1), x (-2) and y (-3) 32 bytes each.
        (2, a) if a == i128::from(ES256) => {
            if key.get_int(-1).and_then(Cbor::as_int) != Some(1) {
                return Err(Malformed::UnsupportedAlgorithm);
            }
            let x = key.get_int(-2).and_then(Cbor::as_bytes);
            let y = key.get_int(-3).and_then(Cbor::as_bytes);
            let (x, y) = match (x, y) {
                (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => (x, y),
                _ => return Err(Malformed::Key),
            };
            let group =
                EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(|_| Malformed::Key)?;
            let x = BigNum::from_slice(x).map_err(|_| Malformed::Key)?;
            let y = BigNum::from_slice(y).map_err(|_| Malformed::Key)?;
            // Refuses a point off the curve.
            let ec = EcKey::from_public_key_affine_coordinates(&group, &x, &y)
                .map_err(|_| Malformed::Key)?;
            ec.check_key().map_err(|_| Malformed::Key)?;
            PKey::from_ec_key(ec)
                .and_then(|k| k.public_key_to_der())
                .map_err(|_| Malformed::Key)?
        }
        // kty RSA (3), n (-1) and e (-2).
        (3, a) if a == i128::from(RS256) => {
            let n = key.get_int(-1).and_then(Cbor::as_bytes);
            let e = key.get_int(-2).and_then(Cbor::as_bytes);
            let (n, e) = match (n, e) {
                (Some(n), Some(e)) if !e.is_empty() && e.len() <= 8 && n.len() <= 1024 => (n, e),
                _ => return Err(Malformed::Key),
            };
            let rsa = Rsa::from_public_components(
                BigNum::from_slice(n).map_err(|_| Malformed::Key)?,
                BigNum::from_slice(e).map_err(|_| Malformed::Key)?,
            )
            .map_err(|_| Malformed::Key)?;
            if rsa.n().num_bits() < MIN_RSA_BITS as i32 {
                return Err(Malformed::Key);
            }
            PKey::from_rsa(rsa)
                .and_then(|k| k.public_key_to_der())
                .map_err(|_| Malformed::Key)?
        }
        _ => return Err(Malformed::UnsupportedAlgorithm),
    };
    Ok(PublicKey {
        alg: i64::try_from(alg).map_err(|_| Malformed::Key)?,
        spki_der: der,
    })
}

/// Authenticator data flags (§6.1).
pub const FLAG_UP: u8 = 0x01;
pub const FLAG_UV: u8 = 0x04;
pub const FLAG_AT: u8 = 0x40;
pub const FLAG_ED: u8 = 0x80;

/// The longest credential id WebAuthn allows (§4, "Credential ID": at most 1023 bytes).
pub const MAX_CREDENTIAL_ID: usize = 1023;

/// The credential an authenticator created (attested credential data, §6.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: [u8; 16],
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
}

/// Authenticator data (§6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential>,
}

impl AuthData {
    pub fn user_present(&self) -> bool {
        self.flags & FLAG_UP != 0
    }

    pub fn user_verified(&self) -> bool {
        self.flags & FLAG_UV != 0
    }

    /// Parses authenticator data: the fixed 37 bytes, the attested credential data when
    /// the AT flag says so, then the extensions map when ED says so, and nothing after.
    pub fn parse(bytes: &[u8]) -> Result<AuthData, Malformed> {
        let bad = Malformed::AuthData;
        if bytes.len() < 37 {
            return Err(bad);
        }
        let mut rp_id_hash = [0u8; 32];
        rp_id_hash.copy_from_slice(&bytes[..32]);
        let flags = bytes[32];
        let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
        let mut rest = &bytes[37..];
        let attested = if flags & FLAG_AT != 0 {
            if rest.len() < 18 {
                return Err(bad);
            }
            let mut aaguid = [0u8; 16];
            aaguid.copy_from_slice(&rest[..16]);
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            if len == 0 || len > MAX_CREDENTIAL_ID || rest.len() < 18 + len {
                return Err(bad);
            }
            let credential_id = rest[18..18 + len].to_vec();
            rest = &rest[18 + len..];
            let (key, used) = cbor_prefix(rest).map_err(|_| bad)?;
            rest = &rest[used..];
            Some(AttestedCredential {
                aaguid,
                credential_id,
                public_key: cose_public_key(&key)?,
            })
        } else {
            None
        };
        if flags & FLAG_ED != 0 {
            let (ext, used) = cbor_prefix(rest).map_err(|_| bad)?;
            if !matches!(ext, Cbor::Map(_)) {
                return Err(bad);
            }
            rest = &rest[used..];
        }
        if !rest.is_empty() {
            return Err(bad);
        }
        Ok(AuthData {
            rp_id_hash,
            flags,
            sign_count,
            attested,
        })
    }
}

/// An attestation object (§6.5): its format, statement and authenticator data (raw, as the
/// statement signs it).
#[derive(Debug, Clone, PartialEq)]
pub struct AttestationObject {
    pub fmt: String,
    pub att_stmt: Cbor,
    pub auth_data: Vec<u8>,
}

impl AttestationObject {
    pub fn parse(bytes: &[u8]) -> Result<AttestationObject, Malformed> {
        let obj = cbor(bytes)?;
        let fmt = match obj.get_text("fmt") {
            Some(Cbor::Text(t)) => t.clone(),
            _ => return Err(Malformed::Cbor),
        };
        let att_stmt = match obj.get_text("attStmt") {
            Some(m @ Cbor::Map(_)) => m.clone(),
            _ => return Err(Malformed::Cbor),
        };
        let auth_data = obj
            .get_text("authData")
            .and_then(Cbor::as_bytes)
            .ok_or(Malformed::Cbor)?
            .to_vec();
        Ok(AttestationObject {
            fmt,
            att_stmt,
            auth_data,
        })
    }
}

/// Whether `sig` is the credential key's signature over `data`: ES256 as DER-encoded ECDSA
/// (§6.5.6, the form authenticators produce), RS256 as RSASSA-PKCS1-v1_5 with SHA-256.
pub fn verify_signature(key: &PublicKey, data: &[u8], sig: &[u8]) -> bool {
    let Ok(pkey) = PKey::public_key_from_der(&key.spki_der) else {
        return false;
    };
    let matches_alg = match key.alg {
        ES256 => pkey.ec_key().is_ok(),
        RS256 => pkey.rsa().is_ok(),
        _ => false,
    };
    if !matches_alg {
        return false;
    }
    let Ok(mut v) = Verifier::new(MessageDigest::sha256(), &pkey) else {
        return false;
    };
    v.verify_oneshot(sig, data).unwrap_or(false)
}

/// The public key of an X.509 certificate (a `packed` attestation's `x5c[0]`), with the
/// algorithm the statement names; the certificate chain itself is not trusted (no
/// attestation roots are configured, and `none` attestation is what is asked for).
pub fn certificate_key(der: &[u8], alg: i64) -> Result<PublicKey, Malformed> {
    let cert = openssl::x509::X509::from_der(der).map_err(|_| Malformed::Key)?;
    let spki_der = cert
        .public_key()
        .and_then(|k| k.public_key_to_der())
        .map_err(|_| Malformed::Key)?;
    Ok(PublicKey { alg, spki_der })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbor_reads_maps_and_refuses_lies_about_lengths() {
        // {1: 2, 3: -7, -2: h'0102'}
        let bytes = [0xa3, 0x01, 0x02, 0x03, 0x26, 0x21, 0x42, 0x01, 0x02];
        let v = cbor(&bytes).unwrap();
        assert_eq!(v.get_int(1), Some(&Cbor::Uint(2)));
        assert_eq!(v.get_int(3).and_then(Cbor::as_int), Some(-7));
        assert_eq!(v.get_int(-2).and_then(Cbor::as_bytes), Some(&[1u8, 2][..]));
        // A byte string claiming 2^32 bytes.
        assert_eq!(
            cbor(&[0x5a, 0xff, 0xff, 0xff, 0xff, 0x00]),
            Err(Malformed::Cbor)
        );
        // A map claiming more entries than bytes left.
        assert_eq!(cbor(&[0xb8, 0xff, 0x01]), Err(Malformed::Cbor));
        // Indefinite lengths, tags and trailing bytes.
        assert_eq!(cbor(&[0x5f, 0xff]), Err(Malformed::Cbor));
        assert_eq!(cbor(&[0xc0, 0x01]), Err(Malformed::Cbor));
        assert_eq!(cbor(&[0x01, 0x01]), Err(Malformed::Cbor));
        // Nesting beyond the bound.
        let deep = [0x81u8; 64];
        assert_eq!(cbor(&deep), Err(Malformed::Cbor));
    }

    #[test]
    fn auth_data_refuses_short_and_trailing_bytes() {
        assert_eq!(AuthData::parse(&[0u8; 36]), Err(Malformed::AuthData));
        let mut ok = vec![0u8; 37];
        ok[32] = FLAG_UP;
        ok[36] = 5;
        let a = AuthData::parse(&ok).unwrap();
        assert!(a.user_present());
        assert_eq!(a.sign_count, 5);
        ok.push(0);
        assert_eq!(AuthData::parse(&ok), Err(Malformed::AuthData));
    }
}
