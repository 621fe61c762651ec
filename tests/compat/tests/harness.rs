//! The harness's own sinks, checked without the server: lettre (through `tessera_notify`)
//! delivers to the SMTP sink, the SMS webhook lands in the mailbox, and the mailbox API
//! serves both.

use tessera_compat::mailbox;
use tessera_compat::Mailbox;
use tessera_core::notify::{EmailMessage, Notifier, SmsMessage};
use tessera_notify::{Delivery, SmsWebhook, SmtpMailer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A bare HTTP/1.1 GET; returns (status, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn smtp_sink_sms_webhook_and_mailbox_api() {
    let mb = Mailbox::default();
    let smtp = mailbox::start_smtp(mb.clone()).await.expect("smtp sink");
    let http = mailbox::start_http(mb.clone()).await.expect("mailbox api");
    let mailer = SmtpMailer::new(&format!("smtp://{smtp}"), "Tessera <no-reply@tessera.test>")
        .expect("mailer");
    let delivery = Delivery {
        email: Some(mailer.clone()),
        sms: Some(SmsWebhook::new(&format!("http://{http}/sms"))),
        ..Delivery::default()
    };
    // A code email: non-ASCII subject and body (lettre encodes both).
    delivery
        .send_email(&EmailMessage {
            pool_id: "p1".into(),
            to: "Ann@Example.com".into(),
            code: "482913".into(),
            valid_minutes: 5,
            scene: "LOGIN_VERIFY_CODE".into(),
            route: None,
            custom: None,
            invitation: None,
            notice: None,
            import_notice: None,
        })
        .await
        .expect("send email");
    // A line starting with a dot survives SMTP's dot-stuffing.
    mailer
        .send_text(
            "bob@example.com",
            "【Tessera】dots",
            "first\n.leading dot\n".into(),
        )
        .await
        .expect("send text");
    delivery
        .send_sms(&SmsMessage {
            pool_id: "p1".into(),
            phone: "7700900123".into(),
            phone_country_code: "+44".into(),
            code: "1234".into(),
            scene: "login".into(),
            webhook_url: None,
            import_notice: None,
        })
        .await
        .expect("send sms");

    let mails = mb.mails();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].to, vec!["Ann@Example.com".to_owned()]);
    assert_eq!(mails[0].subject, "登录验证码 / Login code");
    assert!(
        mails[0].text.contains("您的验证码是 482913"),
        "{:?}",
        mails[0].text
    );
    assert_eq!(mails[0].code.as_deref(), Some("482913"));
    assert_eq!(mails[1].subject, "【Tessera】dots");
    assert!(
        mails[1].text.contains("\n.leading dot"),
        "{:?}",
        mails[1].text
    );

    let (status, body) = get(http, "/mail/last?to=ann@example.com").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["code"], "482913");
    let (status, _) = get(http, "/mail/last?to=ann@example.com&since=99").await;
    assert_eq!(status, 404);

    let (status, body) = get(http, "/sms/last?phone=7700900123&phoneCountryCode=%2B44").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["code"], "1234");
    assert_eq!(v["scene"], "login");
    assert_eq!(v["userPoolId"], "p1");
    let (status, _) = get(http, "/sms/last?phone=7700900123&phoneCountryCode=%2B86").await;
    assert_eq!(status, 404);

    mb.push_captcha("p1:10.0.0.1", "x7k2");
    let (status, body) = get(http, "/captcha/last?key=p1:10.0.0.1").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["answer"], "x7k2");
    let (_, body) = get(http, "/seq").await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["seq"], 4);
}
