//! Storage of the directory: roles, groups, organizations, resources and grants, and who
//! may use which application. Split from [`super::Store`] so the directory can grow without
//! touching the user and credential methods.

use async_trait::async_trait;

#[async_trait]
pub trait DirectoryStore: Send + Sync {}
