//! v3 `userFieldDecrypt` for a pool administrator: a batch of contents opened with the
//! private key sent (`crypto/field_decrypt.rs`), all or none. It reads and writes nothing
//! stored; the work (a key parse, up to [`MAX_FIELD_BATCH`] private-key operations) runs on
//! a blocking thread within the hashing slots, and neither key nor content is logged.

use super::Core;
use crate::crypto::field_decrypt::FieldKey;
use crate::error::{Error, Result};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;

/// Most contents one call opens.
pub const MAX_FIELD_BATCH: usize = 50;

/// One content to open, with the names the caller gave it (echoed back as given).
#[derive(Debug, Clone)]
pub struct EncryptedField {
    pub user_id: Option<String>,
    pub field_name: Option<String>,
    pub content: String,
}

/// One opened content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedField {
    pub user_id: Option<String>,
    pub field_name: Option<String>,
    pub content: String,
}

impl Core {
    /// Opens every content with `private_key`, or refuses the whole call when one does not
    /// open (the caller learns which parameter, not which item).
    pub async fn decrypt_user_fields(
        &self,
        _admin: &PoolAdmin,
        fields: Vec<EncryptedField>,
        private_key: String,
    ) -> Result<Vec<DecryptedField>> {
        if fields.is_empty() {
            return Err(Error::MissingParameter("data"));
        }
        if fields.len() > MAX_FIELD_BATCH {
            return Err(Error::InvalidParameter("data"));
        }
        for f in &fields {
            if let Some(u) = &f.user_id {
                identifiers::text("userId", u)?;
            }
            if let Some(n) = &f.field_name {
                identifiers::text("fieldName", n)?;
            }
        }
        self.hashing(move || {
            let key = FieldKey::parse(&private_key)?;
            fields
                .into_iter()
                .map(|f| {
                    Ok(DecryptedField {
                        content: key.decrypt(&f.content)?,
                        user_id: f.user_id,
                        field_name: f.field_name,
                    })
                })
                .collect()
        })
        .await
    }
}
