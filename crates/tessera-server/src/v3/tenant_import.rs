//! Tenant import from a spreadsheet (`v3-wire.md` "Tenants"): `importTenant`,
//! `importTenantHistory`, `importTenantNotifyUser`, `sendEmailBatch`, `sendSmsBatch` over the
//! core's `tenant_import` service.
//!
//! `excelUrl` must name a file of this server's own uploads (`POST /api/v2/upload?folder=excel`,
//! served under `/uploads/{name}`): whatever host the URL spells, only its path is read, and
//! the file is read from the upload directory, never fetched (no request to a URL a caller
//! chose). The file is an `.xlsx` (its first sheet) or a `.csv` in UTF-8, bounded in size,
//! cells and uncompressed size, parsed on a blocking thread. Its first non-blank row is the
//! header (`authing::tenant_sheet`), each later non-blank row one member.
//!
//! The DTOs type both lists as `any[]`; a history item is `{importId, fileName, status,
//! tenantCount, memberCount, newUserCount, createdAt}`, a notify item carries the fields of
//! `SendTenantEmailDto` / `SendTenantSmsDto` (so a page can be sent back as `users`) and
//! when the user was notified.

use std::io::Cursor;

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::tenant::{NoticeChannel, TenantImport};
use tessera_core::service::paging::Page;
use tessera_core::service::tenant_import::{
    ImportRow, ImportedUser, NoticeRecipient, MAX_IMPORT_ROWS,
};
use tessera_core::{Error, ImportProblem};

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use super::tenants::{given, lenient_int, paged};
use crate::authing::tenant_sheet::{column_of, COLUMNS};
use crate::AppState;

/// Most columns read from a row; cells further right are ignored.
const MAX_COLUMNS: u32 = 64;
/// Most bytes an `.xlsx` may hold once uncompressed: a small file cannot unpack into a large
/// one (a zip bomb).
const MAX_UNPACKED_BYTES: u128 = 16 * 1024 * 1024;
/// Most characters of one cell.
const MAX_CELL_CHARS: usize = 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/import-tenant", post(import))
        .route("/api/v3/import-tenant-history", get(history))
        .route("/api/v3/import-tenant-notify-user", get(notify_users))
        .route("/api/v3/send-email-batch", post(send_email))
        .route("/api/v3/send-sms-batch", post(send_sms))
}

fn unreadable() -> Error {
    Error::TenantImport(ImportProblem::Unreadable)
}

/// The stored upload `excel_url` names: its path must be this server's `/uploads/{name}`
/// (under the public URL's own path, if it has one), whatever scheme-and-host it spells.
fn upload_name<'a>(excel_url: &'a str, public_url: &str) -> Option<&'a str> {
    let url = excel_url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let path = if lower.starts_with("https://") || lower.starts_with("http://") {
        let rest = &url[url.find("//")? + 2..];
        &rest[rest.find('/')?..]
    } else if url.starts_with('/') && !url.starts_with("//") {
        url
    } else {
        return None;
    };
    let base = public_url
        .find("//")
        .map(|i| &public_url[i + 2..])
        .and_then(|rest| rest.find('/').map(|j| &rest[j..]))
        .unwrap_or("")
        .trim_end_matches('/');
    let name = path.strip_prefix(base)?.strip_prefix("/uploads/")?;
    let ext = crate::v2::upload::stored_name(name)?;
    matches!(ext, "xlsx" | "csv").then_some(name)
}

/// A cell as text: whole numbers without a fraction (a phone number typed as a number).
fn cell_text(v: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// The grid of an `.xlsx`'s first sheet: rows of cells by their position, read cell by cell
/// (a cell placed far away cannot make a huge grid: rows past the limit refuse the file,
/// columns past [`MAX_COLUMNS`] are ignored).
fn xlsx_grid(bytes: Vec<u8>) -> Result<Vec<Vec<String>>, Error> {
    use calamine::{Reader, Xlsx};
    let unpacked = zip::ZipArchive::new(Cursor::new(&bytes))
        .map_err(|_| unreadable())?
        .decompressed_size()
        .ok_or_else(unreadable)?;
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(Error::FileTooLarge);
    }
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(unreadable)?;
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|_| unreadable())?;
    let mut grid: Vec<Vec<String>> = Vec::new();
    // The header and the data rows, with room for blank rows between them.
    let max_row = (MAX_IMPORT_ROWS * 2) as u32;
    while let Some(cell) = cells.next_cell().map_err(|_| unreadable())? {
        let (row, col) = cell.get_position();
        if col >= MAX_COLUMNS {
            continue;
        }
        let text = cell_text(cell.get_value());
        if text.trim().is_empty() {
            continue;
        }
        if row >= max_row {
            return Err(Error::TenantImport(ImportProblem::TooManyRows));
        }
        let (row, col) = (row as usize, col as usize);
        if grid.len() <= row {
            grid.resize(row + 1, Vec::new());
        }
        let r = &mut grid[row];
        if r.len() <= col {
            r.resize(col + 1, String::new());
        }
        r[col] = text;
    }
    Ok(grid)
}

/// The grid of a `.csv` in UTF-8 (RFC 4180: commas, `"` quoting with `""` inside, CRLF or
/// LF); a BOM is skipped.
fn csv_grid(bytes: &[u8]) -> Result<Vec<Vec<String>>, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut grid: Vec<Vec<String>> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut cell));
                grid.push(std::mem::take(&mut row));
                if grid.len() > MAX_IMPORT_ROWS * 2 {
                    return Err(Error::TenantImport(ImportProblem::TooManyRows));
                }
            }
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err(unreadable());
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        grid.push(row);
    }
    for r in &mut grid {
        r.truncate(MAX_COLUMNS as usize);
    }
    Ok(grid)
}

/// `是`/`否`, yes/no, true/false, 1/0; blank is no.
fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "是" | "yes" | "y" | "true" | "1" => Some(true),
        "否" | "no" | "n" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

/// The data rows of a grid under its header (`authing::tenant_sheet`); a row number is the
/// spreadsheet's (1-based).
fn import_rows(grid: Vec<Vec<String>>) -> Result<Vec<ImportRow>, Error> {
    let blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    let mut lines = grid.into_iter().enumerate().filter(|(_, r)| !blank(r));
    let (_, header) = lines
        .next()
        .ok_or(Error::TenantImport(ImportProblem::NoRows))?;
    let fields: Vec<Option<&'static str>> = header
        .iter()
        .map(|h| column_of(h).map(|c| c.field))
        .collect();
    for c in COLUMNS.iter().filter(|c| c.required) {
        if !fields.contains(&Some(c.field)) {
            return Err(Error::TenantImport(ImportProblem::MissingColumn(c.field)));
        }
    }
    if !fields.contains(&Some("email")) && !fields.contains(&Some("phone")) {
        return Err(Error::TenantImport(ImportProblem::MissingColumn("email")));
    }
    let mut rows = Vec::new();
    for (i, cells) in lines {
        if rows.len() >= MAX_IMPORT_ROWS {
            return Err(Error::TenantImport(ImportProblem::TooManyRows));
        }
        let row_no = i as i64 + 1;
        let mut row = ImportRow {
            row: row_no,
            ..ImportRow::default()
        };
        for (field, value) in fields.iter().zip(cells) {
            let Some(field) = field else { continue };
            if value.chars().count() > MAX_CELL_CHARS {
                return Err(Error::TenantImport(ImportProblem::Row {
                    row: row_no,
                    field,
                }));
            }
            let value = value.trim().to_owned();
            let text = (!value.is_empty()).then(|| value.clone());
            match *field {
                "tenantName" => row.tenant_name = value,
                "tenantDescription" => row.tenant_description = text,
                "username" => row.username = text,
                "name" => row.name = text,
                "email" => row.email = text,
                "phone" => row.phone = text,
                "phoneCountryCode" => row.phone_country_code = text,
                "isAdmin" => {
                    row.is_admin =
                        yes_no(&value).ok_or(Error::TenantImport(ImportProblem::Row {
                            row: row_no,
                            field,
                        }))?
                }
                _ => {}
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportReq {
    excel_url: Option<String>,
}

/// Reads the named upload from the upload directory, bounded by the upload limit.
async fn read_upload(m: &Mgmt, name: &str) -> Result<Vec<u8>, Error> {
    let path = m.state.options.upload_dir.join(name);
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|_| Error::InvalidParameter("excelUrl"))?;
    if meta.len() > m.state.options.max_upload_bytes as u64 {
        return Err(Error::FileTooLarge);
    }
    tokio::fs::read(&path)
        .await
        .map_err(|_| Error::InvalidParameter("excelUrl"))
}

/// `importTenant`: the file's tenants and members, all or nothing.
async fn import(m: Mgmt) -> Reply {
    let r: ImportReq = m.args().map_err(|e| m.fail(e))?;
    let url = given(r.excel_url).ok_or_else(|| m.fail(Error::MissingParameter("excelUrl")))?;
    let name = upload_name(&url, m.core().public_url())
        .ok_or_else(|| m.fail(Error::InvalidParameter("excelUrl")))?
        .to_owned();
    let bytes = read_upload(&m, &name).await.map_err(|e| m.fail(e))?;
    let is_xlsx = name.ends_with(".xlsx");
    // Unzipping and parsing are CPU work: off the request threads.
    let rows = tokio::task::spawn_blocking(move || {
        let grid = if is_xlsx {
            xlsx_grid(bytes)?
        } else {
            csv_grid(&bytes)?
        };
        import_rows(grid)
    })
    .await
    .map_err(|_| m.fail(Error::Internal("spreadsheet parser panicked".into())))?
    .map_err(|e| m.fail(e))?;
    m.core()
        .import_tenants(&m.admin, &name, rows)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

fn history_dto(i: &TenantImport) -> Value {
    json!({
        "importId": i.import_id,
        "fileName": i.file_name,
        "status": "success",
        "tenantCount": i.tenant_count,
        "memberCount": i.member_count,
        "newUserCount": i.created_user_count,
        "createdAt": iso8601(i.created_at),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageReq {
    #[serde(default, deserialize_with = "lenient_int")]
    import_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    limit: Option<i64>,
}

/// `importTenantHistory`: the pool's imports, newest first.
async fn history(m: Mgmt) -> Reply {
    let r: PageReq = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .tenant_imports(&m.admin, page)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, paged(p.map(|i| history_dto(&i)))))
}

fn notify_dto(i: &ImportedUser) -> Value {
    let u = &i.user;
    let user_name = u
        .profile
        .name
        .clone()
        .or_else(|| u.username.clone())
        .or_else(|| u.email.clone())
        .or_else(|| u.phone.clone());
    json!({
        "importId": i.row.import_id,
        "row": i.row.row_no,
        "userId": u.id,
        "userName": user_name,
        "username": u.username,
        "email": u.email,
        "phone": u.phone,
        "phoneCountryCode": u.phone_country_code,
        "tenantId": i.tenant.id,
        "tenantName": i.tenant.name,
        "identifier": i.tenant.code,
        "isAdmin": i.row.is_admin,
        "emailNotified": i.row.email_notified_at.is_some(),
        "smsNotified": i.row.sms_notified_at.is_some(),
        "emailNotifiedAt": i.row.email_notified_at.map(iso8601),
        "smsNotifiedAt": i.row.sms_notified_at.map(iso8601),
    })
}

/// `importTenantNotifyUser`: the users an import created, in the file's order.
async fn notify_users(m: Mgmt) -> Reply {
    let r: PageReq = m.args().map_err(|e| m.fail(e))?;
    let id = r
        .import_id
        .ok_or_else(|| m.fail(Error::MissingParameter("importId")))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .tenant_import_users(&m.admin, id, page)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, paged(p.map(|i| notify_dto(&i)))))
}

/// One of `users`: `SendTenantEmailDto` / `SendTenantSmsDto`. The words of a notice come
/// from the store; of each user only the tenant and the address are read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoticeUser {
    tenant_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    phone_country_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendReq {
    admin_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    import_id: Option<i64>,
    users: Option<Vec<NoticeUser>>,
}

async fn send(m: Mgmt, channel: NoticeChannel) -> Reply {
    let r: SendReq = m.args().map_err(|e| m.fail(e))?;
    let id = r
        .import_id
        .ok_or_else(|| m.fail(Error::MissingParameter("importId")))?;
    let admin_name =
        given(r.admin_name).ok_or_else(|| m.fail(Error::MissingParameter("adminName")))?;
    let users = r
        .users
        .ok_or_else(|| m.fail(Error::MissingParameter("users")))?;
    let recipients = users
        .into_iter()
        .map(|u| {
            Ok(NoticeRecipient {
                tenant_id: given(u.tenant_id).ok_or(Error::MissingParameter("tenantId"))?,
                email: u.email,
                phone: u.phone,
                phone_country_code: given(u.phone_country_code),
            })
        })
        .collect::<Result<Vec<_>, Error>>()
        .map_err(|e| m.fail(e))?;
    m.core()
        .notify_tenant_import(&m.admin, id, channel, &admin_name, &recipients)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// `sendEmailBatch`: emails each listed user of the import.
async fn send_email(m: Mgmt) -> Reply {
    send(m, NoticeChannel::Email).await
}

/// `sendSmsBatch`: texts each listed user of the import.
async fn send_sms(m: Mgmt) -> Reply {
    send(m, NoticeChannel::Sms).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_uploads_are_read_whatever_the_host() {
        let base = "https://id.example.com";
        for (url, name) in [
            (
                "https://id.example.com/uploads/abc123.xlsx",
                Some("abc123.xlsx"),
            ),
            ("http://127.0.0.1:9/uploads/abc123.csv", Some("abc123.csv")),
            ("HTTPS://other.example/uploads/a1.xlsx", Some("a1.xlsx")),
            ("/uploads/a1.xlsx", Some("a1.xlsx")),
            ("https://id.example.com/uploads/a1.png", None),
            ("https://id.example.com/uploads/../etc/passwd", None),
            ("https://id.example.com/uploads/a%2e.xlsx", None),
            ("https://id.example.com/other/a1.xlsx", None),
            ("https://id.example.com/uploads/sub/a1.xlsx", None),
            ("file:///uploads/a1.xlsx", None),
            ("//evil.example/uploads/a1.xlsx", None),
            ("https://id.example.com", None),
        ] {
            assert_eq!(upload_name(url, base), name, "{url}");
        }
        // Under a public URL with a path, uploads are under that path.
        let base = "https://example.com/auth/";
        assert_eq!(
            upload_name("https://example.com/auth/uploads/a1.xlsx", base),
            Some("a1.xlsx")
        );
        assert_eq!(
            upload_name("https://example.com/uploads/a1.xlsx", base),
            None
        );
    }

    #[test]
    fn csv_reads_quotes_and_line_ends() {
        let g =
            csv_grid("\u{feff}租户名称,邮箱\r\n\"A, \"\"B\"\"\",a@x.io\nC,\n".as_bytes()).unwrap();
        assert_eq!(
            g,
            vec![
                vec!["租户名称".to_owned(), "邮箱".to_owned()],
                vec!["A, \"B\"".to_owned(), "a@x.io".to_owned()],
                vec!["C".to_owned(), String::new()],
            ]
        );
        assert!(csv_grid(b"\"open").is_err());
    }

    /// A zip of stored entries; `claimed` overrides the unpacked size the central directory
    /// declares for every entry.
    fn zip(files: &[(&str, &str)], claimed: Option<u32>) -> Vec<u8> {
        fn crc32(data: &[u8]) -> u32 {
            let mut crc = !0u32;
            for b in data {
                crc ^= u32::from(*b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for (name, text) in files {
            let (name, body) = (name.as_bytes(), text.as_bytes());
            let offset = out.len() as u32;
            let (crc, len) = (crc32(body), body.len() as u32);
            let sizes = [len.to_le_bytes(), len.to_le_bytes()].concat();
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&sizes);
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name);
            out.extend_from_slice(body);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&len.to_le_bytes());
            central.extend_from_slice(&claimed.unwrap_or(len).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name);
        }
        let (cd_at, cd_len, n) = (out.len() as u32, central.len() as u32, files.len() as u16);
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&cd_len.to_le_bytes());
        out.extend_from_slice(&cd_at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    const RELS: &str = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    const BOOK: &str = r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    const BOOK_RELS: &str = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

    fn book(cells: &str, claimed: Option<u32>) -> Vec<u8> {
        let sheet = format!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
        );
        zip(
            &[
                ("_rels/.rels", RELS),
                ("xl/workbook.xml", BOOK),
                ("xl/_rels/workbook.xml.rels", BOOK_RELS),
                ("xl/worksheets/sheet1.xml", &sheet),
            ],
            claimed,
        )
    }

    fn text(at: &str, v: &str) -> String {
        format!(r#"<c r="{at}" t="inlineStr"><is><t>{v}</t></is></c>"#)
    }

    #[test]
    fn xlsx_cells_are_read_by_position_within_bounds() {
        let cells = format!(
            r#"<row r="1">{}{}</row><row r="2">{}<c r="B2"><v>13800000000</v></c>{}</row>"#,
            text("A1", "租户名称"),
            text("B1", "手机号"),
            text("A2", "Acme"),
            // Far to the right: ignored, not a grid 16384 cells wide.
            text("XFD2", "far"),
        );
        let g = xlsx_grid(book(&cells, None)).unwrap();
        assert_eq!(g[1], vec!["Acme".to_owned(), "13800000000".to_owned()]);
        let rows = import_rows(g).unwrap();
        assert_eq!(rows[0].phone.as_deref(), Some("13800000000"));
        // Far down: refused before any grid that large.
        let far = format!(r#"<row r="1048576">{}</row>"#, text("A1048576", "x"));
        assert!(matches!(
            xlsx_grid(book(&far, None)),
            Err(Error::TenantImport(ImportProblem::TooManyRows))
        ));
        // An archive that says it unpacks past the bound is not opened.
        assert!(matches!(
            xlsx_grid(book(&cells, Some(8 * 1024 * 1024))),
            Err(Error::FileTooLarge)
        ));
        assert!(matches!(
            xlsx_grid(b"PK\x03\x04 not really".to_vec()),
            Err(Error::TenantImport(ImportProblem::Unreadable))
        ));
    }

    fn grid(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn rows_follow_the_header_and_name_their_row() {
        let rows = import_rows(grid(&[
            &[],
            &["租户名称", "Email", "是否管理员", "备注"],
            &["Acme", "a@x.io", "是", "ignored"],
            &[],
            &["Acme", "b@x.io"],
        ]))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].row, rows[0].is_admin), (3, true));
        assert_eq!((rows[1].row, rows[1].is_admin), (5, false));
        assert_eq!(rows[1].email.as_deref(), Some("b@x.io"));
        let e = import_rows(grid(&[&["邮箱"], &["a@x.io"]])).unwrap_err();
        assert!(matches!(
            e,
            Error::TenantImport(ImportProblem::MissingColumn("tenantName"))
        ));
        let e = import_rows(grid(&[
            &["租户名称", "邮箱", "是否管理员"],
            &["A", "a@x.io", "maybe"],
        ]))
        .unwrap_err();
        assert!(matches!(
            e,
            Error::TenantImport(ImportProblem::Row {
                row: 2,
                field: "isAdmin"
            })
        ));
    }
}
