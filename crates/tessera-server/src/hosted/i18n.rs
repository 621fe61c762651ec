//! The hosted pages' languages and every string they show, in zh-CN and en-US.
//!
//! The pages speak zh-CN unless the browser asks for English: Tessera follows Authing, whose
//! default language is Chinese.

/// A language the hosted pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    EnUs,
}

impl Lang {
    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::EnUs => "en-US",
        }
    }

    /// The page language for a request: the first of `ui_locales` (the OIDC authorization
    /// parameter, space-separated tags in order of preference, OIDC Core §3.1.2.1) that is
    /// Chinese or English; else the Accept-Language entry with the highest q-value that is
    /// (the earlier one on a tie, as the header lists preferences in order); else zh-CN.
    pub fn pick(ui_locales: Option<&str>, accept_language: Option<&str>) -> Lang {
        pick(ui_locales, accept_language)
    }
}

/// See [`Lang::pick`].
pub fn pick(ui_locales: Option<&str>, accept_language: Option<&str>) -> Lang {
    ui_locales
        .and_then(|v| v.split_ascii_whitespace().find_map(lang_of_tag))
        .or_else(|| accept_language.and_then(best_accepted))
        .unwrap_or(Lang::ZhCn)
}

/// The language of one tag by its primary subtag: `zh`, `zh-TW`, `zh_Hans` are Chinese
/// (the pages have one Chinese), `en-GB` is English; `zhx` or `*` are neither.
fn lang_of_tag(tag: &str) -> Option<Lang> {
    let primary = tag.split(['-', '_']).next().unwrap_or_default();
    if primary.eq_ignore_ascii_case("zh") {
        Some(Lang::ZhCn)
    } else if primary.eq_ignore_ascii_case("en") {
        Some(Lang::EnUs)
    } else {
        None
    }
}

/// The best Chinese or English entry of an Accept-Language header (RFC 9110 §12.5.4:
/// `tag;q=0.8`, a missing q is 1, q=0 means "not acceptable"). An entry whose weight does
/// not parse is skipped rather than guessed at.
fn best_accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let Some(lang) = lang_of_tag(parts.next().unwrap_or_default().trim()) else {
            continue;
        };
        let mut weight = Some(1000);
        for param in parts {
            if let Some((name, value)) = param.split_once('=') {
                if name.trim().eq_ignore_ascii_case("q") {
                    weight = qvalue(value.trim());
                }
            }
        }
        let better = match (weight, best) {
            (Some(0) | None, _) => false,
            (Some(_), None) => true,
            (Some(w), Some((b, _))) => w > b,
        };
        if let (true, Some(w)) = (better, weight) {
            best = Some((w, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// A qvalue in thousandths: `0`, `0.5`, `1.000`; at most three decimals, at most 1.
fn qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u16 = match int {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let frac_thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    let w = int * 1000 + frac_thousandths;
    (w <= 1000).then_some(w)
}

/// Declares [`Text`], its list [`Text::ALL`] and the zh-CN / en-US wording of each, in one
/// table so that a key cannot lack a translation.
macro_rules! texts {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// Every string the hosted pages show.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Text { $($key,)* }

        impl Text {
            /// Every key, for tests over the whole table.
            pub const ALL: &'static [Text] = &[$(Text::$key,)*];
        }

        fn wording(key: Text) -> (&'static str, &'static str) {
            match key { $(Text::$key => ($zh, $en),)* }
        }
    };
}

texts! {
    // Every page
    PoweredBy => "由 Tessera 提供身份服务", "Identity by Tessera";
    Continue => "继续", "Continue";

    // Sign-in
    SignInHeading => "登录", "Sign in";
    LoginMethods => "登录方式", "Sign-in methods";
    TabPassword => "密码登录", "Password";
    TabSms => "短信验证码", "SMS code";
    TabEmail => "邮箱验证码", "Email code";
    LabelAccount => "邮箱、用户名或手机号", "Email, username or phone";
    LabelPassword => "密码", "Password";
    LabelPhone => "手机号", "Phone number";
    LabelEmail => "邮箱", "Email";
    LabelCode => "验证码", "Verification code";
    LabelCaptcha => "图形验证码", "Characters in the image";
    CaptchaAlt => "图形验证码图片", "Captcha image";
    SendCode => "发送验证码", "Send code";
    SignInButton => "登录", "Sign in";
    ForgotPassword => "忘记密码？", "Forgot password?";
    NoAccount => "还没有账号？", "New here?";
    CreateAccount => "注册", "Create an account";
    NoLoginMethod => "此应用暂未开放登录。", "Sign-in is not available for this application.";
    MethodNotOffered => "此应用未开放该登录方式。", "This sign-in method is not available for this application.";

    // Registration
    RegisterHeading => "注册账号", "Create your account";
    LabelPasswordAgain => "确认密码", "Confirm password";
    RegisterButton => "注册", "Create account";
    HaveAccount => "已有账号？", "Already have an account?";
    SignInLink => "登录", "Sign in";

    // Password reset
    ResetHeading => "重置密码", "Reset your password";
    ResetIntro => "输入邮箱或手机号并获取验证码，然后设置新密码。", "Enter your email or phone number, get a code, then choose a new password.";
    LabelEmailOrPhone => "邮箱或手机号", "Email or phone number";
    LabelNewPassword => "新密码", "New password";
    ResetButton => "重置密码", "Reset password";
    BackToSignIn => "返回登录", "Back to sign in";

    // Consent
    ConsentHeading => "授权确认", "Authorize access";
    ConsentRequests => "请求获得以下权限：", "would like to:";
    SignedInAs => "当前账号", "Signed in as";
    Allow => "允许", "Allow";
    Deny => "拒绝", "Deny";
    ScopeOpenid => "确认你的身份", "Confirm your identity";
    ScopeProfile => "查看你的基本资料（姓名、头像等）", "See your basic profile (name, picture and more)";
    ScopeEmail => "查看你的邮箱地址", "See your email address";
    ScopePhone => "查看你的手机号", "See your phone number";
    ScopeAddress => "查看你的地址", "See your address";
    ScopeOfflineAccess => "在你离开后继续访问以上信息", "Keep this access when you are not using the app";
    ScopeOther => "其他权限", "Other permission";

    // Sign-out
    LogoutHeading => "退出登录", "Sign out";
    LogoutQuestionBefore => "确定要退出 ", "Sign out of ";
    LogoutQuestionAfter => " 吗？", "?";
    LogoutQuestion => "确定要退出登录吗？", "Do you want to sign out?";
    LogoutConfirm => "退出登录", "Sign out";
    LogoutStay => "取消", "Stay signed in";

    // Device authorization
    DeviceHeading => "连接设备", "Connect a device";
    DeviceIntro => "请输入设备上显示的代码。", "Enter the code shown on your device.";
    LabelUserCode => "设备代码", "Device code";
    DeviceApprovedHeading => "设备已连接", "Device connected";
    DeviceApprovedText => "你可以回到设备上继续操作了。", "You can return to your device now.";
    DeviceDeniedHeading => "已拒绝连接", "Device not connected";
    DeviceDeniedText => "该设备未获授权，你可以关闭此页面。", "The device was not authorized. You can close this page.";

    // Errors and notices (titles and messages the lead words pages with)
    ErrorCode => "错误代码", "Error code";
    ErrorTitle => "出错了", "Something went wrong";
    ErrorInvalidRequest => "请求无效", "Invalid request";
    ErrorAccessDenied => "访问被拒绝", "Access denied";
    ErrorExpired => "页面已过期", "This page has expired";
    ErrorNotFound => "页面不存在", "Page not found";
    ErrorUnavailable => "服务暂时不可用", "Service unavailable";
    ErrorTryAgain => "请返回应用重新登录。", "Please go back to the application and sign in again.";
    CodeSent => "验证码已发送", "We sent you a code";
    PasswordsDiffer => "两次输入的密码不一致", "The passwords do not match";
    PasswordResetDone => "密码已重置，请用新密码登录。", "Your password was reset: sign in with the new one.";
    DeviceCodeUnknown => "这个代码无效或已过期，请检查设备上显示的代码。", "This code is not valid or has expired: check the code on your device.";

    // Landing page
    LandingHeading => "Tessera — 身份服务器", "Tessera — an identity server";
    LandingIntro => "Tessera 是一个自托管的身份服务器：它是 OpenID Connect 身份提供方，同时提供与 Authing 兼容的 API。应用通过下面的发现文档找到它的端点和签名密钥。", "Tessera is a self-hosted identity server: an OpenID Connect provider with an Authing-compatible API. Applications find its endpoints and signing keys in the discovery document below.";
    LandingDiscovery => "OpenID Connect 发现文档", "OpenID Connect discovery";
    LandingPools => "用户池与应用", "User pools and applications";
    LandingNoPools => "还没有用户池。", "No user pools yet.";
    LandingNoApps => "此用户池还没有可从这里登录的应用。", "No application of this pool can be signed in to from here yet.";
    Version => "版本", "Version";

    // The MFA step of a login
    MfaHeading => "二次认证", "Two-step verification";
    MfaIntro => "请输入身份验证器应用中显示的 6 位安全码，或您的恢复代码。", "Enter the 6-digit code from your authenticator app, or your recovery code.";
    LabelMfaCode => "安全码", "Code";
    MfaIntroSms => "请输入发送到您手机的验证码：", "Enter the code we send to your phone:";
    MfaIntroEmail => "请输入发送到您邮箱的验证码：", "Enter the code we send to your email:";
    // form_post response mode
    FormPostHeading => "正在返回应用…", "Returning to the application…";
    FormPostNoScript => "浏览器未运行脚本，请点击“继续”返回应用。", "Your browser did not run the page's script. Select Continue to return to the application.";
}

/// The wording of `key` in `lang`.
pub fn t(lang: Lang, key: Text) -> &'static str {
    let (zh, en) = wording(key);
    match lang {
        Lang::ZhCn => zh,
        Lang::EnUs => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_wins_over_accept_language() {
        assert_eq!(pick(Some("en-US"), Some("zh-CN")), Lang::EnUs);
        assert_eq!(pick(Some("zh-CN en"), Some("en")), Lang::ZhCn);
        // The first Chinese or English tag, skipping languages the pages lack.
        assert_eq!(pick(Some("fr-CA de en-GB zh"), Some("zh")), Lang::EnUs);
        assert_eq!(pick(Some("ZH-tw"), None), Lang::ZhCn);
    }

    #[test]
    fn ui_locales_without_a_known_language_falls_back_to_the_header() {
        assert_eq!(pick(Some("fr de"), Some("en")), Lang::EnUs);
        assert_eq!(pick(Some(""), Some("en")), Lang::EnUs);
        assert_eq!(pick(Some("   "), Some("fr, en;q=0.1")), Lang::EnUs);
    }

    #[test]
    fn accept_language_by_q_value() {
        assert_eq!(pick(None, Some("zh-CN;q=0.5, en-US;q=0.9")), Lang::EnUs);
        assert_eq!(pick(None, Some("en;q=0.4,zh;q=0.8")), Lang::ZhCn);
        // No q is 1.
        assert_eq!(pick(None, Some("en-GB, zh-CN;q=0.9")), Lang::EnUs);
        // A tie keeps the earlier entry.
        assert_eq!(pick(None, Some("zh;q=0.7, en;q=0.7")), Lang::ZhCn);
        assert_eq!(pick(None, Some("en;q=0.7, zh;q=0.7")), Lang::EnUs);
        // Unknown languages with higher weight do not count.
        assert_eq!(pick(None, Some("fr;q=1, de;q=0.9, en;q=0.1")), Lang::EnUs);
        // Spaces around parameters, upper-case Q.
        assert_eq!(pick(None, Some("zh ; Q=0.2 , en ; q=0.3")), Lang::EnUs);
        // Three decimals are compared exactly.
        assert_eq!(pick(None, Some("zh;q=0.501, en;q=0.5")), Lang::ZhCn);
    }

    #[test]
    fn q_zero_and_bad_weights_are_not_acceptable() {
        assert_eq!(pick(None, Some("en;q=0, fr")), Lang::ZhCn);
        assert_eq!(pick(None, Some("zh;q=0.000, en;q=0.001")), Lang::EnUs);
        assert_eq!(pick(None, Some("en;q=2")), Lang::ZhCn);
        assert_eq!(pick(None, Some("en;q=0.1234")), Lang::ZhCn);
        assert_eq!(pick(None, Some("en;q=abc")), Lang::ZhCn);
        assert_eq!(pick(None, Some("en;q=1.001")), Lang::ZhCn);
    }

    #[test]
    fn default_is_chinese() {
        assert_eq!(pick(None, None), Lang::ZhCn);
        assert_eq!(pick(None, Some("")), Lang::ZhCn);
        assert_eq!(pick(None, Some("*")), Lang::ZhCn);
        assert_eq!(pick(None, Some("fr-FR, de;q=0.8")), Lang::ZhCn);
        // "eng" and "zhx" are other languages, not English or Chinese.
        assert_eq!(pick(Some("eng"), Some("zhx")), Lang::ZhCn);
    }

    #[test]
    fn tags() {
        assert_eq!(Lang::ZhCn.tag(), "zh-CN");
        assert_eq!(Lang::EnUs.tag(), "en-US");
        assert_eq!(Lang::pick(Some("en"), None), Lang::EnUs);
    }

    #[test]
    fn every_text_is_worded_in_both_languages() {
        for &key in Text::ALL {
            let (zh, en) = (t(Lang::ZhCn, key), t(Lang::EnUs, key));
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{key:?}");
            assert_ne!(zh, en, "{key:?} is not translated");
            // English wording is ASCII apart from typography; Chinese wording has CJK.
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                    || key == Text::LogoutQuestionAfter,
                "{key:?}: {zh}"
            );
            assert!(
                !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{key:?}: {en}"
            );
        }
    }
}
