//! Inbound provisioning (上下游同步): connections through which an upstream directory (Okta,
//! Entra ID, Lark…) provisions a pool, and the sync relations that link an upstream
//! object to the pool's user or department it became (`service::provisioning`).

/// What a sync relation links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncKind {
    User,
    Department,
}

impl SyncKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::User => "user",
            SyncKind::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<SyncKind> {
        match s {
            "user" => Some(SyncKind::User),
            "department" => Some(SyncKind::Department),
            _ => None,
        }
    }
}

/// A provisioning connection of a pool. Its bearer token is never stored, only its
/// SHA-256 digest (the token has 256 random bits, so no salt or slow hash is needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningConnection {
    pub id: String,
    pub pool_id: String,
    /// Lowercase `[a-z0-9_-]{1,32}`: the provider name its sync relations carry.
    pub provider: String,
    /// The organization whose departments the upstream groups become, if any.
    pub org_id: Option<String>,
    pub created_at: i64,
}

/// `(pool, kind, provider, external id) → target`: unique both ways within a pool, kind and
/// provider (one upstream object is one pool object and back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRelation {
    pub pool_id: String,
    pub kind: SyncKind,
    pub provider: String,
    /// The object's id in the upstream directory (`userIdInIdp`).
    pub external_id: String,
    /// The user's or department's id in the pool.
    pub target_id: String,
    pub created_at: i64,
}
