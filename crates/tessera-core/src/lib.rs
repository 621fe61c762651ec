//! The identity core of Tessera.
//!
//! Every wire surface (v1/v2 GraphQL, v2/v3 REST, OIDC, SAML, CAS, hosted pages) is a thin
//! adapter over the services of [`Core`]. Business rules live here once; storage is reached only
//! through the [`store::Store`] trait, implemented by `tessera-store`.

pub mod alipay;
pub mod clock;
pub mod crypto;
pub mod douyin;
pub mod error;
pub mod ids;
pub mod model;
pub mod notify;
pub mod oidc_upstream;
pub mod principal;
pub mod rules;
pub mod service;
pub mod stats;
pub mod store;
pub mod wechat;

pub use error::{
    protocol, Entity, Error, ImportProblem, PasskeyProblem, PasswordRule, PrincipalProblem,
    ProtocolError, ProviderFailure, Result, SignatureProblem, TenantFeature, UniqueField,
};
pub use service::{Core, CoreConfig};
