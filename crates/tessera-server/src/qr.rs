//! QR codes: the one an authenticator app scans to enroll TOTP (the core hands out the
//! `otpauth://` URI, `Core::send_enroll_factor_request`; here it becomes the `qrCodeDataUrl`
//! of `SendEnrollFactorRequestOtpDataDto`) and the one a mobile app scans to approve a
//! QR-code login (`v3/auth/qrcode.rs`). Drawing is presentation, so it happens here, next to
//! the captcha's PNG encoder. The module matrix comes from the `qrcode` crate
//! (pure Rust, no image dependency); the image is a 1-bit PNG.

use base64::Engine;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module: a 49-module code (an `otpauth://` URI with a 32-character secret) is
/// 228 px wide with its quiet zone, easy to scan from a screen.
const SCALE: usize = 4;
/// The quiet zone the QR standard asks for around the code, in modules.
const QUIET: usize = 4;

/// `data:image/png;base64,…` of `text`'s QR code (error correction M: a screen is not a
/// damaged label). `None` when `text` is too long for any QR code.
pub fn png_data_url(text: &str) -> Option<String> {
    let png = png(text)?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

/// The PNG of `text`'s QR code; `None` when `text` is too long for any QR code.
pub fn png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut dark = vec![false; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * SCALE..(my + 1) * SCALE {
            dark[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(true);
        }
    }
    let side = u32::try_from(side).ok()?;
    Some(crate::png::encode_bilevel(side, side, &dark))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::png::tests::decode_bilevel;

    /// The image's modules, read at their centres, are the code's, inside a light quiet zone.
    #[test]
    fn the_image_is_the_code() {
        let uri = "otpauth://totp/My%20Pool:ann%40example.com?secret=\
                   JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=My%20Pool&algorithm=SHA1&digits=6&period=30";
        let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
        let n = code.width();
        let (w, h, dark) = decode_bilevel(&png(uri).unwrap());
        let side = (n + 2 * QUIET) * SCALE;
        assert_eq!((w as usize, h as usize), (side, side));
        let at =
            |mx: usize, my: usize| dark[(my * SCALE + SCALE / 2) * side + mx * SCALE + SCALE / 2];
        let colors = code.to_colors();
        for my in 0..n + 2 * QUIET {
            for mx in 0..n + 2 * QUIET {
                let inside = (QUIET..QUIET + n).contains(&mx) && (QUIET..QUIET + n).contains(&my);
                let want = inside && colors[(my - QUIET) * n + (mx - QUIET)] == Color::Dark;
                assert_eq!(at(mx, my), want, "module ({mx}, {my})");
            }
        }
        // The top-left finder pattern's corner is dark: the matrix is not all light.
        assert!(at(QUIET, QUIET));
    }

    #[test]
    fn data_url_is_a_base64_png() {
        let url = png_data_url("otpauth://totp/x:y?secret=ABC").unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png_data_url(&"x".repeat(5000)).is_none());
    }
}
