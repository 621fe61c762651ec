//! `tessera scim create | list | revoke`: a pool's provisioning connections, through which
//! an upstream directory (Okta, Microsoft Entra ID, OneLogin, any SCIM 2.0 client)
//! provisions the pool at `<public url>/scim/v2`. `create` prints the connection's bearer
//! token once; only its digest is stored.

use clap::Subcommand;
use serde::Serialize;
use tessera_core::clock::iso8601;
use tessera_core::model::provisioning::ProvisioningConnection;
use tessera_core::Core;

use crate::{print_json_or, Fatal};

#[derive(Subcommand)]
pub enum ScimCommand {
    /// Create a connection and print its bearer token (shown once).
    Create {
        /// The user pool the upstream provisions.
        #[arg(long)]
        pool: String,
        /// The upstream's name, which its sync relations carry: lowercase a-z, 0-9, _ or -,
        /// at most 32 (okta, entra, lark…).
        #[arg(long)]
        provider: String,
        /// The code of the organization whose departments the upstream's Groups become.
        /// Without one, the connection provisions users only.
        #[arg(long)]
        organization: Option<String>,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List a pool's connections (without their tokens).
    List {
        #[arg(long)]
        pool: String,
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a connection: its token stops working at once. Its sync relations stay.
    Revoke {
        #[arg(long)]
        pool: String,
        /// The connection's id.
        #[arg(long)]
        id: String,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionJson {
    id: String,
    user_pool_id: String,
    provider: String,
    organization_id: Option<String>,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
}

impl ConnectionJson {
    fn of(c: &ProvisioningConnection) -> ConnectionJson {
        ConnectionJson {
            id: c.id.clone(),
            user_pool_id: c.pool_id.clone(),
            provider: c.provider.clone(),
            organization_id: c.org_id.clone(),
            created_at: iso8601(c.created_at),
            token: None,
            base_url: None,
        }
    }
}

#[derive(Serialize)]
struct Revoked {
    id: String,
    revoked: bool,
}

pub async fn run(core: &Core, command: ScimCommand) -> Result<(), Fatal> {
    match command {
        ScimCommand::Create {
            pool,
            provider,
            organization,
            json,
        } => {
            let admin = core
                .operator_pool_admin(&pool)
                .await
                .map_err(Fatal::runtime)?;
            let made = core
                .create_provisioning_connection(&admin, &provider, organization.as_deref())
                .await
                .map_err(Fatal::runtime)?;
            let base_url = format!("{}/scim/v2", core.public_url());
            let out = ConnectionJson {
                token: Some(made.token.clone()),
                base_url: Some(base_url.clone()),
                ..ConnectionJson::of(&made.connection)
            };
            print_json_or(json, &out, || {
                format!(
                    "Created provisioning connection {} ({}) for pool {}.\n\
                     SCIM base URL: {}\n\
                     Bearer token (shown once): {}",
                    made.connection.id, made.connection.provider, pool, base_url, made.token
                )
            })
        }
        ScimCommand::List { pool, json } => {
            let admin = core
                .operator_pool_admin(&pool)
                .await
                .map_err(Fatal::runtime)?;
            let list = core
                .provisioning_connections(&admin)
                .await
                .map_err(Fatal::runtime)?;
            let out: Vec<ConnectionJson> = list.iter().map(ConnectionJson::of).collect();
            print_json_or(json, &out, || {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}  {}  organization={}",
                            c.id,
                            c.provider,
                            c.org_id.as_deref().unwrap_or("-")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        ScimCommand::Revoke { pool, id, json } => {
            let admin = core
                .operator_pool_admin(&pool)
                .await
                .map_err(Fatal::runtime)?;
            core.revoke_provisioning_connection(&admin, &id)
                .await
                .map_err(Fatal::runtime)?;
            print_json_or(
                json,
                &Revoked {
                    id: id.clone(),
                    revoked: true,
                },
                || format!("Revoked provisioning connection {id}."),
            )
        }
    }
}
