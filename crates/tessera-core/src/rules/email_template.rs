//! Rendering a pool's email template: `{{variable}}` replaced by its value, HTML-escaped.
//! Deliberately no more than that — no helpers, blocks, partials or expressions — because
//! the template is an administrator's text run on every email sent, and a substitution can
//! neither execute code nor read anything it was not handed.

/// The value of each variable a template may name; any other renders empty.
pub type Vars<'a> = &'a [(&'a str, &'a str)];

/// `text` with every `{{ name }}` (spaces around the name allowed) replaced by its
/// HTML-escaped value. `{{{name}}}` (handlebars' unescaped form) is escaped too: values come
/// from users (an email address) and must never become markup. A `{{` with no closing `}}`
/// stays as written.
pub fn render(text: &str, vars: Vars<'_>) -> String {
    substitute(text, vars, escape_into)
}

/// `text` with its variables replaced for a plain-text line (an email's subject): values are
/// not HTML-escaped, since nothing reads the line as markup, but lose their control
/// characters, so a value cannot break the line.
pub fn render_line(text: &str, vars: Vars<'_>) -> String {
    substitute(text, vars, |out, v| {
        out.extend(v.chars().filter(|c| !c.is_control()));
    })
}

fn substitute(text: &str, vars: Vars<'_>, put: impl Fn(&mut String, &str)) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let mut name = after[..end].trim();
        let mut skip = end + 2;
        if let Some(inner) = name.strip_prefix('{') {
            // `{{{name}}}`: the third closing brace follows the two found.
            name = inner.trim();
            if after[skip..].starts_with('}') {
                skip += 1;
            }
        }
        if let Some((_, v)) = vars.iter().find(|(k, _)| *k == name) {
            put(&mut out, v);
        }
        rest = &after[skip..];
    }
    out.push_str(rest);
    out
}

fn escape_into(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{render, render_line};

    #[test]
    fn substitutes_escapes_and_drops_unknowns() {
        let vars = [("code", "123456"), ("email", "<a@b>&\"'")];
        assert_eq!(
            render("Code {{code}} / {{ code }} for {{email}}.", &vars),
            "Code 123456 / 123456 for &lt;a@b&gt;&amp;&quot;&#39;."
        );
        assert_eq!(render("x{{nope}}y{{#if code}}z", &vars), "xyz");
        assert_eq!(
            render("{{{email}}}!", &vars),
            "&lt;a@b&gt;&amp;&quot;&#39;!"
        );
        assert_eq!(render("open {{code", &vars), "open {{code");
        assert_eq!(render("", &vars), "");
        assert_eq!(render("\u{e9}{{code}}", &vars), "\u{e9}123456");
    }

    #[test]
    fn a_line_keeps_characters_but_not_line_breaks() {
        let vars = [("name", "Mine & <Co>\r\nBcc: x")];
        assert_eq!(
            render_line("Join {{name}}", &vars),
            "Join Mine & <Co>Bcc: x"
        );
    }

    #[test]
    fn a_value_is_never_rendered_again() {
        let vars = [("a", "{{b}}"), ("b", "secret")];
        assert_eq!(render("{{a}}", &vars), "{{b}}");
    }
}
