//! Reading v1 arguments: the v2 readers (wrong types are 2231, never a crash or a default),
//! plus what only the legacy SDK sends.

pub use crate::v2::args::{obj, opt_bool, opt_int, opt_str, req_str};

use serde_json::{Map, Value};
use tessera_core::{Error, Result};

/// A code the SDK may send as a number: `loginByPhoneCode` applies `parseInt` to it, so
/// `"0123"` arrives as `123` (§9, §10.7). The code is put back to `width`, the pool's code
/// length, with its leading zeros.
pub fn code(obj: &Map<String, Value>, key: &'static str, width: u8) -> Result<String> {
    let width = usize::from(width.clamp(4, 8));
    match obj.get(key) {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if v.to_string().len() <= width => Ok(format!("{v:0width$}")),
            _ => Err(Error::InvalidParameter(key)),
        },
        _ => req_str(obj, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_codes_get_their_leading_zeros_back() {
        let a = json!({"c": 123, "s": "004567", "big": 12345678, "neg": -1, "f": 1.5});
        let a = a.as_object().unwrap();
        assert_eq!(code(a, "c", 6).unwrap(), "000123");
        assert_eq!(code(a, "c", 4).unwrap(), "0123");
        assert_eq!(code(a, "s", 6).unwrap(), "004567");
        assert!(code(a, "big", 6).is_err());
        assert!(code(a, "neg", 6).is_err());
        assert!(code(a, "f", 6).is_err());
        assert!(matches!(
            code(a, "missing", 6),
            Err(Error::MissingParameter("missing"))
        ));
    }
}
