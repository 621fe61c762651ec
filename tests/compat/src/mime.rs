//! Just enough RFC 5322 / MIME to read what lettre sends: unfolded headers, RFC 2047 encoded
//! words in the subject, quoted-printable or base64 bodies, and the first `text/plain` part of
//! a multipart message.

/// The readable parts of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub subject: String,
    pub text: String,
}

pub fn parse(raw: &[u8]) -> Parsed {
    let (headers, body) = split_head(raw);
    let subject = header(&headers, "subject")
        .map(|s| decode_words(&s))
        .unwrap_or_default();
    Parsed {
        subject,
        text: body_text(&headers, body),
    }
}

/// The first maximal run of 4 to 8 ASCII digits.
pub fn first_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let len = i - start;
            if (4..=8).contains(&len) {
                return Some(text[start..i].to_owned());
            }
        } else {
            i += 1;
        }
    }
    None
}

type Headers = Vec<(String, String)>;

fn split_head(raw: &[u8]) -> (Headers, &[u8]) {
    let mut headers: Headers = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|e| pos + e + 1)
            .unwrap_or(raw.len());
        let line = &raw[pos..end];
        let trimmed = trim_eol(line);
        pos = end;
        if trimmed.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(trimmed).into_owned();
        if text.starts_with(' ') || text.starts_with('\t') {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(text.trim());
            }
        } else if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, &raw[pos.min(raw.len())..])
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let Some((&last, rest)) = l.split_last() {
        if last == b'\n' || last == b'\r' {
            l = rest;
        } else {
            break;
        }
    }
    l
}

fn header(headers: &Headers, name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// A parameter of a structured header, e.g. `boundary` of `Content-Type`.
fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            Some(v.trim().trim_matches('"').to_owned())
        } else {
            None
        }
    })
}

fn body_text(headers: &Headers, body: &[u8]) -> String {
    let ctype = header(headers, "content-type").unwrap_or_else(|| "text/plain".into());
    let lower = ctype.to_ascii_lowercase();
    if lower.starts_with("multipart/") {
        if let Some(boundary) = param(&ctype, "boundary") {
            let parts = split_multipart(body, &boundary);
            // Prefer text/plain; fall back to the first part.
            let mut first = None;
            for part in parts {
                let (h, b) = split_head(part);
                let ct = header(&h, "content-type")
                    .unwrap_or_else(|| "text/plain".into())
                    .to_ascii_lowercase();
                if ct.starts_with("text/plain") || ct.starts_with("multipart/") {
                    return body_text(&h, b);
                }
                if first.is_none() {
                    first = Some(body_text(&h, b));
                }
            }
            return first.unwrap_or_default();
        }
    }
    let cte = header(headers, "content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match cte.as_str() {
        "base64" => base64_decode(body),
        "quoted-printable" => qp_decode(body),
        _ => body.to_vec(),
    };
    String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
}

fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delim = format!("--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let d = delim.as_bytes();
    let mut i = 0;
    while i + d.len() <= text.len() {
        let at_line_start = i == 0 || text[i - 1] == b'\n';
        if at_line_start && &text[i..i + d.len()] == d {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    for w in starts.windows(2) {
        let seg = &text[w[0] + d.len()..w[1]];
        // Skip the rest of the delimiter line.
        let seg = match seg.iter().position(|&b| b == b'\n') {
            Some(p) => &seg[p + 1..],
            None => seg,
        };
        parts.push(seg);
    }
    parts
}

fn b64_val(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => (c - b'A') as u32,
        b'a'..=b'z' => (c - b'a') as u32 + 26,
        b'0'..=b'9' => (c - b'0') as u32 + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

pub fn base64_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in input {
        if c == b'=' {
            break;
        }
        let Some(v) = b64_val(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

pub fn qp_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        if c == b'=' {
            // Soft line break.
            if input.get(i + 1) == Some(&b'\r') && input.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if input.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                input.get(i + 1).and_then(|&b| hex_val(b)),
                input.get(i + 2).and_then(|&b| hex_val(b)),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// One encoded word after its `=?`: the decoded text and the bytes consumed.
fn encoded_word(after: &str) -> Option<(String, usize)> {
    let (charset, tail) = after.split_once('?')?;
    let (enc, tail) = tail.split_once('?')?;
    let end = tail.find("?=")?;
    let payload = &tail[..end];
    let bytes = match enc.to_ascii_lowercase().as_str() {
        "b" => base64_decode(payload.as_bytes()),
        "q" => qp_decode(payload.replace('_', " ").as_bytes()),
        _ => return None,
    };
    let consumed = charset.len() + 1 + enc.len() + 1 + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), consumed))
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// adjacent encoded words is dropped.
pub fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        let after = &rest[start + 2..];
        let word = encoded_word(after);
        match word {
            Some((decoded, consumed)) => {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&decoded);
                rest = &after[consumed..];
                last_was_word = true;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = after;
                last_was_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(
            first_code("code 123 then 456789 x").as_deref(),
            Some("456789")
        );
        assert_eq!(first_code("1234567890 then 4321").as_deref(), Some("4321"));
        assert_eq!(first_code("none 12"), None);
    }

    #[test]
    fn base64_and_words() {
        let raw = b"Subject: =?utf-8?b?5L2g5aW9?= =?utf-8?b?5L2g5aW9?=\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n6aqM6K+B56CB77yaMTIzNDU2\r\n";
        let p = parse(raw);
        assert_eq!(p.subject, "你好你好");
        assert_eq!(p.text, "验证码：123456");
        assert_eq!(first_code(&p.text).as_deref(), Some("123456"));
    }

    #[test]
    fn quoted_printable() {
        let raw = b"Subject: Hi\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nYour code =E6=98=AF 654321=\r\n done\r\n";
        let p = parse(raw);
        assert_eq!(p.text, "Your code \u{662f} 654321 done\n");
    }

    #[test]
    fn multipart() {
        let raw = b"Content-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\ncode 7777\r\n--XX\r\nContent-Type: text/html\r\n\r\n<b>7777</b>\r\n--XX--\r\n";
        assert_eq!(parse(raw).text.trim(), "code 7777");
    }
}
