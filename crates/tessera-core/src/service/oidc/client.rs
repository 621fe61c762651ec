//! Who is calling the token, introspection and revocation endpoints: an application by its
//! secret (`client_secret_basic` or `client_secret_post`), a public application by its id
//! alone (`none`), or, for client credentials only, a pool's access key.

use crate::crypto::ct_eq;
use crate::error::{protocol, Error, ProtocolError, Result};
use crate::model::{AccessKey, Application, UserPool};
use crate::Core;

/// The client's credentials as the request carried them.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The credentials came in `Authorization: Basic` (RFC 6749 §2.3.1).
    pub basic: bool,
}

/// An authenticated caller of the back-channel endpoints. One exists per request, briefly,
/// so the size difference of its variants costs nothing worth a box.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Client {
    App {
        app: Application,
        pool: UserPool,
        /// It proved itself with its secret (a public client did not).
        confidential: bool,
    },
    /// A pool's programmatic access key (the SDK's
    /// `getAccessTokenByClientCredentials(scope, {accessKey, accessSecret})`).
    AccessKey { key: AccessKey, pool: Box<UserPool> },
}

impl Client {
    pub fn pool(&self) -> &UserPool {
        match self {
            Client::App { pool, .. } => pool,
            Client::AccessKey { pool, .. } => pool,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Client::App { app, .. } => &app.id,
            Client::AccessKey { key, .. } => &key.id,
        }
    }
}

fn invalid_client() -> Error {
    protocol(ProtocolError::InvalidClient, "client authentication failed")
}

impl Core {
    /// Authenticates the client of a back-channel request.
    ///
    /// A confidential application may send its secret either way (basic or post): they are
    /// equally safe, and generic libraries default to basic while Authing's SDK defaults to
    /// post, so refusing one would break clients for no gain. A public application
    /// (`token_endpoint_auth_method = none`) is identified by its id, and a secret sent for
    /// it is still checked. Access keys count only where `allow_access_key` says so.
    pub async fn oidc_client(&self, auth: &ClientAuth, allow_access_key: bool) -> Result<Client> {
        let id = auth
            .client_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(invalid_client)?;
        if let Ok((app, pool)) = self.app_and_pool(id).await {
            return match auth.client_secret.as_deref() {
                Some(secret) if app.secret_matches(secret) => Ok(Client::App {
                    app,
                    pool,
                    confidential: true,
                }),
                Some(_) => Err(invalid_client()),
                None if app.oidc.is_public() && !auth.basic => Ok(Client::App {
                    app,
                    pool,
                    confidential: false,
                }),
                None => Err(invalid_client()),
            };
        }
        if !allow_access_key {
            return Err(invalid_client());
        }
        let key = self
            .store
            .get_access_key(id)
            .await?
            .filter(|k| k.enabled)
            .ok_or_else(invalid_client)?;
        let secret = auth.client_secret.as_deref().ok_or_else(invalid_client)?;
        if !ct_eq(secret.as_bytes(), key.secret.as_bytes()) {
            return Err(invalid_client());
        }
        let pool = self
            .store
            .get_pool(&key.pool_id)
            .await?
            .ok_or_else(invalid_client)?;
        Ok(Client::AccessKey {
            key,
            pool: Box::new(pool),
        })
    }

    /// The application a request names by `client_id` alone, unauthenticated (marked
    /// not confidential), for grants whose own credential proves the caller.
    pub(crate) async fn oidc_client_named(&self, auth: &ClientAuth) -> Result<Client> {
        let id = auth
            .client_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(invalid_client)?;
        let (app, pool) = self.app_and_pool(id).await.map_err(|_| invalid_client())?;
        Ok(Client::App {
            app,
            pool,
            confidential: false,
        })
    }
}
