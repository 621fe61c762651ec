//! [`AuditStore`] and [`AuditTx`] on SQL: the admin audit log (`admin_audit_log`) and the
//! user action log, which reads the login history's logins and `user_actions`' other events
//! as one list.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::audit::{
    proof_from_name, proof_name, AuditRecord, OperationType, ResourceKind, UserAction, UserEvent,
};
use tessera_core::service::paging::Paged;
use tessera_core::store::audit::{AuditQuery, AuditStore, AuditTx, UserActionQuery};
use tessera_core::{Error, Result};

use super::statement::{fetch_page, AnyQuery, Sql};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::{col, flag, parse_json, to_json};

const AUDIT_COLUMNS: &str = "id, pool_id, proof, client_ip, user_agent, operation, resource, \
                             target_ids, params, success, created_at";

const AUDIT_INSERT: &str = "INSERT INTO admin_audit_log (id, pool_id, proof, client_ip, \
     user_agent, operation, resource, target_ids, params, success, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// The columns of both halves of the user action log, in the order they are selected.
const ACTION_COLUMNS: &str =
    "id, pool_id, user_id, app_id, event, success, ip, user_agent, created_at";

/// The stored JSON of a record's targets and parameters, made before the statement that
/// borrows them.
struct AuditJson {
    targets: String,
    params: String,
}

impl AuditJson {
    fn of(r: &AuditRecord) -> Result<AuditJson> {
        Ok(AuditJson {
            targets: to_json(&r.target_ids)?,
            params: to_json(&r.params)?,
        })
    }

    fn insert<'q>(&'q self, r: &'q AuditRecord) -> AnyQuery<'q> {
        sqlx::query(AUDIT_INSERT)
            .bind(&r.id)
            .bind(&r.pool_id)
            .bind(proof_name(r.proof))
            .bind(&r.client_ip)
            .bind(&r.user_agent)
            .bind(r.operation.as_str())
            .bind(r.resource.as_str())
            .bind(&self.targets)
            .bind(&self.params)
            .bind(i64::from(r.success))
            .bind(r.at)
    }
}

/// A stored name the model does not know: the row was written by a newer version, or by
/// hand.
fn unknown(column: &str, value: &str) -> Error {
    Error::Storage(format!("column {column}: unknown value {value:?}"))
}

fn audit_record(r: &AnyRow) -> Result<AuditRecord> {
    let proof: String = col(r, "proof")?;
    let operation: String = col(r, "operation")?;
    let resource: String = col(r, "resource")?;
    let targets: String = col(r, "target_ids")?;
    let params: String = col(r, "params")?;
    Ok(AuditRecord {
        id: col(r, "id")?,
        pool_id: col(r, "pool_id")?,
        proof: proof_from_name(&proof).ok_or_else(|| unknown("proof", &proof))?,
        client_ip: col(r, "client_ip")?,
        user_agent: col(r, "user_agent")?,
        operation: OperationType::parse(&operation)
            .ok_or_else(|| unknown("operation", &operation))?,
        resource: ResourceKind::parse(&resource).ok_or_else(|| unknown("resource", &resource))?,
        target_ids: parse_json(&targets, "target_ids")?,
        params: parse_json(&params, "params")?,
        success: flag(r, "success")?,
        at: col(r, "created_at")?,
    })
}

fn user_action(r: &AnyRow) -> Result<UserAction> {
    let event: String = col(r, "event")?;
    Ok(UserAction {
        id: col(r, "id")?,
        pool_id: col(r, "pool_id")?,
        user_id: col(r, "user_id")?,
        app_id: col(r, "app_id")?,
        event: UserEvent::parse(&event).ok_or_else(|| unknown("event", &event))?,
        success: flag(r, "success")?,
        client_ip: col(r, "ip")?,
        user_agent: col(r, "user_agent")?,
        at: col(r, "created_at")?,
    })
}

/// ` AND column = $n` for a condition that is set.
fn text_condition(sql: &mut Sql, column: &str, value: Option<&str>) -> String {
    value.map_or_else(String::new, |v| format!(" AND {column} = {}", sql.bind(v)))
}

/// The time window and success conditions both logs share.
fn common_conditions(
    sql: &mut Sql,
    success: Option<bool>,
    start: Option<i64>,
    end: Option<i64>,
) -> String {
    let mut out = String::new();
    if let Some(s) = success {
        out.push_str(&format!(" AND success = {}", sql.bind_int(i64::from(s))));
    }
    if let Some(s) = start {
        out.push_str(&format!(" AND created_at >= {}", sql.bind_int(s)));
    }
    if let Some(e) = end {
        out.push_str(&format!(" AND created_at <= {}", sql.bind_int(e)));
    }
    out
}

/// The user action log's `WHERE` conditions beyond the pool, for one of its two tables.
fn action_conditions(sql: &mut Sql, q: &UserActionQuery) -> String {
    let mut out = text_condition(sql, "user_id", q.user_id.as_deref());
    out.push_str(&text_condition(sql, "app_id", q.app_id.as_deref()));
    out.push_str(&text_condition(sql, "ip", q.client_ip.as_deref()));
    out.push_str(&common_conditions(sql, q.success, q.start, q.end));
    out
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn insert_audit(&self, record: &AuditRecord) -> Result<()> {
        let json = AuditJson::of(record)?;
        let _turn = self.write_turn().await;
        json.insert(record)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn audit_records(&self, pool_id: &str, q: &AuditQuery) -> Result<Paged<AuditRecord>> {
        let mut sql = Sql::default();
        let mut filter = format!("FROM admin_audit_log WHERE pool_id = {}", sql.bind(pool_id));
        filter.push_str(&text_condition(
            &mut sql,
            "client_ip",
            q.client_ip.as_deref(),
        ));
        filter.push_str(&text_condition(
            &mut sql,
            "operation",
            q.operation_type.map(OperationType::as_str),
        ));
        filter.push_str(&text_condition(
            &mut sql,
            "resource",
            q.resource_type.map(ResourceKind::as_str),
        ));
        filter.push_str(&common_conditions(&mut sql, q.success, q.start, q.end));
        fetch_page(
            &self.pool,
            &mut sql,
            AUDIT_COLUMNS,
            &filter,
            "created_at DESC, id DESC",
            q.page,
            audit_record,
        )
        .await
    }

    async fn insert_user_action(&self, a: &UserAction) -> Result<()> {
        let _turn = self.write_turn().await;
        insert_action_with(&self.pool, a).await
    }

    async fn user_actions(&self, pool_id: &str, q: &UserActionQuery) -> Result<Paged<UserAction>> {
        let mut sql = Sql::default();
        let mut halves = Vec::with_capacity(2);
        // Logins are the login history's rows (its `method` is how the user logged in,
        // not an event of this log); another event type leaves them out.
        if matches!(q.event_type, None | Some(UserEvent::Login)) {
            let pool = sql.bind(pool_id);
            let conditions = action_conditions(&mut sql, q);
            // The event's stored name is this crate's constant, not caller text.
            let login = UserEvent::Login.as_str();
            halves.push(format!(
                "SELECT id, pool_id, user_id, app_id, '{login}' AS event, success, ip, \
                 user_agent, created_at FROM login_history \
                 WHERE pool_id = {pool} AND user_id IS NOT NULL{conditions}"
            ));
        }
        let pool = sql.bind(pool_id);
        let mut conditions = text_condition(&mut sql, "event", q.event_type.map(UserEvent::as_str));
        conditions.push_str(&action_conditions(&mut sql, q));
        halves.push(format!(
            "SELECT {ACTION_COLUMNS} FROM user_actions WHERE pool_id = {pool}{conditions}"
        ));
        let filter = format!("FROM ({}) actions", halves.join(" UNION ALL "));
        fetch_page(
            &self.pool,
            &mut sql,
            ACTION_COLUMNS,
            &filter,
            "created_at DESC, id DESC",
            q.page,
            user_action,
        )
        .await
    }
}

#[async_trait]
impl AuditTx for SqlWriteTx {
    async fn insert_audit(&mut self, record: &AuditRecord) -> Result<()> {
        let json = AuditJson::of(record)?;
        json.insert(record)
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_user_action_in_unit(&mut self, action: &UserAction) -> Result<()> {
        insert_action_with(&mut *self.tx, action).await
    }
}

async fn insert_action_with<'c, E>(exec: E, a: &UserAction) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO user_actions ({ACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&a.id)
    .bind(&a.pool_id)
    .bind(&a.user_id)
    .bind(&a.app_id)
    .bind(a.event.as_str())
    .bind(i64::from(a.success))
    .bind(&a.client_ip)
    .bind(&a.user_agent)
    .bind(a.at)
    .execute(exec)
    .await
    .map_err(db_err)?;
    Ok(())
}
