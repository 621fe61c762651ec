//! The Authing profile fields, as every Authing wire (v2 inputs, v3 DTOs) names them.

use serde::Deserialize;
use tessera_core::model::Profile;

/// The profile members of `RegisterProfile` and `CreateUserInput`, as the SDK sends them.
/// Unknown members are ignored; a member of the wrong type refuses the whole input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInput {
    pub nickname: Option<String>,
    pub photo: Option<String>,
    pub company: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub middle_name: Option<String>,
    pub profile: Option<String>,
    pub preferred_username: Option<String>,
    pub website: Option<String>,
    pub gender: Option<String>,
    pub birthdate: Option<String>,
    pub zoneinfo: Option<String>,
    pub locale: Option<String>,
    pub address: Option<String>,
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub country: Option<String>,
    pub oauth: Option<String>,
}

impl From<ProfileInput> for Profile {
    fn from(p: ProfileInput) -> Self {
        Profile {
            nickname: p.nickname,
            photo: p.photo,
            company: p.company,
            name: p.name,
            given_name: p.given_name,
            family_name: p.family_name,
            middle_name: p.middle_name,
            profile: p.profile,
            preferred_username: p.preferred_username,
            website: p.website,
            gender: p.gender,
            birthdate: p.birthdate,
            zoneinfo: p.zoneinfo,
            locale: p.locale,
            address: p.address,
            formatted: p.formatted,
            street_address: p.street_address,
            locality: p.locality,
            region: p.region,
            postal_code: p.postal_code,
            city: p.city,
            province: p.province,
            country: p.country,
            oauth: p.oauth,
        }
    }
}
