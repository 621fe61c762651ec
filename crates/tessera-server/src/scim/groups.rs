//! `/scim/v2/Groups` (RFC 7643 §4.2): a Group is a department of the connection's
//! organization, created under its root; its members are the department's members (users
//! only: a nested group is refused). A connection without an organization serves no
//! Groups (501), which `ServiceProviderConfig` cannot say per connection.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tessera_core::clock::iso8601;
use tessera_core::service::provisioning::{
    GroupChange, GroupFilter, MembersChange, ProvisionedGroup,
};

use super::error::{ScimError, ScimType};
use super::filter;
use super::resources::{
    GroupIn, GroupOut, ListOut, MemberOut, Meta, MultiIn, GROUP_SCHEMA, LIST_SCHEMA,
};
use super::{answer, paging, patch, version, Scim};

fn served(s: &Scim) -> Result<(), ScimError> {
    match s.client.connection().org_id {
        Some(_) => Ok(()),
        None => Err(ScimError::status(
            StatusCode::NOT_IMPLEMENTED,
            "this connection names no organization, so it provisions no groups",
        )),
    }
}

fn to_out(s: &Scim, g: &ProvisionedGroup, members: bool) -> GroupOut {
    let n = &g.node;
    GroupOut {
        schemas: vec![GROUP_SCHEMA],
        id: n.id.clone(),
        external_id: g.external_id.clone(),
        display_name: n.name.clone(),
        members: members.then(|| {
            g.members
                .iter()
                .map(|id| MemberOut {
                    value: id.clone(),
                    reference: s.location("Users", id),
                    kind: "User",
                })
                .collect()
        }),
        meta: Meta {
            resource_type: "Group",
            created: iso8601(n.created_at),
            last_modified: iso8601(n.updated_at),
            location: s.location("Groups", &n.id),
            version: version(n.updated_at),
        },
    }
}

/// The user ids a `members` value lists. A member typed `Group` is refused (a department's
/// members are users; nested groups are not provisioned); other labels are not checked,
/// the id alone naming the user.
fn member_ids(members: Option<Vec<MultiIn>>) -> Result<Vec<String>, ScimError> {
    let mut out = Vec::new();
    for m in members.unwrap_or_default() {
        if m.kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("group"))
        {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "members must be users",
            ));
        }
        let id = m
            .text()
            .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "a member needs a value"))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn display_name(r: &GroupIn) -> Result<String, ScimError> {
    r.display_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "displayName is required"))
}

fn group_filter(raw: &str) -> Result<GroupFilter, ScimError> {
    let eq = filter::equality(raw)?;
    let Value::String(v) = eq.value else {
        return Err(ScimError::bad(
            ScimType::InvalidFilter,
            "compare with a string",
        ));
    };
    match eq.attr.as_str() {
        "displayname" => Ok(GroupFilter::DisplayName(v)),
        "externalid" => Ok(GroupFilter::ExternalId(v)),
        "id" => Ok(GroupFilter::Id(v)),
        _ => Err(ScimError::bad(
            ScimType::InvalidFilter,
            "filter on displayName, externalId or id",
        )),
    }
}

/// `excludedAttributes=members` (RFC 7644 §3.4.2.5), which Entra and Okta send to list
/// groups cheaply.
fn wants_members(s: &Scim) -> bool {
    let excluded = s.param("excludedAttributes").unwrap_or_default();
    !excluded
        .split(',')
        .any(|a| a.trim().eq_ignore_ascii_case("members"))
}

pub async fn list(s: Scim) -> Result<Response, ScimError> {
    served(&s)?;
    let (start, count) = paging(&s)?;
    let filter = match s.param("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => group_filter(&f)?,
        None => GroupFilter::All,
    };
    let members = wants_members(&s);
    let listed = s
        .state
        .core
        .provisioned_groups(&s.client, &filter, start - 1, count, members)
        .await?;
    let resources: Vec<GroupOut> = listed
        .items
        .iter()
        .map(|g| to_out(&s, g, members))
        .collect();
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
    served(&s)?;
    let r: GroupIn = s.resource()?;
    let name = display_name(&r)?;
    let members = member_ids(r.members)?;
    let external_id = r
        .external_id
        .map(|x| x.trim().to_owned())
        .filter(|x| !x.is_empty());
    let g = s
        .state
        .core
        .provision_group(&s.client, &name, external_id, members)
        .await?;
    let out = to_out(&s, &g, true);
    Ok(answer(StatusCode::CREATED, Some(&out.meta.location), &out))
}

pub async fn read(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    served(&s)?;
    let g = s.state.core.provisioned_group(&s.client, &id).await?;
    let members = wants_members(&s);
    Ok(answer(StatusCode::OK, None, &to_out(&s, &g, members)))
}

async fn write(s: &Scim, id: &str, r: GroupIn) -> Result<Response, ScimError> {
    let change = GroupChange {
        display_name: Some(display_name(&r)?),
        external_id: r
            .external_id
            .map(|x| Some(x.trim().to_owned()).filter(|x| !x.is_empty())),
        members: MembersChange::Set(member_ids(r.members)?),
    };
    let g = s
        .state
        .core
        .update_provisioned_group(&s.client, id, change)
        .await?;
    Ok(answer(StatusCode::OK, None, &to_out(s, &g, true)))
}

pub async fn replace(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    served(&s)?;
    let r: GroupIn = s.resource()?;
    write(&s, &id, r).await
}

/// PATCH: applied to the group as it reads now, then written as a PUT (the core adds and
/// removes only the members that differ).
pub async fn patch(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    served(&s)?;
    let body = s.json()?;
    let current = s.state.core.provisioned_group(&s.client, &id).await?;
    let r: GroupIn = patch::patched(&to_out(&s, &current, true), body, "group")?;
    write(&s, &current.node.id, r).await
}

pub async fn remove(Path(id): Path<String>, s: Scim) -> Result<Response, ScimError> {
    served(&s)?;
    s.state.core.deprovision_group(&s.client, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
