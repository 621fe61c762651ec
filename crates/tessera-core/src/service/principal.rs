//! Real-name (principal) authentication of a user: binding a person (`P`: a name and an
//! 18-character resident ID number) or an enterprise (`E`: a name and an 18-character
//! unified social credit code) to a user, once an outside provider verified them
//! (v2 `principal.authenticate`/`detail`, `mc.principal`; v3
//! `getUserPrincipalAuthenticationInfo`, `resetUserPrincipalAuthenticationInfo`).
//!
//! Tessera cannot ask a government registry itself: the deployment's provider
//! (`--principal-verify-url`, reached through the [`Notifier`](crate::notify::Notifier))
//! answers `{verified, reason?}`. Without one, every authentication is refused
//! ([`PrincipalProblem::NotConfigured`]) and nothing is stored or counted.
//!
//! Rules, decided here:
//! - the number is checked before the provider is asked: a resident ID's GB 11643 check
//!   character, a credit code's GB 32100 one; a malformed number costs no attempt;
//! - one record per user, written only when the provider verified it. A user who has one
//!   cannot authenticate again ([`PrincipalProblem::AlreadyAuthenticated`]) until an
//!   administrator resets it (v3 reset) or replaces it (v2 `mc.principal.authenticate`,
//!   which also goes through the provider: an administrator states who the user is, the
//!   provider still has to agree);
//! - every question to the provider is an attempt counted in `rate_events` per user, at most
//!   [`DAILY_ATTEMPTS`] in 24 hours, whoever asks (the user or an administrator): without
//!   the bound, Tessera would be an oracle for testing names against ID numbers at the
//!   provider's expense. The attempt is counted before the provider is asked, and counted
//!   again after it is recorded, so concurrent attempts cannot all slip under the bound.
//!
//! Security: the number is sealed at rest with AES-256-GCM (`crypto::sealing`), bound to
//! pool and user so a sealed value copied to another row does not open. Reads return it
//! masked, its first 6 and last 4 characters: enough for the user or a support
//! administrator to tell which number was verified (region code, check character), while a
//! stolen user token or a management credential never yields a whole identity number, and
//! the birth date inside a resident ID stays hidden. The extra field (a person's bank card,
//! an enterprise's legal representative) goes to the provider only and is never stored.
//! `Debug` of a form shows no number.

use super::audit::AuditEntry;
use super::Core;
use crate::clock;
use crate::error::{Error, PrincipalProblem, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::UserPool;
use crate::notify::PrincipalCheck;
use crate::principal::PoolAdmin;
use crate::rules::china_ids::{credit_code_ok, mask, resident_id_ok};
use crate::rules::identifiers;
use crate::service::account::Session;
use crate::store::principal::StoredPrincipal;
use crate::store::UserLookup;

/// Provider questions per user in [`ATTEMPT_WINDOW_SECS`].
pub const DAILY_ATTEMPTS: i64 = 5;
pub const ATTEMPT_WINDOW_SECS: i64 = 24 * 3600;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest extra field, in characters.
pub const MAX_EXT_CHARS: usize = 100;

const ATTEMPT: &str = "principal-attempt";

/// A person or an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Person,
    Enterprise,
}

impl PrincipalKind {
    /// The stored (and Authing's) letter.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Person => "P",
            PrincipalKind::Enterprise => "E",
        }
    }

    pub fn parse(s: &str) -> Option<PrincipalKind> {
        match s {
            "P" => Some(PrincipalKind::Person),
            "E" => Some(PrincipalKind::Enterprise),
            _ => None,
        }
    }
}

/// What an authentication carries. `Debug` shows neither the number nor the extra field.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PrincipalForm {
    /// `P` or `E`, as given.
    pub kind: String,
    pub name: String,
    /// The resident ID number or unified social credit code.
    pub code: String,
    pub ext: Option<String>,
}

impl std::fmt::Debug for PrincipalForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalForm")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A user's verified principal as read: the number masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    pub pool_id: String,
    pub user_id: String,
    pub kind: PrincipalKind,
    pub name: String,
    pub code_masked: String,
    pub authenticated_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A checked form.
struct Checked {
    kind: PrincipalKind,
    name: String,
    code: String,
    ext: Option<String>,
}

fn bounded(field: &'static str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Error::InvalidParameter(field));
    }
    identifiers::text(field, v)?;
    Ok(v.to_owned())
}

impl PrincipalForm {
    /// Checks and normalises every field; the first bad one refuses the form.
    fn checked(self) -> Result<Checked> {
        let kind = match self.kind.trim() {
            "" => return Err(Error::MissingParameter("type")),
            k => PrincipalKind::parse(k).ok_or(Error::InvalidParameter("type"))?,
        };
        let name = bounded("name", &self.name, MAX_NAME_CHARS)?;
        if name.is_empty() {
            return Err(Error::MissingParameter("name"));
        }
        let code = self.code.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(Error::MissingParameter("idCard"));
        }
        let ok = match kind {
            PrincipalKind::Person => resident_id_ok(code.as_bytes()),
            PrincipalKind::Enterprise => credit_code_ok(code.as_bytes()),
        };
        if !ok {
            return Err(Error::InvalidParameter("idCard"));
        }
        let ext = match self.ext.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(bounded("ext", e, MAX_EXT_CHARS)?),
        };
        Ok(Checked {
            kind,
            name,
            code,
            ext,
        })
    }
}

fn row_aad(pool_id: &str, user_id: &str) -> Vec<u8> {
    format!("tessera-principal-authentication\0{pool_id}\0{user_id}").into_bytes()
}

fn audit_entry(op: OperationType, user_id: &str) -> AuditEntry {
    AuditEntry::new(op, ResourceKind::User)
        .target(user_id)
        .param("grant", "principalAuthentication")
}

impl Core {
    fn opened_principal(
        &self,
        key: &crate::crypto::sealing::SealingKey,
        row: StoredPrincipal,
    ) -> Result<PrincipalInfo> {
        let code = key.open(&row.sealed_code, &row_aad(&row.pool_id, &row.user_id))?;
        let code = String::from_utf8(code)
            .map_err(|_| Error::Storage("sealed principal code is malformed".into()))?;
        let kind = PrincipalKind::parse(&row.principal_type)
            .ok_or_else(|| Error::Storage(format!("principal type {}", row.principal_type)))?;
        Ok(PrincipalInfo {
            pool_id: row.pool_id,
            user_id: row.user_id,
            kind,
            name: row.principal_name,
            code_masked: mask(&code, 6, 4),
            authenticated_at: row.authenticated_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    async fn read_principal(&self, pool_id: &str, user_id: &str) -> Result<Option<PrincipalInfo>> {
        match self
            .store
            .principal_authentication(pool_id, user_id)
            .await?
        {
            Some(row) => Ok(Some(
                self.opened_principal(self.keys.sealing().await?, row)?,
            )),
            None => Ok(None),
        }
    }

    async fn principal_user(&self, pool: &UserPool, user_id: &str) -> Result<String> {
        let id = user_id.trim();
        if id.is_empty() {
            return Err(Error::MissingParameter("userId"));
        }
        identifiers::text("userId", id)?;
        self.store
            .find_user(&pool.id, UserLookup::Id(id))
            .await?
            .map(|u| u.id)
            .ok_or(Error::UserNotFound)
    }

    /// Takes one of the user's attempts of the day, or refuses when they are spent.
    async fn take_principal_attempt(&self, pool_id: &str, user_id: &str) -> Result<()> {
        let since = clock::now_ms() - ATTEMPT_WINDOW_SECS * 1000;
        let spent = || async {
            self.store
                .count_rate_events(pool_id, ATTEMPT, user_id, since)
                .await
        };
        // Counted before (a spent budget adds nothing, so hammering does not extend it)
        // and after recording (two racing attempts at the last place cannot both pass).
        if spent().await? >= DAILY_ATTEMPTS {
            return Err(Error::Principal(PrincipalProblem::TooManyAttempts));
        }
        self.store
            .add_rate_event(pool_id, ATTEMPT, user_id, clock::now_ms())
            .await?;
        if spent().await? > DAILY_ATTEMPTS {
            return Err(Error::Principal(PrincipalProblem::TooManyAttempts));
        }
        Ok(())
    }

    /// Checks the form, spends an attempt, asks the provider: the number, sealed for the
    /// user's row, once verified.
    async fn verified_principal(
        &self,
        pool_id: &str,
        user_id: &str,
        form: PrincipalForm,
    ) -> Result<StoredPrincipal> {
        let c = form.checked()?;
        if !self.notifier.principal_verification_configured() {
            return Err(Error::Principal(PrincipalProblem::NotConfigured));
        }
        self.take_principal_attempt(pool_id, user_id).await?;
        let verdict = self
            .notifier
            .verify_principal(&PrincipalCheck {
                pool_id: pool_id.to_owned(),
                kind: c.kind.as_str().to_owned(),
                name: c.name.clone(),
                code: c.code.clone(),
                ext: c.ext,
            })
            .await?;
        if !verdict.verified {
            tracing::info!(
                pool_id,
                user_id,
                reason = verdict.reason.as_deref().unwrap_or(""),
                "principal authentication not verified by the provider"
            );
            return Err(Error::Principal(PrincipalProblem::NotVerified));
        }
        let at = clock::now_ms();
        Ok(StoredPrincipal {
            pool_id: pool_id.to_owned(),
            user_id: user_id.to_owned(),
            principal_type: c.kind.as_str().to_owned(),
            principal_name: c.name,
            sealed_code: self
                .keys
                .sealing()
                .await?
                .seal(c.code.as_bytes(), &row_aad(pool_id, user_id))?,
            authenticated_at: at,
            created_at: at,
            updated_at: at,
        })
    }

    /// `principal.authenticate`: the logged-in user's own real-name authentication, refused
    /// when the user already has one.
    pub async fn authenticate_principal(
        &self,
        session: &Session,
        form: PrincipalForm,
    ) -> Result<PrincipalInfo> {
        let pool_id = session.pool().id.clone();
        let user_id = session.user().id.clone();
        // Before the provider is asked: a verified user spends no attempt.
        if self
            .store
            .principal_authentication(&pool_id, &user_id)
            .await?
            .is_some()
        {
            return Err(Error::Principal(PrincipalProblem::AlreadyAuthenticated));
        }
        let row = self.verified_principal(&pool_id, &user_id, form).await?;
        let stored = row.clone();
        self.pool_write(&pool_id, move |tx| {
            Box::pin(async move {
                // Decided again under the pool's lock: of two racing verifications, one
                // is stored.
                if tx
                    .has_principal_authentication(&stored.pool_id, &stored.user_id)
                    .await?
                {
                    return Err(Error::Principal(PrincipalProblem::AlreadyAuthenticated));
                }
                tx.put_principal_authentication(&stored).await
            })
        })
        .await?;
        self.opened_principal(self.keys.sealing().await?, row)
    }

    /// `principal.detail`: the logged-in user's verified principal, if any.
    pub async fn own_principal(&self, session: &Session) -> Result<Option<PrincipalInfo>> {
        self.read_principal(&session.pool().id, &session.user().id)
            .await
    }

    /// `mc.principal.detail`, `getUserPrincipalAuthenticationInfo`: a user's verified
    /// principal, if any.
    pub async fn user_principal(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
    ) -> Result<Option<PrincipalInfo>> {
        let user_id = self.principal_user(admin.pool(), user_id).await?;
        self.read_principal(admin.pool_id(), &user_id).await
    }

    /// `mc.principal.authenticate`: an administrator authenticates a user, replacing what
    /// the user had; the provider still decides.
    pub async fn admin_authenticate_principal(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
        form: PrincipalForm,
    ) -> Result<PrincipalInfo> {
        let user_id = self.principal_user(admin.pool(), user_id).await?;
        let pool_id = admin.pool_id().to_owned();
        let entry = audit_entry(OperationType::Update, &user_id).fields(["type", "name", "idCard"]);
        let row = match self.verified_principal(&pool_id, &user_id, form).await {
            Ok(row) => row,
            // A refusal for the form's shape is not a change; the provider's is recorded.
            Err(e @ (Error::MissingParameter(_) | Error::InvalidParameter(_))) => return Err(e),
            Err(e) => {
                let recorded: Result<()> = self.audit(admin, entry, Err(e)).await;
                return Err(recorded
                    .err()
                    .unwrap_or_else(|| Error::Internal("a refusal was recorded as done".into())));
            }
        };
        let stored = row.clone();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move { tx.put_principal_authentication(&stored).await })
        })
        .await?;
        self.opened_principal(self.keys.sealing().await?, row)
    }

    /// `resetUserPrincipalAuthenticationInfo`: forgets a user's verified principal so the user
    /// can authenticate again; whether there was one.
    pub async fn reset_principal(&self, admin: &PoolAdmin, user_id: &str) -> Result<bool> {
        let user_id = self.principal_user(admin.pool(), user_id).await?;
        let pool_id = admin.pool_id().to_owned();
        let entry = audit_entry(OperationType::Delete, &user_id);
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move { tx.delete_principal_authentication(&pool_id, &user_id).await })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, code: &str) -> PrincipalForm {
        PrincipalForm {
            kind: kind.into(),
            name: "张三".into(),
            code: code.into(),
            ext: None,
        }
    }

    #[test]
    fn resident_ids_need_their_gb11643_check_character() {
        assert!(resident_id_ok(b"11010519491231002X"));
        assert!(!resident_id_ok(b"110105194912310021"));
        assert!(!resident_id_ok(b"1101051949123100"));
        assert!(!resident_id_ok(b"A1010519491231002X"));
        assert_eq!(
            form("P", " 11010519491231002x ").checked().unwrap().code,
            "11010519491231002X"
        );
    }

    #[test]
    fn credit_codes_need_their_gb32100_check_character() {
        assert!(credit_code_ok(b"91350100M000100Y43"));
        assert!(credit_code_ok(b"91110000802100433B"));
        assert!(!credit_code_ok(b"91350100M000100Y44"));
        // I, O, S, V, Z are not in the alphabet.
        assert!(!credit_code_ok(b"91350100O000100Y43"));
        assert!(!credit_code_ok(b"9135"));
        // A person's number is not an enterprise's, nor the reverse.
        assert!(form("E", "11010519491231002X").checked().is_err());
        assert!(form("P", "91350100M000100Y43").checked().is_err());
    }

    #[test]
    fn forms_are_bounded_and_typed() {
        assert!(matches!(
            form("", "11010519491231002X").checked(),
            Err(Error::MissingParameter("type"))
        ));
        assert!(matches!(
            form("X", "11010519491231002X").checked(),
            Err(Error::InvalidParameter("type"))
        ));
        let mut long = form("P", "11010519491231002X");
        long.name = "名".repeat(MAX_NAME_CHARS + 1);
        assert!(matches!(
            long.checked(),
            Err(Error::InvalidParameter("name"))
        ));
        let mut ext = form("P", "11010519491231002X");
        ext.ext = Some("x".repeat(MAX_EXT_CHARS + 1));
        assert!(matches!(ext.checked(), Err(Error::InvalidParameter("ext"))));
    }

    #[test]
    fn masks_and_debug_show_no_whole_number() {
        assert_eq!(mask("11010519491231002X", 6, 4), "110105********002X");
        assert_eq!(mask("91350100M000100Y43", 6, 4), "913501********0Y43");
        let mut f = form("P", "11010519491231002X");
        f.ext = Some("6222021234567890".into());
        let shown = format!("{f:?}");
        assert!(!shown.contains("1101051949") && !shown.contains("6222021234"));
    }
}
