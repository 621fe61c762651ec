//! The document every hosted page shares: escaping, the layout with its one stylesheet, and
//! the Content-Security-Policy the pages are written for.

use std::fmt::Write as _;

use super::i18n::Lang;

/// The Content-Security-Policy sent with every hosted page except the form_post response
/// (see [`super::csp`]). The pages load nothing: one inline `<style>`, images only for an
/// application's logo and the captcha, forms posting back to this server, no scripts.
///
/// `form-action 'self'` alone breaks a form whose answer redirects to another origin in
/// Chrome and Safari (they check the directive on every redirect after a submission); pages
/// whose POST ends at a client's redirect URI take [`super::csp::with_redirect_target`].
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Escapes `s` for HTML text and for a quoted attribute value: `&`, `<`, `>`, `"` and `'`
/// become character references, so the text cannot open a tag or leave its attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One hosted page: its language, `<title>` (plain text, escaped here) and the body's
/// HTML (already escaped by whoever built it).
pub struct Page<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub body: String,
}

/// The whole document of `p`.
pub fn layout(p: &Page) -> String {
    let mut out = String::with_capacity(STYLE.len() + p.body.len() + 512);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n<title>{title}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        lang = p.lang.tag(),
        title = escape(p.title),
        body = p.body,
    );
    out
}

/// The one stylesheet. Colours are chosen for contrast on their backgrounds (WCAG AA):
/// body text #0f172a and secondary text #475569 on white or #f1f5f9, white on the #2563eb
/// button (5.2:1), input borders #6b7280 (4.8:1, above the 3:1 for controls). Inputs are
/// 16px so that phones do not zoom into them; below 480px the card fills the screen.
const STYLE: &str = r#"
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:40px 16px;background:#f1f5f9;color:#0f172a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif}
main{width:100%;max-width:400px;background:#fff;border:1px solid #e2e8f0;border-radius:16px;box-shadow:0 1px 2px rgba(15,23,42,.04),0 12px 32px rgba(15,23,42,.08);padding:36px 32px 32px}
main.wide{max-width:680px}
h1{margin:0 0 24px;font-size:1.5rem;line-height:1.3;font-weight:650;text-align:center;letter-spacing:-.01em}
h2{margin:28px 0 12px;font-size:1.0625rem;line-height:1.4;font-weight:600}
p{margin:0 0 16px}
a{color:#1d4ed8;text-underline-offset:2px}
a:hover{color:#1e3a8a}
:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875em;background:#f1f5f9;border-radius:4px;padding:1px 5px;overflow-wrap:anywhere}
.brand{display:flex;flex-direction:column;align-items:center;gap:10px;margin:0 0 14px;text-align:center}
.brand img,.brand .mono{width:52px;height:52px;border-radius:14px}
.brand img{object-fit:contain}
.brand .mono{display:grid;place-items:center;background:#2563eb;color:#fff;font-size:1.5rem;font-weight:650;line-height:1}
.brand .app{margin:0;font-size:.9375rem;font-weight:600;color:#475569;overflow-wrap:anywhere}
.intro{color:#475569;text-align:center;font-size:.9375rem}
.intro strong{color:#0f172a}
.tabs{display:flex;gap:4px;padding:4px;margin:0 0 20px;background:#f1f5f9;border-radius:10px}
.tabs a{flex:1 1 0;min-width:0;padding:7px 4px;border-radius:7px;text-align:center;text-decoration:none;font-size:.875rem;font-weight:500;line-height:1.4;color:#475569}
.tabs a:hover{color:#0f172a}
.tabs a[aria-current="page"]{background:#fff;color:#0f172a;font-weight:600;box-shadow:0 1px 3px rgba(15,23,42,.12)}
.field{margin:0 0 16px}
.field label{display:block;margin:0 0 6px;font-size:.875rem;font-weight:600}
.field-head{display:flex;justify-content:space-between;align-items:baseline;gap:8px}
.field-head a{font-size:.8125rem;font-weight:500;white-space:nowrap}
input{display:block;width:100%;height:44px;margin:0;padding:0 12px;border:1px solid #6b7280;border-radius:8px;background:#fff;color:#0f172a;font:inherit;font-size:16px}
input:focus{outline:3px solid rgba(37,99,235,.35);outline-offset:0;border-color:#1d4ed8}
input.code-input{text-align:center;text-transform:uppercase;letter-spacing:.2em;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:1.25rem}
.inline{display:flex;gap:8px}
.inline input{flex:1 1 auto;min-width:0}
.inline .btn{flex:none;width:auto;padding:0 14px}
.captcha img{flex:none;height:44px;max-width:45%;border:1px solid #e2e8f0;border-radius:8px;background:#fff}
.btn{display:block;width:100%;min-height:44px;margin:0;padding:10px 16px;border:1px solid transparent;border-radius:8px;font:inherit;font-weight:600;line-height:1.2;text-align:center;text-decoration:none;cursor:pointer}
.primary{background:#2563eb;color:#fff}
.primary:hover{background:#1d4ed8;color:#fff}
.secondary{background:#fff;color:#0f172a;border-color:#cbd5e1}
.secondary:hover{background:#f8fafc;color:#0f172a}
.submit{margin-top:8px}
.implicit{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);border:0;white-space:nowrap}
.actions{display:grid;gap:10px;margin-top:8px}
.alert{margin:0 0 16px;padding:10px 12px;border:1px solid;border-radius:8px;font-size:.875rem;overflow-wrap:anywhere}
.alert.error{background:#fef2f2;border-color:#fecaca;color:#991b1b}
.alert.notice{background:#f0fdf4;border-color:#bbf7d0;color:#166534}
.links{margin:20px 0 0;text-align:center;font-size:.875rem;color:#475569}
.account{display:flex;flex-direction:column;align-items:center;gap:2px;margin:0 0 20px;padding:10px 12px;background:#f8fafc;border:1px solid #e2e8f0;border-radius:10px;font-size:.875rem;color:#475569;text-align:center}
.account strong{color:#0f172a;overflow-wrap:anywhere}
.scopes{list-style:none;margin:0 0 20px;padding:0;border:1px solid #e2e8f0;border-radius:10px}
.scopes li{position:relative;padding:11px 14px 11px 40px;font-size:.9375rem}
.scopes li+li{border-top:1px solid #e2e8f0}
.scopes li::before{content:"";position:absolute;left:16px;top:18px;width:10px;height:6px;border:solid #2563eb;border-width:0 0 2px 2px;transform:rotate(-45deg)}
.badge{display:grid;place-items:center;width:56px;height:56px;margin:0 auto 16px;border-radius:50%;font-size:1.75rem;font-weight:700;line-height:1}
.badge.ok{background:#dcfce7;color:#166534}
.badge.no{background:#fee2e2;color:#991b1b}
.center{text-align:center}
.muted{color:#475569}
.pool{margin:0 0 8px}
.apps{list-style:none;margin:0;padding:0;display:grid;gap:8px}
.apps a::after{content:"\2192";float:right;margin-left:12px;color:#475569}
.apps a{display:block;padding:10px 14px;border:1px solid #e2e8f0;border-radius:10px;text-decoration:none;font-weight:500;overflow-wrap:anywhere}
.apps a:hover{border-color:#2563eb;background:#f8fafc}
.discovery{padding:12px 14px;background:#f8fafc;border:1px solid #e2e8f0;border-radius:10px;font-size:.875rem;font-weight:600}
.discovery a{font-weight:400;overflow-wrap:anywhere}
.discovery code{background:none;padding:0}
main.wide h1{text-align:left}
footer{margin-top:20px;font-size:.8125rem;color:#475569;text-align:center}
@media (max-width:480px){
body{padding:0;justify-content:flex-start;background:#fff}
main{max-width:none;border:0;border-radius:0;box-shadow:none;padding:32px 20px 24px}
footer{margin:8px 0 24px}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
        assert_eq!(escape("登录 plain"), "登录 plain");
        // Already-escaped text is escaped again, not trusted.
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn layout_is_a_complete_document() {
        let html = layout(&Page {
            lang: Lang::EnUs,
            title: "Sign in · <b>",
            body: "<main><h1>x</h1></main>".into(),
        });
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-US\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("name=\"viewport\" content=\"width=device-width, initial-scale=1\""));
        assert!(html.contains("<title>Sign in · &lt;b&gt;</title>"));
        assert_eq!(html.matches("<style>").count(), 1);
        assert!(!html.contains("<script"));
        assert!(!html.contains("<link"));
        assert!(html.contains("<main><h1>x</h1></main>"));
        let zh = layout(&Page {
            lang: Lang::ZhCn,
            title: "t",
            body: String::new(),
        });
        assert!(zh.contains("<html lang=\"zh-CN\">"));
    }

    #[test]
    fn the_stylesheet_loads_nothing() {
        // The CSP allows no fonts or external styles; the sheet must not need them.
        assert!(!STYLE.contains("url("));
        assert!(!STYLE.contains("@import"));
        assert!(!STYLE.contains("</"));
    }

    #[test]
    fn csp_allows_no_script_and_no_framing() {
        assert!(CSP.starts_with("default-src 'none';"));
        assert!(!CSP.contains("script-src"));
        assert!(CSP.contains("frame-ancestors 'none'"));
        assert!(CSP.contains("form-action 'self'"));
        assert!(CSP.contains("base-uri 'none'"));
    }
}
