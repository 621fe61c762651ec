//! Email, username and phone normalisation (`rules/identifiers.rs`).
//!
//! Input: up to three NUL-separated strings: the identifier, a country code, a default
//! country code. Besides "no panic", a normalised form must be stable: normalising it again
//! gives itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::rules::identifiers;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let raw = parts.next().unwrap_or_default();
    let cc = parts.next();
    let default_cc = parts.next().unwrap_or("+86");

    if let Ok((shown, key)) = identifiers::email(raw) {
        assert_eq!(key, identifiers::email_key(&shown));
        assert_eq!(identifiers::email(&shown).ok(), Some((shown.clone(), key)));
    }
    if let Ok(name) = identifiers::username(raw) {
        assert_eq!(identifiers::username(&name).ok(), Some(name.clone()));
    }
    for code in [cc, None] {
        if let Ok((cc, national)) = identifiers::phone(raw, code, default_cc) {
            assert!(cc.starts_with('+'), "{cc:?}");
            assert!((4..=15).contains(&national.len()), "{national:?}");
            assert!(national.bytes().all(|b| b.is_ascii_digit()), "{national:?}");
            // What the store keeps reads back as itself, in both forms a client may send.
            assert_eq!(
                identifiers::phone(&national, Some(&cc), default_cc).ok(),
                Some((cc.clone(), national.clone()))
            );
            assert_eq!(
                identifiers::phone(&format!("{cc}{national}"), Some(&cc), default_cc).ok(),
                Some((cc.clone(), national.clone()))
            );
        }
    }
    if let Ok(cc) = identifiers::country_code_norm(raw) {
        assert_eq!(identifiers::country_code_norm(&cc).ok(), Some(cc.clone()));
    }
    let _ = identifiers::text("name", raw);
});
