//! The administrator's pool operations (`mc.userpool`, `mc.whitelist`, `mc.udf`): update the
//! pool and every setting the login and registration rules read, including the pool's own
//! SMS and email providers; whitelists; custom-field definitions; environment variables.

use serde_json::{Map, Value};

use super::audit::AuditEntry;
use super::settings::{whitelist_key, WhitelistType};
use super::udf::UdfTarget;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::{PoolSettings, ProviderSettings, UserPool};
use crate::notify::EmailRoute;
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::pool_admin::{EnvVar, WhitelistEntry};
use crate::store::UdfDefinition;

/// The provider's `config` JSON, if the provider is enabled and of `kind`.
fn provider_config(p: &ProviderSettings, kind: &str) -> Option<Map<String, Value>> {
    if !p.enabled || p.provider != kind {
        return None;
    }
    match serde_json::from_str::<Value>(&p.config) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Where a pool's SMS codes go when it has its own webhook.
pub fn sms_route(pool: &UserPool) -> Option<String> {
    provider_config(&pool.settings.custom_sms_provider, "webhook")
        .and_then(|c| c.get("url").and_then(Value::as_str).map(str::to_owned))
}

/// Where a pool's email goes when it has its own SMTP server.
pub fn email_route(pool: &UserPool) -> Option<EmailRoute> {
    let c = provider_config(&pool.settings.custom_email_provider, "smtp")?;
    Some(EmailRoute {
        smtp_url: c.get("url")?.as_str()?.to_owned(),
        from: c.get("from")?.as_str()?.to_owned(),
    })
}

/// A provider setting as the wire gives it (`config` as JSON text or an object), checked so
/// that an enabled provider can deliver.
fn provider_setting(v: &Value, kind: &str, schemes: &[&str]) -> Result<ProviderSettings> {
    let bad = || Error::InvalidParameter("provider");
    let m = v.as_object().ok_or_else(bad)?;
    let config = match m.get("config") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(o @ Value::Object(_)) => o.to_string(),
        Some(_) => return Err(bad()),
    };
    let p = ProviderSettings {
        enabled: m.get("enabled").and_then(Value::as_bool).unwrap_or(false),
        provider: m
            .get("provider")
            .and_then(Value::as_str)
            .unwrap_or(kind)
            .to_owned(),
        config,
    };
    if p.enabled {
        if p.provider != kind {
            return Err(bad());
        }
        let c = provider_config(&p, kind).ok_or_else(bad)?;
        let url = c.get("url").and_then(Value::as_str).ok_or_else(bad)?;
        if !schemes.iter().any(|s| url.starts_with(s)) || url.len() > 2048 {
            return Err(bad());
        }
        if kind == "smtp" {
            let from = c.get("from").and_then(Value::as_str).ok_or_else(bad)?;
            identifiers::text("from", from)?;
        }
    }
    Ok(p)
}

/// Overlays the `UpdateUserpoolInput` keys on the settings' JSON form, key by key (nested
/// objects merge), so a partial update keeps everything it does not name.
fn merge(dst: &mut Map<String, Value>, src: &Map<String, Value>) {
    for (k, v) in src {
        match (dst.get_mut(k), v) {
            (Some(Value::Object(d)), Value::Object(s)) => merge(d, s),
            _ => {
                dst.insert(k.clone(), v.clone());
            }
        }
    }
}

fn apply_settings(current: &PoolSettings, input: &Map<String, Value>) -> Result<PoolSettings> {
    let bad = |k: &'static str| Error::InvalidParameter(k);
    let mut overlay = Map::new();
    for (key, v) in input {
        match key.as_str() {
            // Pool identity fields, applied by the caller.
            "name" | "logo" | "description" | "domain" | "userpoolTypes" | "appSsoEnabled" => {}
            "changePhoneStrategy" => {
                if let Some(b) = v.get("verifyOldPhone").and_then(Value::as_bool) {
                    overlay.insert("verifyOldPhone".into(), Value::Bool(b));
                }
            }
            "changeEmailStrategy" => {
                if let Some(b) = v.get("verifyOldEmail").and_then(Value::as_bool) {
                    overlay.insert("verifyOldEmail".into(), Value::Bool(b));
                }
            }
            "customSMSProvider" => {
                let p = provider_setting(v, "webhook", &["http://", "https://"])?;
                overlay.insert(
                    "customSMSProvider".into(),
                    serde_json::to_value(p).map_err(|_| bad("customSMSProvider"))?,
                );
            }
            "customEmailProvider" => {
                let p = provider_setting(v, "smtp", &["smtp://", "smtps://"])?;
                overlay.insert(
                    "customEmailProvider".into(),
                    serde_json::to_value(p).map_err(|_| bad("customEmailProvider"))?,
                );
            }
            // Authing's console-only strategies: accepted, nothing here reads them.
            "qrcodeLoginStrategy" | "app2WxappLoginStrategy" => {}
            "registerDisabled"
            | "emailVerifiedDefault"
            | "sendWelcomeEmail"
            | "loginRequireEmailVerified"
            | "showWxQRCodeWhenRegisterDisabled"
            | "allowedOrigins"
            | "tokenExpiresAfter"
            | "frequentRegisterCheck"
            | "loginFailCheck"
            | "loginFailStrategy"
            | "loginPasswordFailCheck"
            | "passwordUpdatePolicy"
            | "whitelist"
            | "verifyCodeLength"
            | "verifyCodeMaxAttempts"
            | "verifyCodeExpiresAfter"
            | "verifyCodeResendInterval"
            | "passwordStrength"
            | "customPasswordStrength"
            | "defaultPhoneCountryCode" => {
                if !v.is_null() {
                    overlay.insert(key.clone(), v.clone());
                }
            }
            _ => return Err(Error::InvalidParameter("input")),
        }
    }
    let mut json = serde_json::to_value(current).map_err(|e| Error::Internal(e.to_string()))?;
    if let Value::Object(m) = &mut json {
        merge(m, &overlay);
    }
    let s: PoolSettings = serde_json::from_value(json).map_err(|_| bad("input"))?;
    let window_ok = |c: &crate::model::RateCheck| c.time_interval > 0 && c.limit > 0;
    // Any positive lifetime is the administrator's choice (Authing accepts a few seconds).
    if s.token_expires_after < 1
        || s.token_expires_after > 10 * 365 * 24 * 3600
        || s.password_strength > 4
        || !(4..=10).contains(&s.verify_code_length)
        || !(1..=100).contains(&s.verify_code_max_attempts)
        || s.verify_code_expires_after < 30
        || s.verify_code_resend_interval < 0
        || !window_ok(&s.frequent_register_check)
        || !window_ok(&s.login_fail_check)
        || !window_ok(&s.login_password_fail_check)
        || s.allowed_origins.len() > 16 * 1024
    {
        return Err(bad("input"));
    }
    if s.custom_password_strength.enabled
        && (s.custom_password_strength.regex.len() > 1024
            || regex::Regex::new(&s.custom_password_strength.regex).is_err())
    {
        return Err(bad("customPasswordStrength"));
    }
    Ok(s)
}

impl Core {
    /// `updateUserpool`: a partial update; anything refused leaves the pool as it was.
    /// Audited with the names of the settings given (their values may be the pool's own
    /// SMTP or webhook credentials).
    pub async fn update_pool(
        &self,
        pool: &PoolAdmin,
        input: &Map<String, Value>,
    ) -> Result<UserPool> {
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::UserPool)
            .target(pool.pool_id())
            .fields(input.keys().map(String::as_str));
        let updated = self
            .modify_pool(&pool.id, |p| self.apply_pool_input(p.clone(), input))
            .await;
        self.audit(pool, entry, updated).await
    }

    /// The partial update of `updateUserpool` applied to a copy of the pool as stored.
    async fn apply_pool_input(
        &self,
        pool: UserPool,
        input: &Map<String, Value>,
    ) -> Result<UserPool> {
        let mut p = pool;
        p.settings = apply_settings(&p.settings, input)?;
        let text = |k: &'static str| -> Result<Option<String>> {
            match input.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => {
                    identifiers::text(k, s)?;
                    Ok(Some(s.clone()))
                }
                Some(_) => Err(Error::InvalidParameter(k)),
            }
        };
        if let Some(n) = text("name")? {
            if n.trim().is_empty() {
                return Err(Error::InvalidParameter("name"));
            }
            p.name = n;
        }
        if let Some(l) = text("logo")? {
            p.logo = Some(l);
        }
        if let Some(d) = text("description")? {
            p.description = Some(d);
        }
        if let Some(d) = text("domain")? {
            let valid = !d.is_empty()
                && d.len() <= 63
                && d.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(Error::InvalidParameter("domain"));
            }
            if d != p.domain {
                let taken = self.store.list_pools().await?.iter().any(|o| o.domain == d);
                if taken {
                    return Err(Error::Duplicate(Entity::PoolDomain));
                }
                p.domain = d;
            }
        }
        Ok(p)
    }

    /// `refreshUserpoolSecret`: a new random secret; every management token bought with the
    /// old one stops working at once, in every process (they carry its fingerprint).
    pub async fn refresh_pool_secret(&self, pool: &PoolAdmin) -> Result<String> {
        let secret = crate::ids::new_secret(32);
        let entry =
            AuditEntry::new(OperationType::Refresh, ResourceKind::UserPool).target(pool.pool_id());
        let set = self
            .store
            .set_pool_secret(&pool.id, &secret, clock::now_ms())
            .await;
        // The record names the pool, never the secret.
        self.audit(pool, entry, set).await?;
        Ok(secret)
    }

    pub async fn whitelist(
        &self,
        pool: &PoolAdmin,
        kind: WhitelistType,
    ) -> Result<Vec<WhitelistEntry>> {
        self.store.list_whitelist(&pool.id, kind.as_str()).await
    }

    pub async fn remove_whitelist(
        &self,
        pool: &PoolAdmin,
        kind: WhitelistType,
        values: &[String],
    ) -> Result<()> {
        let keys = values
            .iter()
            .map(|v| whitelist_key(pool, kind, v))
            .collect::<Result<Vec<_>>>()?;
        self.store
            .remove_whitelist(&pool.id, kind.as_str(), &keys)
            .await
    }

    pub async fn udf_definitions(
        &self,
        pool: &PoolAdmin,
        target: UdfTarget,
    ) -> Result<Vec<UdfDefinition>> {
        self.store
            .list_udf_definitions(&pool.id, target.as_str())
            .await
    }

    /// Removes a custom field with every value of it.
    pub async fn remove_udf(&self, pool: &PoolAdmin, target: UdfTarget, key: &str) -> Result<()> {
        if self
            .store
            .remove_udf_definition(&pool.id, target.as_str(), key)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::UdfDefinition))
        }
    }

    pub async fn env_vars(&self, pool: &PoolAdmin) -> Result<Vec<EnvVar>> {
        self.store.list_env(&pool.id).await
    }

    /// Sets a variable; `value` is any JSON value, stored as text.
    pub async fn set_env_var(&self, pool: &PoolAdmin, key: &str, value: &Value) -> Result<()> {
        let valid = !key.is_empty()
            && key.len() <= 64
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !valid {
            return Err(Error::InvalidParameter("key"));
        }
        let text = value.to_string();
        if text.len() > 16 * 1024 {
            return Err(Error::InvalidParameter("value"));
        }
        self.store
            .put_env(&pool.id, key, &text, clock::now_ms())
            .await
    }

    pub async fn remove_env_var(&self, pool: &PoolAdmin, key: &str) -> Result<()> {
        if self.store.remove_env(&pool.id, key).await? {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::EnvVar))
        }
    }
}

impl Core {
    /// Refuses custom values for a target that is not in the pool.
    pub async fn ensure_udf_target(
        &self,
        pool: &PoolAdmin,
        target: UdfTarget,
        id: &str,
    ) -> Result<()> {
        let s = &self.store;
        let found = match target {
            UdfTarget::User => s
                .find_user(&pool.id, crate::store::UserLookup::Id(id))
                .await?
                .is_some(),
            UdfTarget::Role => s.get_role(&pool.id, id).await?.is_some(),
            UdfTarget::Group => s.get_group(&pool.id, id).await?.is_some(),
            UdfTarget::Node => s.get_node(&pool.id, id).await?.is_some(),
            UdfTarget::Org => s.get_org(&pool.id, id).await?.is_some(),
            UdfTarget::Application => s.get_app(id).await?.is_some_and(|a| a.pool_id == pool.id),
            UdfTarget::UserPool => id == pool.id,
        };
        if found {
            Ok(())
        } else if target == UdfTarget::User {
            Err(Error::UserNotFound)
        } else {
            Err(Error::NotFound(Entity::UdfTarget))
        }
    }

    /// `setUdfValueBatch`: values for several targets of one type, validated first and
    /// written in one transaction.
    pub async fn set_udf_values_batch(
        &self,
        pool: &PoolAdmin,
        target: UdfTarget,
        items: &[(String, String, Value)],
    ) -> Result<()> {
        if items.len() > 1000 {
            return Err(Error::InvalidParameter("input"));
        }
        let mut rows = Vec::with_capacity(items.len());
        for (id, key, value) in items {
            self.ensure_udf_target(pool, target, id).await?;
            let stored = self
                .validate_udf_values(&pool.id, target, &[(key.clone(), value.clone())])
                .await?;
            for (k, v) in stored {
                rows.push((id.clone(), k, v));
            }
        }
        self.store
            .set_udf_values_many(&pool.id, target.as_str(), &rows)
            .await
    }
}
