//! The v3 management façade (`v3-wire.md` §1–§4): `/api/v3/*` as authing-node-sdk 4.x's
//! ManagementClient calls it.
//!
//! Every handler takes a [`call::Mgmt`] — the administrator proved by a request signature or
//! a management token, the language, the request's facts and its parameters — reads its
//! typed request struct, calls one core service and shapes the DTO. One module per SDK
//! family. Methods of the SDK that Tessera does not serve answer an envelope naming the
//! method (`unsupported`), never an HTML 404.

mod authz;
mod call;
mod catalog;
mod directory_dto;
mod envelope;
mod groups;
mod params;
mod roles;
mod shapes;
mod signature;
mod token;
mod unsupported;
mod users;

use axum::Router;

use crate::AppState;

/// Every v3 route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(token::routes())
        .merge(users::routes())
        .merge(roles::routes())
        .merge(groups::routes())
        .merge(authz::routes())
        .merge(unsupported::routes())
}
