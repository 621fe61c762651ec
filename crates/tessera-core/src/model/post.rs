//! Posts (job positions): a named position of a pool ("developer", "accountant") that users
//! hold and org departments offer. A post belongs to one pool; its code is unique there. Its
//! links to departments and users are rows of their own, so a user or a department leaving
//! takes only its links, never the post.

/// A post of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: String,
    pub pool_id: String,
    /// Unique per pool; how the management API names a post (`get-post?code=`).
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A post with the ids of the departments (org nodes) it is linked to, oldest link first:
/// what creating, updating and reading one post answer (`PostInfoDto`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostDetail {
    pub post: Post,
    pub department_ids: Vec<String>,
}

/// A post as a list shows it: with how many users hold it and how many departments it is
/// linked to (`PostItemDto`). Both are 0 when the list was asked without counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostSummary {
    pub post: Post,
    pub user_count: i64,
    pub department_count: i64,
}

/// What a post is linked to; each kind is a table of `(post, other end)` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostLink {
    /// An org node of one of the pool's organizations.
    Department,
    User,
}
