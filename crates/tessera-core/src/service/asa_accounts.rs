//! ASA ("account single sign-on", form filling) accounts: an application's accounts on a
//! third-party site — a username and password the user never sees, which an SSO portal
//! fills into the site's form — and who gets which account (`v3-wire.md` §4 "Applications":
//! `createAsaAccount` … `getAssignedAccount`).
//!
//! - An account belongs to one application of the administrator's pool; an application of
//!   another pool is [`Error::AppNotFound`], an account of another application or pool
//!   [`Error::NotFound`]. Any application may hold accounts: Tessera's applications store no
//!   protocol (the v3 façade answers every one as `oidc` and refuses `defaultProtocol: asa`),
//!   so requiring one would make the family unusable.
//! - Its information is an object of string fields (Authing's template fields, typically
//!   `{account, password}`), bounded by [`MAX_FIELDS`], [`MAX_KEY_CHARS`] and
//!   [`MAX_VALUE_CHARS`]. The whole object is sealed at rest with AES-256-GCM under the
//!   deployment's sealing key (`crypto::sealing`), bound to its pool, application and
//!   account: a rule "encrypt the fields named like a password" would miss a secret under
//!   any other name (`mima`, `密码`, `pin`), and nothing needs the other fields in the clear.
//!   It is opened only to answer the administrator's calls that return it, and its `Debug`
//!   shows field names only, so it cannot reach a log.
//! - An account is assigned to users (by id), roles (by code, default namespace), groups (by
//!   code) and departments (by node id); an unknown target refuses the whole call. A target
//!   holds at most one account per application (`getAssignedAccount` answers one):
//!   assigning another account to it moves it.
//! - [`Core::assigned_asa_account`] answers for a user: its own assignment, else one through
//!   its roles (held directly or through its groups and departments), else its groups, else
//!   its departments (ancestors included); within one of those levels the oldest assignment
//!   wins. For a role, group or department only its own assignment counts. (Authing's
//!   description says "directly assigned"; Tessera resolves a user through what he belongs
//!   to, which is what a portal filling the form for him needs.)
//! - Deleting an account deletes its assignments; deleting the application takes its
//!   accounts, and deleting a user, role, group or department its assignments
//!   (`service::cascade`).
//!
//! Every change is one audited unit of work that re-checks, under the pool's lock, that the
//! application, the account and the targets still exist.

use std::collections::BTreeMap;

use serde_json::Value;

use super::audit::AuditEntry;
use super::directory_admin::unique;
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::crypto::sealing::SealingKey;
use crate::error::{AccountInfoProblem, Entity, Error, Result};
use crate::ids;
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::directory::TargetType;
use crate::principal::PoolAdmin;
use crate::store::asa::{AsaAssignment, StoredAsaAccount};

/// At most this many fields in one account's information.
pub const MAX_FIELDS: usize = 20;
/// A field name has 1 to this many characters.
pub const MAX_KEY_CHARS: usize = 64;
/// A field value has at most this many characters.
pub const MAX_VALUE_CHARS: usize = 1024;
/// At most this many accounts in one batch create, read or delete (the OpenAPI's
/// `maxItems: 100`).
pub const MAX_BATCH: usize = 100;
/// At most this many target items in one assign or unassign (`maxItems: 10`), each naming
/// at most [`MAX_BATCH`] targets (`maxItems: 100`).
pub const MAX_TARGET_ITEMS: usize = 10;
/// The largest page of accounts or targets (the OpenAPI's "at most 50").
pub const MAX_PAGE: i64 = 50;

/// An account's information: field name → value. `Debug` shows the names only.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AccountInfo(pub BTreeMap<String, String>);

impl std::fmt::Debug for AccountInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl AccountInfo {
    /// Reads and bounds an `accountInfo` as the caller sent it.
    pub fn from_json(v: &Value) -> Result<AccountInfo> {
        let bad = |p| Err(Error::AsaAccountInfo(p));
        let Value::Object(map) = v else {
            return bad(AccountInfoProblem::NotAnObject);
        };
        if map.is_empty() {
            return bad(AccountInfoProblem::NoFields);
        }
        if map.len() > MAX_FIELDS {
            return bad(AccountInfoProblem::TooManyFields);
        }
        let mut out = BTreeMap::new();
        for (k, v) in map {
            if k.is_empty() || k.chars().count() > MAX_KEY_CHARS {
                return bad(AccountInfoProblem::KeyLength);
            }
            let Value::String(s) = v else {
                return bad(AccountInfoProblem::ValueNotString);
            };
            if s.chars().count() > MAX_VALUE_CHARS {
                return bad(AccountInfoProblem::ValueTooLong);
            }
            out.insert(k.clone(), s.clone());
        }
        Ok(AccountInfo(out))
    }

    /// As a JSON object, for the answer that returns it.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

/// An account, its information opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsaAccount {
    pub app_id: String,
    pub id: String,
    pub info: AccountInfo,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A target as the wire names it: a user or node id, a role or group code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsaTarget {
    pub target_type: TargetType,
    pub identifier: String,
}

/// The associated data binding a sealed value to its row.
fn row_aad(pool_id: &str, app_id: &str, account_id: &str) -> Vec<u8> {
    format!("tessera-asa-account\0{pool_id}\0{app_id}\0{account_id}").into_bytes()
}

fn seal(
    key: &SealingKey,
    pool_id: &str,
    app_id: &str,
    account_id: &str,
    info: &AccountInfo,
) -> Result<String> {
    let plain = serde_json::to_vec(&info.0).map_err(|e| Error::Internal(e.to_string()))?;
    key.seal(&plain, &row_aad(pool_id, app_id, account_id))
}

fn open(key: &SealingKey, row: StoredAsaAccount) -> Result<AsaAccount> {
    let plain = key.open(
        &row.sealed_info,
        &row_aad(&row.pool_id, &row.app_id, &row.id),
    )?;
    let info: BTreeMap<String, String> = serde_json::from_slice(&plain)
        .map_err(|_| Error::Storage("sealed ASA account information is not an object".into()))?;
    Ok(AsaAccount {
        app_id: row.app_id,
        id: row.id,
        info: AccountInfo(info),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Account ids as a batch names them: 1 to [`MAX_BATCH`], each once.
fn account_ids(ids: &[String]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Err(Error::MissingParameter("accountIds"));
    }
    if ids.len() > MAX_BATCH {
        return Err(Error::InvalidParameter("accountIds"));
    }
    let ids: Vec<String> = ids.iter().map(|i| i.trim().to_owned()).collect();
    if ids.iter().any(String::is_empty) {
        return Err(Error::InvalidParameter("accountIds"));
    }
    Ok(unique(&ids))
}

fn page_of(page: Page) -> Result<Page> {
    if page.limit > MAX_PAGE {
        return Err(Error::InvalidParameter("limit"));
    }
    Ok(page)
}

fn not_found() -> Error {
    Error::NotFound(Entity::AsaAccount)
}

/// The entry of an audited change of one application's ASA accounts (ids only).
fn audit(op: OperationType, app_id: &str, account_ids: &[String]) -> AuditEntry {
    AuditEntry::new(op, ResourceKind::Application)
        .target(app_id)
        .param("asaAccountIds", &account_ids.join(","))
}

impl Core {
    /// Refuses an application that is not the administrator's pool's.
    async fn asa_app(&self, admin: &PoolAdmin, app_id: &str) -> Result<String> {
        let app_id = app_id.trim();
        if app_id.is_empty() {
            return Err(Error::MissingParameter("appId"));
        }
        match self.store.get_app(app_id).await? {
            Some(app) if app.pool_id == admin.pool_id() => Ok(app.id),
            _ => Err(Error::AppNotFound),
        }
    }

    /// Creates one account.
    pub async fn create_asa_account(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        info: AccountInfo,
    ) -> Result<AsaAccount> {
        let mut made = self.create_asa_accounts(admin, app_id, vec![info]).await?;
        made.pop()
            .ok_or_else(|| Error::Internal("no account made".into()))
    }

    /// Creates 1 to [`MAX_BATCH`] accounts, all or none.
    pub async fn create_asa_accounts(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        infos: Vec<AccountInfo>,
    ) -> Result<Vec<AsaAccount>> {
        if infos.is_empty() {
            return Err(Error::MissingParameter("list"));
        }
        if infos.len() > MAX_BATCH {
            return Err(Error::InvalidParameter("list"));
        }
        let app_id = self.asa_app(admin, app_id).await?;
        let key = self.keys.sealing().await?;
        let pool_id = admin.pool_id().to_owned();
        let at = clock::now_ms();
        let mut rows = Vec::with_capacity(infos.len());
        let mut accounts = Vec::with_capacity(infos.len());
        for info in infos {
            let id = ids::new_id();
            rows.push(StoredAsaAccount {
                pool_id: pool_id.clone(),
                app_id: app_id.clone(),
                id: id.clone(),
                sealed_info: seal(key, &pool_id, &app_id, &id, &info)?,
                created_at: at,
                updated_at: at,
            });
            accounts.push(AsaAccount {
                app_id: app_id.clone(),
                id,
                info,
                created_at: at,
                updated_at: at,
            });
        }
        let made: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
        let entry = audit(OperationType::Create, &app_id, &made);
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                // Checked in the unit that writes, so an application deleted meanwhile
                // cannot be left with accounts.
                if !tx.app_exists(&pool_id, &app_id).await? {
                    return Err(Error::AppNotFound);
                }
                tx.insert_asa_accounts(&rows).await
            })
        })
        .await?;
        Ok(accounts)
    }

    /// Replaces an account's information (every field: what is not sent is gone).
    pub async fn update_asa_account(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        account_id: &str,
        info: AccountInfo,
    ) -> Result<AsaAccount> {
        let app_id = self.asa_app(admin, app_id).await?;
        let account_id = account_id.trim().to_owned();
        if account_id.is_empty() {
            return Err(Error::MissingParameter("accountId"));
        }
        let key = self.keys.sealing().await?;
        let pool_id = admin.pool_id().to_owned();
        let sealed = seal(key, &pool_id, &app_id, &account_id, &info)?;
        let at = clock::now_ms();
        let entry = audit(
            OperationType::Update,
            &app_id,
            std::slice::from_ref(&account_id),
        )
        .fields(info.0.keys().map(String::as_str));
        let (p, a, id) = (pool_id.clone(), app_id.clone(), account_id.clone());
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                if tx.update_asa_account(&p, &a, &id, &sealed, at).await? {
                    Ok(())
                } else {
                    Err(not_found())
                }
            })
        })
        .await?;
        self.asa_account(admin, &app_id, &account_id).await
    }

    /// One account, its information opened.
    pub async fn asa_account(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        account_id: &str,
    ) -> Result<AsaAccount> {
        let app_id = self.asa_app(admin, app_id).await?;
        let row = self
            .store
            .asa_account(admin.pool_id(), &app_id, account_id.trim())
            .await?
            .ok_or_else(not_found)?;
        open(self.keys.sealing().await?, row)
    }

    /// Several accounts, in the order named (each once); one unknown refuses the call.
    pub async fn asa_accounts_by_ids(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        ids: &[String],
    ) -> Result<Vec<AsaAccount>> {
        let ids = account_ids(ids)?;
        let app_id = self.asa_app(admin, app_id).await?;
        let mut rows = self
            .store
            .asa_accounts_by_ids(admin.pool_id(), &app_id, &ids)
            .await?;
        let key = self.keys.sealing().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            let i = rows
                .iter()
                .position(|r| &r.id == id)
                .ok_or_else(not_found)?;
            out.push(open(key, rows.swap_remove(i))?);
        }
        Ok(out)
    }

    /// One page (at most [`MAX_PAGE`]) of the application's accounts, oldest first.
    pub async fn asa_accounts_page(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<AsaAccount>> {
        let page = page_of(page)?;
        let app_id = self.asa_app(admin, app_id).await?;
        let rows = self
            .store
            .asa_accounts_page(admin.pool_id(), &app_id, page)
            .await?;
        let key = self.keys.sealing().await?;
        let mut list = Vec::with_capacity(rows.list.len());
        for r in rows.list {
            list.push(open(key, r)?);
        }
        Ok(Paged {
            total_count: rows.total_count,
            list,
        })
    }

    /// Deletes 1 to [`MAX_BATCH`] accounts with their assignments, all or none: one that is
    /// not the application's refuses the call.
    pub async fn delete_asa_accounts(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        ids: &[String],
    ) -> Result<()> {
        let ids = account_ids(ids)?;
        let app_id = self.asa_app(admin, app_id).await?;
        let pool_id = admin.pool_id().to_owned();
        let entry = audit(OperationType::Delete, &app_id, &ids);
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                if tx.count_asa_accounts(&pool_id, &app_id, &ids).await? != ids.len() as u64 {
                    return Err(not_found());
                }
                tx.delete_asa_accounts(&pool_id, &app_id, &ids).await
            })
        })
        .await
    }

    /// The ids of the targets the items name, each resolved in the pool; one unknown
    /// refuses the call.
    async fn asa_target_ids(
        &self,
        admin: &PoolAdmin,
        items: &[(TargetType, Vec<String>)],
    ) -> Result<Vec<(TargetType, Vec<String>)>> {
        if items.is_empty() {
            return Err(Error::MissingParameter("targets"));
        }
        if items.len() > MAX_TARGET_ITEMS {
            return Err(Error::InvalidParameter("targets"));
        }
        let mut out = Vec::with_capacity(items.len());
        for (t, identifiers) in items {
            if identifiers.len() > MAX_BATCH {
                return Err(Error::InvalidParameter("targetIdentifiers"));
            }
            let mut ids = Vec::with_capacity(identifiers.len());
            for i in unique(identifiers) {
                ids.push(self.target_id(admin, *t, &i, None).await?);
            }
            out.push((*t, unique(&ids)));
        }
        Ok(out)
    }

    /// Assigns the account to the targets (moving a target that held another account of
    /// the application), all or none.
    pub async fn assign_asa_account(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        account_id: &str,
        targets: &[(TargetType, Vec<String>)],
    ) -> Result<()> {
        self.change_asa_assignments(admin, app_id, account_id, targets, true)
            .await
    }

    /// Removes the account's assignments to the targets (a target holding another account
    /// keeps it); unknown targets refuse the call.
    pub async fn unassign_asa_account(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        account_id: &str,
        targets: &[(TargetType, Vec<String>)],
    ) -> Result<()> {
        self.change_asa_assignments(admin, app_id, account_id, targets, false)
            .await
    }

    async fn change_asa_assignments(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        account_id: &str,
        targets: &[(TargetType, Vec<String>)],
        assign: bool,
    ) -> Result<()> {
        let app_id = self.asa_app(admin, app_id).await?;
        let account_id = account_id.trim().to_owned();
        if account_id.is_empty() {
            return Err(Error::MissingParameter("accountId"));
        }
        let resolved = self.asa_target_ids(admin, targets).await?;
        let pool_id = admin.pool_id().to_owned();
        let at = clock::now_ms();
        let entry = audit(
            OperationType::Update,
            &app_id,
            std::slice::from_ref(&account_id),
        )
        .param("asaAssignment", if assign { "assign" } else { "unassign" });
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                let one = std::slice::from_ref(&account_id);
                if tx.count_asa_accounts(&pool_id, &app_id, one).await? != 1 {
                    return Err(not_found());
                }
                for (t, ids) in &resolved {
                    if assign {
                        // A target deleted since it was resolved must not get a row that
                        // nothing would ever delete.
                        for id in ids {
                            if !tx.asa_target_exists(&pool_id, *t, id).await? {
                                return Err(gone(*t));
                            }
                        }
                        tx.put_asa_assignments(&pool_id, &app_id, &account_id, *t, ids, at)
                            .await?;
                    } else {
                        tx.drop_asa_assignments(&pool_id, &app_id, &account_id, *t, ids)
                            .await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// One page (at most [`MAX_PAGE`]) of the targets the account is assigned to, oldest
    /// assignment first, named as the wire names them.
    pub async fn asa_account_targets(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        account_id: &str,
        page: Page,
    ) -> Result<Paged<AsaTarget>> {
        let page = page_of(page)?;
        let app_id = self.asa_app(admin, app_id).await?;
        let pool_id = admin.pool_id();
        let account_id = account_id.trim();
        if self
            .store
            .asa_account(pool_id, &app_id, account_id)
            .await?
            .is_none()
        {
            return Err(not_found());
        }
        let rows = self
            .store
            .asa_account_targets(pool_id, &app_id, account_id, page)
            .await?;
        let keys: Vec<(TargetType, String)> = rows
            .list
            .iter()
            .map(|r| (r.target_type, r.target_id.clone()))
            .collect();
        let names = self.target_identifiers(admin, &keys).await?;
        Ok(rows.map(|r| AsaTarget {
            identifier: names
                .get(&(r.target_type, r.target_id.clone()))
                .cloned()
                .unwrap_or(r.target_id),
            target_type: r.target_type,
        }))
    }

    /// The account a target gets in the application, if any (see the module's rule for a
    /// user). An unknown target is refused.
    pub async fn assigned_asa_account(
        &self,
        admin: &PoolAdmin,
        app_id: &str,
        target_type: TargetType,
        identifier: &str,
    ) -> Result<Option<AsaAccount>> {
        let app_id = self.asa_app(admin, app_id).await?;
        let pool_id = admin.pool_id();
        let target_id = self.target_id(admin, target_type, identifier, None).await?;
        // Levels in order of precedence; the first with an assignment answers.
        let levels: Vec<Vec<(TargetType, String)>> = if target_type == TargetType::User {
            let s = self
                .store
                .user_subjects(pool_id, &target_id)
                .await?
                .ok_or(Error::UserNotFound)?;
            let of = |t: TargetType, ids: &[String]| -> Vec<(TargetType, String)> {
                ids.iter().map(|i| (t, i.clone())).collect()
            };
            vec![
                vec![(TargetType::User, target_id.clone())],
                of(TargetType::Role, &s.role_ids),
                of(TargetType::Group, &s.group_ids),
                of(TargetType::OrgNode, &s.node_ids),
            ]
        } else {
            vec![vec![(target_type, target_id)]]
        };
        let all: Vec<(TargetType, String)> = levels.iter().flatten().cloned().collect();
        let found = self
            .store
            .asa_assignments_of(pool_id, &app_id, &all)
            .await?;
        let Some(chosen) = pick(&levels, &found) else {
            return Ok(None);
        };
        match self
            .store
            .asa_account(pool_id, &app_id, &chosen.account_id)
            .await?
        {
            Some(row) => Ok(Some(open(self.keys.sealing().await?, row)?)),
            // Deleted between the two reads: as if it had not been assigned.
            None => Ok(None),
        }
    }
}

/// The assignment that answers: the first level holding one, and in it the oldest
/// (ties by account id, so the answer is stable).
fn pick<'a>(
    levels: &[Vec<(TargetType, String)>],
    found: &'a [AsaAssignment],
) -> Option<&'a AsaAssignment> {
    levels.iter().find_map(|level| {
        found
            .iter()
            .filter(|a| {
                level
                    .iter()
                    .any(|(t, id)| *t == a.target_type && *id == a.target_id)
            })
            .min_by(|x, y| (x.created_at, &x.account_id).cmp(&(y.created_at, &y.account_id)))
    })
}

/// The refusal for a target that went away during the call.
fn gone(t: TargetType) -> Error {
    match t {
        TargetType::User => Error::UserNotFound,
        TargetType::Role => Error::NotFound(Entity::Role),
        TargetType::Group => Error::NotFound(Entity::Group),
        TargetType::OrgNode => Error::NotFound(Entity::OrgNode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn account_info_is_an_object_of_bounded_strings() {
        let ok = AccountInfo::from_json(&json!({"account": "a@x.com", "password": "p"})).unwrap();
        assert_eq!(ok.0.len(), 2);
        assert_eq!(format!("{ok:?}"), r#"{"account", "password"}"#);
        let problem = |v: Value| match AccountInfo::from_json(&v) {
            Err(Error::AsaAccountInfo(p)) => p,
            other => panic!("refusal expected, got {other:?}"),
        };
        assert_eq!(problem(json!("x")), AccountInfoProblem::NotAnObject);
        assert_eq!(problem(json!([1])), AccountInfoProblem::NotAnObject);
        assert_eq!(problem(json!({})), AccountInfoProblem::NoFields);
        assert_eq!(problem(json!({"a": 1})), AccountInfoProblem::ValueNotString);
        assert_eq!(
            problem(json!({"a": null})),
            AccountInfoProblem::ValueNotString
        );
        assert_eq!(problem(json!({"": "x"})), AccountInfoProblem::KeyLength);
        let long_key = "k".repeat(MAX_KEY_CHARS + 1);
        assert_eq!(
            problem(json!({ long_key: "x" })),
            AccountInfoProblem::KeyLength
        );
        let long_value = "v".repeat(MAX_VALUE_CHARS + 1);
        assert_eq!(
            problem(json!({ "a": long_value })),
            AccountInfoProblem::ValueTooLong
        );
        let many: serde_json::Map<String, Value> = (0..=MAX_FIELDS)
            .map(|i| (format!("f{i}"), json!("x")))
            .collect();
        assert_eq!(
            problem(Value::Object(many)),
            AccountInfoProblem::TooManyFields
        );
        // At the bounds exactly: accepted.
        let edge = json!({ "k".repeat(MAX_KEY_CHARS): "v".repeat(MAX_VALUE_CHARS) });
        assert!(AccountInfo::from_json(&edge).is_ok());
    }

    #[test]
    fn the_first_level_with_an_assignment_answers_oldest_first() {
        let a = |acc: &str, t: TargetType, id: &str, at: i64| AsaAssignment {
            account_id: acc.into(),
            target_type: t,
            target_id: id.into(),
            created_at: at,
        };
        let levels = vec![
            vec![(TargetType::User, "u".to_owned())],
            vec![
                (TargetType::Role, "r1".to_owned()),
                (TargetType::Role, "r2".to_owned()),
            ],
            vec![(TargetType::Group, "g".to_owned())],
        ];
        let found = vec![
            a("via-group", TargetType::Group, "g", 1),
            a("via-r2", TargetType::Role, "r2", 5),
            a("via-r1", TargetType::Role, "r1", 7),
        ];
        assert_eq!(pick(&levels, &found).unwrap().account_id, "via-r2");
        let mut with_user = found.clone();
        with_user.push(a("own", TargetType::User, "u", 9));
        assert_eq!(pick(&levels, &with_user).unwrap().account_id, "own");
        assert!(pick(&levels, &[]).is_none());
    }
}
