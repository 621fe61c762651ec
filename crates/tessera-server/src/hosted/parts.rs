//! Pieces several pages share: the application header, form fields, alerts, and the card
//! every page sits in. Every value from outside is escaped here, where it is written.

use std::fmt::Write as _;

use super::html::{escape, layout, Page};
use super::i18n::{t, Lang, Text};

/// The application a page is shown for.
#[derive(Clone, Copy, Debug)]
pub struct AppInfo<'a> {
    pub name: &'a str,
    /// An image URL; shown only when [`logo_url`] accepts it.
    pub logo: Option<&'a str>,
}

/// `logo` if it is an image URL a page may load: `https://`, `http://` or `data:image/`
/// (any case, as schemes are case-insensitive). Anything else (`javascript:`, relative
/// paths, `data:text/html`) is dropped, and the page shows the name's initial instead.
pub fn logo_url(logo: &str) -> Option<&str> {
    let allowed = ["https://", "http://", "data:image/"];
    allowed
        .iter()
        .any(|p| {
            logo.get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p))
        })
        .then_some(logo)
}

/// The logo (or the name's initial) above the application's name. The logo's alt text is
/// empty because the name is written next to it.
pub fn brand(app: &AppInfo) -> String {
    let mark = match app.logo.and_then(logo_url) {
        Some(url) => format!("<img src=\"{}\" alt=\"\">", escape(url)),
        None => {
            let initial: String = app
                .name
                .trim()
                .chars()
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default();
            format!(
                "<span class=\"mono\" aria-hidden=\"true\">{}</span>",
                escape(&initial)
            )
        }
    };
    format!(
        "<div class=\"brand\">{mark}<p class=\"app\">{}</p></div>\n",
        escape(app.name)
    )
}

/// The document of a page: its body in the card, and a footer line under it.
pub fn document(lang: Lang, title: &str, wide: bool, body: &str, footer: &str) -> String {
    let class = if wide { " class=\"wide\"" } else { "" };
    layout(&Page {
        lang,
        title,
        body: format!(
            "<main{class}>\n{body}</main>\n<footer>{}</footer>",
            escape(footer)
        ),
    })
}

/// `title · app`, or `title` alone.
pub fn title_with(lang: Lang, key: Text, app: Option<&AppInfo>) -> String {
    match app {
        Some(app) if !app.name.trim().is_empty() => format!("{} · {}", t(lang, key), app.name),
        _ => t(lang, key).to_owned(),
    }
}

/// An error message, read out by screen readers as soon as the page shows it.
pub fn error(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| {
        format!(
            "<div class=\"alert error\" role=\"alert\">{}</div>\n",
            escape(m)
        )
    })
}

/// A confirmation ("code sent"): polite, not an alert.
pub fn notice(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| {
        format!(
            "<div class=\"alert notice\" role=\"status\">{}</div>\n",
            escape(m)
        )
    })
}

/// `<form method="post">` to `action` with the CSRF token as its first field.
pub fn form_open(action: &str, csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">\n{}",
        escape(action),
        hidden("csrf", csrf)
    )
}

pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
        escape(name),
        escape(value)
    )
}

/// One text input. `name` is also its `id`, which its label points at: a page has one form
/// and each name once in it.
pub struct Input<'a> {
    pub name: &'static str,
    pub kind: &'static str,
    pub value: &'a str,
    pub autocomplete: &'static str,
    /// Further attributes, written as given: only literals from this module's callers.
    pub attrs: &'static str,
}

impl Input<'_> {
    pub fn html(&self) -> String {
        let mut s = format!(
            "<input id=\"{n}\" name=\"{n}\" type=\"{}\" autocomplete=\"{}\" required",
            self.kind,
            self.autocomplete,
            n = self.name
        );
        if !self.value.is_empty() {
            let _ = write!(s, " value=\"{}\"", escape(self.value));
        }
        if !self.attrs.is_empty() {
            s.push(' ');
            s.push_str(self.attrs);
        }
        s.push('>');
        s
    }
}

/// A labelled field: the label (and, on its line, `aside` such as a "forgot password?"
/// link), then `control`, which holds the input named `input_name`.
pub fn field(lang: Lang, label: Text, input_name: &str, control: &str, aside: &str) -> String {
    let label = format!(
        "<label for=\"{}\">{}</label>",
        escape(input_name),
        escape(t(lang, label))
    );
    let head = if aside.is_empty() {
        label
    } else {
        format!("<div class=\"field-head\">{label}{aside}</div>")
    };
    format!("<div class=\"field\">{head}\n{control}\n</div>\n")
}

/// A code input with a "send code" button beside it. The button posts the same form to
/// `send_action` (`formaction`), so the account typed above travels with it, and skips the
/// browser's checks (`formnovalidate`) because the code is still empty then.
pub fn code_with_send(
    lang: Lang,
    code: &Input,
    send_action: &str,
    channel: Option<&str>,
) -> String {
    let channel = channel.map_or_else(String::new, |c| {
        format!(" name=\"channel\" value=\"{}\"", escape(c))
    });
    let control = format!(
        "<div class=\"inline\">{}<button type=\"submit\" class=\"btn secondary\" formaction=\"{}\" formnovalidate{channel}>{}</button></div>",
        code.html(),
        escape(send_action),
        escape(t(lang, Text::SendCode)),
    );
    field(lang, Text::LabelCode, code.name, &control, "")
}

/// The hidden first submit button of a form whose first visible submit button is "send
/// code": pressing Enter in a field submits the form with its first submit button in tree
/// order (HTML §4.10.21.2), which must be the form's own action, not a new code.
pub fn implicit_submit(lang: Lang, label: Text) -> String {
    format!(
        "<button type=\"submit\" class=\"implicit\" tabindex=\"-1\" aria-hidden=\"true\">{}</button>\n",
        escape(t(lang, label))
    )
}

/// The form's main button.
pub fn submit(lang: Lang, label: Text) -> String {
    format!(
        "<button type=\"submit\" class=\"btn primary submit\">{}</button>\n",
        escape(t(lang, label))
    )
}

/// A line of text followed by a link, under a form ("No account yet? Create one").
pub fn link_line(lang: Lang, text: Option<Text>, link: Text, href: &str) -> String {
    let lead = text.map_or_else(String::new, |k| format!("{} ", escape(t(lang, k))));
    format!(
        "<p class=\"links\">{lead}<a href=\"{}\">{}</a></p>\n",
        escape(href),
        escape(t(lang, link))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logo_schemes() {
        for ok in [
            "https://cdn.example/logo.png",
            "HTTPS://cdn.example/l.png",
            "http://cdn.example/l.png",
            "data:image/png;base64,AAAA",
            "DATA:IMAGE/svg+xml,<svg/>",
        ] {
            assert_eq!(logo_url(ok), Some(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " https://cdn.example/l.png",
            "data:text/html,<script>",
            "//cdn.example/l.png",
            "/uploads/logo.png",
            "ftp://x/l.png",
            "",
            "http",
            "日本https://",
        ] {
            assert_eq!(logo_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn brand_shows_a_safe_logo_or_the_initial() {
        let with_logo = brand(&AppInfo {
            name: "Acme",
            logo: Some("https://cdn.example/a.png?x=1&y=\"2\""),
        });
        assert!(with_logo
            .contains("<img src=\"https://cdn.example/a.png?x=1&amp;y=&quot;2&quot;\" alt=\"\">"));
        let bad_logo = brand(&AppInfo {
            name: "acme",
            logo: Some("javascript:alert(1)"),
        });
        assert!(!bad_logo.contains("<img"));
        assert!(!bad_logo.contains("javascript"));
        assert!(bad_logo.contains(">A</span>"));
        let cjk = brand(&AppInfo {
            name: " 示例应用",
            logo: None,
        });
        assert!(cjk.contains(">示</span>"));
        let hostile = brand(&AppInfo {
            name: "<script>alert(1)</script>",
            logo: None,
        });
        assert!(!hostile.contains("<script"));
        assert!(hostile.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(hostile.contains(">&lt;</span>"));
    }

    #[test]
    fn inputs_escape_their_value() {
        let html = Input {
            name: "account",
            kind: "text",
            value: "\"><script>x</script>",
            autocomplete: "username",
            attrs: "",
        }
        .html();
        assert_eq!(
            html,
            "<input id=\"account\" name=\"account\" type=\"text\" autocomplete=\"username\" required value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">"
        );
    }
}
