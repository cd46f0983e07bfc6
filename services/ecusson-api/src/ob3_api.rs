//! The Open Badges 3.0 REST API for wallets and badge hosts (1EdTech, "Open Badges API"):
//! a worker lets an application read their badges and their name, and nothing else.
//!
//! Écusson plays the spec's "Service Provider (Read)" role, the one that holds the badges:
//! the service description (`GET /ims/ob/v3p0/discovery`), dynamic client registration
//! (`POST /oauth/register`, RFC 7591 as the spec profiles it), the authorization code grant
//! with PKCE (`/oauth/authorize`, `POST /oauth/token`, RFC 6749 and RFC 7636, S256 only),
//! token revocation (`POST /oauth/revoke`, RFC 7009), and the two reads
//! (`GET /ims/ob/v3p0/credentials`, `GET /ims/ob/v3p0/profile`). The write operations
//! (`upsertCredential`, `putProfile`) belong to hosts that collect badges from several
//! issuers; an issuer's ledger signs its own credentials only, and a worker's name is changed
//! with their structure, so both answer 405 with the spec's `unsupported` status.
//!
//! The bearer of the two reads is an access token this module issued, never the JWT of the
//! GraphQL API: the token names its tenant and earner, and every read is that earner's.
//! Codes, tokens and client secrets are 256-bit random values stored as their SHA-256 (see
//! [`secret`]); none of them, nor any personal data, is ever logged.
//!
//! Who the worker is comes from the same bearer JWT as the GraphQL API, read from the
//! `ecusson_token` cookie that the Écusson web app sets after its login (or from an
//! `Authorization: Bearer` header); only a worker (`earner` role) may authorize, for
//! themselves.

mod authorization;
mod client;
mod consent_token;
mod discovery;
mod errors;
mod pkce;
mod registration;
mod resources;
mod scope;
mod secret;
mod settings;
mod token;

use actix_web::web;

pub use pkce::challenge_of;
pub use settings::Ob3Settings;

/// Where each part of the API is served, relative to the public base URL.
pub(crate) mod paths {
    pub const DISCOVERY: &str = "/ims/ob/v3p0/discovery";
    pub const CREDENTIALS: &str = "/ims/ob/v3p0/credentials";
    pub const PROFILE: &str = "/ims/ob/v3p0/profile";
    pub const REGISTER: &str = "/oauth/register";
    pub const AUTHORIZE: &str = "/oauth/authorize";
    pub const TOKEN: &str = "/oauth/token";
    pub const REVOKE: &str = "/oauth/revoke";
}

/// Registers the API's routes, with its settings read from the environment
/// ([`Ob3Settings::from_env`]).
pub fn configure(config: &mut web::ServiceConfig) {
    configure_with(Ob3Settings::from_env())(config);
}

/// Registers the API's routes with the settings given.
pub fn configure_with(settings: Ob3Settings) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config: &mut web::ServiceConfig| {
        config
            .app_data(web::Data::new(settings))
            .route(
                paths::DISCOVERY,
                web::get().to(discovery::service_description),
            )
            .service(
                web::resource(paths::CREDENTIALS)
                    .route(web::get().to(resources::credentials))
                    .route(web::route().to(resources::not_supported)),
            )
            .service(
                web::resource(paths::PROFILE)
                    .route(web::get().to(resources::profile))
                    .route(web::route().to(resources::not_supported)),
            )
            .route(paths::REGISTER, web::post().to(registration::register))
            .service(
                web::resource(paths::AUTHORIZE)
                    .route(web::get().to(authorization::ask))
                    .route(web::post().to(authorization::answer)),
            )
            .route(paths::TOKEN, web::post().to(token::token))
            .route(paths::REVOKE, web::post().to(token::revoke));
    }
}

/// A failure of the API's own machinery (the database, the vault, stored data that does not
/// parse): opaque to the caller, logged once where it becomes a response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Internal {
    #[error(transparent)]
    Store(#[from] ecusson_store::StoreError),
    #[error(transparent)]
    App(#[from] ecusson_app::AppError),
    #[error("a registered client's metadata does not parse")]
    ClientMetadata(#[source] serde_json::Error),
    #[error("a response could not be serialised")]
    Json(#[source] serde_json::Error),
}

impl Internal {
    /// Logs the failure with its cause (never a secret nor personal data: the store and the
    /// application layers keep those out of their errors).
    pub(crate) fn log(&self, during: &'static str) {
        tracing::error!(error = %self, cause = ?self, during, "Open Badges API internal error");
    }
}

/// The form fields of a `application/x-www-form-urlencoded` body or query string, refusing a
/// parameter given twice (RFC 6749 §3.1, §3.2) and anything that does not parse.
pub(crate) fn form_fields(encoded: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(encoded)
        .ok()?
        .into_inner();
    let mut fields = std::collections::BTreeMap::new();
    for (name, value) in pairs {
        if fields.insert(name, value).is_some() {
            return None;
        }
    }
    Some(fields)
}

/// Whether the request body is declared `application/x-www-form-urlencoded`.
pub(crate) fn is_form(request: &actix_web::HttpRequest) -> bool {
    request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

#[cfg(test)]
mod tests {
    use super::form_fields;

    #[test]
    fn form_fields_are_decoded_and_a_repeated_one_is_refused() {
        let fields = form_fields("a=1&b=x%20y+z&c=").unwrap();
        assert_eq!(fields["a"], "1");
        assert_eq!(fields["b"], "x y z");
        assert_eq!(fields["c"], "");
        assert!(form_fields("a=1&a=2").is_none());
        assert!(form_fields("").unwrap().is_empty());
    }
}
