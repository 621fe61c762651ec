//! [`LinkTicketsStore`] on SQL: `link_tickets` (migration 25), and the users a WeChat
//! unionid names through their profile.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::User;
use tessera_core::store::link_tickets::{LinkTicket, LinkTicketsStore};
use tessera_core::Result;

use super::{db_err, SqlStore};
use crate::rows::{self, col};

const COLUMNS: &str = "ticket_hash, pool_id, app_id, conn_id, subject, unionid, nickname, \
                       photo, candidates, expires_at, created_at";

fn ticket(row: &AnyRow) -> Result<LinkTicket> {
    let candidates: String = col(row, "candidates")?;
    Ok(LinkTicket {
        ticket_hash: col(row, "ticket_hash")?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
        conn_id: col(row, "conn_id")?,
        subject: col(row, "subject")?,
        unionid: col(row, "unionid")?,
        nickname: col(row, "nickname")?,
        photo: col(row, "photo")?,
        candidates: candidates
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        expires_at: col(row, "expires_at")?,
        created_at: col(row, "created_at")?,
    })
}

#[async_trait]
impl LinkTicketsStore for SqlStore {
    async fn put_link_ticket(&self, t: &LinkTicket) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO link_tickets ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&t.ticket_hash)
        .bind(&t.pool_id)
        .bind(&t.app_id)
        .bind(&t.conn_id)
        .bind(&t.subject)
        .bind(&t.unionid)
        .bind(&t.nickname)
        .bind(&t.photo)
        .bind(t.candidates.join(","))
        .bind(t.expires_at)
        .bind(t.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)
        .map(drop)
    }

    async fn link_ticket(&self, pool_id: &str, ticket_hash: &str) -> Result<Option<LinkTicket>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM link_tickets WHERE ticket_hash = $1 AND pool_id = $2"
        ))
        .bind(ticket_hash)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(ticket)
        .transpose()
    }

    async fn take_link_ticket(&self, pool_id: &str, ticket_hash: &str, now: i64) -> Result<bool> {
        sqlx::query(
            "DELETE FROM link_tickets WHERE ticket_hash = $1 AND pool_id = $2 \
             AND expires_at > $3",
        )
        .bind(ticket_hash)
        .bind(pool_id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }

    async fn users_with_unionid(
        &self,
        pool_id: &str,
        unionid: &str,
        limit: u32,
    ) -> Result<Vec<User>> {
        sqlx::query(&format!(
            "SELECT {} FROM users WHERE pool_id = $1 AND unionid = $2 AND is_deleted = 0 \
             ORDER BY created_at, id LIMIT $3",
            rows::USER_COLUMNS
        ))
        .bind(pool_id)
        .bind(unionid)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(rows::user)
        .collect()
    }
}
