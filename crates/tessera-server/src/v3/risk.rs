//! Risk lists (`v3-wire.md` §4 "Risk lists", 9 methods): IP and user blacklists and
//! whitelists and the automatic policies, over `service/risk.rs`, which the one login and
//! registration consult on every façade.
//!
//! The SDK's three delete methods send the literal `{id}` (`%7Bid%7D`, §9.1): the id never
//! reaches the wire, so that request is refused (400) and nothing is deleted; other clients
//! delete by the real id.

use axum::extract::Path;
use axum::routing::{delete, get};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::risk::{
    AddType, Cond, EventState, IpListEntry, Limit, ListType, OptObject, PolicyAction, Range,
    RemoveType, RiskPolicy, UserListEntry,
};
use tessera_core::service::paging::Page;
use tessera_core::service::risk::{NewListing, NewRiskPolicy};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{done, ok, Failure, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/ip-list", get(find_ips).post(add_ips))
        .route("/api/v3/ip-list/{id}", delete(delete_ip))
        .route("/api/v3/user-list", get(find_users).post(add_users))
        .route("/api/v3/user-list/{id}", delete(delete_user))
        .route(
            "/api/v3/risk-list-policy",
            get(find_policies).post(add_policy),
        )
        .route("/api/v3/risk-list-policy/{id}", delete(delete_policy))
}

/// A wire enum value through the core enum's own string form.
fn named<T>(text: &str, parse: fn(&str) -> Option<T>, field: &'static str) -> Result<T, Error> {
    parse(text).ok_or(Error::InvalidParameter(field))
}

fn limits(list: &[String]) -> Result<Vec<Limit>, Error> {
    list.iter()
        .map(|l| named(l, Limit::parse, "limitList"))
        .collect()
}

/// `expireAt`: ms since the epoch, as a number or (the IP DTO types it so) a string of one;
/// empty or absent is none.
fn expire_at(v: &Option<Value>) -> Result<Option<i64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or(Error::InvalidParameter("expireAt")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| tessera_core::clock::parse_iso8601(s.trim()))
            .map(Some)
            .ok_or(Error::InvalidParameter("expireAt")),
        Some(_) => Err(Error::InvalidParameter("expireAt")),
    }
}

/// A path id, unless it is the SDK's unsubstituted placeholder.
fn real_id(id: &str) -> Result<&str, Failure> {
    if id.starts_with('{') && id.ends_with('}') {
        return Err(Failure::Placeholder("id"));
    }
    Ok(id)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FindIps {
    page: Option<i64>,
    limit: Option<i64>,
    ip_type: String,
}

fn ip_dto(e: &IpListEntry) -> Value {
    json!({
        "id": e.id,
        "ip": e.net.to_string(),
        "ipType": e.listing.list.as_str(),
        "addType": e.listing.add_type.as_str(),
        "removeType": e.listing.remove_type.as_str(),
        "limitList": e.listing.limits.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "expireAt": if e.listing.expire_at == 0 { Value::Null } else { json!(e.listing.expire_at) },
        "createdAt": iso8601(e.created_at),
    })
}

async fn find_ips(m: Mgmt) -> Reply {
    let r: FindIps = m.args().map_err(|e| m.fail(e))?;
    let list = named(&r.ip_type, ListType::parse, "ipType").map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .ip_list(&m.admin, list, page)
        .await
        .map_err(|e| m.fail(e))?;
    let items: Vec<Value> = p.list.iter().map(ip_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": items }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddIps {
    expire_at: Option<Value>,
    limit_list: Vec<String>,
    remove_type: String,
    add_type: String,
    ip_type: String,
    /// One string of addresses or CIDR ranges, separated by commas or white space.
    ips: String,
}

fn listing(
    list: &str,
    list_field: &'static str,
    add: &str,
    remove: &str,
    limit_list: &[String],
    expire: &Option<Value>,
) -> Result<NewListing, Error> {
    Ok(NewListing {
        list: named(list, ListType::parse, list_field)?,
        add_type: named(add, AddType::parse, "addType")?,
        remove_type: named(remove, RemoveType::parse, "removeType")?,
        limits: limits(limit_list)?,
        expire_at: expire_at(expire)?,
    })
}

async fn add_ips(m: Mgmt) -> Reply {
    let r: AddIps = m.args().map_err(|e| m.fail(e))?;
    let l = listing(
        &r.ip_type,
        "ipType",
        &r.add_type,
        &r.remove_type,
        &r.limit_list,
        &r.expire_at,
    )
    .map_err(|e| m.fail(e))?;
    let ips: Vec<String> = r
        .ips
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    m.core()
        .add_ip_list_entries(&m.admin, &ips, l)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

async fn delete_ip(Path(id): Path<String>, m: Mgmt) -> Reply {
    let id = real_id(&id).map_err(|e| m.fail(e))?;
    m.core()
        .delete_ip_list_entry(&m.admin, id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FindUsers {
    page: Option<i64>,
    limit: Option<i64>,
    user_list_type: String,
}

fn user_entry_dto(e: &UserListEntry) -> Value {
    json!({
        "id": e.id,
        "userId": e.user_id,
        "addType": e.listing.add_type.as_str(),
        "userListType": e.listing.list.as_str(),
        "removeType": e.listing.remove_type.as_str(),
        "limitList": e.listing.limits.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "expireAt": if e.listing.expire_at == 0 { Value::Null } else { json!(e.listing.expire_at) },
        "addAt": iso8601(e.created_at),
    })
}

async fn find_users(m: Mgmt) -> Reply {
    let r: FindUsers = m.args().map_err(|e| m.fail(e))?;
    let list = named(&r.user_list_type, ListType::parse, "userListType").map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .user_list(&m.admin, list, page)
        .await
        .map_err(|e| m.fail(e))?;
    let items: Vec<Value> = p.list.iter().map(user_entry_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": items }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddUsers {
    expire_at: Option<Value>,
    limit_list: Vec<String>,
    remove_type: String,
    add_type: String,
    user_list_type: String,
    user_ids: Vec<String>,
}

async fn add_users(m: Mgmt) -> Reply {
    let r: AddUsers = m.args().map_err(|e| m.fail(e))?;
    let l = listing(
        &r.user_list_type,
        "userListType",
        &r.add_type,
        &r.remove_type,
        &r.limit_list,
        &r.expire_at,
    )
    .map_err(|e| m.fail(e))?;
    m.core()
        .add_user_list_entries(&m.admin, &r.user_ids, l)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

async fn delete_user(Path(id): Path<String>, m: Mgmt) -> Reply {
    let id = real_id(&id).map_err(|e| m.fail(e))?;
    m.core()
        .delete_user_list_entry(&m.admin, id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FindPolicies {
    page: Option<i64>,
    limit: Option<i64>,
    opt_object: String,
}

fn policy_dto(p: &RiskPolicy) -> Value {
    json!({
        "id": p.id,
        "optObject": p.object.as_str(),
        "ipRange": p.ip_range.as_str(),
        "userRange": p.user_range.as_str(),
        "ipCond": p.ip_cond.as_str(),
        "userCond": p.user_cond.as_str(),
        "timeRange": p.time_range_minutes,
        "countThr": p.count_threshold,
        "eventStateType": p.event.as_str(),
        "removeType": p.remove_type.as_str(),
        "action": p.action.as_str(),
        "limitList": p.limits.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "createdAt": iso8601(p.created_at),
    })
}

async fn find_policies(m: Mgmt) -> Reply {
    let r: FindPolicies = m.args().map_err(|e| m.fail(e))?;
    let object = named(&r.opt_object, OptObject::parse, "optObject").map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .risk_policies(&m.admin, object, page)
        .await
        .map_err(|e| m.fail(e))?;
    let items: Vec<Value> = p.list.iter().map(policy_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": items }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddPolicy {
    limit_list: Vec<String>,
    action: String,
    remove_type: String,
    event_state_type: String,
    count_thr: i64,
    /// Minutes.
    time_range: i64,
    user_cond: String,
    ip_cond: String,
    user_range: String,
    ip_range: String,
    opt_object: String,
}

async fn add_policy(m: Mgmt) -> Reply {
    let r: AddPolicy = m.args().map_err(|e| m.fail(e))?;
    let policy = (|| -> Result<NewRiskPolicy, Error> {
        Ok(NewRiskPolicy {
            object: named(&r.opt_object, OptObject::parse, "optObject")?,
            ip_range: named(&r.ip_range, Range::parse, "ipRange")?,
            user_range: named(&r.user_range, Range::parse, "userRange")?,
            ip_cond: named(&r.ip_cond, Cond::parse, "ipCond")?,
            user_cond: named(&r.user_cond, Cond::parse, "userCond")?,
            time_range_minutes: r.time_range,
            count_threshold: r.count_thr,
            event: named(&r.event_state_type, EventState::parse, "eventStateType")?,
            remove_type: named(&r.remove_type, RemoveType::parse, "removeType")?,
            action: named(&r.action, PolicyAction::parse, "action")?,
            limits: limits(&r.limit_list)?,
        })
    })()
    .map_err(|e| m.fail(e))?;
    m.core()
        .add_risk_policy(&m.admin, policy)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

async fn delete_policy(Path(id): Path<String>, m: Mgmt) -> Reply {
    let id = real_id(&id).map_err(|e| m.fail(e))?;
    m.core()
        .delete_risk_policy(&m.admin, id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}
