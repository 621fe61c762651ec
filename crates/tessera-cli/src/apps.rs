//! `tessera app create | update | list`: a pool's applications, which are its OAuth/OIDC
//! clients (client id = application id, client secret = application secret), managed by the
//! deployment's operator through the same core services as the management API.

use clap::{Args, Subcommand};
use tessera_core::service::app_settings::OidcPatch;
use tessera_core::service::apps_admin::{AppUpdate, AppView, NewApp};
use tessera_core::service::paging::{Page, MAX_PAGE_SIZE};
use tessera_core::Core;

use crate::output::AppJson;
use crate::{print_json_or, Fatal};

#[derive(Subcommand)]
pub enum AppCommand {
    /// Create an application and print its client id and secret.
    Create {
        /// The user pool the application belongs to.
        #[arg(long)]
        pool: String,
        #[arg(long)]
        name: String,
        /// The label of the application's domain (default: its id).
        #[arg(long)]
        identifier: Option<String>,
        #[command(flatten)]
        fields: AppArgs,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Change the settings given and keep the others. A list option given (once or
    /// repeated) replaces the whole list.
    Update {
        /// The user pool the application belongs to.
        #[arg(long)]
        pool: String,
        /// The application (client) id.
        #[arg(long)]
        app: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: AppArgs,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List a pool's applications (without their secrets).
    List {
        /// The user pool whose applications to list.
        #[arg(long)]
        pool: String,
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// The settings `create` and `update` share. Each is optional: `create` takes the defaults
/// for those not given, `update` keeps their stored value.
#[derive(Args)]
pub struct AppArgs {
    /// Where the provider may send the browser after sign-in (repeatable): https, http to
    /// localhost only, or a native app's scheme such as com.example.app:/cb.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Where the provider may send the browser after sign-out (repeatable).
    #[arg(long = "logout-redirect-uri", value_name = "URI")]
    logout_redirect_uris: Vec<String>,
    /// authorization_code, refresh_token, client_credentials, password, implicit, … (repeatable).
    #[arg(long = "grant-type", value_name = "GRANT")]
    grant_types: Vec<String>,
    /// code, id_token, token, their combinations ("code id_token") or none (repeatable).
    #[arg(long = "response-type", value_name = "TYPE")]
    response_types: Vec<String>,
    /// Token endpoint authentication: client_secret_post, client_secret_basic or none.
    #[arg(long = "auth-method", value_name = "METHOD")]
    auth_method: Option<String>,
    /// ID token signature: RS256 or HS256.
    #[arg(long = "id-token-alg", value_name = "ALG")]
    id_token_alg: Option<String>,
    /// How long an ID token is valid (1 s to 10 years).
    #[arg(long, value_name = "SECONDS")]
    id_token_lifetime: Option<i64>,
    /// How long an access token is valid (1 s to 10 years).
    #[arg(long, value_name = "SECONDS")]
    access_token_lifetime: Option<i64>,
    /// How long a refresh token is valid (1 s to 10 years).
    #[arg(long, value_name = "SECONDS")]
    refresh_token_lifetime: Option<i64>,
    /// Demand PKCE in the authorization code flow (`--require-pkce=false` to stop).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    require_pkce: Option<bool>,
    /// Accept code_challenge_method=plain besides S256.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    allow_plain_pkce: Option<bool>,
    /// Do not ask users to consent to this (first-party) application's scopes.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    skip_consent: Option<bool>,
    /// A description (empty to clear it).
    #[arg(long)]
    description: Option<String>,
    /// The logo's URL (empty to clear it).
    #[arg(long, value_name = "URL")]
    logo: Option<String>,
}

/// An empty list means "not given": clap collects a list option given zero times as empty.
fn given(list: Vec<String>) -> Option<Vec<String>> {
    (!list.is_empty()).then_some(list)
}

impl AppArgs {
    /// The description, the logo and the OIDC settings.
    fn split(self) -> (Option<String>, Option<String>, OidcPatch) {
        let oidc = OidcPatch {
            redirect_uris: given(self.redirect_uris),
            post_logout_redirect_uris: given(self.logout_redirect_uris),
            grant_types: given(self.grant_types),
            response_types: given(self.response_types),
            token_endpoint_auth_method: self.auth_method,
            id_token_signing_alg: self.id_token_alg,
            id_token_lifetime: self.id_token_lifetime,
            access_token_lifetime: self.access_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            require_pkce: self.require_pkce,
            allow_plain_pkce: self.allow_plain_pkce,
            skip_consent: self.skip_consent,
        };
        (self.description, self.logo, oidc)
    }
}

pub async fn run(core: &Core, command: AppCommand) -> Result<(), Fatal> {
    match command {
        AppCommand::Create {
            pool,
            name,
            identifier,
            fields,
            json,
        } => {
            let admin = core
                .operator_pool_admin(&pool)
                .await
                .map_err(Fatal::runtime)?;
            let (description, logo, oidc) = fields.split();
            let new = NewApp {
                name,
                identifier,
                description,
                logo,
                oidc,
                client_kind: None,
            };
            let v = core
                .admin_create_app(&admin, new)
                .await
                .map_err(Fatal::runtime)?;
            let a = &v.app;
            print_json_or(json, &AppJson::with_secret(a), || {
                format!(
                    "Created application {} in pool {}.\n{}\n{}\n{}",
                    a.name,
                    a.pool_id,
                    line("Client ID", &a.id),
                    line("Client secret", &a.secret),
                    settings_text(&v)
                )
            })
        }
        AppCommand::Update {
            pool,
            app,
            name,
            fields,
            json,
        } => {
            let admin = core
                .operator_pool_admin(&pool)
                .await
                .map_err(Fatal::runtime)?;
            let (description, logo, oidc) = fields.split();
            let update = AppUpdate {
                name,
                description,
                logo,
                oidc,
            };
            let v = core
                .admin_update_app(&admin, &app, update)
                .await
                .map_err(Fatal::runtime)?;
            print_json_or(json, &AppJson::from(&v.app), || {
                format!(
                    "Updated application {} ({}).\n{}",
                    v.app.name,
                    v.app.id,
                    settings_text(&v)
                )
            })
        }
        AppCommand::List { pool, json } => {
            let admin = core
                .operator_pool_admin(&pool)
                .await
                .map_err(Fatal::runtime)?;
            let apps = all_apps(core, &admin).await?;
            let out: Vec<AppJson> = apps.iter().map(|v| AppJson::from(&v.app)).collect();
            print_json_or(json, &out, || {
                apps.iter()
                    .map(|v| {
                        format!(
                            "{}  {}  redirect_uris={}",
                            v.app.id,
                            v.app.name,
                            v.app.oidc.redirect_uris.join(",")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

/// Every application of the pool, read a page at a time.
async fn all_apps(
    core: &Core,
    admin: &tessera_core::principal::PoolAdmin,
) -> Result<Vec<AppView>, Fatal> {
    let mut out = Vec::new();
    for page in 1.. {
        let p = Page::new(Some(page), Some(MAX_PAGE_SIZE)).map_err(Fatal::runtime)?;
        let got = core
            .admin_list_apps(admin, p)
            .await
            .map_err(Fatal::runtime)?;
        let last = got.list.len() < MAX_PAGE_SIZE as usize;
        out.extend(got.list);
        if last {
            break;
        }
    }
    Ok(out)
}

/// The client settings, one per line, for the text output.
fn settings_text(v: &AppView) -> String {
    let o = &v.app.oidc;
    [
        ("Redirect URIs", o.redirect_uris.join(" ")),
        (
            "Logout redirect URIs",
            o.post_logout_redirect_uris.join(" "),
        ),
        ("Grant types", o.grant_types.join(" ")),
        ("Response types", o.response_types.join(", ")),
        ("Auth method", o.token_endpoint_auth_method.clone()),
        ("ID token alg", o.id_token_signing_alg.as_str().to_owned()),
        ("Require PKCE", o.require_pkce.to_string()),
        ("Skip consent", o.skip_consent.to_string()),
    ]
    .iter()
    .map(|(k, v)| line(k, v))
    .collect::<Vec<_>>()
    .join("\n")
}

/// `Label:` padded so the values of the text output line up.
fn line(label: &str, value: &str) -> String {
    format!("{:<22}{value}", format!("{label}:"))
}
