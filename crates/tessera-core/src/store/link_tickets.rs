//! Account-linking tickets (`service::wechat_mobile`): a login whose external identity is
//! linked to no user stops with one, and a later request spends it to link the identity.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::User;

/// A login stopped because its identity is linked to no user. The ticket the client holds
/// is stored only as its digest; the row is used up by the request that links, or expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTicket {
    /// SHA-256 (hex) of the ticket.
    pub ticket_hash: String,
    pub pool_id: String,
    /// The application the login is for.
    pub app_id: Option<String>,
    /// The connection the identity came through.
    pub conn_id: String,
    /// The person's id at the provider for that connection (WeChat's openid).
    pub subject: String,
    /// The id across the provider's apps (WeChat's unionid), when it gave one.
    pub unionid: Option<String>,
    /// The provider's profile, for a user registered from the ticket.
    pub nickname: Option<String>,
    pub photo: Option<String>,
    /// Users the provider's answer itself names (their profile's unionid): the only ones
    /// that may be picked without another proof.
    pub candidates: Vec<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

#[async_trait]
pub trait LinkTicketsStore: Send + Sync {
    /// Records a ticket.
    async fn put_link_ticket(&self, t: &LinkTicket) -> Result<()>;

    /// The pool's ticket with this digest, expired or not.
    async fn link_ticket(&self, pool_id: &str, ticket_hash: &str) -> Result<Option<LinkTicket>>;

    /// Deletes the pool's ticket with this digest if it is still live at `now`; whether it
    /// was there. Two requests with one ticket: one gets true.
    async fn take_link_ticket(&self, pool_id: &str, ticket_hash: &str, now: i64) -> Result<bool>;

    /// The pool's users (not archived) whose profile's `unionid` is `unionid`, at most
    /// `limit`, oldest first.
    async fn users_with_unionid(
        &self,
        pool_id: &str,
        unionid: &str,
        limit: u32,
    ) -> Result<Vec<User>>;
}
