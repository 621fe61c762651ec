//! Avatar upload (`POST /api/v2/upload?folder=avatar`, multipart field `file`) and serving
//! uploads back (`GET /uploads/{name}`).
//!
//! Two SDKs call it: authing-js-sdk's `updateAvatar` (a bare XHR reading v2's `code`,
//! `v2-wire.md` §1.2) and the mini-program SDK's (`wx.uploadFile`, which reads the v3
//! `statusCode` and `data.url`, `v3-wire.md` §6.2), so every answer carries both. Neither
//! sends a token or an app header, so uploads cannot be tied to a user. They are therefore limited hard instead: images only, judged by
//! their bytes (never by the client's content type), bounded in size, stored under random
//! names, served with `nosniff`, and at most `guard::UPLOAD_BUDGET` an hour from one client
//! address (the guard's counter, shared by every process). The one exception is the folder `excel`: a tenant
//! import's spreadsheet (`v3/tenant_import.rs`, which reads it back from this directory and
//! nowhere else), an `.xlsx` (a zip by its bytes) or a `.csv` (UTF-8 text without NUL),
//! served back as an attachment.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::Error;

use crate::authing::{errors, Lang};
use crate::client_ip::Origin;
use crate::envelope::{log_error, RequestLang};
use crate::oidc::wire::Peer;
use crate::AppState;

/// A refused upload: v2's `code` (the Authing code) beside v3's `statusCode` and `apiCode`,
/// always HTTP 200 like both envelopes.
pub struct UploadError(Error, Lang);

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        let UploadError(err, lang) = self;
        log_error(&err);
        let code = errors::code(&err);
        Json(json!({
            "code": code,
            "statusCode": errors::http_status(&err),
            "apiCode": code,
            "message": errors::message(&err, lang),
            "data": null,
        }))
        .into_response()
    }
}

/// A stored upload: `{code: 200, statusCode: 200, message, data: {key, url}}`.
fn uploaded(message: &str, data: Value) -> Response {
    Json(json!({ "code": 200, "statusCode": 200, "message": message, "data": data }))
        .into_response()
}

#[derive(Deserialize)]
pub struct UploadQuery {
    folder: Option<String>,
}

/// The image type of `bytes` by its magic number.
fn image_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(("jpg", "image/jpeg"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("gif", "image/gif"))
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("webp", "image/webp"))
    } else {
        None
    }
}

/// The spreadsheet type of `bytes`: an `.xlsx` is a zip archive; a `.csv` is UTF-8 text
/// (a BOM allowed) without NUL.
fn sheet_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        Some("xlsx")
    } else if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) {
        Some("csv")
    } else {
        None
    }
}

fn content_type(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "png" => "image/png",
        "jpg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv; charset=utf-8",
        _ => return None,
    })
}

/// Whether `name` can be a stored upload's name (random letters and digits, a known
/// extension), and its extension. Nothing else is ever read from the upload directory.
pub(crate) fn stored_name(name: &str) -> Option<&str> {
    if name.len() > 64 {
        return None;
    }
    let (stem, ext) = name.split_once('.')?;
    (!stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_alphanumeric())
        && content_type(ext).is_some())
    .then_some(ext)
}

pub async fn upload(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    RequestLang(lang): RequestLang,
    Query(q): Query<UploadQuery>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, UploadError> {
    let err = |e: Error| UploadError(e, lang);
    let folder = q.folder.unwrap_or_else(|| "avatar".to_owned());
    // Judged once the body is read: a refusal answered while the client is still sending
    // breaks its connection (EPIPE) instead of reaching it.
    let sheet = folder == "excel";
    let folder_ok = sheet || matches!(folder.as_str(), "avatar" | "photos" | "face-photo");
    let mut multipart = multipart.map_err(|_| err(Error::InvalidParameter("file")))?;
    let max = state.options.max_upload_bytes;
    let mut data: Option<Vec<u8>> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::FileTooLarge
                } else {
                    Error::InvalidParameter("file")
                }))
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let mut buf = Vec::new();
        let mut field = field;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > max {
                        return Err(err(Error::FileTooLarge));
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        Error::FileTooLarge
                    } else {
                        Error::InvalidParameter("file")
                    }))
                }
            }
        }
        data = Some(buf);
        break;
    }
    if !folder_ok {
        return Err(err(Error::InvalidParameter("folder")));
    }
    let data = data
        .filter(|d| !d.is_empty())
        .ok_or_else(|| err(Error::MissingParameter("file")))?;
    let ext = if sheet {
        sheet_type(&data)
    } else {
        image_type(&data).map(|(ext, _)| ext)
    }
    .ok_or_else(|| err(Error::FileTypeRefused))?;
    // Only a file that would be stored spends a slot of its sender's address.
    let origin = peer.map(|p| Origin::of(p.ip(), &headers, &state.options.trusted_proxies));
    let ip = origin.map(|o| o.client_ip.to_canonical().to_string());
    state
        .core
        .take_upload_slot(ip.as_deref())
        .await
        .map_err(err)?;
    let name = format!(
        "{}.{ext}",
        tessera_core::ids::new_url_token(18).replace(['-', '_'], "x")
    );
    let dir = state.options.upload_dir.clone();
    let path = dir.join(&name);
    let write = async {
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::write(&path, &data).await
    };
    write
        .await
        .map_err(|e| err(Error::Internal(format!("storing upload: {e}"))))?;
    let url = format!("{}/uploads/{name}", state.core.public_url());
    let msg = match lang {
        Lang::ZhCn => "上传成功",
        Lang::EnUs => "Uploaded",
    };
    Ok(uploaded(
        msg,
        json!({ "key": format!("{folder}/{name}"), "url": url }),
    ))
}

pub async fn serve_upload(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Some(ext) = stored_name(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // A spreadsheet is downloaded, never shown by the browser.
    let disposition = if matches!(ext, "xlsx" | "csv") {
        "attachment"
    } else {
        "inline"
    };
    match tokio::fs::read(state.options.upload_dir.join(&name)).await {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    content_type(ext).unwrap_or("application/octet-stream"),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_judged_by_their_bytes() {
        assert_eq!(
            image_type(b"\x89PNG\r\n\x1a\n....").map(|t| t.0),
            Some("png")
        );
        assert_eq!(
            image_type(&[0xff, 0xd8, 0xff, 0xe0]).map(|t| t.0),
            Some("jpg")
        );
        assert!(image_type(b"<svg onload=alert(1)>").is_none());
        assert!(image_type(b"%PDF-1.7").is_none());
    }

    #[test]
    fn spreadsheets_are_judged_by_their_bytes_and_names_stay_plain() {
        assert_eq!(sheet_type(b"PK\x03\x04rest"), Some("xlsx"));
        assert_eq!(sheet_type("租户名称,邮箱\n".as_bytes()), Some("csv"));
        assert_eq!(sheet_type(b"a,b\0"), None);
        assert_eq!(sheet_type(&[0xff, 0xfe, 0x00]), None);
        assert_eq!(stored_name("abc123.xlsx"), Some("xlsx"));
        assert_eq!(stored_name("abc.png"), Some("png"));
        for bad in [
            "../x.xlsx",
            "a.b.xlsx",
            ".xlsx",
            "abc.exe",
            "a%2e.csv",
            "a/b.csv",
        ] {
            assert_eq!(stored_name(bad), None, "{bad}");
        }
    }
}
