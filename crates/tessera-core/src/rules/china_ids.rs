//! Check characters of Chinese identity numbers — the resident ID number (GB 11643) and the
//! unified social credit code (GB 32100) — and the mask that shows only a number's ends.
//! Real-name authentication (`service::principal`) and tenant certification
//! (`service::tenant_certification`) check and show them alike.

/// 17 digits and a GB 11643 check character (a digit or `X`).
pub fn resident_id_ok(b: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize] == b[17]
}

/// 18 characters of GB 32100's alphabet, the last its check character.
pub fn credit_code_ok(b: &[u8]) -> bool {
    const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    if b.len() != 18 {
        return false;
    }
    let mut values = [0usize; 18];
    for (v, c) in values.iter_mut().zip(b) {
        match ALPHABET.iter().position(|a| a == c) {
            Some(i) => *v = i,
            None => return false,
        }
    }
    let sum: usize = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31 == values[17]
}

/// `keep_start` characters, then `*` for the hidden ones, then `keep_end` characters.
pub fn mask(v: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = v.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep_start].iter().collect();
    out.push_str(&"*".repeat(chars.len() - keep_start - keep_end));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask("11010519491231002X", 6, 4), "110105********002X");
        assert_eq!(mask("1234", 3, 2), "****");
    }
}
