//! A tenant's enterprise certification (v3 "Tenants": `createTenantEnterpriseCertification`,
//! `getTenantEnterpriseCertification`, `updateTenantEnterpriseCertification`,
//! `reviewTenantEnterpriseCertification`): the company's details and its legal
//! representative's identity, submitted for the pool's administrators to review.
//!
//! The state machine, decided here inside the unit of work that writes it:
//! no certification (`not_submit`) —submit→ `reviewing` —review→ `pass` or `-1` (refused,
//! with a reason); resubmitting (`update`) from any state puts it back to `reviewing` and
//! clears the reason; only a certification under review can be reviewed
//! ([`Error::CertificationNotUnderReview`]), so two reviewers racing cannot both decide, and
//! a second submission of the same tenant is a duplicate (resubmit instead).
//!
//! Security: the legal representative's national ID number, bank card number and the
//! phone the bank holds are sealed together at rest with AES-256-GCM under the deployment's
//! sealing key (`crypto::sealing`), bound to pool and tenant so a sealed value copied to
//! another row does not open; their `Debug` is masked, so they never reach a log or an audit
//! record (which names the tenant and field names only). Reads return them **masked** (the
//! ID's first 6 and last 4 characters, the card's last 4 digits, the phone's first 3 and last
//! 4): the reviewer checks a submission against the licence and the person's documents, and
//! the numbers were the submitter's to begin with, so the API never hands back whole
//! identity and bank numbers to whoever holds a management credential. Formats are checked:
//! an 18-character resident ID with its GB 11643 check character, a card of 12 to 19 digits,
//! an 18-character unified social credit code (GB 32100 alphabet), a phone of digits.

use super::audit::AuditEntry;
use super::Core;
use crate::clock;
use crate::crypto::sealing::SealingKey;
use crate::error::{Entity, Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::principal::PoolAdmin;
use crate::rules::china_ids::{credit_code_ok, mask, resident_id_ok};
use crate::rules::identifiers;
use crate::store::tenant_admins::{CertificationFields, StoredCertification};

/// Longest company name, registration name or representative's name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest business licence text (a URL of its image, or its number), in characters.
pub const MAX_LICENSE_CHARS: usize = 1024;
/// Longest review reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Where a certification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificationStatus {
    NotSubmitted,
    Reviewing,
    Passed,
    Refused,
}

impl CertificationStatus {
    /// The stored (and Authing's) name.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificationStatus::NotSubmitted => "not_submit",
            CertificationStatus::Reviewing => "reviewing",
            CertificationStatus::Passed => "pass",
            CertificationStatus::Refused => "-1",
        }
    }

    pub fn parse(s: &str) -> Option<CertificationStatus> {
        [
            CertificationStatus::NotSubmitted,
            CertificationStatus::Reviewing,
            CertificationStatus::Passed,
            CertificationStatus::Refused,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// What a submission carries. `Debug` masks the personal numbers.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CertificationForm {
    pub business_name: String,
    pub business_license: String,
    pub business_registration_name: String,
    pub unified_social_credit: String,
    pub legal_representative_name: String,
    pub national_id: String,
    pub bank_card: String,
    pub reserved_phone: String,
}

impl std::fmt::Debug for CertificationForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificationForm")
            .field("business_name", &self.business_name)
            .field("unified_social_credit", &self.unified_social_credit)
            .finish_non_exhaustive()
    }
}

/// A certification as read: the personal numbers masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub tenant_id: String,
    pub status: CertificationStatus,
    /// `None` while nothing was submitted.
    pub submitted: Option<SubmittedCertification>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedCertification {
    pub business_name: String,
    pub business_license: String,
    pub business_registration_name: String,
    pub unified_social_credit: String,
    pub legal_representative_name: String,
    pub national_id_masked: String,
    pub bank_card_masked: String,
    pub reserved_phone_masked: String,
    pub review_reason: Option<String>,
    pub updated_at: i64,
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Pass { reason: Option<String> },
    Refuse { reason: String },
}

/// The three personal numbers, as sealed together.
#[derive(serde::Serialize, serde::Deserialize)]
struct Personal {
    national_id: String,
    bank_card: String,
    reserved_phone: String,
}

fn row_aad(pool_id: &str, tenant_id: &str) -> Vec<u8> {
    format!("tessera-tenant-certification\0{pool_id}\0{tenant_id}").into_bytes()
}

/// A required text of at most `max` characters, without control characters.
fn text(field: &'static str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(Error::MissingParameter(field));
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Error::InvalidParameter(field));
    }
    identifiers::text(field, v)?;
    Ok(v.to_owned())
}

/// An 18-character resident ID number: 17 digits and a GB 11643 check character (a digit
/// or `X`).
fn national_id(v: &str) -> Result<String> {
    const FIELD: &str = "nationalIdentificationNumber";
    let v = v.trim().to_ascii_uppercase();
    if v.is_empty() {
        return Err(Error::MissingParameter(FIELD));
    }
    if !resident_id_ok(v.as_bytes()) {
        return Err(Error::InvalidParameter(FIELD));
    }
    Ok(v)
}

/// A bank card number: 12 to 19 digits.
fn bank_card(v: &str) -> Result<String> {
    const FIELD: &str = "personalBankCardNumber";
    let v = v.trim();
    if v.is_empty() {
        return Err(Error::MissingParameter(FIELD));
    }
    if !(12..=19).contains(&v.len()) || !v.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Error::InvalidParameter(FIELD));
    }
    Ok(v.to_owned())
}

/// The phone the bank holds: an optional `+` and 6 to 15 digits (E.164's length).
fn reserved_phone(v: &str) -> Result<String> {
    const FIELD: &str = "bankReservedPhone";
    let v = v.trim();
    if v.is_empty() {
        return Err(Error::MissingParameter(FIELD));
    }
    let digits = v.strip_prefix('+').unwrap_or(v);
    if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Error::InvalidParameter(FIELD));
    }
    Ok(v.to_owned())
}

/// An 18-character unified social credit code: GB 32100's alphabet (digits and capitals
/// without I, O, Z, S, V) and its check character.
fn credit_code(v: &str) -> Result<String> {
    const FIELD: &str = "unifiedSocialCredit";
    let v = v.trim().to_ascii_uppercase();
    if v.is_empty() {
        return Err(Error::MissingParameter(FIELD));
    }
    if !credit_code_ok(v.as_bytes()) {
        return Err(Error::InvalidParameter(FIELD));
    }
    Ok(v)
}

impl CertificationForm {
    /// Checks and normalises every field; the first bad one refuses the form.
    fn checked(self) -> Result<CertificationForm> {
        Ok(CertificationForm {
            business_name: text("businessName", &self.business_name, MAX_NAME_CHARS)?,
            business_license: text("businessLicense", &self.business_license, MAX_LICENSE_CHARS)?,
            business_registration_name: text(
                "businessRegistrationName",
                &self.business_registration_name,
                MAX_NAME_CHARS,
            )?,
            unified_social_credit: credit_code(&self.unified_social_credit)?,
            legal_representative_name: text(
                "legalRepresentativeName",
                &self.legal_representative_name,
                MAX_NAME_CHARS,
            )?,
            national_id: national_id(&self.national_id)?,
            bank_card: bank_card(&self.bank_card)?,
            reserved_phone: reserved_phone(&self.reserved_phone)?,
        })
    }

    fn sealed(
        &self,
        key: &SealingKey,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<CertificationFields> {
        let personal = Personal {
            national_id: self.national_id.clone(),
            bank_card: self.bank_card.clone(),
            reserved_phone: self.reserved_phone.clone(),
        };
        let plain = serde_json::to_vec(&personal).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(CertificationFields {
            business_name: self.business_name.clone(),
            business_license: self.business_license.clone(),
            business_registration_name: self.business_registration_name.clone(),
            unified_social_credit: self.unified_social_credit.clone(),
            legal_representative_name: self.legal_representative_name.clone(),
            sealed_personal: key.seal(&plain, &row_aad(pool_id, tenant_id))?,
        })
    }
}

fn opened(key: &SealingKey, row: StoredCertification) -> Result<Certification> {
    let plain = key.open(
        &row.fields.sealed_personal,
        &row_aad(&row.pool_id, &row.tenant_id),
    )?;
    let p: Personal = serde_json::from_slice(&plain)
        .map_err(|_| Error::Storage("sealed certification numbers are malformed".into()))?;
    let status = CertificationStatus::parse(&row.status)
        .ok_or_else(|| Error::Storage(format!("certification status {}", row.status)))?;
    Ok(Certification {
        tenant_id: row.tenant_id,
        status,
        submitted: Some(SubmittedCertification {
            business_name: row.fields.business_name,
            business_license: row.fields.business_license,
            business_registration_name: row.fields.business_registration_name,
            unified_social_credit: row.fields.unified_social_credit,
            legal_representative_name: row.fields.legal_representative_name,
            national_id_masked: mask(&p.national_id, 6, 4),
            bank_card_masked: mask(&p.bank_card, 0, 4),
            reserved_phone_masked: mask(&p.reserved_phone, 3, 4),
            review_reason: row.review_reason,
            updated_at: row.updated_at,
        }),
    })
}

fn audit(op: OperationType, tenant_id: &str) -> AuditEntry {
    AuditEntry::new(op, ResourceKind::Tenant)
        .target(tenant_id)
        .param("grant", "enterpriseCertification")
}

impl Core {
    fn certification_tenant(tenant_id: &str) -> Result<String> {
        let t = tenant_id.trim();
        if t.is_empty() {
            return Err(Error::MissingParameter("tenantId"));
        }
        identifiers::text("tenantId", t)?;
        Ok(t.to_owned())
    }

    /// `createTenantEnterpriseCertification`: the first submission of the tenant's
    /// certification, under review once made.
    pub async fn submit_tenant_certification(
        &self,
        admin: &PoolAdmin,
        tenant_id: &str,
        form: CertificationForm,
    ) -> Result<()> {
        self.write_certification(admin, tenant_id, form, false)
            .await
    }

    /// `updateTenantEnterpriseCertification`: a new submission replacing the tenant's
    /// certification, under review again whatever its state.
    pub async fn resubmit_tenant_certification(
        &self,
        admin: &PoolAdmin,
        tenant_id: &str,
        form: CertificationForm,
    ) -> Result<()> {
        self.write_certification(admin, tenant_id, form, true).await
    }

    async fn write_certification(
        &self,
        admin: &PoolAdmin,
        tenant_id: &str,
        form: CertificationForm,
        resubmit: bool,
    ) -> Result<()> {
        let tenant_id = Self::certification_tenant(tenant_id)?;
        let form = form.checked()?;
        let pool_id = admin.pool_id().to_owned();
        let fields = form.sealed(self.keys.sealing().await?, &pool_id, &tenant_id)?;
        let op = if resubmit {
            OperationType::Update
        } else {
            OperationType::Create
        };
        let entry = audit(op, &tenant_id).fields([
            "businessName",
            "businessLicense",
            "businessRegistrationName",
            "unifiedSocialCredit",
            "legalRepresentativeName",
            "nationalIdentificationNumber",
            "personalBankCardNumber",
            "bankReservedPhone",
        ]);
        let at = clock::now_ms();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                if tx.tenant(&pool_id, &tenant_id).await?.is_none() {
                    return Err(Error::NotFound(Entity::Tenant));
                }
                let exists = tx
                    .tenant_certification_status(&pool_id, &tenant_id)
                    .await?
                    .is_some();
                match (resubmit, exists) {
                    (false, true) => Err(Error::Duplicate(Entity::TenantCertification)),
                    (true, false) => Err(Error::NotFound(Entity::TenantCertification)),
                    (false, false) => {
                        tx.insert_tenant_certification(&StoredCertification {
                            pool_id: pool_id.clone(),
                            tenant_id: tenant_id.clone(),
                            fields,
                            status: CertificationStatus::Reviewing.as_str().to_owned(),
                            review_reason: None,
                            created_at: at,
                            updated_at: at,
                        })
                        .await
                    }
                    (true, true) => tx
                        .resubmit_tenant_certification(&pool_id, &tenant_id, &fields, at)
                        .await
                        .map(|_| ()),
                }
            })
        })
        .await
    }

    /// `reviewTenantEnterpriseCertification`: passes or refuses a certification under
    /// review. A refusal needs its reason.
    pub async fn review_tenant_certification(
        &self,
        admin: &PoolAdmin,
        tenant_id: &str,
        review: Review,
    ) -> Result<()> {
        let tenant_id = Self::certification_tenant(tenant_id)?;
        let (to, reason, op) = match review {
            Review::Pass { reason } => {
                let reason = match reason.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(r) => Some(text("reviewReason", r, MAX_REASON_CHARS)?),
                };
                (CertificationStatus::Passed, reason, OperationType::Approval)
            }
            Review::Refuse { reason } => (
                CertificationStatus::Refused,
                Some(text("reviewReason", &reason, MAX_REASON_CHARS)?),
                OperationType::Reject,
            ),
        };
        let pool_id = admin.pool_id().to_owned();
        let at = clock::now_ms();
        let entry = audit(op, &tenant_id).param("status", to.as_str());
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                if tx.tenant(&pool_id, &tenant_id).await?.is_none() {
                    return Err(Error::NotFound(Entity::Tenant));
                }
                let Some(status) = tx.tenant_certification_status(&pool_id, &tenant_id).await?
                else {
                    return Err(Error::NotFound(Entity::TenantCertification));
                };
                let reviewing = CertificationStatus::Reviewing.as_str();
                if status != reviewing {
                    return Err(Error::CertificationNotUnderReview);
                }
                // Compare-and-set on the status as well: the state machine holds even if a
                // write ever bypassed the pool's lock.
                if tx
                    .review_tenant_certification(
                        &pool_id,
                        &tenant_id,
                        reviewing,
                        to.as_str(),
                        reason.as_deref(),
                        at,
                    )
                    .await?
                {
                    Ok(())
                } else {
                    Err(Error::CertificationNotUnderReview)
                }
            })
        })
        .await
    }

    /// `getTenantEnterpriseCertification`: the tenant's certification, its personal numbers
    /// masked; `NotSubmitted` with nothing else when there is none.
    pub async fn tenant_certification(
        &self,
        admin: &PoolAdmin,
        tenant_id: &str,
    ) -> Result<Certification> {
        let tenant_id = Self::certification_tenant(tenant_id)?;
        let pool_id = admin.pool_id();
        if self.store.get_tenant(pool_id, &tenant_id).await?.is_none() {
            return Err(Error::NotFound(Entity::Tenant));
        }
        match self.store.tenant_certification(pool_id, &tenant_id).await? {
            Some(row) => opened(self.keys.sealing().await?, row),
            None => Ok(Certification {
                tenant_id,
                status: CertificationStatus::NotSubmitted,
                submitted: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_ids_need_their_check_character() {
        assert_eq!(
            national_id("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert!(national_id("110105194912310021").is_err());
        assert!(national_id("1101051949123100").is_err());
        assert!(national_id("A1010519491231002X").is_err());
        assert!(matches!(national_id(" "), Err(Error::MissingParameter(_))));
    }

    #[test]
    fn cards_phones_and_credit_codes_are_checked() {
        assert!(bank_card("6222021234567890123").is_ok());
        assert!(bank_card("6222 0212 3456").is_err());
        assert!(bank_card("12345678901").is_err());
        assert!(bank_card("62220212345678901234").is_err());
        assert!(reserved_phone("+8613800138000").is_ok());
        assert!(reserved_phone("138-0013").is_err());
        assert_eq!(
            credit_code("91350100m000100y43").unwrap(),
            "91350100M000100Y43"
        );
        assert!(credit_code("91350100O000100Y43").is_err());
        assert!(credit_code("9135").is_err());
    }

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask("11010519491231002X", 6, 4), "110105********002X");
        assert_eq!(mask("6222021234567890", 0, 4), "************7890");
        assert_eq!(mask("13800138000", 3, 4), "138****8000");
        assert_eq!(mask("abc", 3, 4), "***");
    }

    #[test]
    fn a_form_debug_shows_no_personal_number() {
        let f = CertificationForm {
            national_id: "11010519491231002X".into(),
            bank_card: "6222021234567890".into(),
            reserved_phone: "13800138000".into(),
            ..CertificationForm::default()
        };
        let shown = format!("{f:?}");
        assert!(!shown.contains("1101051949"));
        assert!(!shown.contains("6222021234"));
        assert!(!shown.contains("13800138000"));
    }
}
