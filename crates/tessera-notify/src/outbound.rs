//! The process's one outbound HTTP client (providers and webhooks), built at its first use.
//!
//! Building a `reqwest::Client` with native TLS loads OpenSSL's default CA roots into a TLS
//! context; one per provider cost about a megabyte each of resident memory in a server that
//! may never call any of them (`bench/run`'s idle RSS). One lazily built client also shares
//! its connection pool and TLS context among the providers. Each caller keeps its own total
//! timeout, set on every request.

use std::sync::OnceLock;
use std::time::Duration;

/// A provider or gateway that does not accept a connection within this is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

fn shared() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .unwrap_or_default()
    })
}

/// Requests through the shared client, each with this caller's total timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outbound {
    timeout: Duration,
}

impl Outbound {
    pub(crate) const fn with_timeout(timeout: Duration) -> Outbound {
        Outbound { timeout }
    }

    pub(crate) fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        shared().get(url).timeout(self.timeout)
    }

    pub(crate) fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        shared().post(url).timeout(self.timeout)
    }
}
