//! The event center's HTTP half (`v3-wire.md` §3.3, §4 "Events", 7 methods) over
//! `service/events.rs`: event apps, event types, and publishing. Subscriptions are the
//! websocket in `events_ws.rs`.
//!
//! `/api/v3/pub-userEvent` has two callers: the ManagementClient's `pubUserEvent` (an
//! administrator's signature or management token) and the AuthenticationClient's `pub` (the
//! user's access token). A signed request is the administrator's; a bare token is tried as a
//! management token, then as the user's token — each verified, nothing taken from what a
//! token claims.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::service::events::{NewEventApp, PublishOutcome, Publisher};
use tessera_core::service::paging::Page;
use tessera_core::store::events::{EventApp, EventDefinition};
use tessera_core::{Entity, Error};

use super::auth::AuthCall;
use super::call::{lang_of, Mgmt};
use super::envelope::{done, ok, Failure, Reply, V3Error};
use crate::authing::{errors, Lang};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/create-event-app", post(create_app))
        .route("/api/v3/list-event-apps", get(list_apps))
        .route("/api/v3/list-events", get(list_events))
        .route("/api/v3/define-event", post(define))
        .route("/api/v3/pub-event", post(pub_event))
        .route("/api/v3/pub-userEvent", post(pub_user_event))
}

/// `EventAppDto`.
fn app_dto(a: &EventApp) -> Value {
    json!({ "identifier": a.identifier, "name": a.name, "logo": a.logo })
}

/// `OpenEventDto`: `code` and `topic` are the type; `name` and `desc` its description (the
/// DTO's example gives both the same words).
fn event_dto(d: &EventDefinition) -> Value {
    json!({
        "id": d.id,
        "code": d.event_type,
        "topic": d.event_type,
        "name": d.description,
        "desc": d.description,
    })
}

#[derive(Deserialize)]
struct CreateApp {
    identifier: Option<String>,
    name: Option<String>,
    logo: Option<String>,
}

async fn create_app(m: Mgmt) -> Reply {
    let r: CreateApp = m.args().map_err(|e| m.fail(e))?;
    let new = NewEventApp {
        identifier: r
            .identifier
            .ok_or_else(|| m.fail(Error::MissingParameter("identifier")))?,
        name: r
            .name
            .ok_or_else(|| m.fail(Error::MissingParameter("name")))?,
        logo: r.logo.unwrap_or_default(),
    };
    m.core()
        .create_event_app(&m.admin, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

async fn list_apps(m: Mgmt) -> Reply {
    let apps = m.core().event_apps(&m.admin).await.map_err(|e| m.fail(e))?;
    let list: Vec<Value> = apps.iter().map(app_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": list.len(), "list": list }),
    ))
}

#[derive(Deserialize)]
struct ListEvents {
    page: Option<i64>,
    limit: Option<i64>,
    app: Option<String>,
}

async fn list_events(m: Mgmt) -> Reply {
    let r: ListEvents = m.args().map_err(|e| m.fail(e))?;
    // The OpenAPI caps a page at 50.
    if r.limit.is_some_and(|l| l > 50) {
        return Err(m.fail(Error::InvalidParameter("limit")));
    }
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .event_definitions(&m.admin, r.app.as_deref(), page)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = p.list.iter().map(event_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": list }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Define {
    event_type: Option<String>,
    event_description: Option<String>,
}

async fn define(m: Mgmt) -> Reply {
    let r: Define = m.args().map_err(|e| m.fail(e))?;
    let event_type = r
        .event_type
        .ok_or_else(|| m.fail(Error::MissingParameter("eventType")))?;
    let description = r
        .event_description
        .ok_or_else(|| m.fail(Error::MissingParameter("eventDescription")))?;
    m.core()
        .define_event(&m.admin, &event_type, &description)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

/// `PubEventDto` (and the hand-written `pub`'s body, whose `source` names the SDK and is not
/// kept).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PubEvent {
    event_type: Option<String>,
    event_data: Option<Value>,
}

/// The type and the data as text: a string as given (what both SDKs' `pub` send), any
/// other JSON value (`verifyEvent`'s `eventData: any`) as its JSON text.
fn pub_args(r: PubEvent) -> Result<(String, String), Error> {
    let event_type = r
        .event_type
        .filter(|t| !t.trim().is_empty())
        .ok_or(Error::MissingParameter("eventType"))?;
    let data = match r.event_data {
        None | Some(Value::Null) => return Err(Error::MissingParameter("eventData")),
        Some(Value::String(s)) => s,
        Some(v) => v.to_string(),
    };
    Ok((event_type, data))
}

/// `PubEventRespDataDto`.
fn outcome_dto(outcome: PublishOutcome, lang: Lang) -> Value {
    match outcome {
        PublishOutcome::Published(_) => json!({ "success": true }),
        PublishOutcome::Undefined => json!({
            "success": false,
            "errMsg": errors::message(&Error::NotFound(Entity::EventType), lang),
        }),
    }
}

async fn admin_publish(m: Mgmt) -> Reply {
    let r: PubEvent = m.args().map_err(|e| m.fail(e))?;
    let (event_type, data) = pub_args(r).map_err(|e| m.fail(e))?;
    let outcome = m
        .core()
        .publish_event(Publisher::Admin(&m.admin), &event_type, &data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, outcome_dto(outcome, m.lang)))
}

async fn user_publish(c: AuthCall) -> Reply {
    let session = c.session().await?;
    let r: PubEvent = c.args()?;
    let (event_type, data) = pub_args(r).map_err(|e| c.fail(e))?;
    let outcome = c
        .core()
        .publish_event(Publisher::User(&session), &event_type, &data)
        .await
        .map_err(|e| c.fail(e))?;
    Ok(ok(c.lang, outcome_dto(outcome, c.lang)))
}

/// `verifyEvent` and the ManagementClient's `pub`.
async fn pub_event(m: Mgmt) -> Reply {
    admin_publish(m).await
}

/// `pubUserEvent` (administrator) or the AuthenticationClient's `pub` (user).
async fn pub_user_event(State(state): State<AppState>, req: Request) -> Response {
    let lang = lang_of(req.headers());
    let signed = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("authing") || scheme.eq_ignore_ascii_case("genauth")
        });
    if signed {
        return match Mgmt::from_request(req, &state).await {
            Ok(m) => admin_publish(m).await.into_response(),
            Err(e) => e.into_response(),
        };
    }
    let (parts, body) = req.into_parts();
    let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &state).await {
        Ok(b) => b,
        Err(_) => return V3Error(Failure::Core(Error::FileTooLarge), lang).into_response(),
    };
    let again = || Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    // A management token proves an administrator; anything else must be the user's token.
    if let Ok(m) = Mgmt::from_request(again(), &state).await {
        return admin_publish(m).await.into_response();
    }
    match AuthCall::from_request(again(), &state).await {
        Ok(c) => user_publish(c).await.into_response(),
        Err(e) => e.into_response(),
    }
}
