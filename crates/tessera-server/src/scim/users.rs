//! `/scim/v2/Users` (RFC 7644 §3.3–§3.6) over the core's provisioned users.
//!
//! Mapping (RFC 7643 §4.1): `userName` ↔ username (`caseExact: false`: found and kept
//! unique ignoring case); `name.givenName` / `familyName` / `formatted` ↔ the profile's
//! given name, family name and full name; `displayName` ↔ nickname; the primary (else
//! first) `emails` and `phoneNumbers` value ↔ email and phone; `active: false` ↔ blocked;
//! `externalId` ↔ the user's sync relation with the connection's provider (without one
//! the user is linked under its own id); `password` is written only, never read.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tessera_core::clock::iso8601;
use tessera_core::service::provisioning::{ProvisionedUser, UserAttributes, UserFilter};

use super::error::{ScimError, ScimType};
use super::filter;
use super::resources::{
    primary, ListOut, Meta, MultiOut, NameOut, UserIn, UserOut, LIST_SCHEMA, USER_SCHEMA,
};
use super::{answer, paging, patch, version, Scim};

fn to_out(s: &Scim, p: &ProvisionedUser) -> UserOut {
    let u = &p.user;
    let pr = &u.profile;
    let name =
        (pr.given_name.is_some() || pr.family_name.is_some() || pr.name.is_some()).then(|| {
            NameOut {
                given_name: pr.given_name.clone(),
                family_name: pr.family_name.clone(),
                formatted: pr.name.clone(),
            }
        });
    let one = |v: &Option<String>| -> Vec<MultiOut> {
        v.iter()
            .map(|value| MultiOut {
                value: value.clone(),
                primary: true,
                kind: "work",
            })
            .collect()
    };
    UserOut {
        schemas: vec![USER_SCHEMA],
        id: u.id.clone(),
        external_id: p.external_id.clone(),
        user_name: u.username.clone().unwrap_or_default(),
        name,
        display_name: pr.nickname.clone(),
        emails: one(&u.email),
        // E.164 (`+8613800000000`), as directories send it and compare it back: the
        // national number alone would look changed to them on every sync.
        phone_numbers: one(&u.phone.as_ref().map(|n| match &u.phone_country_code {
            Some(cc) if !cc.is_empty() => format!("{cc}{n}"),
            _ => n.clone(),
        })),
        active: !u.blocked,
        meta: Meta {
            resource_type: "User",
            created: iso8601(u.created_at),
            last_modified: iso8601(u.updated_at),
            location: s.location("Users", &u.id),
            version: version(u.updated_at),
        },
    }
}

/// The attributes a User resource sets, and its password.
fn attributes(r: UserIn) -> Result<(UserAttributes, Option<String>), ScimError> {
    let username = r
        .user_name
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "userName is required"))?;
    let name = r.name.unwrap_or_default();
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let attrs = UserAttributes {
        username,
        given_name: text(name.given_name),
        family_name: text(name.family_name),
        formatted_name: text(name.formatted),
        display_name: text(r.display_name),
        email: primary(&r.emails),
        phone: primary(&r.phone_numbers),
        active: r.active.unwrap_or(true),
        external_id: text(r.external_id),
    };
    Ok((attrs, r.password.filter(|p| !p.is_empty())))
}

fn user_filter(raw: &str) -> Result<UserFilter, ScimError> {
    let eq = filter::equality(raw)?;
    let Value::String(v) = eq.value else {
        return Err(ScimError::bad(
            ScimType::InvalidFilter,
            "compare with a string",
        ));
    };
    match eq.attr.as_str() {
        "username" => Ok(UserFilter::Username(v)),
        "externalid" => Ok(UserFilter::ExternalId(v)),
        "emails" | "emails.value" => Ok(UserFilter::Email(v)),
        "id" => Ok(UserFilter::Id(v)),
        _ => Err(ScimError::bad(
            ScimType::InvalidFilter,
            "filter on userName, externalId, emails.value or id",
        )),
    }
}

pub async fn list(s: Scim) -> Result<Response, ScimError> {
    let (start, count) = paging(&s)?;
    let filter = match s.param("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => user_filter(&f)?,
        None => UserFilter::All,
    };
    let listed = s
        .state
        .core
        .provisioned_users(&s.client, &filter, start - 1, count)
        .await?;
    let resources: Vec<UserOut> = listed.items.iter().map(|p| to_out(&s, p)).collect();
    let body = ListOut {
        schemas: [LIST_SCHEMA],
        total_results: listed.total,
        start_index: start,
        items_per_page: resources.len(),
        resources,
    };
    Ok(answer(StatusCode::OK, None, &body))
}

pub async fn create(s: Scim) -> Result<Response, ScimError> {
    let (attrs, password) = attributes(s.resource()?)?;
    let p = s
        .state
        .core
        .provision_user(&s.client, attrs, password)
        .await?;
    let out = to_out(&s, &p);
    Ok(answer(StatusCode::CREATED, Some(&out.meta.location), &out))
}

pub async fn read(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    let p = s.state.core.provisioned_user(&s.client, &id).await?;
    Ok(answer(StatusCode::OK, None, &to_out(&s, &p)))
}

pub async fn replace(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    let (attrs, password) = attributes(s.resource()?)?;
    let p = s
        .state
        .core
        .replace_provisioned_user(&s.client, &id, attrs, password)
        .await?;
    Ok(answer(StatusCode::OK, None, &to_out(&s, &p)))
}

/// PATCH: the operations are applied to the user as it reads now, and the result is
/// written as a PUT would (only what differs reaches the store).
pub async fn patch(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    let body = s.json()?;
    let core = &s.state.core;
    let current = core.provisioned_user(&s.client, &id).await?;
    let patched: UserIn = patch::patched(&to_out(&s, &current), body, "user")?;
    let (attrs, password) = attributes(patched)?;
    let p = core
        .replace_provisioned_user(&s.client, &current.user.id, attrs, password)
        .await?;
    Ok(answer(StatusCode::OK, None, &to_out(&s, &p)))
}

pub async fn remove(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    s.state.core.deprovision_user(&s.client, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
