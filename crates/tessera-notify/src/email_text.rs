//! The words of a verification-code email. The core says which code, for which scene and for
//! how long; the wording, in Chinese and English, is this crate's.

use tessera_core::notify::{AdminNotice, EmailMessage, InvitationEmail, TenantNotice};

/// The subject and plain-text body of a verification-code email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailText {
    pub subject: &'static str,
    pub body: String,
}

/// Renders `msg` in both languages, because the SDK's `sendEmail` says nothing of the
/// recipient's language.
pub fn render(msg: &EmailMessage) -> EmailText {
    if let Some(inv) = &msg.invitation {
        return invitation(inv);
    }
    if let Some(n) = &msg.notice {
        return notice(n);
    }
    if let Some(n) = &msg.import_notice {
        return EmailText {
            subject: "租户开通通知 / You were added to a tenant",
            body: notice_text(n),
        };
    }
    let subject = match msg.scene.as_str() {
        "RESET_PASSWORD" | "RESET_PASSWORD_VERIFY_CODE" => "重置密码验证码 / Password reset code",
        "REGISTER_VERIFY_CODE" => "注册验证码 / Registration code",
        "LOGIN_VERIFY_CODE" => "登录验证码 / Login code",
        "CHANGE_EMAIL" | "EMAIL_BIND_VERIFY_CODE" => "绑定邮箱验证码 / Email binding code",
        "EMAIL_UNBIND_VERIFY_CODE" => "解绑邮箱验证码 / Email unbinding code",
        "MFA_VERIFY" | "MFA_VERIFY_CODE" => "二次认证验证码 / MFA code",
        "VERIFY_EMAIL" | "FIRST_EMAIL_LOGIN_VERIFY" | "CONSOLE_CONDUCTED_VERIFY" => {
            "验证邮箱 / Verify your email"
        }
        _ => "验证码 / Verification code",
    };
    let (code, minutes) = (&msg.code, msg.valid_minutes);
    let body = format!(
        "您的验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略此邮件。\r\n\
         Your verification code is {code}. It is valid for {minutes} minutes. \
         If you did not request it, ignore this email.\r\n"
    );
    EmailText { subject, body }
}

/// An invitation to join a tenant: the tenant, the link that accepts it, how long it works,
/// and that the invitee signs in there with their account of this address.
fn invitation(inv: &InvitationEmail) -> EmailText {
    let (tenant, link, days) = (&inv.tenant_name, &inv.link, inv.valid_days);
    let body = format!(
        "您受邀加入租户「{tenant}」。请在 {days} 天内打开以下链接，用此邮箱的账号登录即可加入：\r\n\
         {link}\r\n\
         如非预期，请忽略此邮件。\r\n\r\n\
         You are invited to join the tenant \"{tenant}\". Within {days} days, open the link \
         below and sign in with the account of this email address to join:\r\n\
         {link}\r\n\
         If you did not expect this, ignore this email.\r\n"
    );
    EmailText {
        subject: "租户邀请 / Invitation to join a tenant",
        body,
    }
}

/// A notice that an administrator of the pool granted the recipient administrative rights:
/// what they now administer (names only; the notice carries no credential).
fn notice(n: &AdminNotice) -> EmailText {
    let body = match n {
        AdminNotice::TenantAdmin { tenants } => {
            let list = tenants.join("、");
            let list_en = tenants.join(", ");
            format!(
                "管理员已将您设为以下租户的管理员：{list}。\r\n\
                 如非预期，请联系您的管理员。\r\n\r\n\
                 An administrator made you an administrator of these tenants: {list_en}.\r\n\
                 If you did not expect this, contact your administrator.\r\n"
            )
        }
        AdminNotice::Cooperator { policies } => {
            let list = policies.join(", ");
            format!(
                "管理员已将您设为协作管理员，授予的策略：{list}。\r\n\
                 如非预期，请联系您的管理员。\r\n\r\n\
                 An administrator made you a cooperating administrator with these policies: \
                 {list}.\r\n\
                 If you did not expect this, contact your administrator.\r\n"
            )
        }
    };
    EmailText {
        subject: "管理权限通知 / Administrative rights granted",
        body,
    }
}

/// A tenant import's notice, in both languages: the same words go by email and, through an
/// SMS webhook that renders its own text, as the fields of [`TenantNotice`].
pub fn notice_text(n: &TenantNotice) -> String {
    let (role_zh, role_en) = if n.is_admin {
        ("管理员", "an administrator")
    } else {
        ("成员", "a member")
    };
    format!(
        "{user}，您好：{admin} 已将您设为租户「{tenant}」（租户识别码 {code}）的{role_zh}。\
         请使用账号 {account} 登录：{url}\r\n\r\n\
         Hello {user}, {admin} made you {role_en} of the tenant \"{tenant}\" (tenant code \
         {code}). Sign in with the account {account} at {url}\r\n",
        user = n.user_name,
        admin = n.admin_name,
        tenant = n.tenant_name,
        code = n.tenant_code,
        account = n.account,
        url = n.login_url,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(scene: &str) -> EmailMessage {
        EmailMessage {
            pool_id: "p".into(),
            to: "ann@example.com".into(),
            code: "123456".into(),
            valid_minutes: 5,
            scene: scene.into(),
            route: None,
            custom: None,
            invitation: None,
            notice: None,
            import_notice: None,
        }
    }

    #[test]
    fn a_notice_names_what_was_granted() {
        let mut m = msg(tessera_core::notify::ADMIN_NOTICE_SCENE);
        m.notice = Some(AdminNotice::TenantAdmin {
            tenants: vec!["Acme".into(), "Globex".into()],
        });
        let t = render(&m);
        assert!(t.subject.contains("Administrative rights"));
        assert!(t.body.contains("Acme, Globex"), "{}", t.body);
        m.notice = Some(AdminNotice::Cooperator {
            policies: vec!["user-admin".into()],
        });
        assert!(render(&m).body.contains("user-admin"));
    }

    #[test]
    fn an_invitation_states_tenant_link_and_validity() {
        let mut m = msg(tessera_core::notify::TENANT_INVITATION_SCENE);
        m.invitation = Some(InvitationEmail {
            link: "https://id.example.com/tenant-invitation?token=t".into(),
            tenant_name: "Acme".into(),
            valid_days: 7,
        });
        let t = render(&m);
        assert_eq!(t.subject, "租户邀请 / Invitation to join a tenant");
        assert!(t.body.contains("「Acme」"));
        assert!(t.body.contains("within 7 days") || t.body.contains("Within 7 days"));
        assert_eq!(
            t.body
                .matches("https://id.example.com/tenant-invitation?token=t")
                .count(),
            2
        );
    }

    #[test]
    fn a_tenant_notice_names_admin_tenant_code_role_and_account() {
        let mut m = msg(tessera_core::notify::TENANT_IMPORT_SCENE);
        m.code = String::new();
        m.import_notice = Some(TenantNotice {
            admin_name: "Ops".into(),
            user_name: "Ann".into(),
            account: "ann@example.com".into(),
            tenant_name: "Acme".into(),
            tenant_code: "0a1b2c3d4e".into(),
            is_admin: true,
            login_url: "https://id.example.com".into(),
        });
        let t = render(&m);
        assert_eq!(t.subject, "租户开通通知 / You were added to a tenant");
        for part in [
            "「Acme」",
            "0a1b2c3d4e",
            "管理员",
            "an administrator",
            "Ops",
            "ann@example.com",
        ] {
            assert!(t.body.contains(part), "{part} in {}", t.body);
        }
    }

    #[test]
    fn subject_follows_the_scene_and_body_states_code_and_validity() {
        let t = render(&msg("RESET_PASSWORD"));
        assert_eq!(t.subject, "重置密码验证码 / Password reset code");
        assert!(t.body.starts_with("您的验证码是 123456，5 分钟内有效。"));
        assert!(t
            .body
            .contains("Your verification code is 123456. It is valid for 5 minutes."));
        assert_eq!(
            render(&msg("SOMETHING_ELSE")).subject,
            "验证码 / Verification code"
        );
    }
}
