//! Browser flows to an external OpenID Provider (`service::ext_oidc`): a flow is recorded
//! when a link URL is handed out, started once when the browser opens it, and spent once by
//! the provider's callback.

use async_trait::async_trait;

use crate::error::Result;

/// One flow. Tickets, states and the browser cookie are kept only as digests; the nonce and
/// PKCE verifier are needed in clear at the callback (neither is of use without the code
/// the browser alone receives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtOidcFlow {
    /// SHA-256 (hex) of the ticket in Tessera's start link.
    pub start_hash: String,
    pub pool_id: String,
    pub app_id: String,
    pub conn_id: String,
    /// The user the identity is linked to (a link), or none (a login).
    pub user_id: Option<String>,
    /// The parked authorization request a login completes.
    pub interaction_id: Option<String>,
    /// Where the browser goes once the flow succeeded (one of the application's redirect
    /// URIs).
    pub target_url: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

/// What starting a flow wrote: the authorization request's secrets and the browser binding.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtOidcStart {
    /// SHA-256 (hex) of the `state` sent upstream.
    pub state_hash: String,
    pub nonce: String,
    pub code_verifier: String,
    /// SHA-256 (hex) of the cookie that binds the browser.
    pub browser_hash: String,
}

impl std::fmt::Debug for ExtOidcStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtOidcStart").finish_non_exhaustive()
    }
}

/// A started flow as its callback reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedExtOidcFlow {
    pub flow: ExtOidcFlow,
    pub start: ExtOidcStart,
}

#[async_trait]
pub trait ExtOidcStore: Send + Sync {
    /// Records a flow not started yet.
    async fn put_ext_oidc_flow(&self, flow: &ExtOidcFlow) -> Result<()>;

    /// Starts the flow with this ticket digest if it is live at `now` and not started yet
    /// (compare-and-set: two openings of one link, one wins); the flow, or `None`.
    async fn start_ext_oidc_flow(
        &self,
        start_hash: &str,
        start: &ExtOidcStart,
        now: i64,
    ) -> Result<Option<ExtOidcFlow>>;

    /// The started flow whose state has this digest, expired or not.
    async fn ext_oidc_flow_by_state(&self, state_hash: &str) -> Result<Option<StartedExtOidcFlow>>;

    /// Deletes the flow whose state has this digest if it is still live at `now`; whether it
    /// was there. Two callbacks with one state: one gets true.
    async fn take_ext_oidc_flow(&self, state_hash: &str, now: i64) -> Result<bool>;
}
