//! The login captcha image (`GET /api/v2/security/captcha`): a PNG drawn with per-request
//! random distortion (`raster`), encoded by `crate::png`. The answer is issued and checked by the
//! core (`Core::issue_captcha`): stored hashed in the database, bound to the pool and the
//! client address, single use, short-lived.

mod raster;

use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::context::V2Ctx;
use crate::envelope::V2Error;
use crate::png;

#[derive(Deserialize)]
pub struct CaptchaQuery {
    app_id: Option<String>,
    userpool_id: Option<String>,
    client_ip: Option<String>,
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
    // About a millisecond of drawing: off the request threads, as other CPU work.
    let png = tokio::task::spawn_blocking(move || image(&answer))
        .await
        .map_err(|e| V2Error(tessera_core::Error::Internal(e.to_string()), lang))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}

/// The PNG of `answer`, drawn anew.
pub fn image(answer: &str) -> Vec<u8> {
    let pixels = raster::render(answer, &mut rand::thread_rng());
    png::encode_grey(raster::WIDTH, raster::HEIGHT, &pixels)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_image_is_a_png_with_no_text_or_vector_in_it() {
        let png = super::image("AB23");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let text = String::from_utf8_lossy(&png);
        assert!(!text.contains("<svg") && !text.contains("<path") && !text.contains("AB23"));
        assert_ne!(super::image("AB23"), png, "drawn anew for every request");
    }
}
