//! The pages' required inputs, escaping, languages and forms.

use super::*;
use crate::hosted::inspect::{check_page, input, tags, Attrs};

const HOSTILE: &str = "<script>alert('x')</script>\"&";
const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;";

fn switch(m: LoginMode) -> String {
    format!("/oidc/login?uid=u1&mode={}", m.param())
}

const ALL: LoginMethods = LoginMethods {
    password: true,
    sms_code: true,
    email_code: true,
};

fn login_page(lang: Lang, mode: LoginMode) -> LoginPage<'static> {
    LoginPage {
        lang,
        app: AppInfo {
            name: "Acme",
            logo: None,
        },
        action: "/oidc/login?uid=u1",
        csrf: "csrf-token",
        identifier: "",
        error: None,
        captcha_url: None,
        methods: ALL,
        register_url: None,
        reset_url: None,
        send_code_action: Some("/oidc/send-code?uid=u1"),
        mode,
        notice: None,
        switch_url: &switch,
        providers: &[],
    }
}

fn attr<'a>(a: &'a Attrs, name: &str) -> Option<&'a str> {
    a.get(name).map(String::as_str)
}

/// The first submit button of the page's form: what Enter in any field submits.
fn default_button(html: &str) -> Attrs {
    tags(html, "button").remove(0)
}

#[test]
fn password_form() {
    let html = render_login(&LoginPage {
        reset_url: Some("/oidc/reset?uid=u1"),
        register_url: Some("/oidc/register?uid=u1"),
        identifier: "alice@example.com",
        ..login_page(Lang::EnUs, LoginMode::Password)
    });
    check_page(&html, "csrf-token");
    let inputs = tags(&html, "input");
    let account = input(&inputs, "account");
    assert_eq!(attr(account, "autocomplete"), Some("username"));
    assert_eq!(attr(account, "value"), Some("alice@example.com"));
    let password = input(&inputs, "password");
    assert_eq!(attr(password, "type"), Some("password"));
    assert_eq!(attr(password, "autocomplete"), Some("current-password"));
    assert!(!password.contains_key("value"));
    assert_eq!(attr(input(&inputs, "mode"), "value"), Some("password"));
    assert_eq!(attr(input(&inputs, "mode"), "type"), Some("hidden"));
    assert!(html.contains("<form method=\"post\" action=\"/oidc/login?uid=u1\">"));
    assert!(html.contains("href=\"/oidc/reset?uid=u1\">Forgot password?</a>"));
    assert!(html.contains("href=\"/oidc/register?uid=u1\">Create an account</a>"));
    // No code inputs and no send button in the password form.
    assert!(!html.contains("name=\"code\""));
    assert!(!html.contains("formaction"));
    let b = default_button(&html);
    assert_eq!(attr(&b, "formaction"), None);
}

#[test]
fn sms_form() {
    let html = render_login(&LoginPage {
        identifier: "+8613800000000",
        ..login_page(Lang::EnUs, LoginMode::SmsCode)
    });
    check_page(&html, "csrf-token");
    let inputs = tags(&html, "input");
    let phone = input(&inputs, "phone");
    assert_eq!(attr(phone, "autocomplete"), Some("tel"));
    assert_eq!(attr(phone, "inputmode"), Some("tel"));
    assert_eq!(attr(phone, "value"), Some("+8613800000000"));
    let code = input(&inputs, "code");
    assert_eq!(attr(code, "autocomplete"), Some("one-time-code"));
    assert_eq!(attr(code, "inputmode"), Some("numeric"));
    assert_eq!(attr(input(&inputs, "mode"), "value"), Some("sms"));
    assert!(!html.contains("name=\"password\""));
    let buttons = tags(&html, "button");
    let send: Vec<&Attrs> = buttons
        .iter()
        .filter(|b| b.contains_key("formaction"))
        .collect();
    assert_eq!(send.len(), 1);
    assert_eq!(attr(send[0], "formaction"), Some("/oidc/send-code?uid=u1"));
    assert_eq!(attr(send[0], "name"), Some("channel"));
    assert_eq!(attr(send[0], "value"), Some("sms"));
    assert!(send[0].contains_key("formnovalidate"));
    // Enter signs in; it does not send another code.
    assert_eq!(attr(&default_button(&html), "formaction"), None);
    assert_eq!(attr(&default_button(&html), "name"), None);
}

#[test]
fn email_code_form() {
    let html = render_login(&login_page(Lang::ZhCn, LoginMode::EmailCode));
    check_page(&html, "csrf-token");
    let inputs = tags(&html, "input");
    let email = input(&inputs, "email");
    assert_eq!(attr(email, "autocomplete"), Some("email"));
    assert_eq!(attr(email, "type"), Some("email"));
    assert_eq!(
        attr(input(&inputs, "code"), "autocomplete"),
        Some("one-time-code")
    );
    assert_eq!(attr(input(&inputs, "mode"), "value"), Some("email"));
    assert!(html.contains("name=\"channel\" value=\"email\""));
}

#[test]
fn a_code_form_without_a_send_action_has_no_send_button() {
    let html = render_login(&LoginPage {
        send_code_action: None,
        ..login_page(Lang::EnUs, LoginMode::SmsCode)
    });
    check_page(&html, "csrf-token");
    assert!(!html.contains("formaction"));
    assert_eq!(tags(&html, "button").len(), 1);
    input(&tags(&html, "input"), "code");
}

#[test]
fn tabs_link_to_each_offered_mode() {
    let html = render_login(&login_page(Lang::EnUs, LoginMode::SmsCode));
    let links = tags(&html, "a");
    let hrefs: Vec<&str> = links.iter().filter_map(|a| attr(a, "href")).collect();
    assert!(hrefs.contains(&"/oidc/login?uid=u1&amp;mode=password"));
    assert!(hrefs.contains(&"/oidc/login?uid=u1&amp;mode=sms"));
    assert!(hrefs.contains(&"/oidc/login?uid=u1&amp;mode=email"));
    let current: Vec<&Attrs> = links
        .iter()
        .filter(|a| a.contains_key("aria-current"))
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        attr(current[0], "href"),
        Some("/oidc/login?uid=u1&amp;mode=sms")
    );

    let two = render_login(&LoginPage {
        methods: LoginMethods {
            password: true,
            sms_code: false,
            email_code: true,
        },
        ..login_page(Lang::EnUs, LoginMode::Password)
    });
    assert!(!two.contains("mode=sms"));
    assert!(two.contains("mode=email"));
    // One method: no tabs at all.
    let one = render_login(&LoginPage {
        methods: LoginMethods {
            password: true,
            sms_code: false,
            email_code: false,
        },
        ..login_page(Lang::EnUs, LoginMode::Password)
    });
    assert!(!one.contains("class=\"tabs\""));
}

#[test]
fn a_mode_not_offered_shows_the_first_offered() {
    let html = render_login(&LoginPage {
        methods: LoginMethods {
            password: false,
            sms_code: false,
            email_code: true,
        },
        ..login_page(Lang::EnUs, LoginMode::Password)
    });
    assert!(!html.contains("name=\"password\""));
    assert_eq!(
        attr(input(&tags(&html, "input"), "mode"), "value"),
        Some("email")
    );
    let none = render_login(&LoginPage {
        methods: LoginMethods {
            password: false,
            sms_code: false,
            email_code: false,
        },
        ..login_page(Lang::EnUs, LoginMode::Password)
    });
    assert!(!none.contains("<form"));
    assert!(none.contains(t(Lang::EnUs, Text::NoLoginMethod)));
}

#[test]
fn captcha_error_and_notice() {
    let html = render_login(&LoginPage {
        captcha_url: Some("/captcha?id=1&x=\"2\""),
        error: Some("Wrong password"),
        notice: Some("Code sent"),
        ..login_page(Lang::EnUs, LoginMode::Password)
    });
    check_page(&html, "csrf-token");
    let inputs = tags(&html, "input");
    let captcha = input(&inputs, "captcha");
    assert_eq!(attr(captcha, "autocomplete"), Some("off"));
    let imgs = tags(&html, "img");
    assert_eq!(imgs.len(), 1);
    assert_eq!(
        attr(&imgs[0], "src"),
        Some("/captcha?id=1&amp;x=&quot;2&quot;")
    );
    assert_eq!(attr(&imgs[0], "alt"), Some("Captcha image"));
    assert!(html.contains("<div class=\"alert error\" role=\"alert\">Wrong password</div>"));
    assert!(html.contains("role=\"status\">Code sent</div>"));
    let plain = render_login(&login_page(Lang::EnUs, LoginMode::Password));
    assert!(!plain.contains("name=\"captcha\""));
    assert!(tags(&plain, "img").is_empty());
    assert!(!plain.contains("role=\"alert\""));
}

#[test]
fn hostile_values_come_out_inert() {
    let html = render_login(&LoginPage {
        app: AppInfo {
            name: HOSTILE,
            logo: Some("javascript:alert(1)"),
        },
        identifier: HOSTILE,
        error: Some(HOSTILE),
        notice: Some(HOSTILE),
        action: "/login?a=\"><script>",
        csrf: "\"><script>",
        ..login_page(Lang::EnUs, LoginMode::Password)
    });
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("javascript:"));
    assert!(html.contains(&format!("<p class=\"app\">{HOSTILE_ESCAPED}</p>")));
    assert!(html.contains(&format!("value=\"{HOSTILE_ESCAPED}\"")));
    // The title is escaped once, by the layout.
    assert!(html.contains(&format!("<title>Sign in · {HOSTILE_ESCAPED}</title>")));

    let consent = render_consent(&ConsentPage {
        lang: Lang::EnUs,
        app: AppInfo {
            name: HOSTILE,
            logo: None,
        },
        action: "/c",
        csrf: "t",
        user_display: HOSTILE,
        scopes: &["openid", HOSTILE],
    });
    assert!(!consent.contains("<script"));
    assert!(consent.contains(&format!("<code>{HOSTILE_ESCAPED}</code>")));

    let landing = render_landing(&LandingPage {
        lang: Lang::EnUs,
        pools: &[LandingPool {
            name: HOSTILE,
            apps: vec![(HOSTILE, "/a?\"><script>".into())],
        }],
        version: "1",
    });
    assert!(!landing.contains("<script"));
    assert!(landing.contains(&format!("<h2>{HOSTILE_ESCAPED}</h2>")));
}

#[test]
fn the_logo_is_shown_only_for_image_urls() {
    let with = |logo| {
        render_login(&LoginPage {
            app: AppInfo { name: "Acme", logo },
            ..login_page(Lang::EnUs, LoginMode::Password)
        })
    };
    let ok = with(Some("https://cdn.example/logo.png"));
    assert_eq!(tags(&ok, "img").len(), 1);
    assert_eq!(
        attr(&tags(&ok, "img")[0], "src"),
        Some("https://cdn.example/logo.png")
    );
    for bad in ["javascript:alert(1)", "/relative.png", "data:text/html,x"] {
        assert!(tags(&with(Some(bad)), "img").is_empty(), "{bad}");
    }
    assert!(tags(&with(None), "img").is_empty());
}

#[test]
fn language_switch_changes_the_strings() {
    let zh = render_login(&login_page(Lang::ZhCn, LoginMode::Password));
    let en = render_login(&login_page(Lang::EnUs, LoginMode::Password));
    assert!(zh.contains("<html lang=\"zh-CN\">"));
    assert!(en.contains("<html lang=\"en-US\">"));
    for key in [Text::SignInHeading, Text::LabelAccount, Text::TabSms] {
        assert!(zh.contains(t(Lang::ZhCn, key)), "{key:?}");
        assert!(en.contains(t(Lang::EnUs, key)), "{key:?}");
    }
    assert!(!en.contains(t(Lang::ZhCn, Text::LabelAccount)));
    assert!(!zh.contains(t(Lang::EnUs, Text::LabelAccount)));
    let zh = render_consent(&consent(Lang::ZhCn));
    let en = render_consent(&consent(Lang::EnUs));
    assert!(zh.contains(t(Lang::ZhCn, Text::ScopeEmail)));
    assert!(en.contains(t(Lang::EnUs, Text::ScopeEmail)));
    assert!(!zh.contains(t(Lang::EnUs, Text::ScopeEmail)));
}

#[test]
fn register_form() {
    let html = render_register(&RegisterPage {
        lang: Lang::EnUs,
        app: AppInfo {
            name: "Acme",
            logo: None,
        },
        action: "/oidc/register",
        csrf: "csrf-token",
        email: "bob@example.com",
        error: Some("Taken"),
        login_url: "/oidc/login",
    });
    check_page(&html, "csrf-token");
    let inputs = tags(&html, "input");
    let email = input(&inputs, "email");
    assert_eq!(attr(email, "autocomplete"), Some("email"));
    assert_eq!(attr(email, "value"), Some("bob@example.com"));
    for name in ["password", "password2"] {
        let p = input(&inputs, name);
        assert_eq!(attr(p, "type"), Some("password"));
        assert_eq!(attr(p, "autocomplete"), Some("new-password"));
    }
    assert!(html.contains("href=\"/oidc/login\""));
    assert!(html.contains("role=\"alert\">Taken<"));
}

#[test]
fn reset_form() {
    let html = render_reset(&ResetPage {
        lang: Lang::EnUs,
        app: AppInfo {
            name: "Acme",
            logo: None,
        },
        action: "/oidc/reset",
        csrf: "csrf-token",
        send_code_action: "/oidc/reset/send",
        account: "bob@example.com",
        error: None,
        notice: Some("Sent"),
        login_url: "/oidc/login",
    });
    check_page(&html, "csrf-token");
    let inputs = tags(&html, "input");
    let account = input(&inputs, "account");
    assert_eq!(attr(account, "autocomplete"), Some("username"));
    assert_eq!(attr(account, "value"), Some("bob@example.com"));
    assert_eq!(
        attr(input(&inputs, "code"), "autocomplete"),
        Some("one-time-code")
    );
    assert_eq!(
        attr(input(&inputs, "password"), "autocomplete"),
        Some("new-password")
    );
    let buttons = tags(&html, "button");
    let send: Vec<&Attrs> = buttons
        .iter()
        .filter(|b| b.contains_key("formaction"))
        .collect();
    assert_eq!(send.len(), 1);
    assert_eq!(attr(send[0], "formaction"), Some("/oidc/reset/send"));
    assert_eq!(attr(&default_button(&html), "formaction"), None);
    assert!(html.contains("href=\"/oidc/login\""));
}

fn consent(lang: Lang) -> ConsentPage<'static> {
    ConsentPage {
        lang,
        app: AppInfo {
            name: "Acme",
            logo: None,
        },
        action: "/oidc/consent",
        csrf: "csrf-token",
        user_display: "alice@example.com",
        scopes: &[
            "openid",
            "profile",
            "email",
            "phone",
            "address",
            "offline_access",
            "orders:read",
            "email",
        ],
    }
}

#[test]
fn consent_lists_scopes_and_decisions() {
    let html = render_consent(&consent(Lang::EnUs));
    check_page(&html, "csrf-token");
    for key in [
        Text::ScopeOpenid,
        Text::ScopeProfile,
        Text::ScopeEmail,
        Text::ScopePhone,
        Text::ScopeAddress,
        Text::ScopeOfflineAccess,
    ] {
        assert_eq!(html.matches(t(Lang::EnUs, key)).count(), 1, "{key:?}");
    }
    assert!(html.contains("<code>orders:read</code>"));
    assert_eq!(html.matches("<li>").count(), 7, "each scope once");
    assert!(html.contains("alice@example.com"));
    let buttons = tags(&html, "button");
    assert_eq!(buttons.len(), 2);
    assert_eq!(attr(&buttons[0], "name"), Some("decision"));
    assert_eq!(attr(&buttons[0], "value"), Some("allow"));
    assert_eq!(attr(&buttons[1], "name"), Some("decision"));
    assert_eq!(attr(&buttons[1], "value"), Some("deny"));
    assert_eq!(html.matches("<form").count(), 1);
}

#[test]
fn consent_spaces_a_latin_name_from_chinese_text() {
    let latin = render_consent(&consent(Lang::ZhCn));
    assert!(latin.contains("<strong>Acme</strong> 请求"));
    let chinese = render_consent(&ConsentPage {
        app: AppInfo {
            name: "示例应用",
            logo: None,
        },
        ..consent(Lang::ZhCn)
    });
    assert!(chinese.contains("<strong>示例应用</strong>请求"));
}

#[test]
fn logout_with_and_without_an_application() {
    let page = |app| {
        render_logout(&LogoutPage {
            lang: Lang::EnUs,
            app,
            action: "/oidc/logout",
            csrf: "csrf-token",
        })
    };
    let html = page(Some(AppInfo {
        name: "Acme",
        logo: None,
    }));
    check_page(&html, "csrf-token");
    assert!(html.contains("Sign out of <strong>Acme</strong>?"));
    let values: Vec<String> = tags(&html, "button")
        .iter()
        .map(|b| {
            assert_eq!(attr(b, "name"), Some("decision"));
            attr(b, "value").unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(values, ["logout", "stay"]);
    let bare = page(None);
    check_page(&bare, "csrf-token");
    assert!(bare.contains(t(Lang::EnUs, Text::LogoutQuestion)));
    assert!(!bare.contains("class=\"brand\""));
}

#[test]
fn device_pages() {
    let html = render_device(&DevicePage {
        lang: Lang::EnUs,
        action: "/oidc/device",
        csrf: "csrf-token",
        user_code: "WDJB-MJHT",
        error: Some("Unknown code"),
    });
    check_page(&html, "csrf-token");
    let inputs = tags(&html, "input");
    let code = input(&inputs, "user_code");
    assert_eq!(attr(code, "autocomplete"), Some("one-time-code"));
    assert_eq!(attr(code, "autocapitalize"), Some("characters"));
    assert_eq!(attr(code, "value"), Some("WDJB-MJHT"));
    assert!(html.contains("role=\"alert\">Unknown code<"));

    for (approved, key) in [
        (true, Text::DeviceApprovedHeading),
        (false, Text::DeviceDeniedHeading),
    ] {
        for lang in [Lang::ZhCn, Lang::EnUs] {
            let done = render_device_done(&DeviceDonePage { lang, approved });
            check_page(&done, "");
            assert!(done.contains(&format!("<h1>{}</h1>", t(lang, key))));
            assert!(!done.contains("<form"));
        }
    }
}

#[test]
fn error_page() {
    let html = render_error(&ErrorPage {
        lang: Lang::ZhCn,
        title: "请求无效",
        description: HOSTILE,
        error_code: Some("invalid_request"),
    });
    check_page(&html, "");
    assert!(html.contains("<h1>请求无效</h1>"));
    assert!(html.contains(&format!("role=\"alert\">{HOSTILE_ESCAPED}</p>")));
    assert!(html.contains("错误代码 <code>invalid_request</code>"));
    let without = render_error(&ErrorPage {
        lang: Lang::EnUs,
        title: "Oops",
        description: "d",
        error_code: None,
    });
    assert!(!without.contains("<code>"));
}

#[test]
fn landing_page() {
    let html = render_landing(&LandingPage {
        lang: Lang::EnUs,
        pools: &[
            LandingPool {
                name: "Acme",
                apps: vec![("Portal", "/oidc/auth?client_id=c1&x=1".into())],
            },
            LandingPool {
                name: "Empty",
                apps: vec![],
            },
        ],
        version: "0.1.0",
    });
    check_page(&html, "");
    assert!(html.contains("<h1>Tessera — an identity server</h1>"));
    assert!(html.contains("href=\"/oidc/.well-known/openid-configuration\""));
    assert!(html.contains("<a href=\"/oidc/auth?client_id=c1&amp;x=1\">Portal</a>"));
    assert!(html.contains("<h2>Acme</h2>"));
    assert!(html.contains(t(Lang::EnUs, Text::LandingNoApps)));
    assert!(html.contains("0.1.0"));
    let empty = render_landing(&LandingPage {
        lang: Lang::ZhCn,
        pools: &[],
        version: "0.1.0",
    });
    assert!(empty.contains(t(Lang::ZhCn, Text::LandingNoPools)));
}

#[test]
fn form_post_page() {
    let html = render_form_post(&FormPostPage {
        lang: Lang::EnUs,
        redirect_uri: "https://rp.example/cb?a=1&b=2",
        params: &[("code", "c\"1"), ("state", HOSTILE), ("submit", "x")],
        nonce: "bm9uY2U",
    });
    assert_eq!(html.matches("<h1>").count(), 1);
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script nonce=\"bm9uY2U\">"));
    assert!(html.contains(
        "<form id=\"response\" method=\"post\" action=\"https://rp.example/cb?a=1&amp;b=2\">"
    ));
    let inputs = tags(&html, "input");
    assert_eq!(inputs.len(), 3);
    assert!(inputs.iter().all(|i| attr(i, "type") == Some("hidden")));
    assert_eq!(attr(input(&inputs, "code"), "value"), Some("c&quot;1"));
    assert_eq!(
        attr(input(&inputs, "state"), "value"),
        Some(HOSTILE_ESCAPED)
    );
    // The script text holds no response value, so nothing in it needs escaping.
    let script = &html[html.find("<script").unwrap_or(0)..];
    assert!(!script.contains("rp.example"));
    assert!(html.contains("<noscript>"));
    let buttons = tags(&html, "button");
    assert_eq!(buttons.len(), 1);
    assert_eq!(attr(&buttons[0], "type"), Some("submit"));
}

#[test]
fn every_sample_page_passes_the_page_checks() {
    for lang in [Lang::ZhCn, Lang::EnUs] {
        for (stem, html) in crate::hosted::samples::all(lang) {
            assert!(html.contains(&format!("<html lang=\"{}\">", lang.tag())));
            if stem == "form-post" {
                continue;
            }
            check_page(&html, "tok");
        }
    }
}

#[test]
fn login_mode_params_round_trip() {
    for m in MODES {
        assert_eq!(LoginMode::from_param(m.param()), Some(m));
    }
    assert_eq!(LoginMode::from_param("SMS"), None);
}

#[test]
fn mfa_form_posts_the_ticket_and_a_one_time_code() {
    let html = render_mfa(&MfaPage {
        lang: Lang::EnUs,
        action: "/interaction/oidc/i/mfa",
        csrf: "c",
        ticket: HOSTILE,
        factor: "OTP",
        target: None,
        send_action: None,
        error: Some(HOSTILE),
        notice: None,
    });
    check_page(&html, "c");
    assert!(html.contains(&format!("name=\"ticket\" value=\"{HOSTILE_ESCAPED}\"")));
    assert!(html.contains("name=\"code\""));
    assert!(html.contains("autocomplete=\"one-time-code\""));
    assert!(html.contains("Two-step verification"));
    assert!(!html.contains("name=\"password\""));
}

#[test]
fn mfa_form_by_sms_shows_the_masked_phone_and_a_send_button() {
    let html = render_mfa(&MfaPage {
        lang: Lang::EnUs,
        action: "/interaction/oidc/i/mfa",
        csrf: "c",
        ticket: "t",
        factor: "SMS",
        target: Some("138****8000"),
        send_action: Some("/interaction/oidc/i/mfa/send"),
        error: None,
        notice: Some("sent"),
    });
    check_page(&html, "c");
    assert!(html.contains("<strong>138****8000</strong>"));
    assert!(html.contains("formaction=\"/interaction/oidc/i/mfa/send\""));
    assert!(html.contains("name=\"factor\" value=\"SMS\""));
    // Enter submits the code, not a new one.
    let first = html.find("type=\"submit\"").unwrap();
    assert!(html[first..].starts_with("type=\"submit\" class=\"implicit\""));
}
