//! The pool's logs: what administrators did (the admin audit log) and what users did to
//! their own accounts (the user action log). Records, not state: nothing reads them to decide
//! anything, and they outlive what they name (a deleted user's deletion stays recorded).
//!
//! The names below are how the store keeps each kind; a façade maps its own words onto the
//! enums.

use std::collections::BTreeMap;

use crate::principal::AdminProof;

/// An enum with a fixed stored name per variant, read back by [`parse`](OperationType::parse).
/// One table per enum, so the two directions cannot drift apart.
macro_rules! stored_names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

stored_names! {
    /// What an administrator did.
    OperationType {
        Create => "create",
        Update => "update",
        Delete => "delete",
        /// Blocked a user (or otherwise switched something off).
        Disable => "disable",
        /// Unblocked a user.
        Enable => "enable",
        /// Replaced a secret (an application's or the pool's).
        Refresh => "refresh",
        /// Approved something submitted for review (a tenant's enterprise certification).
        Approval => "approval",
        /// Refused something submitted for review.
        Reject => "reject",
        /// Read out a secret-bearing value for use elsewhere: users' password hashes
        /// exported for a migration (`getUserPasswordCiphertext`).
        Export => "export",
    }
}

stored_names! {
    /// What an administrator's change was about.
    ResourceKind {
        User => "user",
        /// The pool itself: its settings, name, domain, secret.
        UserPool => "userpool",
        Role => "role",
        Group => "group",
        Application => "application",
        /// A tenant: its administrators, its enterprise certification.
        Tenant => "tenant",
        /// A cooperator (协作管理员) and the policies it holds.
        Cooperator => "cooperator",
        /// An administrator role (`createAdminRole`, `deleteAdminRolesBatch`).
        AdminRole => "admin-role",
    }
}

stored_names! {
    /// What a user did, as the user action log lists it.
    UserEvent {
        Login => "login",
        Logout => "logout",
        Register => "register",
        /// A new password set by the user: `updatePassword`, or a reset by code or by a
        /// first-login token.
        PasswordChange => "password-change",
        /// A passkey (WebAuthn credential) registered by the user.
        PasskeyRegister => "passkey-register",
        /// A passkey sign-in refused because the credential's signature counter went
        /// backwards: the authenticator may have been cloned (WebAuthn §6.1.1).
        PasskeyCloneSuspected => "passkey-clone-suspected",
    }
}

/// How the administrator proved itself, as stored. Exhaustive on purpose: a new kind of
/// proof does not compile until it has a stored name.
pub fn proof_name(proof: AdminProof) -> &'static str {
    match proof {
        AdminProof::PoolSecret => "pool-secret",
        AdminProof::ManagementToken => "management-token",
        AdminProof::Operator => "operator",
        AdminProof::AccessKey => "access-key",
        AdminProof::Provisioning => "provisioning",
    }
}

/// The proof a stored name stands for. (A new kind of proof joins this list too.)
pub fn proof_from_name(name: &str) -> Option<AdminProof> {
    [
        AdminProof::PoolSecret,
        AdminProof::ManagementToken,
        AdminProof::Operator,
        AdminProof::AccessKey,
        AdminProof::Provisioning,
    ]
    .into_iter()
    .find(|p| proof_name(*p) == name)
}

/// One administrator's change, as the admin audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub pool_id: String,
    /// Who: the proof the administrator presented.
    pub proof: AdminProof,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub operation: OperationType,
    pub resource: ResourceKind,
    /// The ids of what the change was about (empty when a refused create made nothing).
    pub target_ids: Vec<String>,
    /// A summary of the request: identifiers and the names of changed fields, never a
    /// password, code, secret or token (see `service::audit::AuditEntry::param`).
    pub params: BTreeMap<String, String>,
    /// Whether the change was made. A refused change is recorded with `false`.
    pub success: bool,
    /// ms since the epoch.
    pub at: i64,
}

/// One thing a user did, as the user action log lists it. Logins come from the login
/// history; the other events are recorded where they happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAction {
    pub id: String,
    pub pool_id: String,
    pub user_id: String,
    pub app_id: Option<String>,
    pub event: UserEvent,
    pub success: bool,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// ms since the epoch.
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_reads_back_as_its_variant() {
        for op in OperationType::ALL {
            assert_eq!(OperationType::parse(op.as_str()), Some(*op));
        }
        for r in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(r.as_str()), Some(*r));
        }
        for e in UserEvent::ALL {
            assert_eq!(UserEvent::parse(e.as_str()), Some(*e));
        }
        for p in [
            AdminProof::PoolSecret,
            AdminProof::ManagementToken,
            AdminProof::Operator,
            AdminProof::AccessKey,
            AdminProof::Provisioning,
        ] {
            assert_eq!(proof_from_name(proof_name(p)), Some(p));
        }
        assert_eq!(OperationType::parse("all"), None);
        assert_eq!(proof_from_name(""), None);
    }
}
