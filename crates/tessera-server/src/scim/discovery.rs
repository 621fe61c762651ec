//! Discovery (RFC 7644 §4): `ServiceProviderConfig`, `ResourceTypes` and `Schemas`. They
//! describe the server, not a pool, so they are answered without a token (RFC 7644 §4
//! leaves authentication of these endpoints to the provider; clients read them first).
//! The schemas list exactly the attributes Tessera stores (RFC 7643 §7).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::{json, Value};
use tessera_core::Core;

use super::error::ScimError;
use super::resources::{
    ListOut, GROUP_SCHEMA, LIST_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SPC_SCHEMA,
    USER_SCHEMA,
};
use super::{answer, MAX_PAGE};
use crate::AppState;

/// One attribute definition (RFC 7643 §7).
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Attr {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    multi_valued: bool,
    description: &'static str,
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    case_exact: Option<bool>,
    mutability: &'static str,
    returned: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uniqueness: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sub_attributes: Vec<Attr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reference_types: Vec<&'static str>,
}

fn attr(name: &'static str, kind: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind,
        multi_valued: false,
        description,
        required: false,
        case_exact: (kind == "string" || kind == "reference").then_some(false),
        mutability: "readWrite",
        returned: "default",
        uniqueness: (kind == "string").then_some("none"),
        sub_attributes: Vec::new(),
        reference_types: Vec::new(),
    }
}

fn multi(name: &'static str, description: &'static str, subs: Vec<Attr>) -> Attr {
    Attr {
        multi_valued: true,
        sub_attributes: subs,
        ..attr(name, "complex", description)
    }
}

fn value_subs() -> Vec<Attr> {
    vec![
        attr("value", "string", "The value."),
        attr("type", "string", "A label: work, home, other…"),
        attr("primary", "boolean", "Whether this is the primary value."),
    ]
}

fn user_schema(base: &str) -> Value {
    let user_name = Attr {
        required: true,
        uniqueness: Some("server"),
        ..attr(
            "userName",
            "string",
            "The user's username, unique ignoring case.",
        )
    };
    let name = Attr {
        sub_attributes: vec![
            attr("givenName", "string", "Given name."),
            attr("familyName", "string", "Family name."),
            attr("formatted", "string", "The full name."),
        ],
        ..attr("name", "complex", "The user's name.")
    };
    let password = Attr {
        mutability: "writeOnly",
        returned: "never",
        ..attr(
            "password",
            "string",
            "Checked against the pool's password policy.",
        )
    };
    let attributes = vec![
        user_name,
        name,
        attr("displayName", "string", "The name shown (nickname)."),
        multi(
            "emails",
            "The primary email address is the user's.",
            value_subs(),
        ),
        multi(
            "phoneNumbers",
            "The primary phone number is the user's.",
            value_subs(),
        ),
        attr("active", "boolean", "false blocks every login."),
        password,
    ];
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A user of the pool",
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{USER_SCHEMA}")},
    })
}

fn group_schema(base: &str) -> Value {
    let display_name = Attr {
        required: true,
        uniqueness: Some("server"),
        ..attr("displayName", "string", "The department's name.")
    };
    let members = Attr {
        sub_attributes: vec![
            Attr {
                mutability: "immutable",
                ..attr("value", "string", "The member user's id.")
            },
            Attr {
                mutability: "immutable",
                reference_types: vec!["User"],
                ..attr("$ref", "reference", "The member's URI.")
            },
            Attr {
                mutability: "immutable",
                ..attr("type", "string", "User.")
            },
        ],
        ..multi("members", "The department's members (users).", Vec::new())
    };
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A department of the connection's organization",
        "attributes": [display_name, members],
        "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{GROUP_SCHEMA}")},
    })
}

fn resource_type_doc(base: &str, name: &str) -> Value {
    let (endpoint, schema, description) = match name {
        "User" => ("/Users", USER_SCHEMA, "A user of the pool"),
        _ => (
            "/Groups",
            GROUP_SCHEMA,
            "A department of the connection's organization",
        ),
    };
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/scim/v2/ResourceTypes/{name}")},
    })
}

fn base(core: &Core) -> String {
    core.public_url().trim_end_matches('/').to_owned()
}

fn list(items: Vec<Value>) -> ListOut<Value> {
    ListOut {
        schemas: [LIST_SCHEMA],
        total_results: items.len() as i64,
        start_index: 1,
        items_per_page: items.len(),
        resources: items,
    }
}

pub async fn service_provider_config(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Response {
    let base = base(&state.core);
    let body = json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_PAGE},
        "changePassword": {"supported": true},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The token `tessera scim create` printed for the connection",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/scim/v2/ServiceProviderConfig"),
        },
    });
    answer(StatusCode::OK, None, &body)
}

pub async fn resource_types(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Response {
    let base = base(&state.core);
    let body = list(vec![
        resource_type_doc(&base, "User"),
        resource_type_doc(&base, "Group"),
    ]);
    answer(StatusCode::OK, None, &body)
}

pub async fn resource_type(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let base = base(&state.core);
    match id.as_str() {
        "User" | "Group" => Ok(answer(StatusCode::OK, None, &resource_type_doc(&base, &id))),
        _ => Err(ScimError::not_found("resource type")),
    }
}

pub async fn schemas(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let base = base(&state.core);
    let body = list(vec![user_schema(&base), group_schema(&base)]);
    answer(StatusCode::OK, None, &body)
}

pub async fn schema(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let base = base(&state.core);
    if id.eq_ignore_ascii_case(USER_SCHEMA) {
        Ok(answer(StatusCode::OK, None, &user_schema(&base)))
    } else if id.eq_ignore_ascii_case(GROUP_SCHEMA) {
        Ok(answer(StatusCode::OK, None, &group_schema(&base)))
    } else {
        Err(ScimError::not_found("schema"))
    }
}
