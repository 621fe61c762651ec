//! One render function per hosted page: typed input in, the whole HTML document out.
//! Each page has one `<h1>`, labels for every input, and posts its one form to the
//! `action` it was given with the CSRF token in a hidden `csrf` field.

use std::fmt::Write as _;

use super::html::escape;
use super::i18n::{t, Lang, Text};
pub use super::parts::AppInfo;
use super::parts::{
    brand, code_with_send, document, error, field, form_open, hidden, implicit_submit, link_line,
    notice, submit, title_with, Input,
};

/// Which sign-in forms an application offers (a tab each when more than one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginMethods {
    pub password: bool,
    pub sms_code: bool,
    pub email_code: bool,
}

/// The sign-in form shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginMode {
    Password,
    SmsCode,
    EmailCode,
}

impl LoginMode {
    /// The value of the form's hidden `mode` field, and of `?mode=` in switch links.
    pub fn param(self) -> &'static str {
        match self {
            LoginMode::Password => "password",
            LoginMode::SmsCode => "sms",
            LoginMode::EmailCode => "email",
        }
    }

    /// The mode a `mode` value names.
    pub fn from_param(v: &str) -> Option<LoginMode> {
        [
            LoginMode::Password,
            LoginMode::SmsCode,
            LoginMode::EmailCode,
        ]
        .into_iter()
        .find(|m| m.param() == v)
    }

    /// Whether `methods` offers this form.
    pub fn offered(self, methods: LoginMethods) -> bool {
        match self {
            LoginMode::Password => methods.password,
            LoginMode::SmsCode => methods.sms_code,
            LoginMode::EmailCode => methods.email_code,
        }
    }

    fn tab(self) -> Text {
        match self {
            LoginMode::Password => Text::TabPassword,
            LoginMode::SmsCode => Text::TabSms,
            LoginMode::EmailCode => Text::TabEmail,
        }
    }
}

const MODES: [LoginMode; 3] = [
    LoginMode::Password,
    LoginMode::SmsCode,
    LoginMode::EmailCode,
];

/// The sign-in page.
pub struct LoginPage<'a> {
    pub lang: Lang,
    pub app: AppInfo<'a>,
    /// Form action URL.
    pub action: &'a str,
    pub csrf: &'a str,
    /// The account to prefill in the shown form's first input (account, phone or email).
    pub identifier: &'a str,
    /// Shown above the form (already localised).
    pub error: Option<&'a str>,
    /// When set: this captcha image and an input `name="captcha"`.
    pub captcha_url: Option<&'a str>,
    pub methods: LoginMethods,
    pub register_url: Option<&'a str>,
    pub reset_url: Option<&'a str>,
    /// POST target of the "send code" buttons; they post the whole form, with
    /// `channel=sms|email` and the `phone` or `email` input.
    pub send_code_action: Option<&'a str>,
    /// The form shown. A mode the application does not offer shows its first offered one.
    pub mode: LoginMode,
    /// e.g. "code sent" (already localised).
    pub notice: Option<&'a str>,
    /// The URL of this page showing another mode, for the tabs; the caller builds it
    /// (it knows the page's own query, such as the interaction id), e.g.
    /// `&|m| format!("/oidc/login?uid={uid}&mode={}", m.param())`. The result is escaped.
    pub switch_url: &'a dyn Fn(LoginMode) -> String,
    /// Sign-in through an external identity provider: (button label, URL), escaped here.
    pub providers: &'a [(String, String)],
}

pub fn render_login(p: &LoginPage) -> String {
    let lang = p.lang;
    let offered: Vec<LoginMode> = MODES.into_iter().filter(|m| m.offered(p.methods)).collect();
    let mode = if p.mode.offered(p.methods) {
        Some(p.mode)
    } else {
        offered.first().copied()
    };

    let mut body = brand(&p.app);
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::SignInHeading)));
    if offered.len() > 1 {
        let _ = write!(
            body,
            "<nav class=\"tabs\" aria-label=\"{}\">",
            escape(t(lang, Text::LoginMethods))
        );
        for m in &offered {
            let current = if Some(*m) == mode {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(
                body,
                "<a href=\"{}\"{current}>{}</a>",
                escape(&(p.switch_url)(*m)),
                escape(t(lang, m.tab()))
            );
        }
        body.push_str("</nav>\n");
    }
    body.push_str(&error(p.error));
    body.push_str(&notice(p.notice));

    match mode {
        None => {
            let _ = writeln!(
                body,
                "<p class=\"intro\">{}</p>",
                escape(t(lang, Text::NoLoginMethod))
            );
        }
        Some(mode) => {
            body.push_str(&form_open(p.action, p.csrf));
            body.push_str(&hidden("mode", mode.param()));
            body.push_str(&login_fields(p, mode));
            if let Some(url) = p.captcha_url {
                body.push_str(&captcha(lang, url));
            }
            body.push_str(&submit(lang, Text::SignInButton));
            body.push_str("</form>\n");
        }
    }
    if !p.providers.is_empty() {
        body.push_str("<nav class=\"providers\">\n");
        for (label, url) in p.providers {
            let _ = writeln!(
                body,
                "<p class=\"center\"><a class=\"provider\" href=\"{}\">{}</a></p>",
                escape(url),
                escape(label)
            );
        }
        body.push_str("</nav>\n");
    }
    if let Some(url) = p.register_url {
        body.push_str(&link_line(
            lang,
            Some(Text::NoAccount),
            Text::CreateAccount,
            url,
        ));
    }
    let title = title_with(lang, Text::SignInHeading, Some(&p.app));
    document(lang, &title, false, &body, t(lang, Text::PoweredBy))
}

/// The inputs of one sign-in form.
fn login_fields(p: &LoginPage, mode: LoginMode) -> String {
    let lang = p.lang;
    let mut out = String::new();
    let code = Input {
        name: "code",
        kind: "text",
        value: "",
        autocomplete: "one-time-code",
        attrs: "inputmode=\"numeric\"",
    };
    let code_field = |channel: &str| match p.send_code_action {
        Some(send) => {
            implicit_submit(lang, Text::SignInButton)
                + &code_with_send(lang, &code, send, Some(channel))
        }
        None => field(lang, Text::LabelCode, code.name, &code.html(), ""),
    };
    match mode {
        LoginMode::Password => {
            let account = Input {
                name: "account",
                kind: "text",
                value: p.identifier,
                autocomplete: "username",
                attrs: "autocapitalize=\"none\" spellcheck=\"false\"",
            };
            out.push_str(&field(
                lang,
                Text::LabelAccount,
                account.name,
                &account.html(),
                "",
            ));
            let password = Input {
                name: "password",
                kind: "password",
                value: "",
                autocomplete: "current-password",
                attrs: "",
            };
            let forgot = p.reset_url.map_or_else(String::new, |url| {
                format!(
                    "<a href=\"{}\">{}</a>",
                    escape(url),
                    escape(t(lang, Text::ForgotPassword))
                )
            });
            out.push_str(&field(
                lang,
                Text::LabelPassword,
                password.name,
                &password.html(),
                &forgot,
            ));
        }
        LoginMode::SmsCode => {
            let phone = Input {
                name: "phone",
                kind: "tel",
                value: p.identifier,
                autocomplete: "tel",
                attrs: "inputmode=\"tel\"",
            };
            out.push_str(&field(
                lang,
                Text::LabelPhone,
                phone.name,
                &phone.html(),
                "",
            ));
            out.push_str(&code_field("sms"));
        }
        LoginMode::EmailCode => {
            let email = Input {
                name: "email",
                kind: "email",
                value: p.identifier,
                autocomplete: "email",
                attrs: "inputmode=\"email\" autocapitalize=\"none\" spellcheck=\"false\"",
            };
            out.push_str(&field(
                lang,
                Text::LabelEmail,
                email.name,
                &email.html(),
                "",
            ));
            out.push_str(&code_field("email"));
        }
    }
    out
}

fn captcha(lang: Lang, url: &str) -> String {
    let input = Input {
        name: "captcha",
        kind: "text",
        value: "",
        autocomplete: "off",
        attrs: "autocapitalize=\"none\" spellcheck=\"false\"",
    };
    let control = format!(
        "<div class=\"inline captcha\">{}<img src=\"{}\" alt=\"{}\"></div>",
        input.html(),
        escape(url),
        escape(t(lang, Text::CaptchaAlt))
    );
    field(lang, Text::LabelCaptcha, input.name, &control, "")
}

/// The registration page.
pub struct RegisterPage<'a> {
    pub lang: Lang,
    pub app: AppInfo<'a>,
    pub action: &'a str,
    pub csrf: &'a str,
    /// Prefilled email.
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub login_url: &'a str,
}

pub fn render_register(p: &RegisterPage) -> String {
    let lang = p.lang;
    let mut body = brand(&p.app);
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::RegisterHeading)));
    body.push_str(&error(p.error));
    body.push_str(&form_open(p.action, p.csrf));
    let email = Input {
        name: "email",
        kind: "email",
        value: p.email,
        autocomplete: "email",
        attrs: "inputmode=\"email\" autocapitalize=\"none\" spellcheck=\"false\"",
    };
    body.push_str(&field(
        lang,
        Text::LabelEmail,
        email.name,
        &email.html(),
        "",
    ));
    for (name, label) in [
        ("password", Text::LabelPassword),
        ("password2", Text::LabelPasswordAgain),
    ] {
        let input = Input {
            name,
            kind: "password",
            value: "",
            autocomplete: "new-password",
            attrs: "",
        };
        body.push_str(&field(lang, label, input.name, &input.html(), ""));
    }
    body.push_str(&submit(lang, Text::RegisterButton));
    body.push_str("</form>\n");
    body.push_str(&link_line(
        lang,
        Some(Text::HaveAccount),
        Text::SignInLink,
        p.login_url,
    ));
    let title = title_with(lang, Text::RegisterHeading, Some(&p.app));
    document(lang, &title, false, &body, t(lang, Text::PoweredBy))
}

/// The password reset page: the account, a code sent to it, and the new password.
pub struct ResetPage<'a> {
    pub lang: Lang,
    pub app: AppInfo<'a>,
    pub action: &'a str,
    pub csrf: &'a str,
    /// Where the "send code" button posts the form (with `account`; no `channel`, the
    /// account says whether it is an email or a phone).
    pub send_code_action: &'a str,
    /// Prefilled email or phone.
    pub account: &'a str,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
    pub login_url: &'a str,
}

pub fn render_reset(p: &ResetPage) -> String {
    let lang = p.lang;
    let mut body = brand(&p.app);
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::ResetHeading)));
    let _ = writeln!(
        body,
        "<p class=\"intro\">{}</p>",
        escape(t(lang, Text::ResetIntro))
    );
    body.push_str(&error(p.error));
    body.push_str(&notice(p.notice));
    body.push_str(&form_open(p.action, p.csrf));
    body.push_str(&implicit_submit(lang, Text::ResetButton));
    let account = Input {
        name: "account",
        kind: "text",
        value: p.account,
        autocomplete: "username",
        attrs: "autocapitalize=\"none\" spellcheck=\"false\"",
    };
    body.push_str(&field(
        lang,
        Text::LabelEmailOrPhone,
        account.name,
        &account.html(),
        "",
    ));
    let code = Input {
        name: "code",
        kind: "text",
        value: "",
        autocomplete: "one-time-code",
        attrs: "inputmode=\"numeric\"",
    };
    body.push_str(&code_with_send(lang, &code, p.send_code_action, None));
    let password = Input {
        name: "password",
        kind: "password",
        value: "",
        autocomplete: "new-password",
        attrs: "",
    };
    body.push_str(&field(
        lang,
        Text::LabelNewPassword,
        password.name,
        &password.html(),
        "",
    ));
    body.push_str(&submit(lang, Text::ResetButton));
    body.push_str("</form>\n");
    body.push_str(&link_line(lang, None, Text::BackToSignIn, p.login_url));
    let title = title_with(lang, Text::ResetHeading, Some(&p.app));
    document(lang, &title, false, &body, t(lang, Text::PoweredBy))
}

/// The consent page: what the application asks for, and allow / deny.
pub struct ConsentPage<'a> {
    pub lang: Lang,
    pub app: AppInfo<'a>,
    pub action: &'a str,
    pub csrf: &'a str,
    /// Who is signed in (name, email or phone).
    pub user_display: &'a str,
    /// The requested scopes, each listed once in the order given.
    pub scopes: &'a [&'a str],
}

/// The description of a scope OIDC Core §5.4 and §11 define.
fn scope_text(scope: &str) -> Option<Text> {
    Some(match scope {
        "openid" => Text::ScopeOpenid,
        "profile" => Text::ScopeProfile,
        "email" => Text::ScopeEmail,
        "phone" => Text::ScopePhone,
        "address" => Text::ScopeAddress,
        "offline_access" => Text::ScopeOfflineAccess,
        "user" => Text::ScopeProfile,
        _ => return None,
    })
}

pub fn render_consent(p: &ConsentPage) -> String {
    let lang = p.lang;
    let mut body = brand(&p.app);
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::ConsentHeading)));
    // "<app> would like to:" / "<app>请求获得以下权限：": Chinese sets no space after a
    // Chinese name, but does after a Latin one.
    let latin_end = p
        .app
        .name
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let gap = if lang == Lang::EnUs || latin_end {
        " "
    } else {
        ""
    };
    let _ = writeln!(
        body,
        "<p class=\"intro\"><strong>{}</strong>{gap}{}</p>",
        escape(p.app.name),
        escape(t(lang, Text::ConsentRequests))
    );
    body.push_str("<ul class=\"scopes\">\n");
    let mut seen: Vec<&str> = Vec::new();
    for &scope in p.scopes {
        if seen.contains(&scope) {
            continue;
        }
        seen.push(scope);
        let _ = match scope_text(scope) {
            Some(key) => writeln!(body, "<li>{}</li>", escape(t(lang, key))),
            None => writeln!(
                body,
                "<li>{} <code>{}</code></li>",
                escape(t(lang, Text::ScopeOther)),
                escape(scope)
            ),
        };
    }
    body.push_str("</ul>\n");
    let _ = writeln!(
        body,
        "<div class=\"account\"><span>{}</span><strong>{}</strong></div>",
        escape(t(lang, Text::SignedInAs)),
        escape(p.user_display)
    );
    body.push_str(&form_open(p.action, p.csrf));
    body.push_str(&decisions(
        lang,
        ("allow", Text::Allow),
        ("deny", Text::Deny),
    ));
    body.push_str("</form>\n");
    let title = title_with(lang, Text::ConsentHeading, Some(&p.app));
    document(lang, &title, false, &body, t(lang, Text::PoweredBy))
}

/// Two submit buttons `name="decision"`: the primary one first, so it is also what Enter
/// submits.
fn decisions(lang: Lang, primary: (&str, Text), secondary: (&str, Text)) -> String {
    format!(
        "<div class=\"actions\">\n\
         <button type=\"submit\" class=\"btn primary\" name=\"decision\" value=\"{}\">{}</button>\n\
         <button type=\"submit\" class=\"btn secondary\" name=\"decision\" value=\"{}\">{}</button>\n\
         </div>\n",
        escape(primary.0),
        escape(t(lang, primary.1)),
        escape(secondary.0),
        escape(t(lang, secondary.1)),
    )
}

/// The sign-out confirmation (RP-initiated logout without a valid `id_token_hint`).
pub struct LogoutPage<'a> {
    pub lang: Lang,
    /// The application asking, when known.
    pub app: Option<AppInfo<'a>>,
    pub action: &'a str,
    pub csrf: &'a str,
}

pub fn render_logout(p: &LogoutPage) -> String {
    let lang = p.lang;
    let mut body = p.app.as_ref().map_or_else(String::new, brand);
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::LogoutHeading)));
    let question = match &p.app {
        Some(app) if !app.name.trim().is_empty() => format!(
            "{}<strong>{}</strong>{}",
            escape(t(lang, Text::LogoutQuestionBefore)),
            escape(app.name),
            escape(t(lang, Text::LogoutQuestionAfter))
        ),
        _ => escape(t(lang, Text::LogoutQuestion)),
    };
    let _ = writeln!(body, "<p class=\"intro\">{question}</p>");
    body.push_str(&form_open(p.action, p.csrf));
    body.push_str(&decisions(
        lang,
        ("logout", Text::LogoutConfirm),
        ("stay", Text::LogoutStay),
    ));
    body.push_str("</form>\n");
    let title = title_with(lang, Text::LogoutHeading, p.app.as_ref());
    document(lang, &title, false, &body, t(lang, Text::PoweredBy))
}

/// The device authorization page (RFC 8628 §3.3): the user types the code their device
/// shows.
pub struct DevicePage<'a> {
    pub lang: Lang,
    pub action: &'a str,
    pub csrf: &'a str,
    /// Prefilled code (from `verification_uri_complete`), or empty.
    pub user_code: &'a str,
    pub error: Option<&'a str>,
}

pub fn render_device(p: &DevicePage) -> String {
    let lang = p.lang;
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::DeviceHeading)));
    let _ = writeln!(
        body,
        "<p class=\"intro\">{}</p>",
        escape(t(lang, Text::DeviceIntro))
    );
    body.push_str(&error(p.error));
    body.push_str(&form_open(p.action, p.csrf));
    let code = Input {
        name: "user_code",
        kind: "text",
        value: p.user_code,
        autocomplete: "one-time-code",
        attrs: "class=\"code-input\" autocapitalize=\"characters\" autocorrect=\"off\" spellcheck=\"false\"",
    };
    body.push_str(&field(
        lang,
        Text::LabelUserCode,
        code.name,
        &code.html(),
        "",
    ));
    body.push_str(&submit(lang, Text::Continue));
    body.push_str("</form>\n");
    document(
        lang,
        t(lang, Text::DeviceHeading),
        false,
        &body,
        t(lang, Text::PoweredBy),
    )
}

/// The second step of a login that needs one (`tessera_core::service::mfa_login`), posted
/// with the login's ticket: the TOTP of the user's authenticator app or the recovery code
/// (`factor` `OTP`), or a code sent to the factor's phone (`SMS`) or address (`EMAIL`),
/// shown masked, with a button that sends it.
pub struct MfaPage<'a> {
    pub lang: Lang,
    pub action: &'a str,
    pub csrf: &'a str,
    pub ticket: &'a str,
    /// `OTP`, `SMS` or `EMAIL`.
    pub factor: &'a str,
    /// The masked phone or address a code goes to.
    pub target: Option<&'a str>,
    /// Where "send code" posts (SMS and EMAIL).
    pub send_action: Option<&'a str>,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

pub fn render_mfa(p: &MfaPage) -> String {
    let lang = p.lang;
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::MfaHeading)));
    let intro = match p.factor {
        "SMS" => Text::MfaIntroSms,
        "EMAIL" => Text::MfaIntroEmail,
        _ => Text::MfaIntro,
    };
    let target = p
        .target
        .map_or_else(String::new, |t| format!(" <strong>{}</strong>", escape(t)));
    let _ = writeln!(
        body,
        "<p class=\"intro\">{}{target}</p>",
        escape(t(lang, intro))
    );
    body.push_str(&error(p.error));
    body.push_str(&notice(p.notice));
    body.push_str(&form_open(p.action, p.csrf));
    body.push_str(&hidden("ticket", p.ticket));
    body.push_str(&hidden("factor", p.factor));
    if let Some(target) = p.target {
        body.push_str(&hidden("target", target));
    }
    let code = Input {
        name: "code",
        kind: "text",
        value: "",
        autocomplete: "one-time-code",
        attrs: "class=\"code-input\" autocapitalize=\"characters\" autocorrect=\"off\" spellcheck=\"false\" autofocus",
    };
    match p.send_action {
        Some(send) => {
            body.push_str(&implicit_submit(lang, Text::Continue));
            body.push_str(&code_with_send(lang, &code, send, None));
        }
        None => body.push_str(&field(
            lang,
            Text::LabelMfaCode,
            code.name,
            &code.html(),
            "",
        )),
    }
    body.push_str(&submit(lang, Text::Continue));
    body.push_str("</form>\n");
    document(
        lang,
        t(lang, Text::MfaHeading),
        false,
        &body,
        t(lang, Text::PoweredBy),
    )
}

/// The end of a device authorization.
pub struct DeviceDonePage {
    pub lang: Lang,
    pub approved: bool,
}

pub fn render_device_done(p: &DeviceDonePage) -> String {
    let lang = p.lang;
    let (badge, mark, heading, text) = if p.approved {
        (
            "ok",
            "✓",
            Text::DeviceApprovedHeading,
            Text::DeviceApprovedText,
        )
    } else {
        ("no", "✕", Text::DeviceDeniedHeading, Text::DeviceDeniedText)
    };
    let body = format!(
        "<div class=\"badge {badge}\" aria-hidden=\"true\">{mark}</div>\n<h1>{}</h1>\n<p class=\"intro\">{}</p>\n",
        escape(t(lang, heading)),
        escape(t(lang, text))
    );
    document(
        lang,
        t(lang, heading),
        false,
        &body,
        t(lang, Text::PoweredBy),
    )
}

/// An error shown to the user instead of a redirect (an unknown client, a bad redirect
/// URI, an expired interaction).
pub struct ErrorPage<'a> {
    pub lang: Lang,
    /// Already localised, e.g. `t(lang, Text::ErrorInvalidRequest)`.
    pub title: &'a str,
    pub description: &'a str,
    /// The OAuth error code (`invalid_request`…), shown for support.
    pub error_code: Option<&'a str>,
}

pub fn render_error(p: &ErrorPage) -> String {
    let lang = p.lang;
    let mut body = format!(
        "<div class=\"badge no\" aria-hidden=\"true\">!</div>\n<h1>{}</h1>\n<p class=\"intro\" role=\"alert\">{}</p>\n",
        escape(p.title),
        escape(p.description)
    );
    if let Some(code) = p.error_code {
        let _ = writeln!(
            body,
            "<p class=\"center muted\">{} <code>{}</code></p>",
            escape(t(lang, Text::ErrorCode)),
            escape(code)
        );
    }
    document(lang, p.title, false, &body, t(lang, Text::PoweredBy))
}

/// The server's front page.
pub struct LandingPage<'a> {
    pub lang: Lang,
    pub pools: &'a [LandingPool<'a>],
    pub version: &'a str,
}

/// A user pool and its applications' sign-in links.
pub struct LandingPool<'a> {
    pub name: &'a str,
    /// (application name, sign-in URL)
    pub apps: Vec<(&'a str, String)>,
}

/// Where OIDC clients read this server's endpoints and keys.
const DISCOVERY_PATH: &str = "/oidc/.well-known/openid-configuration";

pub fn render_landing(p: &LandingPage) -> String {
    let lang = p.lang;
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::LandingHeading)));
    let _ = writeln!(body, "<p>{}</p>", escape(t(lang, Text::LandingIntro)));
    let _ = writeln!(
        body,
        "<p class=\"discovery\">{}<br><a href=\"{DISCOVERY_PATH}\"><code>{DISCOVERY_PATH}</code></a></p>",
        escape(t(lang, Text::LandingDiscovery))
    );
    if p.pools.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"muted\">{}</p>",
            escape(t(lang, Text::LandingNoPools))
        );
    }
    for pool in p.pools {
        let _ = writeln!(
            body,
            "<section class=\"pool\">\n<h2>{}</h2>",
            escape(pool.name)
        );
        if pool.apps.is_empty() {
            let _ = writeln!(
                body,
                "<p class=\"muted\">{}</p>",
                escape(t(lang, Text::LandingNoApps))
            );
        } else {
            body.push_str("<ul class=\"apps\">\n");
            for (name, url) in &pool.apps {
                let _ = writeln!(
                    body,
                    "<li><a href=\"{}\">{}</a></li>",
                    escape(url),
                    escape(name)
                );
            }
            body.push_str("</ul>\n");
        }
        body.push_str("</section>\n");
    }
    let footer = format!("Tessera · {} {}", t(lang, Text::Version), p.version);
    document(lang, "Tessera", true, &body, &footer)
}

/// The OAuth 2.0 Form Post Response Mode page: the authorization response as a form to
/// the client's redirect URI, submitted at once by the page's one script. Send it with
/// [`super::csp::form_post`] for the same `nonce`.
pub struct FormPostPage<'a> {
    pub lang: Lang,
    pub redirect_uri: &'a str,
    /// The response parameters (`code`, `state`, `id_token`…).
    pub params: &'a [(&'a str, &'a str)],
    /// The CSP script nonce.
    pub nonce: &'a str,
}

pub fn render_form_post(p: &FormPostPage) -> String {
    let lang = p.lang;
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", escape(t(lang, Text::FormPostHeading)));
    let _ = writeln!(
        body,
        "<form id=\"response\" method=\"post\" action=\"{}\">",
        escape(p.redirect_uri)
    );
    for (name, value) in p.params {
        body.push_str(&hidden(name, value));
    }
    let _ = writeln!(
        body,
        "<noscript><p class=\"intro\">{}</p><button type=\"submit\" class=\"btn primary\">{}</button></noscript>\n</form>",
        escape(t(lang, Text::FormPostNoScript)),
        escape(t(lang, Text::Continue))
    );
    // The prototype's submit, not `form.submit`: a parameter named "submit" would shadow
    // the form's own method.
    let _ = writeln!(
        body,
        "<script nonce=\"{}\">HTMLFormElement.prototype.submit.call(document.getElementById(\"response\"));</script>",
        escape(p.nonce)
    );
    document(
        lang,
        t(lang, Text::FormPostHeading),
        false,
        &body,
        t(lang, Text::PoweredBy),
    )
}

#[cfg(test)]
mod tests;
