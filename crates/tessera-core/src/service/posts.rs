//! Posts (job positions) of a pool, for the management API: create, update and remove by
//! code, lists and lookups, and which posts users hold and departments offer.
//!
//! Every write runs in one unit of work (`Core::pool_write`) that checks every id it links
//! (a department must be an org node of the pool, a user a user of the pool, a post a post
//! of the pool) before writing, so a refused call writes nothing. Ids and codes of another
//! pool are answered as absent.

use super::directory::{check_code, checked, description, MAX_NAME_LEN};
use super::directory_admin::unique;
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::post::{Post, PostDetail, PostLink, PostSummary};
use crate::principal::PoolAdmin;
use crate::store::posts::{PostFields, PostQuery};
use crate::store::{UserLookup, WriteTx};

/// The most ids or codes one call may name (departments of a post, posts of a user, posts
/// looked up or filtered by). Each list becomes one `IN (…)` of bound values; the bound keeps
/// that far below both backends' parameter limits, and a longer list is refused rather than
/// cut short, so the caller learns that it asked for too much.
pub const MAX_POST_BATCH: usize = 200;

/// A post as `createPost` gives it.
#[derive(Debug, Clone, Default)]
pub struct NewPost {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// Org nodes of the pool; repeats are ignored.
    pub department_ids: Vec<String>,
}

/// The changes of `updatePost`; absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct PostPatch {
    /// Blank counts as absent (the SDKs send `""` for what the caller left out).
    pub name: Option<String>,
    /// Blank clears the description.
    pub description: Option<String>,
    /// Replaces the post's departments (an empty list removes them all).
    pub department_ids: Option<Vec<String>>,
}

/// Which posts a list shows, as the caller gave it (`listPost`, `ListPostBatchDto`).
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    /// A part of the code or the name, case-insensitive; blank means any.
    pub keywords: Option<String>,
    /// Only these codes; empty means any.
    pub codes: Vec<String>,
    /// Inclusive bounds, ms since the epoch.
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub updated_after: Option<i64>,
    pub updated_before: Option<i64>,
    /// `skipCount`: leave `user_count` and `department_count` at 0 and spare the counting.
    pub skip_counts: bool,
}

/// Ids each once, in first-seen order, at most [`MAX_POST_BATCH`] of them.
fn id_list(ids: &[String], field: &'static str) -> Result<Vec<String>> {
    let ids = unique(ids);
    if ids.len() > MAX_POST_BATCH {
        return Err(Error::InvalidParameter(field));
    }
    if ids.iter().any(|id| id.trim().is_empty()) {
        return Err(Error::InvalidParameter(field));
    }
    Ok(ids)
}

/// Fails with [`Error::NotFound`] of [`Entity::OrgNode`] unless every id is an org node of
/// the pool.
async fn check_departments(tx: &mut dyn WriteTx, pool_id: &str, ids: &[String]) -> Result<()> {
    for id in ids {
        if tx.node(pool_id, id).await?.is_none() {
            return Err(Error::NotFound(Entity::OrgNode));
        }
    }
    Ok(())
}

/// Fails with [`Error::NotFound`] of [`Entity::Post`] unless every id is a post of the pool.
async fn check_posts(tx: &mut dyn WriteTx, pool_id: &str, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = tx.existing_post_ids(pool_id, ids).await?;
    if ids.iter().any(|id| !found.contains(id)) {
        return Err(Error::NotFound(Entity::Post));
    }
    Ok(())
}

/// One post's departments become exactly `wanted` (checked to be nodes of the pool). Links
/// kept keep their age, since lists show the oldest link first.
async fn set_post_departments(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    post_id: &str,
    wanted: &[String],
    at: i64,
) -> Result<()> {
    check_departments(tx, pool_id, wanted).await?;
    let current = tx
        .post_link_ends(pool_id, post_id, PostLink::Department)
        .await?;
    let gone: Vec<String> = current
        .iter()
        .filter(|c| !wanted.contains(c))
        .cloned()
        .collect();
    if !gone.is_empty() {
        tx.unlink_post(pool_id, post_id, PostLink::Department, &gone)
            .await?;
    }
    for node_id in wanted.iter().filter(|w| !current.contains(w)) {
        tx.link_post(pool_id, post_id, PostLink::Department, node_id, at)
            .await?;
    }
    Ok(())
}

/// The posts linked to one user or node become exactly `wanted` (checked to be posts of the
/// pool; the user or node is the caller's to check).
async fn set_linked_posts(
    tx: &mut dyn WriteTx,
    pool_id: &str,
    link: PostLink,
    other_id: &str,
    wanted: &[String],
    at: i64,
) -> Result<()> {
    check_posts(tx, pool_id, wanted).await?;
    let current = tx.linked_post_ids(pool_id, link, other_id).await?;
    for post_id in current.iter().filter(|c| !wanted.contains(c)) {
        tx.unlink_post(pool_id, post_id, link, &[other_id.to_owned()])
            .await?;
    }
    for post_id in wanted.iter().filter(|w| !current.contains(w)) {
        tx.link_post(pool_id, post_id, link, other_id, at).await?;
    }
    Ok(())
}

impl Core {
    /// Creates a post with its departments: all of it, or nothing if the code is taken
    /// ([`Error::Duplicate`] of [`Entity::PostCode`]) or a department is not a node of the
    /// pool.
    pub async fn create_post(&self, pool: &PoolAdmin, new: NewPost) -> Result<PostDetail> {
        let now = clock::now_ms();
        let post = Post {
            id: ids::new_id(),
            pool_id: pool.pool_id().to_owned(),
            code: check_code(&new.code, "code")?,
            name: checked(&new.name, "name", MAX_NAME_LEN)?,
            description: description(new.description)?,
            created_at: now,
            updated_at: now,
        };
        let department_ids = id_list(&new.department_ids, "departmentIdList")?;
        let pool_id = pool.pool_id().to_owned();
        self.pool_write(pool.pool_id(), move |tx| {
            Box::pin(async move {
                check_departments(tx, &pool_id, &department_ids).await?;
                tx.insert_post(&post).await?;
                for node_id in &department_ids {
                    tx.link_post(&pool_id, &post.id, PostLink::Department, node_id, now)
                        .await?;
                }
                Ok(PostDetail {
                    post,
                    department_ids,
                })
            })
        })
        .await
    }

    /// Changes the fields `patch` names of the post with this code; its departments are
    /// replaced only when the patch lists them.
    pub async fn update_post(
        &self,
        pool: &PoolAdmin,
        code: &str,
        patch: PostPatch,
    ) -> Result<PostDetail> {
        let fields = PostFields {
            name: match patch.name.filter(|n| !n.trim().is_empty()) {
                Some(n) => Some(checked(&n, "name", MAX_NAME_LEN)?),
                None => None,
            },
            description: match patch.description {
                Some(d) => Some(description(Some(d))?),
                None => None,
            },
        };
        let department_ids = match patch.department_ids {
            Some(ids) => Some(id_list(&ids, "departmentIdList")?),
            None => None,
        };
        let code = check_code(code, "code")?;
        let (pool_id, at) = (pool.pool_id().to_owned(), clock::now_ms());
        let post_id = self
            .pool_write(pool.pool_id(), move |tx| {
                Box::pin(async move {
                    let post = tx
                        .post_with_code(&pool_id, &code)
                        .await?
                        .ok_or(Error::NotFound(Entity::Post))?;
                    if let Some(wanted) = &department_ids {
                        set_post_departments(tx, &pool_id, &post.id, wanted, at).await?;
                    }
                    tx.update_post_fields(&pool_id, &post.id, &fields, at)
                        .await
                        .map(|p| p.id)
                })
            })
            .await?;
        self.post_detail(pool, post_id).await
    }

    /// Removes the post with this code and its links to users and departments.
    pub async fn remove_post(&self, pool: &PoolAdmin, code: &str) -> Result<()> {
        let (pool_id, code) = (pool.pool_id().to_owned(), check_code(code, "code")?);
        self.pool_write(pool.pool_id(), move |tx| {
            Box::pin(async move {
                let post = tx
                    .post_with_code(&pool_id, &code)
                    .await?
                    .ok_or(Error::NotFound(Entity::Post))?;
                super::cascade::delete_posts(tx, &pool_id, &[post.id]).await
            })
        })
        .await
    }

    /// The post with this code and its departments.
    pub async fn post(&self, pool: &PoolAdmin, code: &str) -> Result<PostDetail> {
        let post = self
            .store
            .find_post(pool.pool_id(), &check_code(code, "code")?)
            .await?
            .ok_or(Error::NotFound(Entity::Post))?;
        self.with_departments(pool, post).await
    }

    async fn post_detail(&self, pool: &PoolAdmin, post_id: String) -> Result<PostDetail> {
        let post = self
            .store
            .posts_by_ids(pool.pool_id(), &[post_id])
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound(Entity::Post))?;
        self.with_departments(pool, post).await
    }

    async fn with_departments(&self, pool: &PoolAdmin, post: Post) -> Result<PostDetail> {
        let department_ids = self
            .store
            .links_of_posts(
                pool.pool_id(),
                PostLink::Department,
                std::slice::from_ref(&post.id),
            )
            .await?
            .into_iter()
            .map(|(_, node_id)| node_id)
            .collect();
        Ok(PostDetail {
            post,
            department_ids,
        })
    }

    /// One page of the pool's posts, oldest first, with how many users and departments each
    /// has (unless `skip_counts`).
    pub async fn list_posts(
        &self,
        pool: &PoolAdmin,
        filter: PostFilter,
        page: Page,
    ) -> Result<Paged<PostSummary>> {
        let keyword = match filter.keywords.as_deref().map(str::trim) {
            Some(k) if !k.is_empty() => {
                if k.chars().count() > MAX_NAME_LEN {
                    return Err(Error::InvalidParameter("keywords"));
                }
                Some(k.to_owned())
            }
            _ => None,
        };
        let q = PostQuery {
            keyword,
            codes: id_list(&filter.codes, "postCodes")?,
            created_from: filter.created_after,
            created_to: filter.created_before,
            updated_from: filter.updated_after,
            updated_to: filter.updated_before,
            with_counts: !filter.skip_counts,
        };
        self.store.list_posts(pool.pool_id(), &q, page).await
    }

    /// The posts with these ids, oldest first; ids that are not posts of the pool are
    /// skipped.
    pub async fn posts_by_ids(&self, pool: &PoolAdmin, ids: &[String]) -> Result<Vec<Post>> {
        let ids = id_list(ids, "idList")?;
        self.store.posts_by_ids(pool.pool_id(), &ids).await
    }

    /// The posts a user holds, oldest link first.
    pub async fn user_posts(&self, pool: &PoolAdmin, user_id: &str) -> Result<Vec<Post>> {
        self.store
            .find_user(pool.pool_id(), UserLookup::Id(user_id))
            .await?
            .ok_or(Error::UserNotFound)?;
        self.store
            .posts_linked_to(pool.pool_id(), PostLink::User, user_id)
            .await
    }

    /// `(user id, post id)` for every post these users hold (a `UserDto`'s `postIdList`),
    /// each user's oldest link first.
    pub async fn user_post_ids(
        &self,
        pool: &PoolAdmin,
        user_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        self.links_to(pool, PostLink::User, user_ids).await
    }

    /// `(node id, post id)` for every post these departments offer (a `DepartmentDto`'s
    /// `postIdList`).
    pub async fn department_post_ids(
        &self,
        pool: &PoolAdmin,
        node_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        self.links_to(pool, PostLink::Department, node_ids).await
    }

    /// The links to these users or nodes, read [`MAX_POST_BATCH`] ids at a time: the ids
    /// come from a page the façade already read (up to a page's size), not from a caller's
    /// list, so a long one is read in parts rather than refused.
    async fn links_to(
        &self,
        pool: &PoolAdmin,
        link: PostLink,
        other_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for part in unique(other_ids).chunks(MAX_POST_BATCH) {
            out.extend(self.store.links_to(pool.pool_id(), link, part).await?);
        }
        Ok(out)
    }

    /// The user holds exactly these posts afterwards: posts not listed are left, new ones
    /// joined, the rest untouched. An unknown user is [`Error::UserNotFound`], an id that is
    /// not a post of the pool [`Error::NotFound`] of [`Entity::Post`]; either writes nothing.
    pub async fn set_user_posts(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        post_ids: &[String],
    ) -> Result<()> {
        let post_ids = id_list(post_ids, "postIds")?;
        let (pool_id, user_id, at) = (
            pool.pool_id().to_owned(),
            user_id.to_owned(),
            clock::now_ms(),
        );
        self.pool_write(pool.pool_id(), move |tx| {
            Box::pin(async move {
                if !tx.user_exists(&pool_id, &user_id).await? {
                    return Err(Error::UserNotFound);
                }
                set_linked_posts(tx, &pool_id, PostLink::User, &user_id, &post_ids, at).await
            })
        })
        .await
    }

    /// The department (an org node of the pool) offers exactly these posts afterwards
    /// (`postIdList` of a department's create or update).
    pub async fn set_department_posts(
        &self,
        pool: &PoolAdmin,
        node_id: &str,
        post_ids: &[String],
    ) -> Result<()> {
        let post_ids = id_list(post_ids, "postIdList")?;
        let (pool_id, node_id, at) = (
            pool.pool_id().to_owned(),
            node_id.to_owned(),
            clock::now_ms(),
        );
        self.pool_write(pool.pool_id(), move |tx| {
            Box::pin(async move {
                check_departments(tx, &pool_id, std::slice::from_ref(&node_id)).await?;
                set_linked_posts(tx, &pool_id, PostLink::Department, &node_id, &post_ids, at).await
            })
        })
        .await
    }

    /// Adds one post to the ones a user holds; holding it already changes nothing.
    pub async fn connect_user_post(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        post_id: &str,
    ) -> Result<()> {
        let (pool_id, user_id, post_id, at) = (
            pool.pool_id().to_owned(),
            user_id.to_owned(),
            post_id.to_owned(),
            clock::now_ms(),
        );
        self.pool_write(pool.pool_id(), move |tx| {
            Box::pin(async move {
                if !tx.user_exists(&pool_id, &user_id).await? {
                    return Err(Error::UserNotFound);
                }
                check_posts(tx, &pool_id, std::slice::from_ref(&post_id)).await?;
                tx.link_post(&pool_id, &post_id, PostLink::User, &user_id, at)
                    .await
            })
        })
        .await
    }
}
