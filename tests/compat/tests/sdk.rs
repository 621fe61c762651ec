//! The official authing-js-sdk (pinned in `tests/compat/js/package-lock.json`) against a live
//! Tessera server: every AuthenticationClient method of the seed contract, through the SDK.
//! The server's log is captured at debug level and must not contain any code, captcha or
//! password that crossed the wire.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tessera_compat::Harness;

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuf {
    type Writer = LogBuf;
    fn make_writer(&'a self) -> LogBuf {
        self.clone()
    }
}

/// `needle` as a whole token: not glued to other letters or digits (ids and timestamps
/// contain digit runs that are not codes).
fn contains_token(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authing_js_sdk_authentication_client() {
    let logs = LogBuf::default();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "debug,sqlx=warn,hyper=info,hyper_util=info,h2=info,lettre=info,reqwest=info",
        ))
        .with_ansi(false)
        .without_time()
        .with_writer(logs.clone())
        .try_init();
    // Not spawned: opening the store is not `Send`.
    let harness = match Harness::start().await {
        Ok(h) => h,
        Err(e) => panic!("compat harness failed to start: {e}"),
    };
    eprintln!(
        "compat: Tessera at {}, mailbox at {}, fixtures in {}",
        harness.tessera_url,
        harness.mailbox_url,
        harness.fixtures_path.display()
    );
    let code = match harness.run_node_tests().await {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let mut secrets: Vec<String> = harness
        .mailbox
        .mails()
        .into_iter()
        .filter_map(|m| m.code)
        .collect();
    // A notice (`ADMIN_GRANT_NOTICE`, a tenant import's) carries no code: an empty one is no
    // secret, nothing to look for.
    secrets.extend(
        harness
            .mailbox
            .sms()
            .into_iter()
            .map(|s| s.code)
            .filter(|c| !c.is_empty()),
    );
    secrets.extend(harness.mailbox.captchas().into_iter().map(|c| c.answer));
    // OIDC codes and tokens the JS tests were handed.
    let protocol_secrets = harness.recorded_secrets();
    let password = harness.fixtures["defaultPassword"]
        .as_str()
        .unwrap_or("Passw0rd!")
        .to_owned();
    harness.stop().await;
    assert_eq!(
        code, 0,
        "the authing-js-sdk compatibility suite failed (see the node test output above)"
    );
    let text =
        String::from_utf8_lossy(&logs.0.lock().map(|v| v.clone()).unwrap_or_default()).into_owned();
    assert!(text.contains("request"), "the server log was captured");
    // The whole suite delivers many codes; a check that found none would prove nothing. A
    // run narrowed to a few files (`COMPAT_JS_FILES`) may deliver none.
    if std::env::var_os("COMPAT_JS_FILES").is_none() {
        assert!(
            secrets.len() > 20,
            "the suite delivered codes ({})",
            secrets.len()
        );
    }
    assert!(
        !text.contains(&password),
        "a password appears in the server log"
    );
    for s in &secrets {
        assert!(
            !contains_token(&text, s),
            "a delivered code appears in the server log"
        );
    }
    for s in &protocol_secrets {
        assert!(
            !text.contains(s.as_str()),
            "an OIDC code or token, or a recorded personal number, appears in the server log"
        );
    }
}
