//! [`RiskStore`] and [`RiskTx`] on SQL: the `risk_ip_entries`, `risk_user_entries` and
//! `risk_policies` tables of migration 10.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use tessera_core::model::risk::{
    AddType, Cond, EventState, IpListEntry, IpNet, Limit, ListType, Listing, OptObject,
    PolicyAction, Range, RemoveType, RiskPolicy, UserListEntry,
};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::risk::{RiskStore, RiskTx};
use tessera_core::{Error, Result};

use super::statement::{fetch_page, Sql};
use super::unit::SqlWriteTx;
use super::{db_err, SqlStore};
use crate::rows::{col, parse_json, to_json};

const IP_COLUMNS: &str =
    "id, pool_id, network, list_type, add_type, remove_type, limits, expire_at, created_at";
const USER_COLUMNS: &str =
    "id, pool_id, user_id, list_type, add_type, remove_type, limits, expire_at, created_at";
const POLICY_COLUMNS: &str = "id, pool_id, opt_object, ip_range, user_range, ip_cond, \
     user_cond, time_range, count_thr, event_state, remove_type, action, limits, created_at";

/// An enum column read back through its string form; a value no version wrote is a storage
/// error naming the column.
fn named<T>(row: &AnyRow, name: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let text: String = col(row, name)?;
    parse(&text).ok_or_else(|| Error::Storage(format!("column {name}: unknown value {text:?}")))
}

fn limits_json(limits: &[Limit]) -> Result<String> {
    to_json(&limits.iter().map(|l| l.as_str()).collect::<Vec<_>>())
}

fn limits_col(row: &AnyRow) -> Result<Vec<Limit>> {
    let texts: Vec<String> = parse_json(&col::<String>(row, "limits")?, "limits")?;
    texts
        .iter()
        .map(|t| {
            Limit::parse(t)
                .ok_or_else(|| Error::Storage(format!("column limits: unknown value {t:?}")))
        })
        .collect()
}

fn listing(row: &AnyRow) -> Result<Listing> {
    Ok(Listing {
        list: named(row, "list_type", ListType::parse)?,
        add_type: named(row, "add_type", AddType::parse)?,
        remove_type: named(row, "remove_type", RemoveType::parse)?,
        limits: limits_col(row)?,
        expire_at: col(row, "expire_at")?,
    })
}

fn ip_entry(row: &AnyRow) -> Result<IpListEntry> {
    Ok(IpListEntry {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        net: named(row, "network", IpNet::parse)?,
        listing: listing(row)?,
        created_at: col(row, "created_at")?,
    })
}

fn user_entry(row: &AnyRow) -> Result<UserListEntry> {
    Ok(UserListEntry {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        user_id: col(row, "user_id")?,
        listing: listing(row)?,
        created_at: col(row, "created_at")?,
    })
}

fn policy(row: &AnyRow) -> Result<RiskPolicy> {
    Ok(RiskPolicy {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        object: named(row, "opt_object", OptObject::parse)?,
        ip_range: named(row, "ip_range", Range::parse)?,
        user_range: named(row, "user_range", Range::parse)?,
        ip_cond: named(row, "ip_cond", Cond::parse)?,
        user_cond: named(row, "user_cond", Cond::parse)?,
        time_range_minutes: col(row, "time_range")?,
        count_threshold: col(row, "count_thr")?,
        event: named(row, "event_state", EventState::parse)?,
        remove_type: named(row, "remove_type", RemoveType::parse)?,
        action: named(row, "action", PolicyAction::parse)?,
        limits: limits_col(row)?,
        created_at: col(row, "created_at")?,
    })
}

/// Adds an entry or renews the one already there for the same subject, list and add type:
/// the columns a renewal changes are named, the id stays.
fn upsert_sql(table: &str, subject: &str) -> String {
    format!(
        "INSERT INTO {table} (id, pool_id, {subject}, list_type, add_type, remove_type, limits, \
         expire_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (pool_id, {subject}, list_type, add_type) DO UPDATE SET \
         remove_type = excluded.remove_type, limits = excluded.limits, \
         expire_at = excluded.expire_at, created_at = excluded.created_at"
    )
}

/// The page filter of one list's entries still active at `now_ms`.
fn active_list(table: &str, pool_id: &str, list: ListType, now_ms: i64) -> (Sql, String) {
    let mut sql = Sql::default();
    let pool = sql.bind(pool_id);
    let list = sql.bind(list.as_str());
    let now = sql.bind_int(now_ms);
    let filter = format!(
        "FROM {table} WHERE pool_id = {pool} AND list_type = {list} \
         AND (expire_at = 0 OR expire_at > {now})"
    );
    (sql, filter)
}

impl SqlStore {
    async fn delete_by_id(&self, table: &str, pool_id: &str, id: &str) -> Result<bool> {
        let n = sqlx::query(&format!(
            "DELETE FROM {table} WHERE pool_id = $1 AND id = $2"
        ))
        .bind(pool_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }
}

#[async_trait]
impl RiskStore for SqlStore {
    async fn put_ip_entries(&self, pool_id: &str, entries: &[IpListEntry]) -> Result<()> {
        let sql = upsert_sql("risk_ip_entries", "network");
        atomically!(self, tx, {
            for e in entries {
                sqlx::query(&sql)
                    .bind(&e.id)
                    .bind(pool_id)
                    .bind(e.net.key())
                    .bind(e.listing.list.as_str())
                    .bind(e.listing.add_type.as_str())
                    .bind(e.listing.remove_type.as_str())
                    .bind(limits_json(&e.listing.limits)?)
                    .bind(e.listing.expire_at)
                    .bind(e.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn ip_entries_page(
        &self,
        pool_id: &str,
        list: ListType,
        now_ms: i64,
        page: Page,
    ) -> Result<Paged<IpListEntry>> {
        let (mut sql, filter) = active_list("risk_ip_entries", pool_id, list, now_ms);
        fetch_page(
            &self.pool,
            &mut sql,
            IP_COLUMNS,
            &filter,
            "created_at, id",
            page,
            ip_entry,
        )
        .await
    }

    async fn ip_entries_matching(
        &self,
        pool_id: &str,
        networks: &[String],
    ) -> Result<Vec<IpListEntry>> {
        if networks.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(vec![pool_id.to_owned()]);
        let list = sql.bind_list(networks);
        sql.text = format!(
            "SELECT {IP_COLUMNS} FROM risk_ip_entries WHERE pool_id = $1 AND network IN ({list})"
        );
        sql.fetch_all(&self.pool)
            .await?
            .iter()
            .map(ip_entry)
            .collect()
    }

    async fn delete_ip_entry(&self, pool_id: &str, id: &str) -> Result<bool> {
        self.delete_by_id("risk_ip_entries", pool_id, id).await
    }

    async fn user_entries_page(
        &self,
        pool_id: &str,
        list: ListType,
        now_ms: i64,
        page: Page,
    ) -> Result<Paged<UserListEntry>> {
        let (mut sql, filter) = active_list("risk_user_entries", pool_id, list, now_ms);
        fetch_page(
            &self.pool,
            &mut sql,
            USER_COLUMNS,
            &filter,
            "created_at, id",
            page,
            user_entry,
        )
        .await
    }

    async fn user_entries_of(&self, pool_id: &str, user_id: &str) -> Result<Vec<UserListEntry>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM risk_user_entries WHERE pool_id = $1 AND user_id = $2"
        ))
        .bind(pool_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(user_entry)
        .collect()
    }

    async fn delete_user_entry(&self, pool_id: &str, id: &str) -> Result<bool> {
        self.delete_by_id("risk_user_entries", pool_id, id).await
    }

    async fn insert_risk_policy(&self, p: &RiskPolicy) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO risk_policies ({POLICY_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
        .bind(&p.id)
        .bind(&p.pool_id)
        .bind(p.object.as_str())
        .bind(p.ip_range.as_str())
        .bind(p.user_range.as_str())
        .bind(p.ip_cond.as_str())
        .bind(p.user_cond.as_str())
        .bind(p.time_range_minutes)
        .bind(p.count_threshold)
        .bind(p.event.as_str())
        .bind(p.remove_type.as_str())
        .bind(p.action.as_str())
        .bind(limits_json(&p.limits)?)
        .bind(p.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn risk_policies_page(
        &self,
        pool_id: &str,
        object: OptObject,
        page: Page,
    ) -> Result<Paged<RiskPolicy>> {
        let mut sql = Sql::default();
        let pool = sql.bind(pool_id);
        let object = sql.bind(object.as_str());
        let filter = format!("FROM risk_policies WHERE pool_id = {pool} AND opt_object = {object}");
        fetch_page(
            &self.pool,
            &mut sql,
            POLICY_COLUMNS,
            &filter,
            "created_at, id",
            page,
            policy,
        )
        .await
    }

    async fn risk_policies(&self, pool_id: &str) -> Result<Vec<RiskPolicy>> {
        sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM risk_policies WHERE pool_id = $1 ORDER BY created_at, id"
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(policy)
        .collect()
    }

    async fn delete_risk_policy(&self, pool_id: &str, id: &str) -> Result<bool> {
        self.delete_by_id("risk_policies", pool_id, id).await
    }
}

#[async_trait]
impl RiskTx for SqlWriteTx {
    async fn put_user_entries(&mut self, pool_id: &str, entries: &[UserListEntry]) -> Result<()> {
        let sql = upsert_sql("risk_user_entries", "user_id");
        for e in entries {
            sqlx::query(&sql)
                .bind(&e.id)
                .bind(pool_id)
                .bind(&e.user_id)
                .bind(e.listing.list.as_str())
                .bind(e.listing.add_type.as_str())
                .bind(e.listing.remove_type.as_str())
                .bind(limits_json(&e.listing.limits)?)
                .bind(e.listing.expire_at)
                .bind(e.created_at)
                .execute(&mut *self.tx)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    async fn delete_user_entries_of(&mut self, pool_id: &str, user_ids: &[String]) -> Result<()> {
        self.delete_in("risk_user_entries", "user_id", pool_id, user_ids)
            .await?;
        Ok(())
    }

    async fn add_rate_event_in_unit(
        &mut self,
        pool_id: &str,
        kind: &str,
        key: &str,
        at: i64,
    ) -> Result<()> {
        super::accounts::add_rate_event_with(&mut *self.tx, pool_id, kind, key, at).await
    }
}
