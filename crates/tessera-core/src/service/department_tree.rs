//! `createDepartmentTree` (v3, "根据组织树批量创建部门，部门名称不存在时会自动创建"):
//! departments created by name where they are missing, and one member placed in them.
//!
//! The wire gives a `name`, `children` as strings and one `members` object, so Tessera reads
//! it as follows (the catalog says no more):
//! - `name` is the organization: the one whose root department carries that name, among the
//!   organizations of `tenantId` (or those of no tenant). None: an organization is created
//!   whose root has that name and that name as its code (v3 names organizations by code),
//!   which must be free. Two such organizations: the name is ambiguous and refused.
//! - each child is a path of department names below the root, `/` between levels
//!   (`研发/后端`); each level is the parent's child of that name, created when missing.
//! - `members`, when given, is a user named by its username, email or phone (all that are
//!   given must name the same user); missing, it is created with those identifiers (no
//!   password) and profile; found, the profile fields given that differ are written. The
//!   user becomes a member of the root department.
//!
//! The counts are what was written: departments added, users added or updated. An existing
//! department is never changed, so `updateDepartment` stays 0 (the field is kept for the
//! wire). Everything happens in one unit of work under the pool's lock, so a second identical
//! call finds what the first made and adds nothing, and a refusal writes nothing.

use super::directory::{checked, MAX_NAME_LEN};
use super::users::{CreatedBy, LoginId, NewUser};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::directory::{Node, Org};
use crate::model::{Profile, User};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::{ProfileField, UserChange, UserField, WriteTx};

use super::audit::AuditEntry;

/// Most child paths one call names, and most levels one path has.
pub const MAX_TREE_CHILDREN: usize = 100;
pub const MAX_TREE_DEPTH: usize = 16;

/// The request, as the façade read it.
#[derive(Debug, Clone, Default)]
pub struct DepartmentTree {
    pub name: String,
    pub children: Vec<String>,
    pub member: Option<TreeMember>,
    pub tenant_id: Option<String>,
}

/// The one member of a tree request (`UserInfoDto`).
#[derive(Debug, Clone, Default)]
pub struct TreeMember {
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    pub name: Option<String>,
    /// `M`, `F` or `U` (the façade checked the wire's enum).
    pub gender: Option<String>,
    pub country: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
}

impl TreeMember {
    /// The profile fields given, each checked.
    fn profile(&self) -> Result<Vec<(ProfileField, String)>> {
        let mut out = Vec::new();
        for (field, key, v) in [
            (ProfileField::Name, "name", &self.name),
            (ProfileField::Gender, "gender", &self.gender),
            (ProfileField::Country, "country", &self.country),
            (ProfileField::Province, "province", &self.province),
            (ProfileField::City, "city", &self.city),
        ] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                identifiers::text(key, v)?;
                out.push((field, v.to_owned()));
            }
        }
        Ok(out)
    }
}

/// What one call wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeCounts {
    pub added_users: u64,
    pub updated_users: u64,
    pub added_departments: u64,
    pub updated_departments: u64,
}

/// The member as decided before the unit of work: a user to create, or the id of the one
/// found with the profile change it needs.
enum Member {
    New(Box<User>),
    Found { id: String, change: UserChange },
}

/// A child path's levels, each a checked department name.
fn levels(path: &str) -> Result<Vec<String>> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() > MAX_TREE_DEPTH {
        return Err(Error::InvalidParameter("children"));
    }
    parts
        .into_iter()
        .map(|p| checked(p, "children", MAX_NAME_LEN))
        .collect()
}

impl Core {
    /// `createDepartmentTree`; see the module's comment for the meaning given to the wire.
    pub async fn create_department_tree(
        &self,
        admin: &PoolAdmin,
        req: DepartmentTree,
    ) -> Result<TreeCounts> {
        let pool_id = admin.pool_id().to_owned();
        let name = checked(&req.name, "name", MAX_NAME_LEN)?;
        // The name becomes a new organization's code when none is found: a name too long
        // for a code can only name an organization that exists.
        let code = checked(&req.name, "name", super::directory::MAX_CODE_LEN).ok();
        let tenant = req
            .tenant_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if req.children.len() > MAX_TREE_CHILDREN {
            return Err(Error::InvalidParameter("children"));
        }
        let paths: Vec<Vec<String>> = req
            .children
            .iter()
            .map(|c| levels(c))
            .collect::<Result<_>>()?;
        let member = match &req.member {
            Some(m) => Some(self.tree_member(admin, m).await?),
            None => None,
        };
        let entry = match &member {
            Some(Member::New(u)) => AuditEntry::new(OperationType::Create, ResourceKind::User)
                .opt_param("username", u.username.as_deref())
                .opt_param("email", u.email.as_deref())
                .opt_param("phone", u.phone.as_deref()),
            Some(Member::Found { id, .. }) => {
                AuditEntry::new(OperationType::Update, ResourceKind::User)
                    .target(id)
                    .param("fields", "departments")
            }
            None => AuditEntry::new(OperationType::Update, ResourceKind::UserPool)
                .param("fields", "departments"),
        };
        self.audited_write(admin, entry, move |tx| {
            Box::pin(
                async move { write_tree(tx, &pool_id, &name, code, tenant, &paths, member).await },
            )
        })
        .await
    }

    /// Finds the user a tree's member names, or builds the one to create.
    async fn tree_member(&self, admin: &PoolAdmin, m: &TreeMember) -> Result<Member> {
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (username, email, phone) = (blank(&m.username), blank(&m.email), blank(&m.phone));
        let mut ids: Vec<LoginId> = Vec::new();
        if let Some(u) = &username {
            ids.push(LoginId::Username(u.clone()));
        }
        if let Some(e) = &email {
            ids.push(LoginId::Email(e.clone()));
        }
        if let Some(p) = &phone {
            ids.push(LoginId::Phone {
                number: p.clone(),
                country_code: blank(&m.phone_country_code),
            });
        }
        if ids.is_empty() {
            return Err(Error::MissingParameter("members"));
        }
        let profile = m.profile()?;
        let mut found: Option<User> = None;
        for id in &ids {
            if let Some(u) = self.find_login_user(admin, id).await? {
                match &found {
                    // Two identifiers of two different users: which one is meant is unknown.
                    Some(f) if f.id != u.id => return Err(Error::InvalidParameter("members")),
                    _ => found = Some(u),
                }
            }
        }
        if let Some(user) = found {
            let mut change = UserChange::new();
            for (field, value) in profile {
                if field.get(&user.profile).as_deref() != Some(value.as_str()) {
                    change = change.set(UserField::Profile(field, Some(value)));
                }
            }
            return Ok(Member::Found {
                id: user.id,
                change,
            });
        }
        let mut p = Profile::default();
        for (field, value) in profile {
            match field {
                ProfileField::Name => p.name = Some(value),
                ProfileField::Gender => p.gender = Some(value),
                ProfileField::Country => p.country = Some(value),
                ProfileField::Province => p.province = Some(value),
                ProfileField::City => p.city = Some(value),
                _ => {}
            }
        }
        let new = NewUser {
            username,
            email,
            phone,
            phone_country_code: blank(&m.phone_country_code),
            profile: p,
            ..NewUser::default()
        };
        let user = self.build_user(admin, new, CreatedBy::Admin).await?;
        Ok(Member::New(Box::new(user)))
    }
}

/// The unit of work of [`Core::create_department_tree`].
async fn write_tree(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    name: &str,
    code: Option<String>,
    tenant: Option<String>,
    paths: &[Vec<String>],
    member: Option<Member>,
) -> Result<TreeCounts> {
    let mut counts = TreeCounts::default();
    let at = clock::now_ms();
    let roots = tx.org_roots(pool_id).await?;
    let mut named = roots
        .iter()
        .filter(|(n, t)| n.name == name && *t == tenant)
        .map(|(n, _)| n);
    let root_id = match (named.next(), named.next()) {
        (Some(_), Some(_)) => return Err(Error::InvalidParameter("name")),
        (Some(root), None) => root.id.clone(),
        (None, _) => {
            let code = code.ok_or(Error::InvalidParameter("name"))?;
            if roots
                .iter()
                .any(|(n, _)| n.code.as_deref() == Some(code.as_str()))
            {
                return Err(Error::Duplicate(Entity::OrgCode));
            }
            let org_id = ids::new_id();
            let root = new_node(pool_id, &org_id, None, name, Some(code), at);
            let org = Org {
                id: org_id,
                pool_id: pool_id.to_owned(),
                root_node_id: root.id.clone(),
                created_at: at,
                updated_at: at,
            };
            tx.insert_org_in_unit(&org, tenant.as_deref(), &root)
                .await?;
            counts.added_departments += 1;
            root.id
        }
    };
    let org_id = tx
        .node(pool_id, &root_id)
        .await?
        .ok_or(Error::NotFound(Entity::OrgNode))?
        .org_id;
    for path in paths {
        let mut parent = root_id.clone();
        for level in path {
            let existing = tx
                .child_nodes(pool_id, &parent)
                .await?
                .into_iter()
                .filter(|n| n.name == *level)
                // The oldest of same-named siblings is the one meant.
                .min_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            parent = match existing {
                Some(n) => n.id,
                None => {
                    let n = new_node(pool_id, &org_id, Some(parent), level, None, at);
                    tx.insert_node_in_unit(&n).await?;
                    counts.added_departments += 1;
                    n.id
                }
            };
        }
    }
    let user_id = match member {
        None => None,
        Some(Member::New(user)) => {
            tx.insert_user_in_unit(&user, &[]).await?;
            counts.added_users += 1;
            Some(user.id.clone())
        }
        Some(Member::Found { id, change }) => {
            // Found before the unit began: it must still be there (a delete in between).
            if !tx.user_exists(pool_id, &id).await? {
                return Err(Error::UserNotFound);
            }
            if !change.is_empty() {
                if !tx.change_user_in_unit(pool_id, &id, &change, at).await? {
                    return Err(Error::UserNotFound);
                }
                counts.updated_users += 1;
            }
            Some(id)
        }
    };
    if let Some(id) = user_id {
        // Joining the root may reach its roles: under the separation-of-duties rules.
        let held = super::sod::held_before(tx, pool_id, std::slice::from_ref(&id)).await?;
        tx.add_node_member(pool_id, &root_id, &id, at).await?;
        super::sod::verify(tx, pool_id, held).await?;
    }
    Ok(counts)
}

fn new_node(
    pool_id: &str,
    org_id: &str,
    parent_id: Option<String>,
    name: &str,
    code: Option<String>,
    at: i64,
) -> Node {
    Node {
        id: ids::new_id(),
        pool_id: pool_id.to_owned(),
        org_id: org_id.to_owned(),
        parent_id,
        name: name.to_owned(),
        name_i18n: None,
        description: None,
        description_i18n: None,
        code,
        order: 0,
        created_at: at,
        updated_at: at,
        enabled: true,
    }
}
