//! SCIM errors (RFC 7644 §3.12): `{schemas: [Error URN], status: "<code>", scimType?,
//! detail}` with the same HTTP status. Core refusals are worded here, the core knowing no
//! wire; storage failures are the only 5xx.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::{Entity, Error};

use super::resources::{ERROR_SCHEMA, SCIM_CONTENT_TYPE};

/// `scimType` values of RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
}

impl ScimType {
    fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
        }
    }
}

/// One refusal, as the wire says it.
#[derive(Debug, Clone)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> ScimError {
        ScimError {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    pub fn status(status: StatusCode, detail: impl Into<String>) -> ScimError {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    pub fn unauthorized() -> ScimError {
        ScimError::status(
            StatusCode::UNAUTHORIZED,
            "a valid provisioning bearer token is required",
        )
    }

    pub fn not_found(what: &str) -> ScimError {
        ScimError::status(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    schemas: [&'static str; 1],
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scim_type: Option<&'static str>,
    detail: &'a str,
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            schemas: [ERROR_SCHEMA],
            status: self.status.as_u16().to_string(),
            scim_type: self.scim_type.map(ScimType::as_str),
            detail: &self.detail,
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: the scheme the client must use.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        res
    }
}

fn entity_name(e: Entity) -> &'static str {
    match e {
        Entity::OrgNode => "group",
        Entity::Org => "organization",
        Entity::SyncRelation => "externalId",
        _ => "resource",
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> ScimError {
        match e {
            Error::UserNotFound => ScimError::not_found("user"),
            Error::NotFound(entity) => ScimError::not_found(entity_name(entity)),
            Error::AlreadyExists(field) => ScimError {
                status: StatusCode::CONFLICT,
                scim_type: Some(ScimType::Uniqueness),
                detail: format!("{field:?} is already taken").to_lowercase(),
            },
            Error::Duplicate(entity) => ScimError {
                status: StatusCode::CONFLICT,
                scim_type: Some(ScimType::Uniqueness),
                detail: format!("{} is already taken", entity_name(entity)),
            },
            Error::TokenInvalid | Error::TokenExpired | Error::Forbidden => {
                ScimError::unauthorized()
            }
            Error::PoolNotFound => ScimError::unauthorized(),
            Error::InvalidEmail => ScimError::bad(ScimType::InvalidValue, "invalid email"),
            Error::InvalidPhone => ScimError::bad(ScimType::InvalidValue, "invalid phone number"),
            Error::PasswordTooShort | Error::PasswordTooWeak(_) => ScimError::bad(
                ScimType::InvalidValue,
                "the password does not meet the pool's password policy",
            ),
            Error::MissingParameter(p) | Error::InvalidParameter(p) => {
                ScimError::bad(ScimType::InvalidValue, format!("invalid {p}"))
            }
            Error::OnlyLoginMethod => ScimError::bad(
                ScimType::InvalidValue,
                "the user would be left without any identifier",
            ),
            Error::Internal(_) | Error::Storage(_) => {
                tracing::error!(error = %e, "SCIM request failed");
                ScimError::status(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
            other => {
                tracing::debug!(error = %other, "SCIM request refused");
                ScimError::bad(ScimType::InvalidValue, other.to_string())
            }
        }
    }
}
