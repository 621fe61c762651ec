//! The OAuth/OIDC client settings an administrator gives when creating or updating an
//! application: each one optional, checked by `rules::client_settings`, and laid over a base
//! (the defaults for a new application, the stored document for an update).

use crate::error::Result;
use crate::model::OidcSettings;
use crate::rules::client_settings as rules;

/// OIDC settings to set; `None` keeps the base's value. A list given replaces the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcPatch {
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    /// `client_secret_post`, `client_secret_basic` or `none`.
    pub token_endpoint_auth_method: Option<String>,
    /// `RS256`, `ES256` or `HS256`.
    pub id_token_signing_alg: Option<String>,
    /// Seconds.
    pub id_token_lifetime: Option<i64>,
    pub access_token_lifetime: Option<i64>,
    pub refresh_token_lifetime: Option<i64>,
    pub require_pkce: Option<bool>,
    pub allow_plain_pkce: Option<bool>,
    pub skip_consent: Option<bool>,
}

impl OidcPatch {
    pub fn is_empty(&self) -> bool {
        *self == OidcPatch::default()
    }

    /// `base` with every given setting checked and set. Only the given settings are checked:
    /// a value stored before a rule was tightened does not block changing another one.
    pub fn apply(self, base: OidcSettings) -> Result<OidcSettings> {
        let mut s = base;
        if let Some(v) = self.redirect_uris {
            s.redirect_uris = rules::redirect_uris("redirectUris", &v)?;
        }
        if let Some(v) = self.post_logout_redirect_uris {
            s.post_logout_redirect_uris = rules::redirect_uris("logoutRedirectUris", &v)?;
        }
        if let Some(v) = self.grant_types {
            s.grant_types = rules::grant_types(&v)?;
        }
        if let Some(v) = self.response_types {
            s.response_types = rules::response_types(&v)?;
        }
        if let Some(v) = self.token_endpoint_auth_method {
            s.token_endpoint_auth_method = rules::auth_method(&v)?;
        }
        if let Some(v) = self.id_token_signing_alg {
            s.id_token_signing_alg = rules::signing_alg(&v)?;
        }
        if let Some(v) = self.id_token_lifetime {
            s.id_token_lifetime = rules::lifetime("idTokenExpiresIn", v)?;
        }
        if let Some(v) = self.access_token_lifetime {
            s.access_token_lifetime = rules::lifetime("accessTokenExpiresIn", v)?;
        }
        if let Some(v) = self.refresh_token_lifetime {
            s.refresh_token_lifetime = rules::lifetime("refreshTokenExpiresIn", v)?;
        }
        if let Some(v) = self.require_pkce {
            s.require_pkce = v;
        }
        if let Some(v) = self.allow_plain_pkce {
            s.allow_plain_pkce = v;
        }
        if let Some(v) = self.skip_consent {
            s.skip_consent = v;
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::model::SigningAlg;

    #[test]
    fn an_empty_patch_keeps_the_base() {
        let base = OidcSettings {
            skip_consent: true,
            ..OidcSettings::default()
        };
        assert!(OidcPatch::default().is_empty());
        assert_eq!(OidcPatch::default().apply(base.clone()).unwrap(), base);
    }

    #[test]
    fn given_settings_replace_the_base_ones() {
        let p = OidcPatch {
            redirect_uris: Some(vec!["https://a.com/cb".into()]),
            grant_types: Some(vec!["client_credentials".into()]),
            id_token_signing_alg: Some("HS256".into()),
            access_token_lifetime: Some(60),
            require_pkce: Some(true),
            ..OidcPatch::default()
        };
        let s = p.apply(OidcSettings::default()).unwrap();
        let d = OidcSettings::default();
        assert_eq!(s.redirect_uris, vec!["https://a.com/cb"]);
        assert_eq!(s.grant_types, vec!["client_credentials"]);
        assert_eq!(s.id_token_signing_alg, SigningAlg::HS256);
        assert_eq!(s.access_token_lifetime, 60);
        assert!(s.require_pkce);
        assert_eq!(s.response_types, d.response_types);
        assert_eq!(s.refresh_token_lifetime, d.refresh_token_lifetime);
        assert_eq!(s.skip_consent, d.skip_consent);
    }

    #[test]
    fn a_bad_setting_names_itself() {
        let bad = |p: OidcPatch| p.apply(OidcSettings::default()).unwrap_err();
        let e = bad(OidcPatch {
            post_logout_redirect_uris: Some(vec!["http://evil.com".into()]),
            ..OidcPatch::default()
        });
        assert!(
            matches!(e, Error::InvalidParameter("logoutRedirectUris")),
            "{e:?}"
        );
        let e = bad(OidcPatch {
            refresh_token_lifetime: Some(0),
            ..OidcPatch::default()
        });
        assert!(
            matches!(e, Error::InvalidParameter("refreshTokenExpiresIn")),
            "{e:?}"
        );
        let e = bad(OidcPatch {
            id_token_signing_alg: Some("none".into()),
            ..OidcPatch::default()
        });
        assert!(
            matches!(e, Error::InvalidParameter("idTokenSignedResponseAlg")),
            "{e:?}"
        );
    }
}
