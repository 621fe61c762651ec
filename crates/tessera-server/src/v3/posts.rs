//! Posts (job positions) (`v3-wire.md` §4 "Posts", 11 methods) over `service/posts.rs`.
//!
//! `getPost` and `getUserPost` are declared by the SDK as bare `CreatePostDto`s; like every
//! other answer here they come in the envelope, with the DTO as `data` (§2.1's advice: the
//! SDK hands the body back untyped either way).

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::post::{Post, PostDetail, PostSummary};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::posts::{NewPost, PostFilter, PostPatch};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{done, ok, Reply};
use super::shapes::{resolve_user, UserIdType};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/list-post", get(list).post(list_batch))
        .route("/api/v3/get-post", get(get_post))
        .route("/api/v3/get-user-posts", get(user_posts))
        .route("/api/v3/get-user-post", get(user_post))
        .route("/api/v3/get-post-by-id", post(by_ids))
        .route("/api/v3/create-post", post(create))
        .route("/api/v3/update-post", post(update))
        .route("/api/v3/remove-post", post(remove))
        .route("/api/v3/set-user-posts", post(set_user_posts))
        .route("/api/v3/user-connection-post", post(connect))
}

/// `PostDto`.
fn post_dto(p: &Post) -> Value {
    json!({ "id": p.id, "code": p.code, "name": p.name, "description": p.description })
}

/// `PostInfoDto` / `CreatePostDto`: the post with its departments.
fn detail_dto(d: &PostDetail) -> Value {
    let mut v = post_dto(&d.post);
    v["departmentIdList"] = json!(d.department_ids);
    v
}

/// `PostItemDto`.
fn item_dto(s: &PostSummary) -> Value {
    let mut v = post_dto(&s.post);
    v["userCount"] = json!(s.user_count);
    v["departmentCount"] = json!(s.department_count);
    v["metadataSource"] = Value::Null;
    v
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListPosts {
    keywords: Option<String>,
    #[serde(default)]
    skip_count: bool,
    page: Option<i64>,
    limit: Option<i64>,
    created_after: Option<i64>,
    created_before: Option<i64>,
    updated_after: Option<i64>,
    updated_before: Option<i64>,
    #[serde(default)]
    post_codes: Vec<String>,
}

async fn listed(m: &Mgmt, r: ListPosts) -> Reply {
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let filter = PostFilter {
        keywords: r.keywords,
        codes: r.post_codes,
        created_after: r.created_after,
        created_before: r.created_before,
        updated_after: r.updated_after,
        updated_before: r.updated_before,
        skip_counts: r.skip_count,
    };
    let p = m
        .core()
        .list_posts(&m.admin, filter, page)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = p.list.iter().map(item_dto).collect();
    let page = Paged {
        total_count: p.total_count,
        list,
    };
    Ok(ok(
        m.lang,
        json!({ "totalCount": page.total_count, "list": page.list }),
    ))
}

async fn list(m: Mgmt) -> Reply {
    let r: ListPosts = m.args().map_err(|e| m.fail(e))?;
    if !r.post_codes.is_empty() {
        // The GET form has no code list (only the POST `postListBatch` does).
        return Err(m.fail(Error::InvalidParameter("postCodes")));
    }
    listed(&m, r).await
}

async fn list_batch(m: Mgmt) -> Reply {
    let r: ListPosts = m.args().map_err(|e| m.fail(e))?;
    listed(&m, r).await
}

#[derive(Deserialize)]
struct ByCode {
    code: String,
}

async fn get_post(m: Mgmt) -> Reply {
    let r: ByCode = m.args().map_err(|e| m.fail(e))?;
    let d = m
        .core()
        .post(&m.admin, &r.code)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, detail_dto(&d)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserArg {
    user_id: String,
}

async fn posts_of(m: &Mgmt, user_id: &str) -> Result<Vec<Post>, super::envelope::V3Error> {
    let u = resolve_user(m.core(), &m.admin, user_id, UserIdType::UserId)
        .await
        .map_err(|e| m.fail(e))?;
    m.core()
        .user_posts(&m.admin, &u.id)
        .await
        .map_err(|e| m.fail(e))
}

async fn user_posts(m: Mgmt) -> Reply {
    let r: UserArg = m.args().map_err(|e| m.fail(e))?;
    let posts = posts_of(&m, &r.user_id).await?;
    Ok(ok(m.lang, posts.iter().map(post_dto).collect::<Vec<_>>()))
}

/// `getUserPost`: the user's first post (the one held longest), with its departments; a
/// user without posts is a 404.
async fn user_post(m: Mgmt) -> Reply {
    let r: UserArg = m.args().map_err(|e| m.fail(e))?;
    let posts = posts_of(&m, &r.user_id).await?;
    let first = posts
        .first()
        .ok_or_else(|| m.fail(Error::NotFound(tessera_core::Entity::Post)))?;
    let d = m
        .core()
        .post(&m.admin, &first.code)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, detail_dto(&d)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByIds {
    #[serde(default)]
    id_list: Vec<String>,
}

async fn by_ids(m: Mgmt) -> Reply {
    let r: ByIds = m.args().map_err(|e| m.fail(e))?;
    let posts = m
        .core()
        .posts_by_ids(&m.admin, &r.id_list)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, posts.iter().map(post_dto).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostInput {
    code: String,
    name: Option<String>,
    description: Option<String>,
    department_id_list: Option<Vec<String>>,
}

async fn create(m: Mgmt) -> Reply {
    let r: PostInput = m.args().map_err(|e| m.fail(e))?;
    let new = NewPost {
        code: r.code,
        name: r.name.unwrap_or_default(),
        description: r.description,
        department_ids: r.department_id_list.unwrap_or_default(),
    };
    let d = m
        .core()
        .create_post(&m.admin, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, detail_dto(&d)))
}

async fn update(m: Mgmt) -> Reply {
    let r: PostInput = m.args().map_err(|e| m.fail(e))?;
    let patch = PostPatch {
        name: r.name,
        description: r.description,
        department_ids: r.department_id_list,
    };
    let d = m
        .core()
        .update_post(&m.admin, &r.code, patch)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, detail_dto(&d)))
}

async fn remove(m: Mgmt) -> Reply {
    let r: ByCode = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .remove_post(&m.admin, &r.code)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetUserPosts {
    user_id: String,
    post_ids: Vec<String>,
}

async fn set_user_posts(m: Mgmt) -> Reply {
    let r: SetUserPosts = m.args().map_err(|e| m.fail(e))?;
    let u = resolve_user(m.core(), &m.admin, &r.user_id, UserIdType::UserId)
        .await
        .map_err(|e| m.fail(e))?;
    m.core()
        .set_user_posts(&m.admin, &u.id, &r.post_ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connect {
    user_id: String,
    post_id: String,
}

async fn connect(m: Mgmt) -> Reply {
    let r: Connect = m.args().map_err(|e| m.fail(e))?;
    let u = resolve_user(m.core(), &m.admin, &r.user_id, UserIdType::UserId)
        .await
        .map_err(|e| m.fail(e))?;
    m.core()
        .connect_user_post(&m.admin, &u.id, &r.post_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

/// `getUserPost` for another family's route (a public account's post, `public_accounts.rs`).
pub(super) async fn first_post_of_user(m: Mgmt) -> Reply {
    user_post(m).await
}

/// `userConnectionPost` for another family's route (`public_accounts.rs`).
pub(super) async fn connect_user_to_post(m: Mgmt) -> Reply {
    connect(m).await
}
