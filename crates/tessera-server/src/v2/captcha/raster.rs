//! Drawing a captcha: the answer's glyphs as thick anti-aliased strokes, each with its own
//! size, rotation, shear, stroke width and bent strokes, crossed by curves drawn like
//! strokes, the whole image then warped by random sine waves and speckled. Every request
//! draws anew from fresh randomness, so two images of one answer share no pixels to match.
//!
//! The font is a stroke font on a 10×16 grid (`crate::captcha_font`, shared with the v3
//! SVG captcha). What makes the image hard for a program is not the font but that no glyph
//! appears at a known place, size, angle or shape, and that the crossing curves have the
//! strokes' width and colour (no filter by either removes them); the `tests` module
//! measures this with a template-matching solver.

use rand::Rng;

use crate::captcha_font::glyph;

pub const WIDTH: u32 = 160;
pub const HEIGHT: u32 = 60;
const W: usize = WIDTH as usize;
const H: usize = HEIGHT as usize;
/// Where the glyphs stand without distortion: the first centre and the advance.
const FIRST_X: f32 = 26.0;
const ADVANCE: f32 = 36.0;
const MID_Y: f32 = 30.0;
const SCALE: f32 = 2.3;
const STROKE: f32 = 2.8;

/// An image of `answer`, `WIDTH`×`HEIGHT` grey pixels (0 black … 255 white).
pub fn render(answer: &str, rng: &mut impl Rng) -> Vec<u8> {
    draw(answer, rng, true)
}

/// Ink coverage in 0..=1 per pixel.
struct Ink(Vec<f32>);

impl Ink {
    fn new() -> Ink {
        Ink(vec![0.0; W * H])
    }

    /// A segment of width `w`, anti-aliased: each pixel takes the coverage its distance to
    /// the segment gives, keeping the darkest of what is already there.
    fn segment(&mut self, (x0, y0): (f32, f32), (x1, y1): (f32, f32), w: f32) {
        let r = w / 2.0 + 1.0;
        let xa = (x0.min(x1) - r).floor().max(0.0) as usize;
        let xb = (x0.max(x1) + r).ceil().min(W as f32 - 1.0).max(0.0) as usize;
        let ya = (y0.min(y1) - r).floor().max(0.0) as usize;
        let yb = (y0.max(y1) + r).ceil().min(H as f32 - 1.0).max(0.0) as usize;
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len2 = (dx * dx + dy * dy).max(1e-6);
        for y in ya..=yb {
            for x in xa..=xb {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let t = (((px - x0) * dx + (py - y0) * dy) / len2).clamp(0.0, 1.0);
                let (cx, cy) = (x0 + t * dx - px, y0 + t * dy - py);
                let d = (cx * cx + cy * cy).sqrt();
                let cover = (w / 2.0 + 0.5 - d).clamp(0.0, 1.0);
                let cell = &mut self.0[y * W + x];
                *cell = cell.max(cover);
            }
        }
    }

    fn polyline(&mut self, points: &[(f32, f32)], w: f32) {
        for pair in points.windows(2) {
            self.segment(pair[0], pair[1], w);
        }
    }

    /// Bilinear sample; outside the image is blank.
    fn sample(&self, x: f32, y: f32) -> f32 {
        let (x, y) = (x - 0.5, y - 0.5);
        let (fx, fy) = (x.floor(), y.floor());
        let (tx, ty) = (x - fx, y - fy);
        let at = |ix: f32, iy: f32| -> f32 {
            if ix < 0.0 || iy < 0.0 || ix >= W as f32 || iy >= H as f32 {
                0.0
            } else {
                self.0[iy as usize * W + ix as usize]
            }
        };
        let top = at(fx, fy) * (1.0 - tx) + at(fx + 1.0, fy) * tx;
        let bottom = at(fx, fy + 1.0) * (1.0 - tx) + at(fx + 1.0, fy + 1.0) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

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
    fn upright(i: usize) -> Placement {
        Placement {
            cx: FIRST_X + i as f32 * ADVANCE,
            cy: MID_Y,
            scale_x: SCALE,
            scale_y: SCALE,
            angle: 0.0,
            shear: 0.0,
            stroke: STROKE,
        }
    }

    fn random(i: usize, rng: &mut impl Rng) -> Placement {
        let scale = rng.gen_range(1.8..2.3);
        Placement {
            // Neighbours may touch or overlap: no gap to cut the answer at.
            cx: FIRST_X + i as f32 * ADVANCE + rng.gen_range(-6.0..6.0),
            cy: MID_Y + rng.gen_range(-4.0..4.0),
            scale_x: scale * rng.gen_range(0.85..1.25),
            scale_y: scale,
            angle: rng.gen_range(-0.35..0.35),
            shear: rng.gen_range(-0.3..0.3),
            stroke: rng.gen_range(2.4..3.4),
        }
    }

    fn map(&self, (gx, gy): (f32, f32)) -> (f32, f32) {
        let (x, y) = ((gx - 5.0) * self.scale_x, (gy - 8.0) * self.scale_y);
        let x = x + self.shear * y;
        let (s, c) = self.angle.sin_cos();
        (self.cx + x * c - y * s, self.cy + x * s + y * c)
    }
}

fn draw(answer: &str, rng: &mut impl Rng, distort: bool) -> Vec<u8> {
    let mut ink = Ink::new();
    for (i, ch) in answer.chars().enumerate() {
        let place = if distort {
            Placement::random(i, rng)
        } else {
            Placement::upright(i)
        };
        for &(x0, y0, x1, y1) in glyph(ch) {
            if !distort {
                ink.segment(place.map((x0, y0)), place.map((x1, y1)), place.stroke);
                continue;
            }
            // Each stroke bent through three displaced midpoints: no two images of a glyph
            // have the same shape.
            let mut points = Vec::with_capacity(5);
            for k in 0..=4 {
                let t = k as f32 / 4.0;
                let mut p = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
                if k != 0 && k != 4 {
                    p.0 += rng.gen_range(-0.6..0.6);
                    p.1 += rng.gen_range(-0.6..0.6);
                }
                points.push(place.map(p));
            }
            ink.polyline(&points, place.stroke);
        }
    }
    if !distort {
        return to_grey(&ink, |_, _| 232.0, 40.0);
    }
    // Crossing curves: one as wide as the strokes, one thinner (a filter by stroke width
    // keeps the first), both as dark.
    for width in [rng.gen_range(2.4..3.2), rng.gen_range(1.4..2.0)] {
        let mut pts = Vec::with_capacity(33);
        let ys: [f32; 4] = [
            rng.gen_range(12.0..48.0),
            rng.gen_range(5.0..55.0),
            rng.gen_range(5.0..55.0),
            rng.gen_range(12.0..48.0),
        ];
        let xs = [
            rng.gen_range(-10.0..20.0),
            rng.gen_range(30.0..80.0),
            rng.gen_range(80.0..130.0),
            rng.gen_range(140.0..170.0),
        ];
        for k in 0..=32 {
            let t = k as f32 / 32.0;
            let u = 1.0 - t;
            let b = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            pts.push((
                (0..4).map(|j| b[j] * xs[j]).sum(),
                (0..4).map(|j| b[j] * ys[j]).sum(),
            ));
        }
        ink.polyline(&pts, width);
    }
    // The whole image warped by two sine waves of random amplitude, period and phase.
    let tau = std::f32::consts::TAU;
    let (ax, px, fx) = (
        rng.gen_range(1.5..3.0),
        rng.gen_range(0.0..tau),
        tau / rng.gen_range(40.0..70.0),
    );
    let (ay, py, fy) = (
        rng.gen_range(2.0..4.0),
        rng.gen_range(0.0..tau),
        tau / rng.gen_range(50.0..90.0),
    );
    let mut warped = Ink::new();
    for y in 0..H {
        for x in 0..W {
            let (xf, yf) = (x as f32 + 0.5, y as f32 + 0.5);
            warped.0[y * W + x] = ink.sample(
                xf + ax * (yf * fx + px).sin(),
                yf + ay * (xf * fy + py).sin(),
            );
        }
    }
    // A background with a slow gradient and grain, then speckles of both shades.
    let (g0, gx, gy) = (
        rng.gen_range(205.0..240.0),
        rng.gen_range(-0.25..0.25),
        rng.gen_range(-0.4..0.4),
    );
    let mut grain = vec![0f32; W * H];
    for g in grain.iter_mut() {
        *g = rng.gen_range(-18.0..18.0);
    }
    let mut out = to_grey(
        &warped,
        |x, y| g0 + gx * x as f32 + gy * y as f32 + grain[y * W + x],
        rng.gen_range(20.0..80.0),
    );
    for _ in 0..(W * H / 25) {
        let i = rng.gen_range(0..W * H);
        out[i] = if rng.gen_bool(0.5) {
            rng.gen_range(0..110)
        } else {
            rng.gen_range(180..=255)
        };
    }
    out
}

fn to_grey(ink: &Ink, background: impl Fn(usize, usize) -> f32, dark: f32) -> Vec<u8> {
    let mut out = vec![0u8; W * H];
    for y in 0..H {
        for x in 0..W {
            let a = ink.0[y * W + x];
            let v = background(x, y) * (1.0 - a) + dark * a;
            out[y * W + x] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    /// A glyph's upright ink mask, as a solver would build its templates from the font.
    struct Template {
        ch: char,
        ink: Vec<(i32, i32)>,
    }

    fn templates() -> Vec<Template> {
        ALPHABET
            .chars()
            .map(|ch| {
                let mut ink = Ink::new();
                let place = Placement::upright(0);
                for &(x0, y0, x1, y1) in glyph(ch) {
                    ink.segment(place.map((x0, y0)), place.map((x1, y1)), place.stroke);
                }
                let mut pts = Vec::new();
                for y in 0..H {
                    for x in 0..W {
                        if ink.0[y * W + x] > 0.5 {
                            pts.push((x as i32 - FIRST_X as i32, y as i32 - MID_Y as i32));
                        }
                    }
                }
                Template { ch, ink: pts }
            })
            .collect()
    }

    /// The template-matching solver: binarise, then for each of the four places try every
    /// template at offsets around it and keep the best Dice score of template ink against
    /// image ink.
    fn solve(pixels: &[u8], templates: &[Template]) -> String {
        let dark = |x: i32, y: i32| {
            x >= 0 && y >= 0 && (x as usize) < W && (y as usize) < H && {
                pixels[y as usize * W + x as usize] < 128
            }
        };
        // Integral image of the ink, for the Dice denominator of any box in O(1).
        let mut sum = vec![0u32; (W + 1) * (H + 1)];
        for y in 0..H {
            for x in 0..W {
                let v = u32::from(dark(x as i32, y as i32));
                sum[(y + 1) * (W + 1) + x + 1] =
                    v + sum[y * (W + 1) + x + 1] + sum[(y + 1) * (W + 1) + x]
                        - sum[y * (W + 1) + x];
            }
        }
        let boxed = |x0: i32, y0: i32, x1: i32, y1: i32| -> f32 {
            let cl = |v: i32, max: usize| v.clamp(0, max as i32) as usize;
            let (x0, x1) = (cl(x0, W), cl(x1, W));
            let (y0, y1) = (cl(y0, H), cl(y1, H));
            (sum[y1 * (W + 1) + x1] + sum[y0 * (W + 1) + x0]
                - sum[y0 * (W + 1) + x1]
                - sum[y1 * (W + 1) + x0]) as f32
        };
        let mut answer = String::new();
        for i in 0..4 {
            let (cx, cy) = ((FIRST_X + i as f32 * ADVANCE) as i32, MID_Y as i32);
            let mut best = (f32::MIN, '?');
            for t in templates {
                for dy in (-8..=8).step_by(2) {
                    for dx in (-10..=10).step_by(2) {
                        let (ox, oy) = (cx + dx, cy + dy);
                        let hits =
                            t.ink.iter().filter(|(x, y)| dark(ox + x, oy + y)).count() as f32;
                        let image_ink = boxed(ox - 16, oy - 22, ox + 17, oy + 23);
                        let score = 2.0 * hits / (t.ink.len() as f32 + image_ink);
                        if score > best.0 {
                            best = (score, t.ch);
                        }
                    }
                }
            }
            answer.push(best.1);
        }
        answer
    }

    fn random_answer(rng: &mut impl Rng) -> String {
        let a: Vec<char> = ALPHABET.chars().collect();
        (0..4).map(|_| a[rng.gen_range(0..a.len())]).collect()
    }

    /// The solver reads upright glyphs (so it is a working solver), and reads almost
    /// nothing of real captchas. Figures: `cargo test -p tessera-server --lib captcha --
    /// --nocapture`.
    #[test]
    fn a_template_matching_solver_reads_upright_glyphs_but_not_captchas() {
        let mut rng = rand::thread_rng();
        let templates = templates();
        // More rounds for a report: CAPTCHA_SOLVER_ROUNDS=200.
        let n = std::env::var("CAPTCHA_SOLVER_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30usize);
        let (mut plain_ok, mut solved, mut chars_right) = (0, 0, 0);
        let mut drawing = std::time::Duration::ZERO;
        for _ in 0..n {
            let answer = random_answer(&mut rng);
            if solve(&draw(&answer, &mut rng, false), &templates) == answer {
                plain_ok += 1;
            }
            let started = std::time::Instant::now();
            let image = render(&answer, &mut rng);
            drawing += started.elapsed();
            let guess = solve(&image, &templates);
            chars_right += guess
                .chars()
                .zip(answer.chars())
                .filter(|(a, b)| a == b)
                .count();
            if guess == answer {
                solved += 1;
            }
        }
        eprintln!(
            "template solver: upright {plain_ok}/{n}, captchas {solved}/{n} (characters {chars_right}/{}); {:?} per drawing",
            4 * n,
            drawing / n as u32
        );
        assert!(plain_ok >= n * 9 / 10, "the solver works on upright glyphs");
        assert!(solved <= n / 10, "captchas solved: {solved}/{n}");
    }

    #[test]
    fn every_character_has_a_glyph_and_each_drawing_differs() {
        for c in ALPHABET.chars() {
            assert!(!glyph(c).is_empty(), "{c}");
        }
        let mut rng = rand::thread_rng();
        let a = render("AB23", &mut rng);
        let b = render("AB23", &mut rng);
        assert_eq!(a.len(), W * H);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same < W * H / 2, "{same} of {} pixels equal", W * H);
        // There is ink: the glyphs are drawn, not only noise.
        assert!(a.iter().filter(|v| **v < 100).count() > 300);
        if let Ok(dir) = std::env::var("CAPTCHA_SAMPLES") {
            for (i, ans) in ["AB23", "XK7M", "QR9S", "HNWE"].iter().enumerate() {
                let px = render(ans, &mut rng);
                let png = crate::png::encode_grey(WIDTH, HEIGHT, &px);
                std::fs::write(format!("{dir}/captcha{i}_{ans}.png"), png).unwrap();
            }
        }
    }
}
