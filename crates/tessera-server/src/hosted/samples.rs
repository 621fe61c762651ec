//! Every page rendered once with plausible values, for looking at: the test `write_samples`
//! writes them to $TMPDIR/hosted-shots/<page>-<lang>.html for screenshots.

use super::i18n::{t, Lang, Text};
use super::pages::*;

/// Rendered samples as (file stem, document).
pub fn all(lang: Lang) -> Vec<(&'static str, String)> {
    let app = AppInfo {
        name: "Acme 工作台",
        logo: None,
    };
    let logo_app = AppInfo {
        name: "Northwind Traders",
        logo: Some("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'%3E%3Crect width='64' height='64' rx='14' fill='%230f766e'/%3E%3Cpath d='M18 44V20l28 24V20' stroke='white' stroke-width='6' fill='none' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E"),
    };
    let all = LoginMethods {
        password: true,
        sms_code: true,
        email_code: true,
    };
    let switch = |m: LoginMode| format!("/oidc/login?uid=abc&mode={}", m.param());
    let login = |mode, error, notice, captcha| {
        render_login(&LoginPage {
            lang,
            app,
            action: "/oidc/login?uid=abc",
            csrf: "tok",
            identifier: "",
            error,
            captcha_url: captcha,
            methods: all,
            register_url: Some("/oidc/register?uid=abc"),
            reset_url: Some("/oidc/reset?uid=abc"),
            send_code_action: Some("/oidc/login/send-code?uid=abc"),
            mode,
            notice,
            switch_url: &switch,
            providers: &[],
        })
    };
    let wrong = t(lang, Text::ErrorAccessDenied);
    let captcha = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='120' height='44'%3E%3Crect width='120' height='44' fill='%23eef2ff'/%3E%3Ctext x='18' y='31' font-size='24' font-family='monospace' fill='%23312e81'%3E7kq4x%3C/text%3E%3C/svg%3E";
    vec![
        ("login", login(LoginMode::Password, None, None, None)),
        (
            "login-error-captcha",
            login(LoginMode::Password, Some(wrong), None, Some(captcha)),
        ),
        (
            "login-sms",
            login(
                LoginMode::SmsCode,
                None,
                Some(t(lang, Text::CodeSent)),
                None,
            ),
        ),
        ("login-email", login(LoginMode::EmailCode, None, None, None)),
        (
            "login-logo-only-password",
            render_login(&LoginPage {
                lang,
                app: logo_app,
                action: "/oidc/login",
                csrf: "tok",
                identifier: "alice@example.com",
                error: None,
                captcha_url: None,
                methods: LoginMethods {
                    password: true,
                    sms_code: false,
                    email_code: false,
                },
                register_url: None,
                reset_url: None,
                send_code_action: None,
                mode: LoginMode::Password,
                notice: None,
                switch_url: &switch,
                providers: &[],
            }),
        ),
        (
            "register",
            render_register(&RegisterPage {
                lang,
                app,
                action: "/oidc/register",
                csrf: "tok",
                email: "",
                error: Some(t(lang, Text::PasswordsDiffer)),
                login_url: "/oidc/login",
            }),
        ),
        (
            "reset",
            render_reset(&ResetPage {
                lang,
                app,
                action: "/oidc/reset",
                csrf: "tok",
                send_code_action: "/oidc/reset/send-code",
                account: "+86 138 0000 0000",
                error: None,
                notice: Some(t(lang, Text::CodeSent)),
                login_url: "/oidc/login",
            }),
        ),
        (
            "consent",
            render_consent(&ConsentPage {
                lang,
                app: logo_app,
                action: "/oidc/consent",
                csrf: "tok",
                user_display: "alice@example.com",
                scopes: &[
                    "openid",
                    "profile",
                    "email",
                    "phone",
                    "offline_access",
                    "orders:read",
                ],
            }),
        ),
        (
            "logout",
            render_logout(&LogoutPage {
                lang,
                app: Some(app),
                action: "/oidc/logout",
                csrf: "tok",
            }),
        ),
        (
            "device",
            render_device(&DevicePage {
                lang,
                action: "/oidc/device",
                csrf: "tok",
                user_code: "WDJB-MJHT",
                error: None,
            }),
        ),
        (
            "device-done",
            render_device_done(&DeviceDonePage {
                lang,
                approved: true,
            }),
        ),
        (
            "device-denied",
            render_device_done(&DeviceDonePage {
                lang,
                approved: false,
            }),
        ),
        (
            "error",
            render_error(&ErrorPage {
                lang,
                title: t(lang, Text::ErrorInvalidRequest),
                description: t(lang, Text::ErrorTryAgain),
                error_code: Some("invalid_request"),
            }),
        ),
        (
            "landing",
            render_landing(&LandingPage {
                lang,
                pools: &[
                    LandingPool {
                        name: "Acme Corp",
                        apps: vec![
                            ("Acme 工作台", "/oidc/auth?client_id=a1".into()),
                            ("Acme Admin", "/oidc/auth?client_id=a2".into()),
                        ],
                    },
                    LandingPool {
                        name: "Playground",
                        apps: vec![],
                    },
                ],
                version: "0.1.0",
            }),
        ),
        (
            "form-post",
            render_form_post(&FormPostPage {
                lang,
                redirect_uri: "https://rp.example/cb",
                params: &[("code", "abc"), ("state", "xyz")],
                nonce: "bm9uY2U",
            }),
        ),
    ]
}

/// Writes the samples of both languages for screenshots, to `$TMPDIR/hosted-shots/`
/// (`cargo test -p tessera-server --lib hosted::samples`, then open them in Chromium), and
/// checks that each is a whole document in its language.
#[test]
fn write_samples() {
    let dir = std::env::temp_dir().join("hosted-shots");
    std::fs::create_dir_all(&dir).expect("create the samples directory");
    for lang in [Lang::ZhCn, Lang::EnUs] {
        for (stem, html) in all(lang) {
            assert!(
                html.starts_with("<!doctype html>") || html.starts_with("<!DOCTYPE html>"),
                "{stem}"
            );
            assert!(html.contains(&format!("lang=\"{}\"", lang.tag())), "{stem}");
            assert!(html.trim_end().ends_with("</html>"), "{stem}");
            let path = dir.join(format!("{stem}-{}.html", lang.tag()));
            std::fs::write(&path, html).expect("write sample");
        }
    }
}
