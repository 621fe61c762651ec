//! Storage of the posts aggregate: posts (job positions) of a pool and their links to
//! departments (org nodes) and users. [`PostsTx`] is the same aggregate inside a unit of work
//! (see [`super::unit`]): every write of posts runs there, because each one is a rule over
//! several rows (a post and its links, a user's whole set of posts) that the core decides.
//!
//! Every method is scoped by `pool_id`: a post, link, user or node of another pool is absent.
//! A post's code is unique per pool; the store enforces it and a collision is
//! [`crate::Error::Duplicate`] of [`crate::Entity::PostCode`].

use async_trait::async_trait;

use crate::error::Result;
use crate::model::post::{Post, PostLink, PostSummary};
use crate::service::paging::{Page, Paged};

/// Which posts a list returns. Conditions combine with AND; an empty or absent condition
/// selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostQuery {
    /// Matched case-insensitively as a part of the code or of the name.
    pub keyword: Option<String>,
    /// Only posts with one of these codes.
    pub codes: Vec<String>,
    /// Inclusive bounds on `created_at` / `updated_at`, ms since the epoch.
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    /// Count each post's users and departments (otherwise both are 0).
    pub with_counts: bool,
}

/// Changes to one post's own columns; `None` leaves a column as it is. The code is the
/// post's name on the wire and does not change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFields {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

#[async_trait]
pub trait PostsStore: Send + Sync {
    async fn find_post(&self, pool_id: &str, code: &str) -> Result<Option<Post>>;

    /// The posts with these ids, ordered by (created_at, id); unknown ids are skipped.
    async fn posts_by_ids(&self, pool_id: &str, ids: &[String]) -> Result<Vec<Post>>;

    /// One page of the pool's posts selected by `q`, oldest first (ties by id), with the
    /// total they number.
    async fn list_posts(
        &self,
        pool_id: &str,
        q: &PostQuery,
        page: Page,
    ) -> Result<Paged<PostSummary>>;

    /// `(post id, other end's id)` of every link of kind `link` of these posts, oldest link
    /// first (ties by the other end's id).
    async fn links_of_posts(
        &self,
        pool_id: &str,
        link: PostLink,
        post_ids: &[String],
    ) -> Result<Vec<(String, String)>>;

    /// `(other end's id, post id)` of every link of kind `link` to these users or nodes,
    /// oldest link first (ties by post id).
    async fn links_to(
        &self,
        pool_id: &str,
        link: PostLink,
        other_ids: &[String],
    ) -> Result<Vec<(String, String)>>;

    /// The posts linked to one user or node, oldest link first (ties by post id).
    async fn posts_linked_to(
        &self,
        pool_id: &str,
        link: PostLink,
        other_id: &str,
    ) -> Result<Vec<Post>>;
}

/// The posts aggregate inside a unit of work. Besides the reads a rule needs, it offers the
/// deletes a cascade is made of; which of them run when a post, user or node goes is decided
/// by the core (`service::cascade`).
#[async_trait]
pub trait PostsTx: Send {
    async fn post_with_code(&mut self, pool_id: &str, code: &str) -> Result<Option<Post>>;
    /// A code taken in the pool is [`crate::Error::Duplicate`] and writes nothing.
    async fn insert_post(&mut self, post: &Post) -> Result<()>;
    /// Writes the named columns and `updated_at`; returns the post as stored, or
    /// [`crate::Error::NotFound`].
    async fn update_post_fields(
        &mut self,
        pool_id: &str,
        post_id: &str,
        fields: &PostFields,
        at: i64,
    ) -> Result<Post>;
    /// Which of `ids` are posts of the pool, each once.
    async fn existing_post_ids(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<String>>;
    /// The other ends of one post's links of kind `link`.
    async fn post_link_ends(
        &mut self,
        pool_id: &str,
        post_id: &str,
        link: PostLink,
    ) -> Result<Vec<String>>;
    /// The posts linked to one user or node.
    async fn linked_post_ids(
        &mut self,
        pool_id: &str,
        link: PostLink,
        other_id: &str,
    ) -> Result<Vec<String>>;
    /// Links a post to a user or node, both of the pool (the core checked them); already
    /// linked, nothing changes.
    async fn link_post(
        &mut self,
        pool_id: &str,
        post_id: &str,
        link: PostLink,
        other_id: &str,
        at: i64,
    ) -> Result<()>;
    /// Removes the links between `post_id` and these users or nodes.
    async fn unlink_post(
        &mut self,
        pool_id: &str,
        post_id: &str,
        link: PostLink,
        other_ids: &[String],
    ) -> Result<()>;
    /// Removes every link of kind `link` of these posts.
    async fn delete_links_of_posts(
        &mut self,
        pool_id: &str,
        link: PostLink,
        post_ids: &[String],
    ) -> Result<()>;
    /// Removes every post link of kind `link` to these users or nodes.
    async fn delete_post_links_to(
        &mut self,
        pool_id: &str,
        link: PostLink,
        other_ids: &[String],
    ) -> Result<()>;
    async fn delete_posts(&mut self, pool_id: &str, post_ids: &[String]) -> Result<()>;
}
