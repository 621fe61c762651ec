//! The token-bound login captcha (`v3-wire.md` §5.3 "Sign-in", `geneCatchaCodeAndToken`):
//! `GET /api/v3/get-captcha-code` → `{captchaCodeSvg, captchaToken}`. The core issues the
//! answer and token (`Core::issue_captcha_token`: only the token's digest is stored, single
//! use, short-lived); a sign-in answers it with `options.captchaCode` + `captchaToken`.
//!
//! `captchaCodeSvg` is the SVG markup itself (`GetCaptchaCodeDataDto`: "验证码图片 svg"; the
//! SDK returns it untouched for a page to insert or wrap in a data URL).
//!
//! The answer is drawn in [`svg`] from the shared stroke font (`crate::captcha_font`), never
//! as `<text>` (which a bot reads from the markup): every stroke of every glyph, bent,
//! rotated, sheared, scaled and warped by random sine waves, is turned into filled polygons
//! — no centre line or stroke width is written anywhere — and the polygons of all glyphs
//! and of two crossing curves of the same ink are shuffled into one `<path>`, so neither the
//! element structure nor the order of the subpaths tells which ink belongs to which glyph,
//! or to a glyph at all. Thin lines and specks of other colours are drawn under and over it.

use std::fmt::Write as _;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::Serialize;

use super::super::envelope::{ok, Reply};
use super::call::AuthCall;
use crate::captcha_font::{glyph, GRID};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v3/get-captcha-code", get(captcha_code))
}

/// `GetCaptchaCodeDataDto`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaptchaCode {
    captcha_code_svg: String,
    captcha_token: String,
}

/// A new captcha of the pool the request names (its application, `x-authing-app-id`).
async fn captcha_code(call: AuthCall) -> Reply {
    let pool = call.pool()?;
    let (answer, token) = call
        .core()
        .issue_captcha_token(pool)
        .await
        .map_err(|e| call.fail(e))?;
    let markup = svg(&answer, &mut rand::thread_rng());
    let mut res = ok(
        call.lang,
        CaptchaCode {
            captcha_code_svg: markup,
            captcha_token: token,
        },
    );
    // Every answer is a new captcha: nothing may serve it again.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res.into_response())
}

/// The size of Authing's captcha image.
pub const WIDTH: f32 = 120.0;
pub const HEIGHT: f32 = 40.0;
/// Where the glyphs stand without distortion: the first centre and the advance.
const FIRST_X: f32 = 21.0;
const ADVANCE: f32 = 26.0;
const MID_Y: f32 = 20.0;

type Pt = (f32, f32);

/// How one glyph is placed: centre, scale, rotation, shear and stroke width.
struct Placement {
    cx: f32,
    cy: f32,
    scale_x: f32,
    scale_y: f32,
    angle: f32,
    shear: f32,
    stroke: f32,
}

impl Placement {
    fn random(i: usize, rng: &mut impl Rng) -> Placement {
        let scale = rng.gen_range(1.45..1.6);
        Placement {
            // Neighbours may touch: no regular gap to cut the answer at.
            cx: FIRST_X + i as f32 * ADVANCE + rng.gen_range(-3.5..3.5),
            cy: MID_Y + rng.gen_range(-2.0..2.0),
            scale_x: scale * rng.gen_range(0.9..1.15),
            scale_y: scale,
            angle: rng.gen_range(-0.3..0.3),
            shear: rng.gen_range(-0.25..0.25),
            stroke: rng.gen_range(1.5..2.0),
        }
    }

    fn map(&self, (gx, gy): Pt) -> Pt {
        let (x, y) = (
            (gx - GRID.0 / 2.0) * self.scale_x,
            (gy - GRID.1 / 2.0) * self.scale_y,
        );
        let x = x + self.shear * y;
        let (s, c) = self.angle.sin_cos();
        (self.cx + x * c - y * s, self.cy + x * s + y * c)
    }
}

/// A warp of the whole picture by two sine waves of random amplitude, period and phase.
struct Warp {
    ax: f32,
    px: f32,
    fx: f32,
    ay: f32,
    py: f32,
    fy: f32,
}

impl Warp {
    fn random(rng: &mut impl Rng) -> Warp {
        let tau = std::f32::consts::TAU;
        Warp {
            ax: rng.gen_range(1.0..2.0),
            px: rng.gen_range(0.0..tau),
            fx: tau / rng.gen_range(25.0..45.0),
            ay: rng.gen_range(1.2..2.2),
            py: rng.gen_range(0.0..tau),
            fy: tau / rng.gen_range(35.0..60.0),
        }
    }

    fn apply(&self, (x, y): Pt) -> Pt {
        (
            x + self.ax * (y * self.fx + self.px).sin(),
            y + self.ay * (x * self.fy + self.py).sin(),
        )
    }
}

/// Filled polygons of ink, each written as one closed subpath.
struct Ink(Vec<String>);

impl Ink {
    /// A polygon, turned to one winding direction so that overlapping pieces add up
    /// under the default nonzero fill rule instead of cancelling into holes.
    fn polygon(&mut self, mut pts: Vec<Pt>) {
        let area: f32 = pts
            .iter()
            .zip(pts.iter().cycle().skip(1))
            .map(|(a, b)| a.0 * b.1 - b.0 * a.1)
            .sum();
        if area < 0.0 {
            pts.reverse();
        }
        let mut d = String::new();
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
        }
        d.push('Z');
        self.0.push(d);
    }

    /// A round dot (an octagon at these sizes), for the joints and ends of a stroke.
    fn dot(&mut self, (cx, cy): Pt, r: f32) {
        let pts = (0..8)
            .map(|k| {
                let a = k as f32 * std::f32::consts::FRAC_PI_4;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        self.polygon(pts);
    }

    /// A polyline of width `w` as a quadrilateral per segment and a dot per point.
    fn stroke(&mut self, pts: &[Pt], w: f32) {
        let h = w / 2.0;
        for pair in pts.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt().max(1e-3);
            let (nx, ny) = (-(y1 - y0) / len * h, (x1 - x0) / len * h);
            self.polygon(vec![
                (x0 + nx, y0 + ny),
                (x1 + nx, y1 + ny),
                (x1 - nx, y1 - ny),
                (x0 - nx, y0 - ny),
            ]);
        }
        for p in pts {
            self.dot(*p, h);
        }
    }
}

/// Points of a cubic Bézier through four control points.
fn bezier(c: [Pt; 4], n: usize) -> Vec<Pt> {
    (0..=n)
        .map(|k| {
            let t = k as f32 / n as f32;
            let u = 1.0 - t;
            let b = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            (
                (0..4).map(|j| b[j] * c[j].0).sum(),
                (0..4).map(|j| b[j] * c[j].1).sum(),
            )
        })
        .collect()
}

/// A curve across the picture from the left edge to the right one.
fn crossing(rng: &mut impl Rng) -> [Pt; 4] {
    [
        (rng.gen_range(-5.0..10.0), rng.gen_range(8.0..32.0)),
        (rng.gen_range(25.0..55.0), rng.gen_range(0.0..40.0)),
        (rng.gen_range(65.0..95.0), rng.gen_range(0.0..40.0)),
        (rng.gen_range(110.0..125.0), rng.gen_range(8.0..32.0)),
    ]
}

fn colour(rng: &mut impl Rng, light: std::ops::Range<u8>) -> String {
    let mut c = || rng.gen_range(light.clone());
    format!("#{:02x}{:02x}{:02x}", c(), c(), c())
}

/// A thin curve of a colour of its own across the picture.
fn thin_line(out: &mut String, rng: &mut impl Rng) {
    let c = crossing(rng);
    let _ = write!(
        out,
        r#"<path d="M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}" stroke="{}" stroke-width="{:.1}" fill="none"/>"#,
        c[0].0,
        c[0].1,
        c[1].0,
        c[1].1,
        c[2].0,
        c[2].1,
        c[3].0,
        c[3].1,
        colour(rng, 90..190),
        rng.gen_range(0.6..1.0),
    );
}

/// The SVG markup of `answer`, drawn anew from `rng`.
pub fn svg(answer: &str, rng: &mut impl Rng) -> String {
    let warp = Warp::random(rng);
    let mut ink = Ink(Vec::new());
    for (i, ch) in answer.chars().enumerate() {
        let place = Placement::random(i, rng);
        for &(x0, y0, x1, y1) in glyph(ch) {
            // Each stroke bent through three displaced midpoints: no two drawings of a
            // glyph have the same shape.
            let pts: Vec<Pt> = (0..=4)
                .map(|k| {
                    let t = k as f32 / 4.0;
                    let mut p = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
                    if k != 0 && k != 4 {
                        p.0 += rng.gen_range(-0.5..0.5);
                        p.1 += rng.gen_range(-0.5..0.5);
                    }
                    warp.apply(place.map(p))
                })
                .collect();
            ink.stroke(&pts, place.stroke);
        }
    }
    // Two crossing curves of the glyphs' ink, one as wide as their strokes and one
    // thinner: a filter by colour or by width does not take them out.
    for w in [rng.gen_range(1.5..1.9), rng.gen_range(0.9..1.2)] {
        let pts: Vec<Pt> = bezier(crossing(rng), 16)
            .into_iter()
            .map(|p| warp.apply(p))
            .collect();
        ink.stroke(&pts, w);
    }
    ink.0.shuffle(rng);

    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">"#
    );
    let _ = write!(
        out,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        colour(rng, 220..250)
    );
    for _ in 0..3 {
        thin_line(&mut out, rng);
    }
    let _ = write!(
        out,
        r#"<path d="{}" fill="{}"/>"#,
        ink.0.concat(),
        colour(rng, 20..90)
    );
    for _ in 0..2 {
        thin_line(&mut out, rng);
    }
    // Specks over everything, light ones that nick the ink and darker ones beside it.
    for light in [true, false] {
        let mut d = String::new();
        for _ in 0..rng.gen_range(18..28) {
            let (x, y) = (rng.gen_range(0.0..WIDTH), rng.gen_range(0.0..HEIGHT));
            let r = rng.gen_range(0.4..0.9);
            let _ = write!(
                d,
                "M{:.1} {y:.1}a{r:.1} {r:.1} 0 1 0 {:.1} 0a{r:.1} {r:.1} 0 1 0 {:.1} 0",
                x - r,
                2.0 * r,
                -2.0 * r
            );
        }
        let fill = if light {
            colour(rng, 215..255)
        } else {
            colour(rng, 60..160)
        };
        let _ = write!(out, r#"<path d="{d}" fill="{fill}"/>"#);
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_draws_paths_only_and_differs_every_time() {
        let mut rng = rand::thread_rng();
        let a = svg("AB23", &mut rng);
        let b = svg("AB23", &mut rng);
        assert!(
            a.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{a}"
        );
        assert!(a.ends_with("</svg>"));
        assert_ne!(a, b, "drawn anew for every request");
        for s in [&a, &b] {
            assert!(!s.contains("<text") && !s.contains("<tspan") && !s.contains("font"));
            assert!(!s.contains("AB23") && !s.contains("transform"));
            // Only these elements: a background, lines, the ink and specks.
            let elements: Vec<&str> = s
                .split('<')
                .skip(1)
                .filter(|e| !e.starts_with('/'))
                .map(|e| e.split([' ', '>']).next().unwrap_or(""))
                .collect();
            assert!(
                elements.iter().all(|e| ["svg", "rect", "path"].contains(e)),
                "{elements:?}"
            );
            assert_eq!(elements.iter().filter(|e| **e == "path").count(), 8);
            // Small enough to send in a JSON envelope.
            assert!(s.len() < 24 * 1024, "{}", s.len());
        }
        // Samples to look at: CAPTCHA_SAMPLES=<dir>.
        if let Ok(dir) = std::env::var("CAPTCHA_SAMPLES") {
            for (i, ans) in ["AB23", "XK7M", "QR9S", "HNWE", "8B3S", "MWNU"]
                .iter()
                .enumerate()
            {
                let file = format!("{dir}/captcha{i}_{ans}.svg");
                std::fs::write(file, svg(ans, &mut rng)).expect("write a sample");
            }
        }
    }

    #[test]
    fn every_glyph_of_the_answer_is_ink_and_no_ink_strays_far_outside() {
        let mut rng = rand::thread_rng();
        for answer in ["WMQ8", "A2Z7", "HNKX"] {
            let s = svg(answer, &mut rng);
            let ink = s
                .split("<path d=\"")
                .find(|p| p.starts_with('M') && p.contains('Z'))
                .expect("the ink path");
            let numbers: Vec<f32> = ink
                .split(['M', 'L', 'Z', ' ', '"'])
                .take_while(|t| !t.starts_with("fill"))
                .filter_map(|t| t.parse().ok())
                .collect();
            assert!(numbers.len() > 400, "{}", numbers.len());
            for xy in numbers.chunks(2) {
                assert!((-12.0..132.0).contains(&xy[0]), "x {}", xy[0]);
                if xy.len() == 2 {
                    assert!((-12.0..52.0).contains(&xy[1]), "y {}", xy[1]);
                }
            }
        }
    }
}
