//! Who may use an application (`v3-wire.md` §4 "Applications": permission strategy,
//! authorize / revoke access, the access rules and their switches), over
//! `service::acl_admin` — the access policy the login obeys (`Core::authenticate` refuses a
//! user it keeps out), which the v2 `mc.acl` edits too.
//!
//! Targets are named as the SDK names them: users and departments (`ORG`) by id, roles by
//! code (in `namespaceCode`, or the default namespace), groups by code — `targetId` of
//! `listAuthSubject` too. `AK_SK` targets are refused: Tessera's access rules name users,
//! roles, groups and departments only. A rule on a
//! department applies to its sub-departments too (the resolver walks a user's departments
//! up to the root), so `inheritByChildren: false` is refused rather than ignored.

use axum::extract::RawQuery;
use axum::routing::{delete, get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::directory::TargetType;
use tessera_core::service::access_explain::{AccessBasis, SubjectAccess};
use tessera_core::service::acl_admin::{AccessChange, AccessItem, AccessRuleView};
use tessera_core::service::paging::{Page, Paged, MAX_PAGE_SIZE};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use super::params::query_values;
use super::signature::QueryValue;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v3/get-application-permission-strategy",
            get(get_strategy),
        )
        .route(
            "/api/v3/update-application-permission-strategy",
            post(update_strategy),
        )
        .route("/api/v3/authorize-application-access", post(authorize))
        .route("/api/v3/revoke-application-access", post(revoke))
        .route("/api/v3/list-applications-auth", post(list_rules))
        .route("/api/v3/update-auth-enabled", post(enable_rule))
        .route("/api/v3/batch-applications-auth", delete(delete_rules))
        .route("/api/v3/list-subject-auth", post(list_subject_rules))
        .route("/api/v3/get-subject-auth-detail", get(subject_detail))
}

/// `USER | ROLE | GROUP | ORG` (serde refuses others, naming them).
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
enum Target {
    User,
    Role,
    Group,
    Org,
}

impl From<Target> for TargetType {
    fn from(t: Target) -> TargetType {
        match t {
            Target::User => TargetType::User,
            Target::Role => TargetType::Role,
            Target::Group => TargetType::Group,
            Target::Org => TargetType::OrgNode,
        }
    }
}

fn target_name(t: TargetType) -> &'static str {
    match t {
        TargetType::User => "USER",
        TargetType::Role => "ROLE",
        TargetType::Group => "GROUP",
        TargetType::OrgNode => "ORG",
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
enum Effect {
    Allow,
    Deny,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Strategy {
    AllowAll,
    DenyAll,
}

// --- default strategy ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppIdRequest {
    app_id: String,
}

fn strategy_name(allow_all: bool) -> &'static str {
    if allow_all {
        "ALLOW_ALL"
    } else {
        "DENY_ALL"
    }
}

async fn get_strategy(m: Mgmt) -> Reply {
    let r: AppIdRequest = m.args().map_err(|e| m.fail(e))?;
    let (_, allow_all) = m
        .core()
        .pool_app(&m.admin, &r.app_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        json!({ "permissionStrategy": strategy_name(allow_all) }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StrategyRequest {
    app_id: String,
    permission_strategy: Strategy,
}

async fn update_strategy(m: Mgmt) -> Reply {
    let r: StrategyRequest = m.args().map_err(|e| m.fail(e))?;
    let allow_all = matches!(r.permission_strategy, Strategy::AllowAll);
    m.core()
        .set_app_default_strategy(&m.admin, &r.app_id, allow_all)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- authorize / revoke --------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantItem {
    target_type: Target,
    namespace_code: Option<String>,
    inherit_by_children: Option<bool>,
    target_identifier: Vec<String>,
    effect: Effect,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthorizeRequest {
    app_id: String,
    list: Vec<GrantItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RevokeItem {
    target_type: Target,
    namespace_code: Option<String>,
    target_identifier: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RevokeRequest {
    app_id: String,
    list: Vec<RevokeItem>,
}

fn namespace(t: Target, ns: Option<String>) -> Result<Option<String>, Error> {
    match (t, ns.filter(|n| !n.is_empty())) {
        (Target::Role, ns) => Ok(ns),
        (_, None) => Ok(None),
        // A namespace names roles only; on another target it would be silently dropped.
        (_, Some(_)) => Err(Error::InvalidParameter("namespaceCode")),
    }
}

/// Allows or denies every target of every item, all or nothing.
async fn authorize(m: Mgmt) -> Reply {
    let r: AuthorizeRequest = m.args().map_err(|e| m.fail(e))?;
    let items = r
        .list
        .into_iter()
        .map(|i| {
            if i.inherit_by_children == Some(false) && i.target_type == Target::Org {
                return Err(Error::InvalidParameter("inheritByChildren"));
            }
            Ok(AccessItem {
                target_type: i.target_type.into(),
                namespace: namespace(i.target_type, i.namespace_code)?,
                identifiers: i.target_identifier,
                change: match i.effect {
                    Effect::Allow => AccessChange::Allow,
                    Effect::Deny => AccessChange::Deny,
                },
            })
        })
        .collect::<Result<Vec<_>, Error>>()
        .map_err(|e| m.fail(e))?;
    m.core()
        .change_app_access_batch(&m.admin, &r.app_id, &items)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// Removes the rules naming every target of every item, all or nothing.
async fn revoke(m: Mgmt) -> Reply {
    let r: RevokeRequest = m.args().map_err(|e| m.fail(e))?;
    let items = r
        .list
        .into_iter()
        .map(|i| {
            Ok(AccessItem {
                target_type: i.target_type.into(),
                namespace: namespace(i.target_type, i.namespace_code)?,
                identifiers: i.target_identifier,
                change: AccessChange::Revoke,
            })
        })
        .collect::<Result<Vec<_>, Error>>()
        .map_err(|e| m.fail(e))?;
    m.core()
        .change_app_access_batch(&m.admin, &r.app_id, &items)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- the rules -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListRulesRequest {
    app_id: String,
    page: Option<i64>,
    limit: Option<i64>,
    target_name: Option<String>,
    #[serde(default)]
    target_type_list: Vec<Target>,
    effect: Option<Effect>,
    enabled: Option<bool>,
}

/// `ListApplicationAuthDataDto`: `targetName` is how the target is named on the wire
/// (a user's or department's id, a role's or group's code).
fn rule_dto(r: &AccessRuleView) -> Value {
    let rec = &r.record;
    json!({
        "id": rec.id,
        "targetId": rec.target_id,
        "targetName": r.identifier,
        "targetType": target_name(rec.target_type),
        "effect": if rec.allow { "ALLOW" } else { "DENY" },
        "enabled": rec.enabled,
        "permissionType": "SUBJECT",
    })
}

impl ListRulesRequest {
    fn filters(&self) -> bool {
        self.target_name.as_deref().is_some_and(|n| !n.is_empty())
            || !self.target_type_list.is_empty()
            || self.effect.is_some()
            || self.enabled.is_some()
    }

    fn keeps(&self, r: &AccessRuleView) -> bool {
        let rec = &r.record;
        let name_ok = self
            .target_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .is_none_or(|n| r.identifier.contains(n));
        let type_ok = self.target_type_list.is_empty()
            || self
                .target_type_list
                .iter()
                .any(|t| TargetType::from(*t) == rec.target_type);
        let effect_ok = self
            .effect
            .is_none_or(|e| (e == Effect::Allow) == rec.allow);
        let enabled_ok = self.enabled.is_none_or(|e| e == rec.enabled);
        name_ok && type_ok && effect_ok && enabled_ok
    }
}

async fn list_rules(m: Mgmt) -> Reply {
    let r: ListRulesRequest = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let core = m.core();
    let found: Paged<AccessRuleView> = if !r.filters() {
        core.app_access_rules_page(&m.admin, &r.app_id, page)
            .await
            .map_err(|e| m.fail(e))?
    } else {
        // Filters are applied to every rule, then the page is cut, so the total counts
        // the matching rules.
        let mut all = Vec::new();
        let mut p = Page::new(Some(1), Some(MAX_PAGE_SIZE)).map_err(|e| m.fail(e))?;
        loop {
            let chunk = core
                .app_access_rules_page(&m.admin, &r.app_id, p)
                .await
                .map_err(|e| m.fail(e))?;
            let n = chunk.list.len() as i64;
            all.extend(chunk.list);
            if n < p.limit {
                break;
            }
            p.page += 1;
        }
        let kept: Vec<AccessRuleView> = all.into_iter().filter(|x| r.keeps(x)).collect();
        page.slice(&kept)
    };
    Ok(ok(
        m.lang,
        json!({
            "totalCount": found.total_count,
            "list": found.list.iter().map(rule_dto).collect::<Vec<_>>(),
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EnableRequest {
    enabled: bool,
    id: String,
}

async fn enable_rule(m: Mgmt) -> Reply {
    let r: EnableRequest = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .set_access_rule_enabled(&m.admin, &r.id, r.enabled)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// `DELETE ?authIds=…`: the SDK puts a DELETE's parameters in the query (its body, which
/// the signature covers, is empty). Ids as a list (`authIds[]=a&authIds[]=b`) or one
/// comma-separated value.
async fn delete_rules(RawQuery(q): RawQuery, m: Mgmt) -> Reply {
    let values = query_values(q.as_deref()).map_err(|e| m.fail(e))?;
    let mut ids: Vec<String> = Vec::new();
    for (k, v) in values {
        if k != "authIds" {
            return Err(m.fail(Error::InvalidParameter("query")));
        }
        let parts = match v {
            QueryValue::One(s) => vec![s],
            QueryValue::Many(list) => list,
        };
        ids.extend(
            parts
                .iter()
                .flat_map(|s| s.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
    }
    m.core()
        .delete_access_rules(&m.admin, &ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- the rules of one target -----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubjectRulesRequest {
    target_type: Target,
    target_id: String,
    app_name: Option<String>,
    #[serde(default)]
    app_type_list: Vec<String>,
    #[serde(default)]
    effect: Vec<Effect>,
    enabled: Option<bool>,
}

/// The applications whose access rules name the target itself (`ListApplicationSubjectDataDto`
/// plus the application's name); every Tessera application is `SELFBUILT`.
async fn list_subject_rules(m: Mgmt) -> Reply {
    let r: SubjectRulesRequest = m.args().map_err(|e| m.fail(e))?;
    for t in &r.app_type_list {
        if !matches!(t.as_str(), "INTEGRATED" | "SELFBUILT" | "APP_PANEL") {
            return Err(m.fail(Error::InvalidParameter("appTypeList")));
        }
    }
    let self_built = r.app_type_list.is_empty() || r.app_type_list.iter().any(|t| t == "SELFBUILT");
    let rules = m
        .core()
        .target_access_rules(&m.admin, r.target_type.into(), &r.target_id, None)
        .await
        .map_err(|e| m.fail(e))?;
    let name = r
        .app_name
        .as_deref()
        .map(str::to_lowercase)
        .filter(|n| !n.is_empty());
    let list: Vec<Value> = rules
        .iter()
        .filter(|_| self_built)
        .filter(|(rec, _)| r.enabled.is_none_or(|e| e == rec.enabled))
        .filter(|(rec, _)| {
            r.effect.is_empty() || r.effect.iter().any(|e| (*e == Effect::Allow) == rec.allow)
        })
        .filter(|(_, app)| {
            name.as_deref()
                .is_none_or(|n| app.name.to_lowercase().contains(n))
        })
        .map(|(rec, app)| {
            json!({
                "appId": app.id,
                "appName": app.name,
                "logo": app.logo.clone().unwrap_or_default(),
                "ext": "",
                "template": "",
                "appType": "SELFBUILT",
                "effect": if rec.allow { "ALLOW" } else { "DENY" },
                "enabled": rec.enabled,
            })
        })
        .collect();
    Ok(ok(m.lang, json!({ "list": list })))
}

// --- why a subject may use an application ----------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubjectDetailRequest {
    target_id: String,
    target_type: Target,
    app_id: String,
}

/// `GetSubjectAuthDataDto` (plus `effect`) for one access decision, shared by
/// `detailAuthSubject` and the user's `listSubjectAuth`. `authType` says what decided:
/// `SELF` a rule naming the requested subject, `SUBJECT` a rule naming something it holds
/// (then `targetType`/`targetName` name that role, group or department), `ALL` no rule and
/// the application lets everyone in, `DEFAULT` no rule and the application's default keeps
/// the subject out. The spec gives the four values without their meaning; this is the
/// reading under which each answer matches what a login through the application does.
pub(crate) fn subject_access_dto(a: &SubjectAccess, req_target_id: &str) -> Value {
    let req_type = target_name(a.subject_type);
    let (auth_type, target_type, target) = match &a.basis {
        AccessBasis::Own { .. } => ("SELF", req_type, a.subject_name.as_str()),
        AccessBasis::Through {
            target_type,
            target_name: name,
            ..
        } => ("SUBJECT", target_name(*target_type), name.as_str()),
        AccessBasis::Default { allow_all: true } => ("ALL", req_type, a.subject_name.as_str()),
        AccessBasis::Default { allow_all: false } => ("DEFAULT", req_type, a.subject_name.as_str()),
    };
    json!({
        "appId": a.app.id,
        "appName": a.app.name,
        "reqTargetId": req_target_id,
        "reqTargetName": a.subject_name,
        "reqTargetType": req_type,
        "targetType": target_type,
        "targetName": target,
        "authType": auth_type,
        "effect": if a.basis.allowed() { "ALLOW" } else { "DENY" },
    })
}

async fn subject_detail(m: Mgmt) -> Reply {
    let r: SubjectDetailRequest = m.args().map_err(|e| m.fail(e))?;
    let a = m
        .core()
        .subject_app_access(&m.admin, r.target_type.into(), &r.target_id, &r.app_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, subject_access_dto(&a, r.target_id.trim())))
}
