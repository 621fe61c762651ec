//! [`PostsStore`] and [`PostsTx`] on SQL: posts, and their links to departments and users.
//! Each kind of link is a table of `(post_id, other end, pool_id, created_at)`; a
//! [`PostLink`] picks the table and its column from the constants below, so link statements
//! are written once for both kinds.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::post::{Post, PostLink, PostSummary};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::posts::{PostFields, PostQuery, PostsStore, PostsTx};
use tessera_core::{Entity, Error, Result};

use super::directory::prefixed;
use super::statement::{contains_pattern, fetch_page, targeted_update, SetValue, Sql};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::col;

const POST_COLUMNS: &str = "id, pool_id, code, name, description, created_at, updated_at";

/// The table of one kind of link and its column naming the other end.
fn link_table(link: PostLink) -> (&'static str, &'static str) {
    match link {
        PostLink::Department => ("post_departments", "node_id"),
        PostLink::User => ("post_users", "user_id"),
    }
}

fn post(row: &AnyRow) -> Result<Post> {
    Ok(Post {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        code: col(row, "code")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// A taken code: PostgreSQL names the index, SQLite the columns.
fn post_err(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation()
            && (db.constraint() == Some("posts_code_uq")
                || db.message().contains("posts.pool_id, posts.code"))
        {
            return Error::Duplicate(Entity::PostCode);
        }
    }
    db_err(e)
}

fn pairs(rows: Vec<AnyRow>) -> Result<Vec<(String, String)>> {
    rows.iter()
        .map(|r| Ok((col(r, "a")?, col(r, "b")?)))
        .collect()
}

#[async_trait]
impl PostsStore for SqlStore {
    async fn find_post(&self, pool_id: &str, code: &str) -> Result<Option<Post>> {
        sqlx::query(&format!(
            "SELECT {POST_COLUMNS} FROM posts WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(post)
        .transpose()
    }

    async fn posts_by_ids(&self, pool_id: &str, ids: &[String]) -> Result<Vec<Post>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!(
            "SELECT {POST_COLUMNS} FROM posts WHERE pool_id = $1 AND id IN ({list}) \
             ORDER BY created_at, id"
        );
        sql.fetch_all(&self.pool).await?.iter().map(post).collect()
    }

    async fn list_posts(
        &self,
        pool_id: &str,
        q: &PostQuery,
        page: Page,
    ) -> Result<Paged<PostSummary>> {
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let mut filter = String::from("FROM posts p WHERE p.pool_id = $1");
        if let Some(k) = &q.keyword {
            // A part of the code or name: posts of one pool are few, so the pool's range of
            // the list index is read and matched, not searched by an index of its own.
            let p = sql.bind(&contains_pattern(k));
            filter.push_str(&format!(
                " AND (LOWER(p.code) LIKE {p} ESCAPE '\\' OR LOWER(p.name) LIKE {p} ESCAPE '\\')"
            ));
        }
        if !q.codes.is_empty() {
            let list = sql.bind_list(&q.codes);
            filter.push_str(&format!(" AND p.code IN ({list})"));
        }
        for (column, op, bound) in [
            ("created_at", ">=", q.created_from),
            ("created_at", "<=", q.created_to),
            ("updated_at", ">=", q.updated_from),
            ("updated_at", "<=", q.updated_to),
        ] {
            if let Some(v) = bound {
                let p = sql.bind_int(v);
                filter.push_str(&format!(" AND p.{column} {op} {p}"));
            }
        }
        let mut columns = prefixed(POST_COLUMNS, "p");
        if q.with_counts {
            columns.push_str(
                ", (SELECT COUNT(*) FROM post_users x WHERE x.post_id = p.id) AS user_count, \
                 (SELECT COUNT(*) FROM post_departments x WHERE x.post_id = p.id) \
                 AS department_count",
            );
        }
        let with_counts = q.with_counts;
        fetch_page(
            &self.pool,
            &mut sql,
            &columns,
            &filter,
            "p.created_at, p.id",
            page,
            |row| {
                let (user_count, department_count) = if with_counts {
                    (col(row, "user_count")?, col(row, "department_count")?)
                } else {
                    (0, 0)
                };
                Ok(PostSummary {
                    post: post(row)?,
                    user_count,
                    department_count,
                })
            },
        )
        .await
    }

    async fn links_of_posts(
        &self,
        pool_id: &str,
        link: PostLink,
        post_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let (table, other) = link_table(link);
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(post_ids);
        sql.text = format!(
            "SELECT post_id AS a, {other} AS b FROM {table} \
             WHERE pool_id = $1 AND post_id IN ({list}) ORDER BY created_at, {other}"
        );
        pairs(sql.fetch_all(&self.pool).await?)
    }

    async fn links_to(
        &self,
        pool_id: &str,
        link: PostLink,
        other_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if other_ids.is_empty() {
            return Ok(Vec::new());
        }
        let (table, other) = link_table(link);
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(other_ids);
        sql.text = format!(
            "SELECT {other} AS a, post_id AS b FROM {table} \
             WHERE pool_id = $1 AND {other} IN ({list}) ORDER BY created_at, post_id"
        );
        pairs(sql.fetch_all(&self.pool).await?)
    }

    async fn posts_linked_to(
        &self,
        pool_id: &str,
        link: PostLink,
        other_id: &str,
    ) -> Result<Vec<Post>> {
        let (table, other) = link_table(link);
        sqlx::query(&format!(
            "SELECT {} FROM {table} l JOIN posts p ON p.id = l.post_id AND p.pool_id = l.pool_id \
             WHERE l.pool_id = $1 AND l.{other} = $2 ORDER BY l.created_at, p.id",
            prefixed(POST_COLUMNS, "p")
        ))
        .bind(pool_id)
        .bind(other_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(post)
        .collect()
    }
}

#[async_trait]
impl PostsTx for SqlWriteTx {
    async fn post_with_code(&mut self, pool_id: &str, code: &str) -> Result<Option<Post>> {
        sqlx::query(&format!(
            "SELECT {POST_COLUMNS} FROM posts WHERE pool_id = $1 AND code = $2"
        ))
        .bind(pool_id)
        .bind(code)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(post)
        .transpose()
    }

    async fn insert_post(&mut self, p: &Post) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO posts ({POST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&p.id)
        .bind(&p.pool_id)
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *self.tx)
        .await
        .map_err(post_err)?;
        Ok(())
    }

    async fn update_post_fields(
        &mut self,
        pool_id: &str,
        post_id: &str,
        fields: &PostFields,
        at: i64,
    ) -> Result<Post> {
        let mut sets = Vec::new();
        if let Some(v) = &fields.name {
            sets.push(("name", SetValue::Text(v.clone())));
        }
        if let Some(v) = &fields.description {
            sets.push(("description", SetValue::OptText(v.clone())));
        }
        targeted_update("posts", sets, at, pool_id, post_id, POST_COLUMNS)
            .query()
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(post_err)?
            .as_ref()
            .map(post)
            .transpose()?
            .ok_or(Error::NotFound(Entity::Post))
    }

    async fn existing_post_ids(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(ids);
        sql.text = format!("SELECT id FROM posts WHERE pool_id = $1 AND id IN ({list})");
        sql.query()
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "id"))
            .collect()
    }

    async fn post_link_ends(
        &mut self,
        pool_id: &str,
        post_id: &str,
        link: PostLink,
    ) -> Result<Vec<String>> {
        let (table, other) = link_table(link);
        sqlx::query(&format!(
            "SELECT {other} AS b FROM {table} WHERE pool_id = $1 AND post_id = $2"
        ))
        .bind(pool_id)
        .bind(post_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col(r, "b"))
        .collect()
    }

    async fn linked_post_ids(
        &mut self,
        pool_id: &str,
        link: PostLink,
        other_id: &str,
    ) -> Result<Vec<String>> {
        let (table, other) = link_table(link);
        sqlx::query(&format!(
            "SELECT post_id FROM {table} WHERE pool_id = $1 AND {other} = $2"
        ))
        .bind(pool_id)
        .bind(other_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col(r, "post_id"))
        .collect()
    }

    async fn link_post(
        &mut self,
        pool_id: &str,
        post_id: &str,
        link: PostLink,
        other_id: &str,
        at: i64,
    ) -> Result<()> {
        let (table, other) = link_table(link);
        sqlx::query(&format!(
            "INSERT INTO {table} (post_id, {other}, pool_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (post_id, {other}) DO NOTHING"
        ))
        .bind(post_id)
        .bind(other_id)
        .bind(pool_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn unlink_post(
        &mut self,
        pool_id: &str,
        post_id: &str,
        link: PostLink,
        other_ids: &[String],
    ) -> Result<()> {
        if other_ids.is_empty() {
            return Ok(());
        }
        let (table, other) = link_table(link);
        let mut sql = Sql::new(vec![pool_id.to_owned(), post_id.to_owned()]);
        let list = sql.bind_list(other_ids);
        sql.text = format!(
            "DELETE FROM {table} WHERE pool_id = $1 AND post_id = $2 AND {other} IN ({list})"
        );
        sql.query().execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_links_of_posts(
        &mut self,
        pool_id: &str,
        link: PostLink,
        post_ids: &[String],
    ) -> Result<()> {
        let (table, _) = link_table(link);
        self.delete_in(table, "post_id", pool_id, post_ids).await?;
        Ok(())
    }

    async fn delete_post_links_to(
        &mut self,
        pool_id: &str,
        link: PostLink,
        other_ids: &[String],
    ) -> Result<()> {
        let (table, other) = link_table(link);
        self.delete_in(table, other, pool_id, other_ids).await?;
        Ok(())
    }

    async fn delete_posts(&mut self, pool_id: &str, post_ids: &[String]) -> Result<()> {
        self.delete_in("posts", "id", pool_id, post_ids).await?;
        Ok(())
    }
}
