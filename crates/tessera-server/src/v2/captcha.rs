//! The login captcha image (`GET /api/v2/security/captcha`): an SVG whose glyphs are drawn as
//! jittered strokes over noise lines, never as text a parser could read back.

use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Deserialize;
use std::fmt::Write;

use super::context::V2Ctx;
use crate::envelope::V2Error;

#[derive(Deserialize)]
pub struct CaptchaQuery {
    app_id: Option<String>,
    userpool_id: Option<String>,
    client_ip: Option<String>,
}

/// Stroke paths of each glyph on a 10×16 grid (a 7-segment-like font extended with letters).
fn glyph(c: char) -> &'static [(f32, f32, f32, f32)] {
    match c {
        'A' => &[(0., 16., 5., 0.), (5., 0., 10., 16.), (2., 9., 8., 9.)],
        'B' => &[
            (0., 0., 0., 16.),
            (0., 0., 8., 2.),
            (8., 2., 0., 8.),
            (0., 8., 9., 11.),
            (9., 11., 0., 16.),
        ],
        'C' => &[(10., 0., 0., 2.), (0., 2., 0., 14.), (0., 14., 10., 16.)],
        'D' => &[
            (0., 0., 0., 16.),
            (0., 0., 10., 5.),
            (10., 5., 10., 11.),
            (10., 11., 0., 16.),
        ],
        'E' => &[
            (0., 0., 0., 16.),
            (0., 0., 10., 0.),
            (0., 8., 7., 8.),
            (0., 16., 10., 16.),
        ],
        'F' => &[(0., 0., 0., 16.), (0., 0., 10., 0.), (0., 8., 7., 8.)],
        'G' => &[
            (10., 0., 0., 2.),
            (0., 2., 0., 14.),
            (0., 14., 10., 16.),
            (10., 16., 10., 9.),
            (10., 9., 5., 9.),
        ],
        'H' => &[(0., 0., 0., 16.), (10., 0., 10., 16.), (0., 8., 10., 8.)],
        'J' => &[(10., 0., 10., 13.), (10., 13., 5., 16.), (5., 16., 0., 12.)],
        'K' => &[(0., 0., 0., 16.), (10., 0., 0., 9.), (3., 6., 10., 16.)],
        'M' => &[
            (0., 16., 0., 0.),
            (0., 0., 5., 9.),
            (5., 9., 10., 0.),
            (10., 0., 10., 16.),
        ],
        'N' => &[(0., 16., 0., 0.), (0., 0., 10., 16.), (10., 16., 10., 0.)],
        'P' => &[
            (0., 16., 0., 0.),
            (0., 0., 10., 2.),
            (10., 2., 10., 7.),
            (10., 7., 0., 9.),
        ],
        'Q' => &[
            (0., 0., 10., 0.),
            (10., 0., 10., 14.),
            (10., 14., 0., 14.),
            (0., 14., 0., 0.),
            (6., 10., 10., 16.),
        ],
        'R' => &[
            (0., 16., 0., 0.),
            (0., 0., 10., 2.),
            (10., 2., 10., 7.),
            (10., 7., 0., 9.),
            (3., 9., 10., 16.),
        ],
        'S' => &[
            (10., 0., 0., 2.),
            (0., 2., 0., 7.),
            (0., 7., 10., 9.),
            (10., 9., 10., 14.),
            (10., 14., 0., 16.),
        ],
        'T' => &[(0., 0., 10., 0.), (5., 0., 5., 16.)],
        'U' => &[
            (0., 0., 0., 14.),
            (0., 14., 5., 16.),
            (5., 16., 10., 14.),
            (10., 14., 10., 0.),
        ],
        'V' => &[(0., 0., 5., 16.), (5., 16., 10., 0.)],
        'W' => &[
            (0., 0., 2., 16.),
            (2., 16., 5., 6.),
            (5., 6., 8., 16.),
            (8., 16., 10., 0.),
        ],
        'X' => &[(0., 0., 10., 16.), (10., 0., 0., 16.)],
        'Y' => &[(0., 0., 5., 8.), (10., 0., 5., 8.), (5., 8., 5., 16.)],
        'Z' => &[(0., 0., 10., 0.), (10., 0., 0., 16.), (0., 16., 10., 16.)],
        '2' => &[
            (0., 2., 10., 0.),
            (10., 0., 10., 7.),
            (10., 7., 0., 16.),
            (0., 16., 10., 16.),
        ],
        '3' => &[
            (0., 0., 10., 0.),
            (10., 0., 4., 7.),
            (4., 7., 10., 10.),
            (10., 10., 10., 15.),
            (10., 15., 0., 16.),
        ],
        '4' => &[(8., 16., 8., 0.), (8., 0., 0., 11.), (0., 11., 10., 11.)],
        '5' => &[
            (10., 0., 0., 0.),
            (0., 0., 0., 7.),
            (0., 7., 10., 9.),
            (10., 9., 10., 15.),
            (10., 15., 0., 16.),
        ],
        '6' => &[
            (10., 0., 0., 6.),
            (0., 6., 0., 16.),
            (0., 16., 10., 16.),
            (10., 16., 10., 9.),
            (10., 9., 0., 9.),
        ],
        '7' => &[(0., 0., 10., 0.), (10., 0., 3., 16.)],
        '8' => &[
            (0., 0., 10., 0.),
            (10., 0., 0., 16.),
            (0., 16., 10., 16.),
            (10., 16., 0., 0.),
        ],
        '9' => &[
            (10., 7., 0., 7.),
            (0., 7., 0., 0.),
            (0., 0., 10., 0.),
            (10., 0., 10., 16.),
        ],
        _ => &[],
    }
}

pub fn render_svg(answer: &str) -> String {
    let mut rng = rand::thread_rng();
    let (w, h) = (120.0_f32, 40.0_f32);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"><rect width=\"100%\" height=\"100%\" fill=\"#f4f4f4\"/>"
    );
    for _ in 0..6 {
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#{:06x}\" stroke-width=\"1\"/>",
            rng.gen_range(0.0..w),
            rng.gen_range(0.0..h),
            rng.gen_range(0.0..w),
            rng.gen_range(0.0..h),
            rng.gen_range(0x808080..0xd0d0d0u32)
        );
    }
    for (i, c) in answer.chars().enumerate() {
        let ox = 12.0 + i as f32 * 26.0 + rng.gen_range(-3.0..3.0);
        let oy = 8.0 + rng.gen_range(-3.0..3.0);
        let scale = rng.gen_range(1.3..1.6);
        let mut d = String::new();
        for (x1, y1, x2, y2) in glyph(c) {
            let mut j = |v: f32| v + rng.gen_range(-0.6..0.6);
            let _ = write!(
                d,
                "M{:.1} {:.1}L{:.1} {:.1}",
                ox + j(*x1) * scale,
                oy + j(*y1) * scale * 0.9,
                ox + j(*x2) * scale,
                oy + j(*y2) * scale * 0.9
            );
        }
        let _ = write!(
            svg,
            "<path d=\"{d}\" stroke=\"#{:06x}\" stroke-width=\"2.2\" fill=\"none\" stroke-linecap=\"round\"/>",
            rng.gen_range(0x101010..0x606060u32)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Issues a captcha for the client (the `client_ip` a server-side caller passes as
/// `clientIp`, else the peer address) and returns its image.
pub async fn handler(ctx: V2Ctx, Query(q): Query<CaptchaQuery>) -> Result<Response, V2Error> {
    let lang = ctx.lang;
    let core = &ctx.state.core;
    let pool = match (&q.app_id, &q.userpool_id) {
        (Some(app), _) => {
            let app = core.app(app).await.map_err(|e| V2Error(e, lang))?;
            core.pool(&app.pool_id).await
        }
        (None, Some(p)) => core.pool(p).await,
        (None, None) => ctx.pool().cloned(),
    }
    .map_err(|e| V2Error(e, lang))?;
    let ip = ctx.client(q.client_ip.clone()).await.ip;
    let answer = core
        .issue_captcha(&pool, ip.as_deref())
        .await
        .map_err(|e| V2Error(e, lang))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render_svg(&answer),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_captcha_character_has_a_glyph_and_no_text_leaks() {
        for c in "ABCDEFGHJKMNPQRSTUVWXYZ23456789".chars() {
            assert!(!glyph(c).is_empty(), "{c}");
        }
        let svg = render_svg("AB23");
        assert!(svg.starts_with("<svg") && !svg.contains("<text") && !svg.contains("AB23"));
    }
}
