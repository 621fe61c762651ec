//! The official authing-js-sdk (pinned in `tests/compat/js/package-lock.json`) against a live
//! Tessera server: every AuthenticationClient method of the seed contract, through the SDK.

use tessera_compat::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authing_js_sdk_authentication_client() {
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
    harness.stop().await;
    assert_eq!(
        code, 0,
        "the authing-js-sdk compatibility suite failed (see the node test output above)"
    );
}
