//! [`UsersStore`] on SQL: admin views, the bulk import (multi-row inserts in one
//! transaction), deletion, archiving, MFA factors. Queries are assembled from fixed fragments with numbered
//! placeholders; caller values are only ever bound, never spliced into the text.

use async_trait::async_trait;
use tessera_core::model::{ExternalIdentity, User};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::users::{LoginEvent, LoginEventQuery, SearchField, UserKey, UserQuery};
use tessera_core::{Error, Result};

use super::statement::Sql;
use super::{db_err, SqlStore};
use crate::rows::{self, col};

use crate::connect::Backend;
use crate::rows::flag;
use sqlx::any::AnyRow;
use tessera_core::model::tenant::{MfaEnrollment, MfaFactor, MfaTicket, MfaType};
use tessera_core::store::users::{UsersStore, UsersTx};
use tessera_core::store::LoginUpdate;

use super::unit::SqlWriteTx;

/// The largest code point: `k || MAX_CHAR` bounds every string that starts with `k`.
const MAX_CHAR: char = '\u{10FFFF}';

fn search_column(f: SearchField) -> &'static str {
    match f {
        SearchField::Username => "username",
        SearchField::Email => "email_key",
        SearchField::Phone => "phone",
        SearchField::Nickname => "nickname",
        SearchField::Name => "name",
        SearchField::ExternalId => "external_id",
    }
}

const ALL_FIELDS: [SearchField; 6] = [
    SearchField::Username,
    SearchField::Email,
    SearchField::Phone,
    SearchField::Nickname,
    SearchField::Name,
    SearchField::ExternalId,
];

/// `FROM …` of a user query. When a condition can name its few candidate ids from an index
/// of its own (a keyword prefix, a custom value, a group, role, node or application), those
/// ids drive the query: `CROSS JOIN` keeps them the outer loop in SQLite, whose planner would
/// otherwise walk the whole pool in list order and test every user. Returns whether a
/// driver was used (then `u.id = m.id` joins it).
fn from_clause(sql: &mut Sql, pool_id: &str, q: &UserQuery) -> bool {
    let keyword = q.keyword.as_deref().filter(|k| !k.is_empty());
    let udf_eq = q.udf.iter().find(|c| !c.negate);
    if let Some(k) = keyword {
        let fields: &[SearchField] = if q.fields.is_empty() {
            &ALL_FIELDS
        } else {
            &q.fields
        };
        sql.push(" FROM (");
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ");
            }
            let key = if *f == SearchField::Email {
                k.to_lowercase()
            } else {
                k.to_owned()
            };
            let c = search_column(*f);
            sql.push("SELECT id FROM users WHERE pool_id = ")
                .text_arg(pool_id)
                .push(&format!(" AND {c} >= "))
                .text_arg(&key)
                .push(&format!(" AND {c} < "))
                .text_arg(&format!("{key}{MAX_CHAR}"));
        }
        sql.push(") m");
    } else if let Some(c) = udf_eq {
        sql.push(
            " FROM (SELECT target_id AS id FROM udf_values WHERE target_type = 'USER' \
             AND pool_id = ",
        )
        .text_arg(pool_id)
        .push(" AND key = ")
        .text_arg(&c.key)
        .push(" AND value = ")
        .text_arg(&c.value)
        .push(") m");
    } else if !q.group_codes.is_empty() {
        sql.push(
            " FROM (SELECT DISTINCT gm.user_id AS id FROM group_members gm \
             JOIN user_groups g ON g.id = gm.group_id WHERE g.pool_id = ",
        )
        .text_arg(pool_id)
        .push(" AND g.code IN ")
        .list(&q.group_codes)
        .push(") m");
    } else if !q.node_ids.is_empty() {
        sql.push(" FROM (SELECT DISTINCT user_id AS id FROM node_members WHERE node_id IN ")
            .list(&q.node_ids)
            .push(") m");
    } else if !q.post_ids.is_empty() {
        sql.push(" FROM (SELECT DISTINCT user_id AS id FROM post_users WHERE pool_id = ")
            .text_arg(pool_id)
            .push(" AND post_id IN ")
            .list(&q.post_ids)
            .push(") m");
    } else if let Some(app) = &q.logged_in_app {
        sql.push(" FROM (SELECT DISTINCT user_id AS id FROM login_history WHERE pool_id = ")
            .text_arg(pool_id)
            .push(" AND app_id = ")
            .text_arg(app)
            .push(") m");
    } else {
        sql.push(" FROM users u");
        return false;
    }
    sql.push(" CROSS JOIN users u");
    true
}

/// `WHERE …` of a user query (the table is aliased `u`). Every condition is here, also the
/// one driving the query: it costs one probe per candidate and keeps the text uniform.
fn user_conditions(sql: &mut Sql, pool_id: &str, q: &UserQuery, driven: bool) {
    if driven {
        sql.push(" WHERE u.id = m.id AND u.pool_id = ");
    } else {
        sql.push(" WHERE u.pool_id = ");
    }
    sql.text_arg(pool_id)
        .push(" AND u.is_deleted = ")
        .int_arg(i64::from(q.archived));
    if q.public_accounts_only {
        sql.push(" AND u.public_account = 1");
    }
    if let Some(k) = q.keyword.as_deref().filter(|k| !k.is_empty()) {
        let fields: &[SearchField] = if q.fields.is_empty() {
            &ALL_FIELDS
        } else {
            &q.fields
        };
        sql.push(" AND (");
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            let key = if *f == SearchField::Email {
                k.to_lowercase()
            } else {
                k.to_owned()
            };
            let upper = format!("{key}{MAX_CHAR}");
            let c = search_column(*f);
            // The range uses the column's index; the SUBSTR re-check keeps the answer exact
            // under any collation.
            sql.push(&format!("(u.{c} >= "))
                .text_arg(&key)
                .push(&format!(" AND u.{c} < "))
                .text_arg(&upper)
                .push(&format!(" AND SUBSTR(u.{c}, 1, CAST("))
                .int_arg(key.chars().count() as i64)
                .push(" AS INTEGER)) = ")
                .text_arg(&key)
                .push(")");
        }
        sql.push(")");
    }
    if !q.group_codes.is_empty() {
        sql.push(
            " AND u.id IN (SELECT gm.user_id FROM group_members gm \
             JOIN user_groups g ON g.id = gm.group_id WHERE g.pool_id = u.pool_id AND g.code IN ",
        )
        .list(&q.group_codes)
        .push(")");
    }
    if !q.roles.is_empty() {
        sql.push(
            " AND u.id IN (SELECT ra.target_id FROM role_assignments ra \
             JOIN roles r ON r.id = ra.role_id \
             WHERE ra.target_type = 'USER' AND r.pool_id = u.pool_id AND (",
        );
        for (i, (ns, code)) in q.roles.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(r.namespace = ")
                .text_arg(ns)
                .push(" AND r.code = ")
                .text_arg(code)
                .push(")");
        }
        sql.push("))");
    }
    if !q.node_ids.is_empty() {
        sql.push(" AND u.id IN (SELECT nm.user_id FROM node_members nm WHERE nm.node_id IN ")
            .list(&q.node_ids)
            .push(")");
    }
    if !q.post_ids.is_empty() {
        sql.push(" AND u.id IN (SELECT pu.user_id FROM post_users pu WHERE pu.pool_id = u.pool_id AND pu.post_id IN ")
            .list(&q.post_ids)
            .push(")");
    }
    if q.exclude_in_org {
        sql.push(" AND NOT EXISTS (SELECT 1 FROM node_members nm WHERE nm.user_id = u.id)");
    }
    for c in &q.udf {
        sql.push(if c.negate {
            " AND u.id NOT IN"
        } else {
            " AND u.id IN"
        })
        .push(
            " (SELECT uv.target_id FROM udf_values uv WHERE uv.target_type = 'USER' \
             AND uv.pool_id = ",
        )
        .text_arg(pool_id)
        .push(" AND uv.key = ")
        .text_arg(&c.key)
        .push(" AND uv.value = ")
        .text_arg(&c.value)
        .push(")");
    }
    if let Some(app) = &q.logged_in_app {
        sql.push(
            " AND u.id IN (SELECT lh.user_id FROM login_history lh \
             WHERE lh.pool_id = u.pool_id AND lh.app_id = ",
        )
        .text_arg(app)
        .push(")");
    }
}

/// The user columns qualified with `u.`, so a driving subquery's `id` cannot clash.
fn prefixed_user_columns() -> String {
    rows::USER_COLUMNS
        .split(',')
        .map(|c| format!("u.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_column(k: UserKey) -> &'static str {
    match k {
        UserKey::Id => "id",
        UserKey::Username => "username",
        UserKey::Email => "email_key",
        UserKey::Phone => "phone",
        UserKey::ExternalId => "external_id",
    }
}

/// Runs a write meant to touch one row per id; whether it did (every id was found).
async fn affects_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sql: &Sql,
    expected: usize,
) -> Result<bool> {
    let n = sql
        .query()
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(n == expected as u64)
}

fn distinct(ids: &[String]) -> Vec<String> {
    let mut v = ids.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Rows per `INSERT` statement. On PostgreSQL each statement is a network round trip, so it
/// is large: 500 × 51 columns = 25,500 bind parameters, under the protocol's 65,535. On
/// SQLite a statement costs no round trip, but naming a bind parameter scans the statement's
/// parameter list, so binding is quadratic in the parameters of one statement: 32 rows
/// (1,632 parameters) keeps that negligible.
fn rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Postgres => 500,
        Backend::Sqlite => 32,
    }
}

fn multi_row_insert(rows_in_statement: usize) -> String {
    let n = rows::USER_COLUMN_COUNT;
    let mut sql = format!("INSERT INTO users ({}) VALUES ", rows::USER_COLUMNS);
    for r in 0..rows_in_statement {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..n {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * n + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

const MFA_COLUMNS: &str = "id, pool_id, user_id, type, secret, recovery, enabled, created_at, \
                           target, recovery_hash, last_step";
const MFA_VALUES: &str = "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

const ENROLLMENT_COLUMNS: &str =
    "token_hash, pool_id, user_id, type, secret, target, recovery_hash, expires_at, created_at";

const TICKET_COLUMNS: &str = "ticket_hash, pool_id, user_id, app_id, methods, kinds, \
                              client_ip, client_device, client_browser, expires_at, created_at";

/// A comma-separated column as its items (an empty text is no item).
fn comma_list(row: &AnyRow, name: &str) -> Result<Vec<String>> {
    let text: String = col(row, name)?;
    Ok(text
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

fn ticket(row: &AnyRow) -> Result<MfaTicket> {
    let kinds = comma_list(row, "kinds")?
        .iter()
        .map(|k| {
            MfaType::parse(k)
                .ok_or_else(|| Error::Storage(format!("mfa_tickets.kinds {k} is unknown")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MfaTicket {
        ticket_hash: col(row, "ticket_hash")?,
        pool_id: col(row, "pool_id")?,
        user_id: col(row, "user_id")?,
        app_id: col(row, "app_id")?,
        methods: comma_list(row, "methods")?,
        kinds,
        client_ip: col(row, "client_ip")?,
        client_device: col(row, "client_device")?,
        client_browser: col(row, "client_browser")?,
        expires_at: col(row, "expires_at")?,
        created_at: col(row, "created_at")?,
    })
}

fn mfa_type(row: &AnyRow, table: &str) -> Result<MfaType> {
    let kind: String = col(row, "type")?;
    MfaType::parse(&kind).ok_or_else(|| Error::Storage(format!("{table}.type {kind} is unknown")))
}

fn enrollment(row: &AnyRow) -> Result<MfaEnrollment> {
    Ok(MfaEnrollment {
        token_hash: col(row, "token_hash")?,
        pool_id: col(row, "pool_id")?,
        user_id: col(row, "user_id")?,
        kind: mfa_type(row, "mfa_enrollments")?,
        secret: col(row, "secret")?,
        target: col(row, "target")?,
        recovery_hash: col(row, "recovery_hash")?,
        expires_at: col(row, "expires_at")?,
        created_at: col(row, "created_at")?,
    })
}

/// Binds a factor's columns in [`MFA_COLUMNS`] order.
fn bind_mfa<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    f: &'q MfaFactor,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&f.id)
        .bind(&f.pool_id)
        .bind(&f.user_id)
        .bind(f.kind.as_str())
        .bind(&f.secret)
        .bind(&f.recovery)
        .bind(i64::from(f.enabled))
        .bind(f.created_at)
        .bind(&f.target)
        .bind(&f.recovery_hash)
        .bind(f.last_step)
}

fn mfa(row: &AnyRow) -> Result<MfaFactor> {
    Ok(MfaFactor {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        user_id: col(row, "user_id")?,
        kind: mfa_type(row, "mfa_factors")?,
        secret: col(row, "secret")?,
        recovery: col(row, "recovery")?,
        enabled: flag(row, "enabled")?,
        created_at: col(row, "created_at")?,
        target: col(row, "target")?,
        recovery_hash: col(row, "recovery_hash")?,
        last_step: col(row, "last_step")?,
    })
}

#[async_trait]
impl UsersStore for SqlStore {
    // --- admin views ------------------------------------------------------------------

    async fn query_users(&self, pool_id: &str, q: &UserQuery, page: Page) -> Result<Paged<User>> {
        let unfiltered = UserQuery {
            archived: q.archived,
            ..UserQuery::default()
        };
        let total_count: i64 = if *q == unfiltered {
            // Kept by triggers on `users` (migration 7): a few rows instead of the pool.
            let row = sqlx::query(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM user_counts \
                 WHERE pool_id = $1 AND is_deleted = $2",
            )
            .bind(pool_id)
            .bind(i64::from(q.archived))
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
            col(&row, "n")?
        } else {
            let mut count = Sql::default();
            count.push("SELECT COUNT(*) AS n");
            let driven = from_clause(&mut count, pool_id, q);
            user_conditions(&mut count, pool_id, q, driven);
            let row = count.query().fetch_one(&self.pool).await.map_err(db_err)?;
            col(&row, "n")?
        };

        let mut list = Sql::default();
        list.push(&format!("SELECT {}", prefixed_user_columns()));
        let driven = from_clause(&mut list, pool_id, q);
        user_conditions(&mut list, pool_id, q, driven);
        list.push(" ORDER BY u.created_at DESC, u.id DESC LIMIT ")
            .int_arg(page.limit)
            .push(" OFFSET ")
            .int_arg(page.offset());
        let users = list
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(rows::user)
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged {
            total_count,
            list: users,
        })
    }

    async fn users_by_key(
        &self,
        pool_id: &str,
        key: UserKey,
        values: &[String],
    ) -> Result<Vec<User>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let c = key_column(key);
        let mut sql = Sql::default();
        sql.push(&format!(
            "SELECT {} FROM users WHERE pool_id = ",
            rows::USER_COLUMNS
        ))
        .text_arg(pool_id)
        .push(&format!(" AND {c} IN "))
        .list(values);
        let found = sql
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(rows::user)
            .collect::<Result<Vec<_>>>()?;
        let field = |u: &User| -> Option<String> {
            match key {
                UserKey::Id => Some(u.id.clone()),
                UserKey::Username => u.username.clone(),
                UserKey::Email => u
                    .email
                    .as_deref()
                    .map(tessera_core::rules::identifiers::email_key),
                UserKey::Phone => u.phone.clone(),
                UserKey::ExternalId => u.external_id.clone(),
            }
        };
        let mut out = Vec::with_capacity(found.len());
        for v in values {
            for u in found
                .iter()
                .filter(|u| field(u).as_deref() == Some(v.as_str()))
            {
                if !out.iter().any(|o: &User| o.id == u.id) {
                    out.push(u.clone());
                }
            }
        }
        Ok(out)
    }

    async fn login_events(
        &self,
        pool_id: &str,
        q: &LoginEventQuery,
        page: Page,
    ) -> Result<Paged<LoginEvent>> {
        let conditions = |sql: &mut Sql| {
            sql.push(" WHERE pool_id = ")
                .text_arg(pool_id)
                .push(" AND success = 1 AND user_id IS NOT NULL");
            if !q.user_ids.is_empty() {
                sql.push(" AND user_id IN ").list(&q.user_ids);
            }
            if !q.app_ids.is_empty() {
                sql.push(" AND app_id IN ").list(&q.app_ids);
            }
            if let Some(ip) = &q.ip {
                sql.push(" AND ip = ").text_arg(ip);
            }
            if let Some(s) = q.start {
                sql.push(" AND created_at >= ").int_arg(s);
            }
            if let Some(e) = q.end {
                sql.push(" AND created_at <= ").int_arg(e);
            }
        };
        let mut count = Sql::default();
        count.push("SELECT COUNT(*) AS n FROM login_history");
        conditions(&mut count);
        let total_count: i64 = col(
            &count.query().fetch_one(&self.pool).await.map_err(db_err)?,
            "n",
        )?;
        let mut list = Sql::default();
        list.push("SELECT id, user_id, app_id, ip, user_agent, created_at FROM login_history");
        conditions(&mut list);
        list.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .int_arg(page.limit)
            .push(" OFFSET ")
            .int_arg(page.offset());
        let events = list
            .query()
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(LoginEvent {
                    id: col(r, "id")?,
                    user_id: col(r, "user_id")?,
                    app_id: col(r, "app_id")?,
                    ip: col(r, "ip")?,
                    user_agent: col(r, "user_agent")?,
                    at: col(r, "created_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged {
            total_count,
            list: events,
        })
    }

    async fn app_login_user_count(&self, pool_id: &str, app_id: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT user_id) AS n FROM login_history \
             WHERE pool_id = $1 AND app_id = $2 AND success = 1",
        )
        .bind(pool_id)
        .bind(app_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        col(&row, "n")
    }

    async fn udf_user_count(&self, pool_id: &str, key: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM udf_values \
             WHERE pool_id = $1 AND target_type = 'USER' AND key = $2",
        )
        .bind(pool_id)
        .bind(key)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        col(&row, "n")
    }

    // --- writes -----------------------------------------------------------------------

    async fn insert_user_with_identity(
        &self,
        user: &User,
        identity: Option<&ExternalIdentity>,
    ) -> Result<()> {
        atomically!(self, tx, {
            super::insert_user_with(&mut *tx, user).await?;
            if let Some(i) = identity {
                super::insert_identity_with(&mut *tx, i).await?;
            }
            Ok(())
        })
    }

    async fn insert_identities(&self, identities: &[ExternalIdentity]) -> Result<()> {
        atomically!(self, tx, {
            for i in identities {
                super::insert_identity_with(&mut *tx, i).await?;
            }
            Ok(())
        })
    }

    async fn insert_users_bulk(&self, users: &[User]) -> Result<u64> {
        if users.is_empty() {
            return Ok(0);
        }
        let per = rows_per_statement(self.backend);
        let full_sql = multi_row_insert(per.min(users.len()));
        atomically!(self, tx, {
            let mut inserted = 0;
            for chunk in users.chunks(per) {
                // Every chunk but the last has the full size and reuses one prepared statement.
                let partial;
                let sql = if chunk.len() == per.min(users.len()) {
                    &full_sql
                } else {
                    partial = multi_row_insert(chunk.len());
                    &partial
                };
                let mut q = sqlx::query(sql);
                for u in chunk {
                    q = rows::bind_user(q, u)?;
                }
                inserted += q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            }
            Ok(inserted)
        })
    }

    async fn set_archived(
        &self,
        pool_id: &str,
        ids: &[String],
        archived: bool,
        end_sessions: bool,
        at: i64,
    ) -> Result<()> {
        let ids = distinct(ids);
        if ids.is_empty() {
            return Ok(());
        }
        atomically!(self, tx, {
            let status = if archived { "Resigned" } else { "Activated" };
            let mut sql = Sql::default();
            sql.push("UPDATE users SET is_deleted = ")
                .int_arg(i64::from(archived))
                .push(", status = ")
                .text_arg(status)
                .push(", updated_at = ")
                .int_arg(at);
            if end_sessions {
                sql.push(", tokens_valid_after = ").int_arg(at);
            }
            sql.push(" WHERE pool_id = ")
                .text_arg(pool_id)
                .push(" AND id IN ")
                .list(&ids);
            if !affects_all(&mut tx, &sql, ids.len()).await? {
                return Err(Error::UserNotFound);
            }
            Ok(())
        })
    }

    async fn end_sessions(&self, pool_id: &str, ids: &[String], at: i64) -> Result<()> {
        let ids = distinct(ids);
        if ids.is_empty() {
            return Ok(());
        }
        atomically!(self, tx, {
            let mut sql = Sql::default();
            sql.push("UPDATE users SET tokens_valid_after = ")
                .int_arg(at)
                .push(" WHERE pool_id = ")
                .text_arg(pool_id)
                .push(" AND id IN ")
                .list(&ids);
            if !affects_all(&mut tx, &sql, ids.len()).await? {
                return Err(Error::UserNotFound);
            }
            let mut s = Sql::default();
            s.push("UPDATE sessions SET revoked_at = ")
                .int_arg(at)
                .push(" WHERE pool_id = ")
                .text_arg(pool_id)
                .push(" AND revoked_at IS NULL AND user_id IN ")
                .list(&ids);
            s.query().execute(&mut *tx).await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn delete_identity(
        &self,
        pool_id: &str,
        user_id: &str,
        provider: &str,
        user_id_in_idp: &str,
    ) -> Result<bool> {
        let n = sqlx::query(
            "DELETE FROM external_identities WHERE pool_id = $1 AND user_id = $2 \
             AND provider = $3 AND user_id_in_idp = $4",
        )
        .bind(pool_id)
        .bind(user_id)
        .bind(provider)
        .bind(user_id_in_idp)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    // --- MFA factors ------------------------------------------------------------------

    async fn mfa_factors(&self, pool_id: &str, user_id: &str) -> Result<Vec<MfaFactor>> {
        sqlx::query(&format!(
            "SELECT {MFA_COLUMNS} FROM mfa_factors WHERE pool_id = $1 AND user_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(mfa)
        .collect()
    }

    async fn delete_mfa_factors(&self, pool_id: &str, user_id: &str, kind: MfaType) -> Result<u64> {
        sqlx::query("DELETE FROM mfa_factors WHERE pool_id = $1 AND user_id = $2 AND type = $3")
            .bind(pool_id)
            .bind(user_id)
            .bind(kind.as_str())
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_err)
    }

    async fn put_mfa_factor(&self, f: &MfaFactor) -> Result<()> {
        let sql = format!(
            "INSERT INTO mfa_factors ({MFA_COLUMNS}) VALUES {MFA_VALUES} \
             ON CONFLICT (pool_id, user_id, type) DO UPDATE SET id = excluded.id, \
             secret = excluded.secret, recovery = excluded.recovery, \
             enabled = excluded.enabled, created_at = excluded.created_at, \
             target = excluded.target, recovery_hash = excluded.recovery_hash, \
             last_step = excluded.last_step"
        );
        bind_mfa(sqlx::query(&sql), f)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_mfa_factor(&self, pool_id: &str, user_id: &str, id: &str) -> Result<bool> {
        sqlx::query("DELETE FROM mfa_factors WHERE pool_id = $1 AND user_id = $2 AND id = $3")
            .bind(pool_id)
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(db_err)
    }

    async fn advance_mfa_step(&self, pool_id: &str, id: &str, step: i64) -> Result<bool> {
        sqlx::query(
            "UPDATE mfa_factors SET last_step = $1 WHERE pool_id = $2 AND id = $3 \
             AND (last_step IS NULL OR last_step < $1)",
        )
        .bind(step)
        .bind(pool_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }

    async fn spend_mfa_recovery(
        &self,
        pool_id: &str,
        id: &str,
        recovery_hash: Option<&str>,
        recovery: Option<&str>,
    ) -> Result<bool> {
        // A NULL bound here compares as unknown, so only the value the caller matched counts.
        sqlx::query(
            "UPDATE mfa_factors SET recovery = NULL, recovery_hash = NULL \
             WHERE pool_id = $1 AND id = $2 AND (recovery_hash = $3 OR recovery = $4)",
        )
        .bind(pool_id)
        .bind(id)
        .bind(recovery_hash)
        .bind(recovery)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }

    async fn put_mfa_enrollment(&self, e: &MfaEnrollment) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "DELETE FROM mfa_enrollments WHERE pool_id = $1 AND user_id = $2 AND type = $3",
        )
        .bind(&e.pool_id)
        .bind(&e.user_id)
        .bind(e.kind.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(&format!(
            "INSERT INTO mfa_enrollments ({ENROLLMENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&e.token_hash)
        .bind(&e.pool_id)
        .bind(&e.user_id)
        .bind(e.kind.as_str())
        .bind(&e.secret)
        .bind(&e.target)
        .bind(&e.recovery_hash)
        .bind(e.expires_at)
        .bind(e.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn mfa_enrollment(
        &self,
        pool_id: &str,
        token_hash: &str,
    ) -> Result<Option<MfaEnrollment>> {
        sqlx::query(&format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM mfa_enrollments \
             WHERE token_hash = $1 AND pool_id = $2"
        ))
        .bind(token_hash)
        .bind(pool_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(enrollment)
        .transpose()
    }

    async fn pending_mfa_enrollment(
        &self,
        pool_id: &str,
        user_id: &str,
        kind: MfaType,
    ) -> Result<Option<MfaEnrollment>> {
        sqlx::query(&format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM mfa_enrollments \
             WHERE pool_id = $1 AND user_id = $2 AND type = $3"
        ))
        .bind(pool_id)
        .bind(user_id)
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(enrollment)
        .transpose()
    }

    async fn put_mfa_ticket(&self, t: &MfaTicket) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO mfa_tickets ({TICKET_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&t.ticket_hash)
        .bind(&t.pool_id)
        .bind(&t.user_id)
        .bind(&t.app_id)
        .bind(t.methods.join(","))
        .bind(
            t.kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )
        .bind(&t.client_ip)
        .bind(&t.client_device)
        .bind(&t.client_browser)
        .bind(t.expires_at)
        .bind(t.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)
        .map(drop)
    }

    async fn mfa_ticket(&self, pool_id: &str, ticket_hash: &str) -> Result<Option<MfaTicket>> {
        sqlx::query(&format!(
            "SELECT {TICKET_COLUMNS} FROM mfa_tickets WHERE ticket_hash = $1 AND pool_id = $2"
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

    async fn delete_mfa_ticket(&self, pool_id: &str, ticket_hash: &str) -> Result<bool> {
        sqlx::query("DELETE FROM mfa_tickets WHERE ticket_hash = $1 AND pool_id = $2")
            .bind(ticket_hash)
            .bind(pool_id)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(db_err)
    }
}

#[async_trait]
impl UsersTx for SqlWriteTx {
    async fn insert_user_in_unit(
        &mut self,
        user: &User,
        identities: &[ExternalIdentity],
    ) -> Result<()> {
        super::insert_user_with(&mut *self.tx, user).await?;
        for i in identities {
            super::insert_identity_with(&mut *self.tx, i).await?;
        }
        Ok(())
    }

    async fn find_user_in_unit(
        &mut self,
        pool_id: &str,
        by: tessera_core::store::UserLookup<'_>,
    ) -> Result<Option<User>> {
        use crate::request_reads::{find_user_sql, LookupKey, FIND_USER_SQL};
        let (i, key) = find_user_sql(by);
        let q = sqlx::query(&FIND_USER_SQL[i]).bind(pool_id);
        let q = match key {
            LookupKey::One(a) => q.bind(a),
            LookupKey::Two(a, b) => q.bind(a).bind(b),
        };
        q.fetch_optional(&mut *self.tx)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(rows::user)
            .transpose()
    }

    async fn move_identities(&mut self, pool_id: &str, from: &str, to: &str) -> Result<()> {
        sqlx::query(
            "UPDATE external_identities SET user_id = $1, updated_at = $2 \
             WHERE pool_id = $3 AND user_id = $4",
        )
        .bind(to)
        .bind(tessera_core::clock::now_ms())
        .bind(pool_id)
        .bind(from)
        .execute(&mut *self.tx)
        .await
        .map(drop)
        .map_err(db_err)
    }

    async fn count_users_in(&mut self, pool_id: &str, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut sql = Sql::default();
        sql.push("SELECT COUNT(*) AS n FROM users WHERE pool_id = ")
            .text_arg(pool_id)
            .push(" AND id IN ")
            .list(ids);
        let row = sql.query().fetch_one(&mut *self.tx).await.map_err(db_err)?;
        Ok(u64::try_from(col::<i64>(&row, "n")?).unwrap_or(0))
    }

    async fn sub_account_ids(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        sql.push("SELECT id FROM users WHERE pool_id = ")
            .text_arg(pool_id)
            .push(" AND primary_user_id IN ")
            .list(ids);
        sql.query()
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col(r, "id"))
            .collect()
    }

    async fn delete_users(&mut self, pool_id: &str, ids: &[String]) -> Result<()> {
        self.delete_in("users", "id", pool_id, ids).await.map(drop)
    }

    async fn change_user_in_unit(
        &mut self,
        pool_id: &str,
        user_id: &str,
        change: &tessera_core::store::UserChange,
        at_ms: i64,
    ) -> Result<bool> {
        super::accounts::change_user_on(&mut self.tx, pool_id, user_id, change, at_ms).await
    }

    async fn take_mfa_enrollment(
        &mut self,
        pool_id: &str,
        user_id: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<bool> {
        sqlx::query(
            "DELETE FROM mfa_enrollments WHERE token_hash = $1 AND pool_id = $2 \
             AND user_id = $3 AND expires_at > $4",
        )
        .bind(token_hash)
        .bind(pool_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }

    async fn take_mfa_ticket(
        &mut self,
        pool_id: &str,
        user_id: &str,
        ticket_hash: &str,
        now: i64,
    ) -> Result<bool> {
        sqlx::query(
            "DELETE FROM mfa_tickets WHERE ticket_hash = $1 AND pool_id = $2 \
             AND user_id = $3 AND expires_at > $4",
        )
        .bind(ticket_hash)
        .bind(pool_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(db_err)
    }

    async fn record_login_in_unit(
        &mut self,
        pool_id: &str,
        user_id: &str,
        update: &LoginUpdate,
    ) -> Result<()> {
        super::record_login_with(&mut self.tx, pool_id, user_id, update).await
    }

    async fn insert_mfa_factor(&mut self, f: &MfaFactor) -> Result<bool> {
        let sql = format!(
            "INSERT INTO mfa_factors ({MFA_COLUMNS}) VALUES {MFA_VALUES} \
             ON CONFLICT (pool_id, user_id, type) DO NOTHING"
        );
        bind_mfa(sqlx::query(&sql), f)
            .execute(&mut *self.tx)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(db_err)
    }
}
