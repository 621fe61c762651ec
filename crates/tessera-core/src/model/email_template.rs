//! A pool's own wording of the emails it sends: one template per kind of email, kept beside
//! the built-in text (`tessera-notify`'s) and used instead of it while `customize_enabled`.

/// Which email a template words: the `type` values of the v3 wire (`UpdateEmailTemplateDto`),
/// in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailTemplateKind {
    // Not sent by Tessera yet: Tessera sends no welcome or notification emails, so these are
    // stored and answered, and change nothing that is sent.
    WelcomeEmail,
    FirstCreatedUser,
    // Verification-code emails: sent by `Core::send_email_code` (see `for_scene`).
    RegisterVerifyCode,
    LoginVerifyCode,
    MfaVerifyCode,
    InformationCompletionVerifyCode,
    FirstEmailLoginVerify,
    ConsoleConductedVerify,
    // Not sent by Tessera yet (notifications).
    UserPasswordUpdateRemind,
    AdminResetUserPasswordNotification,
    UserPasswordResetNotification,
    // Sent (verification code).
    ResetPasswordVerifyCode,
    // Not sent by Tessera yet: Tessera has no self-unlocking flow.
    SelfUnlockingVerifyCode,
    // Sent (verification codes).
    EmailBindVerifyCode,
    EmailUnbindVerifyCode,
}

impl EmailTemplateKind {
    pub const ALL: [EmailTemplateKind; 15] = {
        use EmailTemplateKind::*;
        [
            WelcomeEmail,
            FirstCreatedUser,
            RegisterVerifyCode,
            LoginVerifyCode,
            MfaVerifyCode,
            InformationCompletionVerifyCode,
            FirstEmailLoginVerify,
            ConsoleConductedVerify,
            UserPasswordUpdateRemind,
            AdminResetUserPasswordNotification,
            UserPasswordResetNotification,
            ResetPasswordVerifyCode,
            SelfUnlockingVerifyCode,
            EmailBindVerifyCode,
            EmailUnbindVerifyCode,
        ]
    };

    /// The name stored and spoken on the wire.
    pub fn as_str(self) -> &'static str {
        use EmailTemplateKind::*;
        match self {
            WelcomeEmail => "WELCOME_EMAIL",
            FirstCreatedUser => "FIRST_CREATED_USER",
            RegisterVerifyCode => "REGISTER_VERIFY_CODE",
            LoginVerifyCode => "LOGIN_VERIFY_CODE",
            MfaVerifyCode => "MFA_VERIFY_CODE",
            InformationCompletionVerifyCode => "INFORMATION_COMPLETION_VERIFY_CODE",
            FirstEmailLoginVerify => "FIRST_EMAIL_LOGIN_VERIFY",
            ConsoleConductedVerify => "CONSOLE_CONDUCTED_VERIFY",
            UserPasswordUpdateRemind => "USER_PASSWORD_UPDATE_REMIND",
            AdminResetUserPasswordNotification => "ADMIN_RESET_USER_PASSWORD_NOTIFICATION",
            UserPasswordResetNotification => "USER_PASSWORD_RESET_NOTIFICATION",
            ResetPasswordVerifyCode => "RESET_PASSWORD_VERIFY_CODE",
            SelfUnlockingVerifyCode => "SELF_UNLOCKING_VERIFY_CODE",
            EmailBindVerifyCode => "EMAIL_BIND_VERIFY_CODE",
            EmailUnbindVerifyCode => "EMAIL_UNBIND_VERIFY_CODE",
        }
    }

    pub fn parse(s: &str) -> Option<EmailTemplateKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The template that words a verification-code email of this `sendEmail` scene. The v2
    /// scenes name some emails twice (`RESET_PASSWORD` and `RESET_PASSWORD_VERIFY_CODE`);
    /// `VERIFY_EMAIL` and `VERIFY_CODE` have no template kind and keep the built-in text.
    pub fn for_scene(scene: &str) -> Option<EmailTemplateKind> {
        use EmailTemplateKind::*;
        Some(match scene {
            "REGISTER_VERIFY_CODE" => RegisterVerifyCode,
            "LOGIN_VERIFY_CODE" => LoginVerifyCode,
            "MFA_VERIFY" | "MFA_VERIFY_CODE" => MfaVerifyCode,
            "INFORMATION_COMPLETION_VERIFY_CODE" => InformationCompletionVerifyCode,
            "FIRST_EMAIL_LOGIN_VERIFY" => FirstEmailLoginVerify,
            "CONSOLE_CONDUCTED_VERIFY" => ConsoleConductedVerify,
            "RESET_PASSWORD" | "RESET_PASSWORD_VERIFY_CODE" => ResetPasswordVerifyCode,
            "CHANGE_EMAIL" | "EMAIL_BIND_VERIFY_CODE" => EmailBindVerifyCode,
            "EMAIL_UNBIND_VERIFY_CODE" => EmailUnbindVerifyCode,
            _ => return None,
        })
    }

    /// Whether the email carries a verification code (and so `{{code}}` means something).
    pub fn carries_code(self) -> bool {
        use EmailTemplateKind::*;
        !matches!(
            self,
            WelcomeEmail
                | FirstCreatedUser
                | UserPasswordUpdateRemind
                | AdminResetUserPasswordNotification
                | UserPasswordResetNotification
        )
    }
}

/// How a template's text is rendered. Only the `{{variable}}` substitution is served: an
/// `ejs` template is code, and Tessera runs none of a pool's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateEngine {
    Handlebar,
}

impl TemplateEngine {
    pub fn as_str(self) -> &'static str {
        "handlebar"
    }
}

/// One template of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTemplate {
    pub kind: EmailTemplateKind,
    /// While false the built-in text is sent; the template is kept.
    pub customize_enabled: bool,
    pub name: String,
    pub subject: String,
    /// The sender's display name (the address stays the SMTP server's).
    pub sender: String,
    /// HTML with `{{variable}}` placeholders.
    pub content: String,
    /// Seconds, as the administrator gave it; kept and answered (the code's validity is the
    /// pool's `verifyCodeExpiresAfter` setting).
    pub expires_in: Option<i64>,
    pub redirect_to: Option<String>,
    pub engine: TemplateEngine,
    /// ms since the epoch; 0 for a built-in default never stored.
    pub updated_at: i64,
}

impl EmailTemplate {
    /// What a pool that never customized `kind` has: the built-in wording, disabled.
    pub fn builtin(kind: EmailTemplateKind) -> EmailTemplate {
        use EmailTemplateKind::*;
        let (name, subject) = match kind {
            WelcomeEmail => ("Welcome email", "Welcome to {{userPoolName}}"),
            FirstCreatedUser => ("Account created", "Your {{userPoolName}} account"),
            RegisterVerifyCode => ("Registration code", "Registration code"),
            LoginVerifyCode => ("Login code", "Login code"),
            MfaVerifyCode => ("MFA code", "MFA code"),
            InformationCompletionVerifyCode => ("Profile completion code", "Verification code"),
            FirstEmailLoginVerify => ("Email verification", "Verify your email"),
            ConsoleConductedVerify => ("Email verification", "Verify your email"),
            UserPasswordUpdateRemind => ("Password update reminder", "Update your password"),
            AdminResetUserPasswordNotification => {
                ("Password reset by administrator", "Your password was reset")
            }
            UserPasswordResetNotification => ("Password reset notice", "Your password was reset"),
            ResetPasswordVerifyCode => ("Password reset code", "Password reset code"),
            SelfUnlockingVerifyCode => ("Account unlock code", "Account unlock code"),
            EmailBindVerifyCode => ("Email binding code", "Email binding code"),
            EmailUnbindVerifyCode => ("Email unbinding code", "Email unbinding code"),
        };
        let content = if kind.carries_code() {
            "<p>Your verification code is {{code}}. It is valid for {{expiresIn}} minutes. \
             If you did not request it, ignore this email.</p>"
        } else {
            "<p>{{userPoolName}}: {{email}}</p>"
        };
        EmailTemplate {
            kind,
            customize_enabled: false,
            name: name.to_owned(),
            subject: subject.to_owned(),
            sender: String::new(),
            content: content.to_owned(),
            expires_in: None,
            redirect_to: None,
            engine: TemplateEngine::Handlebar,
            updated_at: 0,
        }
    }
}

/// An email worded by a pool's template, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    /// HTML.
    pub html: String,
    /// The sender's display name; empty keeps the deployment's.
    pub sender: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_scenes_map() {
        for k in EmailTemplateKind::ALL {
            assert_eq!(EmailTemplateKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EmailTemplateKind::parse("register_verify_code"), None);
        assert_eq!(
            EmailTemplateKind::for_scene("RESET_PASSWORD"),
            Some(EmailTemplateKind::ResetPasswordVerifyCode)
        );
        assert_eq!(EmailTemplateKind::for_scene("VERIFY_EMAIL"), None);
    }
}
