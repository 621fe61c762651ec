//! The caller behind a request's Bearer token, as the GraphQL façades (v1 at `/graphql`, v2
//! at `/graphql/v2`) resolve it once per request and read it for every root field: the
//! verified principal, and why the token was refused if it was.

use tessera_core::principal::{
    BearerScope, PoolAdmin, Principal, Refused, RequestFacts, TokenKind,
};
use tessera_core::service::account::Session;
use tessera_core::{Core, Error, Result};

pub struct Caller {
    pub principal: Principal,
    pub refused: Option<Refused>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller {
            principal: Principal::Anonymous,
            refused: None,
        }
    }

    /// Verifies `token` within `scope`. An administrator's proof carries the request's
    /// `facts`, so that its changes are audited with where the request came from.
    pub async fn resolve(
        core: &Core,
        token: &str,
        scope: BearerScope<'_>,
        facts: &RequestFacts,
    ) -> Caller {
        match core.authenticate_bearer(token, scope).await {
            Ok(Principal::PoolAdmin(admin)) => Caller {
                principal: Principal::PoolAdmin(Box::new(admin.with_facts(facts.clone()))),
                refused: None,
            },
            Ok(principal) => Caller {
                principal,
                refused: None,
            },
            Err(refused) => Caller {
                principal: Principal::Anonymous,
                refused: Some(refused),
            },
        }
    }

    /// The logged-in user. No token (`has_bearer` false) is 2020; a management token is not
    /// a user; a refused token answers with its own error.
    pub fn session(&self, has_bearer: bool) -> Result<&Session> {
        if !has_bearer {
            return Err(Error::NotLoggedIn);
        }
        match (&self.principal, &self.refused) {
            (Principal::User(s), _) => Ok(s.as_ref()),
            (Principal::PoolAdmin(_), _) => Err(Error::TokenInvalid),
            (_, Some(r)) => Err(r.error.clone()),
            _ => Err(Error::NotLoggedIn),
        }
    }

    /// The administrator a management call acts as. No token is 2020; a user's token
    /// (whatever its state) is 1001; a management token that stopped verifying answers
    /// with its own error (2206 once its pool's secret changed).
    pub fn admin(&self, has_bearer: bool) -> Result<&PoolAdmin> {
        if !has_bearer {
            return Err(Error::NotLoggedIn);
        }
        match (&self.principal, &self.refused) {
            (Principal::PoolAdmin(a), _) => Ok(a.as_ref()),
            (Principal::User(_), _) => Err(Error::Forbidden),
            (_, Some(r)) => match r.presented_as {
                Some(TokenKind::User) => Err(Error::Forbidden),
                Some(TokenKind::Management) | None => Err(r.error.clone()),
            },
            _ => Err(Error::NotLoggedIn),
        }
    }
}
