//! [`EventsStore`] on SQL: `event_apps`, `event_types`, `event_sequences` and `events`
//! (migration 35).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::store::events::{
    EventApp, EventAudience, EventDefinition, EventsStore, PublishBudget, PublishedEvent,
};
use tessera_core::Result;

use super::{db_err, SqlStore};
use crate::rows::col;

const APP_COLUMNS: &str = "pool_id, identifier, name, logo, created_at";
const DEF_COLUMNS: &str = "pool_id, event_type, id, app_identifier, description, created_at";
const EVENT_COLUMNS: &str = "seq, event_type, data, user_id, created_at";

fn event_app(r: &AnyRow) -> Result<EventApp> {
    Ok(EventApp {
        pool_id: col(r, "pool_id")?,
        identifier: col(r, "identifier")?,
        name: col(r, "name")?,
        logo: col(r, "logo")?,
        created_at: col(r, "created_at")?,
    })
}

fn definition(r: &AnyRow) -> Result<EventDefinition> {
    Ok(EventDefinition {
        pool_id: col(r, "pool_id")?,
        event_type: col(r, "event_type")?,
        id: col(r, "id")?,
        app_identifier: col(r, "app_identifier")?,
        description: col(r, "description")?,
        created_at: col(r, "created_at")?,
    })
}

fn event(r: &AnyRow) -> Result<PublishedEvent> {
    Ok(PublishedEvent {
        seq: col(r, "seq")?,
        event_type: col(r, "event_type")?,
        data: col(r, "data")?,
        user_id: col(r, "user_id")?,
        created_at: col(r, "created_at")?,
    })
}

#[async_trait]
impl EventsStore for SqlStore {
    async fn insert_event_app(&self, app: &EventApp) -> Result<bool> {
        sqlx::query(&format!(
            "INSERT INTO event_apps ({APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (pool_id, identifier) DO NOTHING"
        ))
        .bind(&app.pool_id)
        .bind(&app.identifier)
        .bind(&app.name)
        .bind(&app.logo)
        .bind(app.created_at)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(db_err)
    }

    async fn event_apps(&self, pool_id: &str) -> Result<Vec<EventApp>> {
        sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM event_apps WHERE pool_id = $1 \
             ORDER BY created_at, identifier"
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(event_app)
        .collect()
    }

    async fn event_app(&self, pool_id: &str, identifier: &str) -> Result<Option<EventApp>> {
        sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM event_apps WHERE pool_id = $1 AND identifier = $2"
        ))
        .bind(pool_id)
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(event_app)
        .transpose()
    }

    async fn insert_event_definition(&self, def: &EventDefinition) -> Result<bool> {
        sqlx::query(&format!(
            "INSERT INTO event_types ({DEF_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (pool_id, event_type) DO NOTHING"
        ))
        .bind(&def.pool_id)
        .bind(&def.event_type)
        .bind(&def.id)
        .bind(&def.app_identifier)
        .bind(&def.description)
        .bind(def.created_at)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(db_err)
    }

    async fn event_definitions(
        &self,
        pool_id: &str,
        app: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<EventDefinition>)> {
        // One statement per shape, each driven by the primary key or `event_types_app_idx`.
        let filter = match app {
            Some(_) => "pool_id = $1 AND app_identifier = $2",
            None => "pool_id = $1",
        };
        let next = if app.is_some() { 3 } else { 2 };
        let count_sql = format!("SELECT COUNT(*) AS n FROM event_types WHERE {filter}");
        let mut count = sqlx::query(&count_sql).bind(pool_id);
        if let Some(a) = app {
            count = count.bind(a);
        }
        let total: i64 = col(&count.fetch_one(&self.pool).await.map_err(db_err)?, "n")?;
        let list_sql = format!(
            "SELECT {DEF_COLUMNS} FROM event_types WHERE {filter} \
             ORDER BY created_at, event_type LIMIT ${next} OFFSET ${}",
            next + 1
        );
        let mut q = sqlx::query(&list_sql).bind(pool_id);
        if let Some(a) = app {
            q = q.bind(a);
        }
        let list = q
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(definition)
            .collect::<Result<Vec<_>>>()?;
        Ok((total, list))
    }

    async fn event_definition(
        &self,
        pool_id: &str,
        event_type: &str,
    ) -> Result<Option<EventDefinition>> {
        sqlx::query(&format!(
            "SELECT {DEF_COLUMNS} FROM event_types WHERE pool_id = $1 AND event_type = $2"
        ))
        .bind(pool_id)
        .bind(event_type)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(definition)
        .transpose()
    }

    async fn append_event(
        &self,
        pool_id: &str,
        event_type: &str,
        data: &str,
        user_id: Option<&str>,
        at: i64,
        budget: Option<PublishBudget>,
    ) -> Result<i64> {
        atomically!(self, tx, {
            // The counter row stays locked until commit, so numbers commit in order.
            let row = sqlx::query(
                "INSERT INTO event_sequences (pool_id, last_seq) VALUES ($1, 1) \
                 ON CONFLICT (pool_id) DO UPDATE SET last_seq = event_sequences.last_seq + 1 \
                 RETURNING last_seq",
            )
            .bind(pool_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            let seq: i64 = col(&row, "last_seq")?;
            // Counted after the counter row is locked: a concurrent publication of the pool
            // has committed (and is counted) or waits for this one. Refusing rolls the
            // number back. `events_created_idx` bounds the scan to the window's events.
            if let (Some(budget), Some(user_id)) = (budget, user_id) {
                let row = sqlx::query(
                    "SELECT COUNT(*) AS n FROM events \
                     WHERE created_at > $1 AND pool_id = $2 AND user_id = $3",
                )
                .bind(budget.since)
                .bind(pool_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                let published: i64 = col(&row, "n")?;
                if published >= budget.max {
                    return Err(tessera_core::Error::TooManyEvents);
                }
            }
            sqlx::query(&format!(
                "INSERT INTO events (pool_id, {EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
            ))
            .bind(pool_id)
            .bind(seq)
            .bind(event_type)
            .bind(data)
            .bind(user_id)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Ok(seq)
        })
    }

    async fn last_event_seq(&self, pool_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT last_seq FROM event_sequences WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        match row {
            Some(r) => col(&r, "last_seq"),
            None => Ok(0),
        }
    }

    async fn events_after(
        &self,
        pool_id: &str,
        event_type: &str,
        after: i64,
        audience: EventAudience<'_>,
        limit: i64,
    ) -> Result<Vec<PublishedEvent>> {
        let (who, user) = match audience {
            EventAudience::Pool => ("", None),
            EventAudience::User(u) => (" AND (user_id IS NULL OR user_id = $5)", Some(u)),
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events \
             WHERE pool_id = $1 AND event_type = $2 AND seq > $3{who} \
             ORDER BY seq LIMIT $4"
        );
        let mut q = sqlx::query(&sql)
            .bind(pool_id)
            .bind(event_type)
            .bind(after)
            .bind(limit);
        if let Some(u) = user {
            q = q.bind(u);
        }
        q.fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(event)
            .collect()
    }
}
