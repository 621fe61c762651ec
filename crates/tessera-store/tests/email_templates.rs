//! A pool's email templates on both backends, through two `Core`s on one database (two
//! server processes): defaults for kinds never customized, an update stored and read back by
//! the other process, the enabled template wording the code email the core hands the
//! notifier (and the built-in text once disabled), other pools untouched, and refused
//! updates writing nothing.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::email_template::{EmailTemplateKind, TemplateEngine};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::email_templates::{PreviewInput, TemplateInput};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};

async fn core(db: &TestDb) -> (Core, Arc<Outbox>) {
    let store: Arc<dyn Store> = db.open().await;
    let outbox = Arc::new(Outbox::default());
    let core = Core::open(
        store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        outbox.clone(),
    )
    .await
    .expect("core");
    (core, outbox)
}

async fn admin(c: &Core, name: &str) -> PoolAdmin {
    let creds = c.create_pool(name).await.unwrap();
    c.pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap()
}

fn input(enabled: bool) -> TemplateInput {
    TemplateInput {
        kind: EmailTemplateKind::RegisterVerifyCode,
        customize_enabled: enabled,
        name: "Register".into(),
        subject: "Join {{userPoolName}}".into(),
        sender: "Team".into(),
        content: "<p>{{code}} for {{email}} ({{expiresIn}} min){{nope}}</p>".into(),
        expires_in: Some(600),
        redirect_to: Some("https://example.com/".into()),
        engine: Some("handlebar".into()),
    }
}

async fn templates_store_render_and_isolate(db: &TestDb) {
    let (a, _) = core(db).await;
    let (b, _) = core(db).await;
    let mine = admin(&a, "Mine & Co").await;
    let theirs = admin(&a, "theirs").await;

    // Never customized: every kind, built-in and disabled.
    let all = b.email_templates(&mine).await.unwrap();
    assert_eq!(
        all.iter().map(|t| t.kind).collect::<Vec<_>>(),
        EmailTemplateKind::ALL.to_vec()
    );
    assert!(all
        .iter()
        .all(|t| !t.customize_enabled && t.updated_at == 0));

    let saved = a.update_email_template(&mine, input(true)).await.unwrap();
    assert_eq!(saved.engine, TemplateEngine::Handlebar);
    // The other process reads it back as stored.
    let read = b.email_templates(&mine).await.unwrap();
    let t = read
        .iter()
        .find(|t| t.kind == EmailTemplateKind::RegisterVerifyCode)
        .unwrap();
    assert_eq!(t, &saved);
    assert_eq!(t.expires_in, Some(600));
    assert_eq!(t.redirect_to.as_deref(), Some("https://example.com/"));
    // Other kinds and other pools are untouched.
    assert!(read
        .iter()
        .filter(|t| t.kind != EmailTemplateKind::RegisterVerifyCode)
        .all(|t| !t.customize_enabled));
    assert!(b
        .email_templates(&theirs)
        .await
        .unwrap()
        .iter()
        .all(|t| !t.customize_enabled));

    // The code email of that kind is worded by the template, values escaped.
    let pool = b.pool(mine.pool_id()).await.unwrap();
    let other = b.pool(theirs.pool_id()).await.unwrap();
    // A third process (with its own outbox) sends: the template is read from the store.
    let (c, outbox) = core(db).await;
    c.send_email_code(&pool, "dee@example.com", "REGISTER_VERIFY_CODE")
        .await
        .unwrap();
    c.send_email_code(&other, "eve@example.com", "REGISTER_VERIFY_CODE")
        .await
        .unwrap();
    {
        let mails = outbox.emails.lock().unwrap();
        let custom = mails[0].custom.as_ref().expect("the template words it");
        assert_eq!(custom.subject, "Join Mine & Co");
        let minutes = pool.settings.verify_code_expires_after / 60;
        assert_eq!(
            custom.html,
            format!(
                "<p>{} for dee@example.com ({minutes} min)</p>",
                mails[0].code
            )
        );
        assert_eq!(custom.sender, "Team");
        assert!(
            mails[1].custom.is_none(),
            "another pool keeps the built-in text"
        );
    }

    // Disabled: kept, and the built-in text is sent again.
    a.update_email_template(&mine, input(false)).await.unwrap();
    c.send_email_code(&pool, "fay@example.com", "REGISTER_VERIFY_CODE")
        .await
        .unwrap();
    assert!(outbox.emails.lock().unwrap()[2].custom.is_none());
    let kept = b.email_templates(&mine).await.unwrap();
    let kept = kept
        .iter()
        .find(|t| t.kind == EmailTemplateKind::RegisterVerifyCode)
        .unwrap();
    assert!(!kept.customize_enabled);
    assert_eq!(kept.subject, "Join {{userPoolName}}");

    // Refused updates write nothing.
    let before = b.email_templates(&mine).await.unwrap();
    let refusals = [
        TemplateInput {
            engine: Some("ejs".into()),
            ..input(true)
        },
        TemplateInput {
            subject: " ".into(),
            ..input(true)
        },
        TemplateInput {
            content: String::new(),
            ..input(true)
        },
        TemplateInput {
            expires_in: Some(0),
            ..input(true)
        },
        TemplateInput {
            sender: "a\nb".into(),
            ..input(true)
        },
    ];
    for r in refusals {
        let e = a.update_email_template(&mine, r).await.unwrap_err();
        assert!(matches!(e, Error::InvalidParameter(_)), "{e:?}");
    }
    assert_eq!(b.email_templates(&mine).await.unwrap(), before);

    // A preview renders sample values and stores nothing.
    let p = b
        .preview_email_template(
            &mine,
            PreviewInput {
                kind: EmailTemplateKind::RegisterVerifyCode,
                subject: None,
                sender: None,
                content: Some("{{code}}/{{expiresIn}}".into()),
                expires_in: Some(180),
                engine: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(p.html, "123456/3");
    assert_eq!(p.subject, "Join Mine & Co");
    assert_eq!(b.email_templates(&mine).await.unwrap(), before);
}

backend_tests! {
    email_templates => templates_store_render_and_isolate;
}
