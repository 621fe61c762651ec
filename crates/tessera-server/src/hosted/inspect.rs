//! Test helpers that read the pages' HTML back: the tags of a kind with their attributes,
//! and checks every page must pass. They read only what this module writes (attributes in
//! double quotes, `"` escaped inside), not HTML at large.

use std::collections::BTreeMap;

pub type Attrs = BTreeMap<String, String>;

/// Every `<tag …>` in `html`, with its attributes (a bare attribute has an empty value).
pub fn tags(html: &str, tag: &str) -> Vec<Attrs> {
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        if !rest.starts_with([' ', '>']) {
            continue;
        }
        let end = rest.find('>').expect("tag is closed");
        out.push(attrs(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

fn attrs(mut s: &str) -> Attrs {
    let mut out = Attrs::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return out;
        }
        let name_end = s.find(['=', ' ']).unwrap_or(s.len());
        let name = s[..name_end].to_owned();
        s = &s[name_end..];
        if let Some(v) = s.strip_prefix("=\"") {
            let close = v.find('"').expect("attribute value is closed");
            out.insert(name, v[..close].to_owned());
            s = &v[close + 1..];
        } else {
            out.insert(name, String::new());
        }
    }
}

/// The input named `name`, which must exist once.
pub fn input<'a>(inputs: &'a [Attrs], name: &str) -> &'a Attrs {
    let found: Vec<&Attrs> = inputs
        .iter()
        .filter(|a| a.get("name").map(String::as_str) == Some(name))
        .collect();
    assert_eq!(found.len(), 1, "input {name}: {inputs:?}");
    found[0]
}

/// What every hosted page must be: one `<h1>`, a label for each visible input, the CSRF
/// token in every form, POST forms, typed buttons, and no script.
pub fn check_page(html: &str, csrf: &str) {
    assert_eq!(html.matches("<h1>").count(), 1, "one h1:\n{html}");
    assert!(!html.contains("<script"), "no script:\n{html}");
    let labels: Vec<String> = tags(html, "label")
        .into_iter()
        .filter_map(|a| a.get("for").cloned())
        .collect();
    for input in tags(html, "input") {
        if input.get("type").map(String::as_str) == Some("hidden") {
            continue;
        }
        let id = input.get("id").expect("visible inputs have an id");
        assert!(labels.contains(id), "no label for {id}:\n{html}");
        assert_eq!(input.get("name"), Some(id));
    }
    for b in tags(html, "button") {
        assert_eq!(b.get("type").map(String::as_str), Some("submit"), "{b:?}");
    }
    let forms: Vec<&str> = html.split("<form").skip(1).collect();
    for form in &forms {
        let form = &form[..form.find("</form>").expect("form is closed")];
        let head = attrs(&form[..form.find('>').expect("form tag is closed")]);
        assert_eq!(head.get("method").map(String::as_str), Some("post"));
        let hidden = tags(form, "input");
        let token = input(&hidden, "csrf");
        assert_eq!(token.get("type").map(String::as_str), Some("hidden"));
        assert_eq!(token.get("value").map(String::as_str), Some(csrf));
    }
}
