//! The hosted pages of the OpenID Provider (sign-in, registration, password reset, consent,
//! sign-out, device authorization, errors, the landing page and the form_post response),
//! rendered on the server as HTML with no JavaScript except form_post's one script.
//!
//! Rendering only: each page is a pure function from a typed struct to the whole document.
//! Every value from outside is escaped where it is written. Send pages with
//! [`html::CSP`], or the policies of [`csp`] for pages that end at a client.

pub mod csp;
pub mod html;
pub mod i18n;
pub mod pages;
mod parts;

pub use parts::logo_url;

#[cfg(test)]
mod inspect;
#[cfg(test)]
mod samples;
