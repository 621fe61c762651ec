//! SM2 public-key encryption (GM/T 0003.4) of passwords, as the v3 SDKs send them with
//! `passwordEncryptType: 'sm2'` (`v3-wire.md` §7.3).
//!
//! The clients (`@authing/miniapp-sm2encrypt`, `sm-crypto`'s `doEncrypt(msg, key, 1)`) send the
//! lowercase hex of `C1 ‖ C3 ‖ C2`: C1 = k·G as `x ‖ y` without the `04` point prefix, C3 =
//! SM3(x2 ‖ M ‖ y2), C2 = M XOR KDF(x2 ‖ y2). Some other clients keep the `04`, and the length
//! cannot tell the two forms apart, so a ciphertext starting with `04` whose C3 does not match
//! in the prefix-less reading is tried again as prefixed. An older demo put `sm2:` in front.
//!
//! OpenSSL has the curve and SM3 but its SM2 decryption wants an ASN.1 ciphertext, so the
//! scheme is written here over its EC and BigNum primitives (the scalar multiplication by the
//! private key is OpenSSL's constant-time ladder). The key is stored as the 64 hex digits of
//! the private scalar, the form `sm-crypto` itself uses.
//!
//! Failures follow `transport.rs`: text that cannot be a ciphertext at all (not hex, too short
//! or long) is [`Error::PasswordDecrypt`]; a well-formed ciphertext that does not decrypt is,
//! for a password to check, a made-up password that cannot match (implicit rejection, so the
//! login fails like a wrong password), and for a password to set, [`Error::PasswordDecrypt`].
//! SM2's C3 check leaves no padding oracle, but one behaviour for both transports keeps the
//! façades' rules the same.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use openssl::bn::{BigNum, BigNumContext, BigNumRef};
use openssl::ec::{EcGroup, EcGroupRef, EcPoint, EcPointRef, PointConversionForm};
use openssl::hash::{Hasher, MessageDigest};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;

use super::transport::decode_cesu8_lenient;
use crate::error::{Error, Result};

/// C1 without its prefix (x ‖ y, 32 bytes each).
const C1_LEN: usize = 64;
/// C3, one SM3 digest.
const C3_LEN: usize = 32;
/// The longest password accepted, in bytes. Passwords are short; the bound keeps the KDF's
/// work per request small whatever a client sends.
pub const MAX_PLAINTEXT: usize = 1024;

fn ossl(e: openssl::error::ErrorStack) -> Error {
    Error::Internal(format!("openssl: {e}"))
}

fn group() -> Result<EcGroup> {
    EcGroup::from_curve_name(Nid::SM2).map_err(ossl)
}

/// The deployment's SM2 password-encryption key.
pub struct Sm2Key {
    group: EcGroup,
    d: BigNum,
    /// `04` ‖ x ‖ y, 130 lowercase hex characters: what the SDKs are given.
    public_hex: String,
    /// Key for deriving implicit-rejection plaintexts; derived from the private key so every
    /// process sharing the key answers the same.
    rejection_key: PKey<Private>,
}

impl std::fmt::Debug for Sm2Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sm2Key")
            .field("public", &self.public_hex)
            .finish()
    }
}

impl Sm2Key {
    /// A fresh private key, as the 64 lowercase hex digits it is stored as.
    pub fn generate_hex() -> Result<String> {
        let group = group()?;
        let n = order(&group)?;
        // d in [1, n-2] (GM/T 0003.1 §6.1): a random number below n-2, plus one.
        let mut bound = n;
        bound.sub_word(2).map_err(ossl)?;
        let mut d = BigNum::new().map_err(ossl)?;
        bound.rand_range(&mut d).map_err(ossl)?;
        d.add_word(1).map_err(ossl)?;
        Ok(crate::ids::hex(&d.to_vec_padded(32).map_err(ossl)?))
    }

    /// Loads a stored key; anything but a valid private scalar is refused with a message
    /// naming the key.
    pub fn from_hex(stored: &str) -> Result<Sm2Key> {
        let corrupt =
            || Error::Internal("the stored SM2 password encryption key is corrupt".into());
        let bytes = unhex(stored.trim()).ok_or_else(corrupt)?;
        if bytes.len() != 32 {
            return Err(corrupt());
        }
        let group = group()?;
        let d = BigNum::from_slice(&bytes).map_err(ossl)?;
        let mut max = order(&group)?;
        max.sub_word(2).map_err(ossl)?;
        if d < BigNum::from_u32(1).map_err(ossl)? || d > max {
            return Err(corrupt());
        }
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        let mut public = EcPoint::new(&group).map_err(ossl)?;
        public.mul_generator2(&group, &d, &mut ctx).map_err(ossl)?;
        let public_hex = crate::ids::hex(
            &public
                .to_bytes(&group, PointConversionForm::UNCOMPRESSED, &mut ctx)
                .map_err(ossl)?,
        );
        let mut seed = Hasher::new(MessageDigest::sha256()).map_err(ossl)?;
        seed.update(b"tessera sm2 implicit rejection\0")
            .map_err(ossl)?;
        seed.update(&bytes).map_err(ossl)?;
        let rejection_key = PKey::hmac(&seed.finish().map_err(ossl)?).map_err(ossl)?;
        Ok(Sm2Key {
            group,
            d,
            public_hex,
            rejection_key,
        })
    }

    /// The public key as the SDKs take it: `04` and 128 lowercase hex characters.
    pub fn public_hex(&self) -> &str {
        &self.public_hex
    }

    /// Decrypts `ciphertext_hex` (optionally `sm2:`-prefixed, C1 with or without `04`).
    /// Any failure is [`Error::PasswordDecrypt`].
    pub fn decrypt(&self, ciphertext_hex: &str) -> Result<Vec<u8>> {
        let raw = parse(ciphertext_hex)?;
        self.open(&raw)?.ok_or(Error::PasswordDecrypt)
    }

    /// Decrypts a password to check it: a well-formed ciphertext that does not decrypt
    /// becomes a password that cannot match (see the module docs).
    pub fn decrypt_password(&self, ciphertext_hex: &str) -> Result<String> {
        let raw = parse(ciphertext_hex)?;
        match self.open(&raw)? {
            Some(plain) => Ok(decode_cesu8_lenient(&plain)),
            None => self.implicit_rejection(&raw),
        }
    }

    /// Decrypts a password that is about to be set: any failure is
    /// [`Error::PasswordDecrypt`], never a made-up password.
    pub fn decrypt_new(&self, ciphertext_hex: &str) -> Result<String> {
        self.decrypt(ciphertext_hex)
            .map(|plain| decode_cesu8_lenient(&plain))
    }

    /// Encrypts `plaintext` for `public_hex` (`04` ‖ x ‖ y) as the SDKs do: lowercase hex of
    /// C1 (without `04`) ‖ C3 ‖ C2. For tests and for clients of our own.
    pub fn encrypt(public_hex: &str, plaintext: &[u8]) -> Result<String> {
        let bad_key = || Error::Internal("not an SM2 public key".into());
        let group = group()?;
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        let key_bytes = unhex(public_hex.trim()).ok_or_else(bad_key)?;
        if key_bytes.len() != 1 + C1_LEN || key_bytes[0] != 0x04 {
            return Err(bad_key());
        }
        let public = EcPoint::from_bytes(&group, &key_bytes, &mut ctx).map_err(|_| bad_key())?;
        // k in [1, n-1]: a random number below n-1, plus one.
        let mut below = order(&group)?;
        below.sub_word(1).map_err(ossl)?;
        loop {
            let mut k = BigNum::new().map_err(ossl)?;
            below.rand_range(&mut k).map_err(ossl)?;
            k.add_word(1).map_err(ossl)?;
            let mut c1 = EcPoint::new(&group).map_err(ossl)?;
            c1.mul_generator2(&group, &k, &mut ctx).map_err(ossl)?;
            let (x2, y2) = shared_point(&group, &public, &k, &mut ctx)?;
            let t = kdf(&[&x2[..], &y2[..]].concat(), plaintext.len())?;
            if !plaintext.is_empty() && t.iter().all(|&b| b == 0) {
                continue; // GM/T 0003.4 §6.1 A5: choose another k.
            }
            let c1 = c1
                .to_bytes(&group, PointConversionForm::UNCOMPRESSED, &mut ctx)
                .map_err(ossl)?;
            let c3 = sm3(&[&x2[..], plaintext, &y2[..]])?;
            let c2: Vec<u8> = plaintext.iter().zip(&t).map(|(m, t)| m ^ t).collect();
            let mut out = crate::ids::hex(&c1[1..]);
            out.push_str(&crate::ids::hex(&c3));
            out.push_str(&crate::ids::hex(&c2));
            return Ok(out);
        }
    }

    /// The plaintext of `raw` (the decoded hex), `None` if it does not decrypt: first read as
    /// the Authing clients send it (C1 without `04`), then, only if that fails and the data
    /// begins with `04`, as a C1 that kept its prefix (§7.3 step 3).
    fn open(&self, raw: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut prefixed = Vec::with_capacity(raw.len() + 1);
        prefixed.push(0x04);
        prefixed.extend_from_slice(raw);
        if let Some(plain) = self.open_prefixed(&prefixed)? {
            return Ok(Some(plain));
        }
        if raw.first() == Some(&0x04) {
            return self.open_prefixed(raw);
        }
        Ok(None)
    }

    /// GM/T 0003.4 §7.1 over `04 ‖ x1 ‖ y1 ‖ C3 ‖ C2`.
    fn open_prefixed(&self, data: &[u8]) -> Result<Option<Vec<u8>>> {
        if data.len() < 1 + C1_LEN + C3_LEN || data.len() > 1 + C1_LEN + C3_LEN + MAX_PLAINTEXT {
            return Ok(None);
        }
        let (c1, rest) = data.split_at(1 + C1_LEN);
        let (c3, c2) = rest.split_at(C3_LEN);
        let mut ctx = BigNumContext::new().map_err(ossl)?;
        // B1: C1 must be a point of the curve (OpenSSL refuses one that is not); the
        // cofactor is 1, so no small-subgroup check is needed beyond that.
        let Ok(c1) = EcPoint::from_bytes(&self.group, c1, &mut ctx) else {
            return Ok(None);
        };
        if !c1.is_on_curve(&self.group, &mut ctx).unwrap_or(false) || c1.is_infinity(&self.group) {
            return Ok(None);
        }
        let (x2, y2) = shared_point(&self.group, &c1, &self.d, &mut ctx)?;
        let t = kdf(&[&x2[..], &y2[..]].concat(), c2.len())?;
        if !c2.is_empty() && t.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let plain: Vec<u8> = c2.iter().zip(&t).map(|(c, t)| c ^ t).collect();
        let u = sm3(&[&x2[..], &plain, &y2[..]])?;
        if !super::ct_eq(&u, c3) {
            return Ok(None);
        }
        Ok(Some(plain))
    }

    fn implicit_rejection(&self, raw: &[u8]) -> Result<String> {
        let mut signer = Signer::new(MessageDigest::sha256(), &self.rejection_key).map_err(ossl)?;
        signer.update(raw).map_err(ossl)?;
        let mac = signer.sign_to_vec().map_err(ossl)?;
        // A string no real user typed, so it can only fail verification.
        Ok(format!("\u{1}{}", STANDARD_NO_PAD.encode(mac)))
    }
}

/// The ciphertext's bytes: an optional `sm2:` prefix removed, hex decoded, and long enough to
/// hold C1 and C3 and short enough for [`MAX_PLAINTEXT`]. Anything else cannot be a
/// ciphertext: [`Error::PasswordDecrypt`].
fn parse(ciphertext_hex: &str) -> Result<Vec<u8>> {
    let text = ciphertext_hex.trim();
    let text = text.strip_prefix("sm2:").unwrap_or(text);
    let raw = unhex(text).ok_or(Error::PasswordDecrypt)?;
    if raw.len() < C1_LEN + C3_LEN || raw.len() > 1 + C1_LEN + C3_LEN + MAX_PLAINTEXT {
        return Err(Error::PasswordDecrypt);
    }
    Ok(raw)
}

/// Hex (either case) to bytes; `None` for an odd length or a non-hex character.
fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

fn order(group: &EcGroupRef) -> Result<BigNum> {
    let mut n = BigNum::new().map_err(ossl)?;
    let mut ctx = BigNumContext::new().map_err(ossl)?;
    group.order(&mut n, &mut ctx).map_err(ossl)?;
    Ok(n)
}

/// (x2, y2) = scalar · point, each coordinate as 32 big-endian bytes.
fn shared_point(
    group: &EcGroupRef,
    point: &EcPointRef,
    scalar: &BigNumRef,
    ctx: &mut BigNumContext,
) -> Result<([u8; 32], [u8; 32])> {
    let mut s = EcPoint::new(group).map_err(ossl)?;
    s.mul2(group, point, scalar, ctx).map_err(ossl)?;
    let (mut x, mut y) = (BigNum::new().map_err(ossl)?, BigNum::new().map_err(ossl)?);
    s.affine_coordinates(group, &mut x, &mut y, ctx)
        .map_err(ossl)?;
    let mut xb = [0u8; 32];
    let mut yb = [0u8; 32];
    xb.copy_from_slice(&x.to_vec_padded(32).map_err(ossl)?);
    yb.copy_from_slice(&y.to_vec_padded(32).map_err(ossl)?);
    Ok((xb, yb))
}

fn sm3(parts: &[&[u8]]) -> Result<[u8; 32]> {
    let mut h = Hasher::new(MessageDigest::sm3()).map_err(ossl)?;
    for p in parts {
        h.update(p).map_err(ossl)?;
    }
    let digest = h.finish().map_err(ossl)?;
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    Ok(out)
}

/// GM/T 0003.4 §5.4.3: SM3(z ‖ ct) for ct = 1, 2, … as 32-bit big-endian, concatenated and
/// cut to `len` bytes.
fn kdf(z: &[u8], len: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len + 32);
    let mut ct: u32 = 1;
    while out.len() < len {
        out.extend_from_slice(&sm3(&[z, &ct.to_be_bytes()])?);
        ct += 1;
    }
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Interop vectors made by `sm-crypto` 0.5.8 (npm), outside this repository:
    // `sm2.generateKeyPairHex()`, then `sm2.doEncrypt(msg, publicKey, 1)` for each password.
    // Test fixture: a throwaway key pair generated for these vectors, used nowhere else.
    const SMC_PRIVATE: &str = "af760ee4977807da8dd58daf8085b97bd531509fd572bcf737fe578509c13eeb";
    const SMC_PUBLIC: &str = "0490bbe4069c8377767534780af179dd1a1f4fbf3f1b5b11a647e23f8906ee6b03\
                              ff875a21924cfb303f95659a7af3f561c1b2c7544dee599b794f6e240cd1bb80";
    /// ASCII, 9 bytes.
    const SMC_ASCII: (&str, &str) = (
        "Passw0rd!",
        "7fe25f7f3c6b3137f4e50354443c0737a475c84efa0fd0484ba61978a92aabf2247b3a160f436f92d82a24491d\
         c4eea331d97a98023ec4fa475d8fc836014a65dffa65ee5aa2368d93c3464f2f9f0a9d5240a49e56d087c229a7\
         53c9a469ed5a63d646029686084d3c",
    );
    /// Chinese and ASCII, 16 bytes of UTF-8.
    const SMC_CHINESE: (&str, &str) = (
        "\u{5bc6}\u{7801}\u{6d4b}\u{8bd5}-123",
        "576a679ef66188bf15d6f7f41de27bdef7d93ac54593f011c1a90819b12962453dd179d203da0f4ddd16f65ed3\
         1b1007f079f34aee48c85e068d8b1e350dc81786acc09517b3084ffa870feb513a81060887b459fbbd715712f4\
         56bd4897721b1d64351379c13cbbd540bb28831de2d5",
    );
    /// 40 ASCII characters and 20 three-byte ones: 100 bytes, four KDF blocks.
    const SMC_LONG_CIPHER: &str =
        "7dc6c6fd3e5e5ebe00f6875692129f338788200d05abe2fb0e96141e0810d4af3cb56706142b43fedf49704afe\
         97c81a1d04cc40c2defe3c13d418e3f4eb5e0f1a0cb4ebd73437a03a1af325aa6d90e6a6827134ea009700dfda\
         6d8345a1fa4633993431c4945ed0ebb511426e0e368166e98c5ff2e2f2b203ef3002ade0dbe83750baf1bc729a\
         9d6ae16f850287369c515a61e0c86c0ee993fb1b6ae9b28ddb375595311ab193d83e8b1bfdc6d07459c1eb991c\
         973a7886a1df36fb1f7e857423bb8217";
    /// An astral character (4 bytes of UTF-8) and ASCII.
    const SMC_EMOJI: (&str, &str) = (
        "\u{1F600}ok",
        "73cbbfd37286e7acf65c17f4b724a8eb2466f45eee5c44cbdbc20b34ceb9287cd83c22d51be3f778b03d7018c1\
         803b6beb4b99349bf3b87577b6cd45c949953bc6796df2a2273d5310a1a9b4c3f8b999b9f8db5f22490534f181\
         e85c2f92213d2a5f8adeb000",
    );

    fn smc_key() -> Sm2Key {
        Sm2Key::from_hex(SMC_PRIVATE).unwrap()
    }

    fn long_password() -> String {
        format!("{}{}", "x".repeat(40), "\u{4e2d}".repeat(20))
    }

    #[test]
    fn decrypts_what_sm_crypto_encrypted() {
        let k = smc_key();
        assert_eq!(k.public_hex(), SMC_PUBLIC);
        let long = long_password();
        assert_eq!(long.len(), 100);
        for (plain, cipher) in [
            SMC_ASCII,
            SMC_CHINESE,
            (long.as_str(), SMC_LONG_CIPHER),
            SMC_EMOJI,
        ] {
            assert_eq!(k.decrypt(cipher).unwrap(), plain.as_bytes());
            assert_eq!(k.decrypt_password(cipher).unwrap(), plain);
            assert_eq!(k.decrypt_new(cipher).unwrap(), plain);
        }
    }

    #[test]
    fn the_sm2_prefix_and_a_kept_point_prefix_are_accepted() {
        let k = smc_key();
        let (plain, cipher) = SMC_CHINESE;
        assert_eq!(k.decrypt_new(&format!("sm2:{cipher}")).unwrap(), plain);
        // A client that kept C1's `04` (BouncyCastle and the like): tried again as prefixed.
        assert_eq!(k.decrypt_new(&format!("04{cipher}")).unwrap(), plain);
        assert_eq!(
            k.decrypt_password(&format!("sm2:04{cipher}")).unwrap(),
            plain
        );
        // Upper-case hex and surrounding white space are the same bytes.
        assert_eq!(
            k.decrypt_new(&format!(" {} ", cipher.to_uppercase()))
                .unwrap(),
            plain
        );
    }

    #[test]
    fn a_prefix_less_ciphertext_that_begins_with_04_is_read_first_as_prefix_less() {
        // About one ciphertext in 256 has an x1 whose first byte is 04; it must not be taken
        // for a prefixed one.
        let k = smc_key();
        for _ in 0..5000 {
            let c = Sm2Key::encrypt(SMC_PUBLIC, b"secret1").unwrap();
            if c.starts_with("04") {
                assert_eq!(k.decrypt(&c).unwrap(), b"secret1");
                return;
            }
        }
        panic!("no ciphertext beginning with 04 in 5000 tries");
    }

    #[test]
    fn round_trip_of_our_own_encryption() {
        let k = Sm2Key::from_hex(&Sm2Key::generate_hex().unwrap()).unwrap();
        assert_eq!(k.public_hex().len(), 130);
        assert!(k.public_hex().starts_with("04"));
        assert!(k
            .public_hex()
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        let long = long_password();
        for plain in ["p@ss w0rd\u{4e2d}\u{6587}", "", long.as_str()] {
            let c = Sm2Key::encrypt(k.public_hex(), plain.as_bytes()).unwrap();
            assert_eq!(c.len(), 2 * (C1_LEN + C3_LEN + plain.len()));
            assert_eq!(c, c.to_lowercase());
            assert_eq!(k.decrypt_new(&c).unwrap(), plain);
        }
        // Encryption is randomised, and a ciphertext for one key does not open with another.
        let a = Sm2Key::encrypt(k.public_hex(), b"same").unwrap();
        let b = Sm2Key::encrypt(k.public_hex(), b"same").unwrap();
        assert_ne!(a, b);
        assert!(matches!(smc_key().decrypt(&a), Err(Error::PasswordDecrypt)));
        // The same stored key is the same public key in every process.
        let stored = Sm2Key::generate_hex().unwrap();
        assert_eq!(
            Sm2Key::from_hex(&stored).unwrap().public_hex(),
            Sm2Key::from_hex(&stored).unwrap().public_hex()
        );
    }

    #[test]
    fn a_tampered_ciphertext_is_refused_and_checked_passwords_are_implicitly_rejected() {
        let k = smc_key();
        let (_, cipher) = SMC_ASCII;
        let flip = |at: usize| {
            let mut b = cipher.as_bytes().to_vec();
            b[at] = if b[at] == b'0' { b'1' } else { b'0' };
            String::from_utf8(b).unwrap()
        };
        // C3, C2 and C1 each changed in one hex digit.
        for at in [2 * C1_LEN + 5, 2 * (C1_LEN + C3_LEN) + 1, 7] {
            let bad = flip(at);
            assert!(
                matches!(k.decrypt(&bad), Err(Error::PasswordDecrypt)),
                "{at}"
            );
            assert!(matches!(k.decrypt_new(&bad), Err(Error::PasswordDecrypt)));
            let made_up = k.decrypt_password(&bad).unwrap();
            assert!(made_up.starts_with('\u{1}'), "{at}");
            assert_eq!(made_up, k.decrypt_password(&bad).unwrap(), "deterministic");
        }
        // A C1 that is no point of the curve.
        let off_curve = format!("{}{}", "01".repeat(C1_LEN), &cipher[2 * C1_LEN..]);
        assert!(matches!(k.decrypt(&off_curve), Err(Error::PasswordDecrypt)));
        assert!(k.decrypt_password(&off_curve).unwrap().starts_with('\u{1}'));
        // Another deployment's key rejects differently: the made-up password depends on
        // the private key.
        let other = Sm2Key::from_hex(&Sm2Key::generate_hex().unwrap()).unwrap();
        assert_ne!(
            other.decrypt_password(&flip(7)).unwrap(),
            k.decrypt_password(&flip(7)).unwrap()
        );
    }

    #[test]
    fn text_that_cannot_be_a_ciphertext_is_a_decrypt_error_never_a_panic() {
        let k = smc_key();
        let (_, cipher) = SMC_ASCII;
        let short = "ab".repeat(C1_LEN + C3_LEN - 1);
        let too_long = "ab".repeat(1 + C1_LEN + C3_LEN + MAX_PLAINTEXT + 1);
        for text in [
            "",
            "sm2:",
            "   ",
            "Passw0rd!",
            "zz",
            &cipher[1..],   // odd length
            &cipher[..191], // odd, and too short
            short.as_str(),
            too_long.as_str(),
            "\u{4e2d}\u{6587}",
            "sm2:sm2:00",
        ] {
            assert!(
                matches!(k.decrypt(text), Err(Error::PasswordDecrypt)),
                "{text:?}"
            );
            assert!(matches!(k.decrypt_new(text), Err(Error::PasswordDecrypt)));
            assert!(matches!(
                k.decrypt_password(text),
                Err(Error::PasswordDecrypt)
            ));
        }
        // Exactly C1 and C3, all zeros: well formed, does not decrypt.
        let zeros = "00".repeat(C1_LEN + C3_LEN);
        assert!(matches!(k.decrypt(&zeros), Err(Error::PasswordDecrypt)));
        assert!(k.decrypt_password(&zeros).unwrap().starts_with('\u{1}'));
    }

    #[test]
    fn the_kdf_counts_from_one_big_endian() {
        // KDF(z, 40) = SM3(z ‖ 00000001) ‖ SM3(z ‖ 00000002)[..8].
        let z = b"shared secret";
        let t = kdf(z, 40).unwrap();
        assert_eq!(t[..32], sm3(&[z, &[0, 0, 0, 1]]).unwrap());
        assert_eq!(t[32..], sm3(&[z, &[0, 0, 0, 2]]).unwrap()[..8]);
        // SM3 itself (GB/T 32905 example 1: "abc").
        assert_eq!(
            crate::ids::hex(&sm3(&[b"abc"]).unwrap()),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn a_corrupt_key_is_refused_with_a_clear_message() {
        let n = order(&group().unwrap()).unwrap();
        let n_hex = crate::ids::hex(&n.to_vec_padded(32).unwrap());
        let mut n_minus_1 = n;
        n_minus_1.sub_word(1).unwrap();
        let n_minus_1 = crate::ids::hex(&n_minus_1.to_vec_padded(32).unwrap());
        for stored in [
            "",
            "zz",
            &SMC_PRIVATE[..62],
            &SMC_PRIVATE[..63],
            "00".repeat(32).as_str(),
            n_hex.as_str(),
            n_minus_1.as_str(),
            // Test fixture: a PEM frame around no key material, to show a PEM is refused.
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let err = Sm2Key::from_hex(stored).unwrap_err().to_string();
            assert!(
                err.contains("SM2 password encryption key"),
                "{stored:?}: {err}"
            );
        }
        assert!(Sm2Key::encrypt("04abcd", b"x").is_err());
        assert!(Sm2Key::encrypt(&format!("04{}", "01".repeat(C1_LEN)), b"x").is_err());
    }
}
