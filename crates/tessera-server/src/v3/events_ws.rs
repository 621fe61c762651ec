//! The event websocket (`v3-wire.md` §3.3), as both SDKs' `sub` open it:
//!
//! - `GET /events/v1/management/sub?code=<type>` with `authorization: authing
//!   <AK>:<base64(HMAC-SHA1(SK, "websocket\n"))>` (or `GenAuth …`): every event of the type
//!   in the key's pool;
//! - `GET /events/v1/authentication/sub?code=<type>&token=<user token>`: the user's own
//!   events of the type and the administrators'.
//!
//! Credentials and the type are checked before the upgrade, so a refusal is a plain HTTP
//! answer (401 bad credentials, 400 unknown type or no websocket, 429 too many
//! subscriptions) with the v3 envelope as its body. After the upgrade the connection task
//! sends each event's data as one text message, polling the store (`Subscription`), woken
//! early by publications in this process; it checks the credentials again now and then and
//! closes when they no longer hold.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tessera_core::service::events::{Subscriber, Subscription, EVENT_BATCH};
use tessera_core::{Entity, Error};

use super::call::lang_of;
use super::envelope::{Failure, V3Error};
use crate::authing::Lang;
use crate::AppState;

/// How often a subscription reads the store for other processes' publications.
const POLL: Duration = Duration::from_millis(500);
/// How often the subscriber's credentials are checked again (a kicked user, a deleted key).
const RECHECK: Duration = Duration::from_secs(30);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/v1/management/sub", get(management_sub))
        .route("/events/v1/authentication/sub", get(authentication_sub))
}

/// A refusal before the upgrade: a real HTTP status (a websocket client reads nothing else)
/// and the envelope for whoever reads the body.
fn refuse(status: StatusCode, e: Error, lang: Lang) -> Response {
    (status, Json(V3Error(Failure::Core(e), lang).body())).into_response()
}

fn refusal_status(e: &Error) -> StatusCode {
    match e {
        Error::Signature(_)
        | Error::NotLoggedIn
        | Error::TokenExpired
        | Error::TokenInvalid
        | Error::UserBlocked
        | Error::UserNotFound
        | Error::PoolNotFound => StatusCode::UNAUTHORIZED,
        Error::TooManySubscriptions => StatusCode::TOO_MANY_REQUESTS,
        e if e.is_internal() => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `authing <AK>:<signature>` (or `GenAuth`), as the ManagementClient sends it.
fn key_signature(h: &HeaderMap) -> Option<(&str, &str)> {
    let auth = h.get("authorization")?.to_str().ok()?.trim();
    let (scheme, rest) = auth.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("authing") && !scheme.eq_ignore_ascii_case("genauth") {
        return None;
    }
    rest.trim().split_once(':')
}

async fn management_sub(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let Some((key_id, signature)) = key_signature(&headers) else {
        return refuse(StatusCode::UNAUTHORIZED, Error::NotLoggedIn, lang);
    };
    let subscriber = match state.core.event_subscriber_by_key(key_id, signature).await {
        Ok(s) => s,
        Err(e) => return refuse(refusal_status(&e), e, lang),
    };
    open(state, subscriber, q.get("code"), ws, lang).await
}

async fn authentication_sub(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let lang = lang_of(&headers);
    // The SDK sends `token=undefined` when it holds none.
    let Some(token) = q
        .get("token")
        .map(|t| t.trim())
        .filter(|t| !t.is_empty() && *t != "undefined" && *t != "null")
    else {
        return refuse(StatusCode::UNAUTHORIZED, Error::NotLoggedIn, lang);
    };
    let subscriber = match state.core.event_subscriber_by_token(token).await {
        Ok(s) => s,
        Err(e) => return refuse(refusal_status(&e), e, lang),
    };
    open(state, subscriber, q.get("code"), ws, lang).await
}

async fn open(
    state: AppState,
    subscriber: Subscriber,
    code: Option<&String>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    lang: Lang,
) -> Response {
    let Some(code) = code.map(|c| c.trim()).filter(|c| !c.is_empty()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            Error::MissingParameter("code"),
            lang,
        );
    };
    let Ok(ws) = ws else {
        return refuse(
            StatusCode::BAD_REQUEST,
            Error::InvalidParameter("upgrade"),
            lang,
        );
    };
    let subscription = match state.core.subscribe_events(&subscriber, code).await {
        Ok(s) => s,
        Err(e @ Error::NotFound(Entity::EventType)) => {
            return refuse(StatusCode::BAD_REQUEST, e, lang)
        }
        Err(e) => return refuse(refusal_status(&e), e, lang),
    };
    ws.on_upgrade(move |socket| deliver(state, subscription, socket))
}

/// The connection task: sends what the subscription yields until the client goes away or
/// its credentials stop holding.
async fn deliver(state: AppState, mut sub: Subscription, mut socket: WebSocket) {
    let core = &state.core;
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    let mut due = true;
    let mut next_poll = Instant::now();
    loop {
        if due {
            due = false;
            // Everything pending (a full batch means more may wait).
            loop {
                match sub.next_batch(core).await {
                    Ok(batch) => {
                        let full = batch.len() >= EVENT_BATCH;
                        for data in batch {
                            if socket.send(Message::Text(data.into())).await.is_err() {
                                return;
                            }
                        }
                        if !full {
                            break;
                        }
                    }
                    Err(e) => {
                        // The store is down: keep the connection and try at the next poll.
                        tracing::warn!(error = %e, "event subscription poll failed");
                        break;
                    }
                }
            }
            next_poll = Instant::now() + POLL;
        }
        tokio::select! {
            msg = socket.recv() => match msg {
                // The client sends nothing the server acts on (pings are answered by the
                // websocket layer), and what it sends does not make the store be read.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            _ = sub.wait(next_poll) => due = true,
            _ = recheck.tick() => {
                match sub.still_authorized(core).await {
                    Ok(()) => {}
                    // The store is down: the check is retried at the next tick.
                    Err(e) if e.is_internal() => {}
                    Err(_) => {
                        let _ = socket
                            .send(Message::Close(Some(CloseFrame {
                                // 1008, policy violation: the credentials no longer hold.
                                code: 1008,
                                reason: "credentials no longer valid".into(),
                            })))
                            .await;
                        return;
                    }
                }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
