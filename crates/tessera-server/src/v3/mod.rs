//! The v3 management façade (`v3-wire.md` §1–§4): `/api/v3/*` as authing-node-sdk 4.x's
//! ManagementClient calls it.
//!
//! Every handler takes a [`call::Mgmt`] — the administrator proved by a request signature or
//! a management token, the language, the request's facts and its parameters — reads its
//! typed request struct, calls one core service and shapes the DTO. One module per SDK
//! family. Methods of the SDK that Tessera does not serve answer an envelope naming the
//! method (`unsupported`), never an HTML 404.

mod access_keys;
mod apps;
mod apps_access;
mod apps_users;
mod asa;
mod audit;
mod auth;
mod authz;
mod call;
mod catalog;
mod directory_dto;
mod email_templates;
mod envelope;
mod events;
mod events_ws;
mod ext_idp;
mod groups;
mod messaging;
mod mfa_settings;
mod org;
mod org_departments;
mod org_members;
mod org_tenant;
pub(crate) mod params;
mod posts;
mod principal;
mod risk;
mod roles;
mod security;
mod shapes;
pub(crate) mod signature;
mod sync_relations;
mod tenant_admins;
mod tenant_config;
mod tenant_import;
mod tenant_invitations;
mod tenants;
mod token;
mod udf;
mod unsupported;
mod users;
mod whitelist;

use axum::Router;

use crate::AppState;

/// Every v3 route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(token::routes())
        .merge(users::routes())
        .merge(sync_relations::routes())
        .merge(posts::routes())
        .merge(audit::routes())
        .merge(risk::routes())
        .merge(org::routes())
        .merge(org_departments::routes())
        .merge(org_members::routes())
        .merge(org_tenant::routes())
        .merge(tenants::routes())
        .merge(tenant_invitations::routes())
        .merge(tenant_admins::routes())
        .merge(tenant_import::routes())
        .merge(principal::routes())
        .merge(tenant_config::routes())
        .merge(ext_idp::routes())
        .merge(udf::routes())
        .merge(apps::routes())
        .merge(apps_access::routes())
        .merge(apps_users::routes())
        .merge(asa::routes())
        .merge(access_keys::routes())
        .merge(security::routes())
        .merge(mfa_settings::routes())
        .merge(messaging::routes())
        .merge(email_templates::routes())
        .merge(whitelist::routes())
        .merge(roles::routes())
        .merge(groups::routes())
        .merge(authz::routes())
        .merge(events::routes())
        .merge(events_ws::routes())
        .merge(auth::routes())
        .merge(unsupported::routes())
}
