//! The error answers of the API, each in the form its protocol defines: RFC 6749 §5.2 JSON for
//! the token and revocation endpoints, RFC 7591 §3.2.2 JSON for registration, and the spec's
//! `Imsx_StatusInfo` for the resource endpoints. Codes come from closed sets; descriptions are
//! fixed ASCII sentences (the spec allows nothing else there), never echoing the request.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde_json::json;

/// The realm named in `WWW-Authenticate`.
const REALM: &str = "ecusson";

/// An error of the token or revocation endpoint (RFC 6749 §5.2, RFC 7009 §2.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenError {
    InvalidRequest(&'static str),
    /// Client authentication failed: answered 401 with a `Basic` challenge.
    InvalidClient(&'static str),
    InvalidGrant(&'static str),
    UnauthorizedClient(&'static str),
    UnsupportedGrantType,
    InvalidScope(&'static str),
    ServerError,
}

impl TokenError {
    fn code(self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidClient(_) => "invalid_client",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::UnauthorizedClient(_) => "unauthorized_client",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::InvalidScope(_) => "invalid_scope",
            TokenError::ServerError => "server_error",
        }
    }

    fn description(self) -> &'static str {
        match self {
            TokenError::InvalidRequest(text)
            | TokenError::InvalidClient(text)
            | TokenError::InvalidGrant(text)
            | TokenError::UnauthorizedClient(text)
            | TokenError::InvalidScope(text) => text,
            TokenError::UnsupportedGrantType => {
                "grant_type must be authorization_code or refresh_token"
            }
            TokenError::ServerError => "the server could not answer; try again later",
        }
    }

    pub(crate) fn response(self) -> HttpResponse {
        let mut response = match self {
            TokenError::InvalidClient(_) => {
                let mut response = HttpResponse::Unauthorized();
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""),
                ));
                response
            }
            TokenError::ServerError => HttpResponse::InternalServerError(),
            _ => HttpResponse::BadRequest(),
        };
        no_store(&mut response);
        response.json(json!({"error": self.code(), "error_description": self.description()}))
    }
}

/// A refused registration (RFC 7591 §3.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegistrationError {
    InvalidRedirectUri(&'static str),
    InvalidClientMetadata(&'static str),
}

impl RegistrationError {
    pub(crate) fn response(self) -> HttpResponse {
        let (code, description) = match self {
            RegistrationError::InvalidRedirectUri(text) => ("invalid_redirect_uri", text),
            RegistrationError::InvalidClientMetadata(text) => ("invalid_client_metadata", text),
        };
        let mut response = HttpResponse::BadRequest();
        no_store(&mut response);
        response.json(json!({"error": code, "error_description": description}))
    }
}

/// Answers that carry credentials or secrets must not be kept by any cache (RFC 6749 §5.1).
pub(crate) fn no_store(response: &mut actix_web::HttpResponseBuilder) {
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
}

/// An error of a resource endpoint, as the spec's `Imsx_StatusInfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResourceError {
    /// No bearer token (RFC 6750 §3.1: the challenge then carries no error code).
    MissingToken,
    /// Unknown, expired or revoked token.
    InvalidToken,
    /// The token lacks the scope the operation needs.
    InsufficientScope(&'static str),
    InvalidQueryParameter(&'static str),
    /// The earner has no record here (never enrolled, or erased).
    NotFound,
    /// `upsertCredential`, `putProfile`: the operations this server does not offer.
    Unsupported,
    Internal,
}

impl ResourceError {
    pub(crate) fn response(self) -> HttpResponse {
        let (status, major, severity, minor, description) = match self {
            ResourceError::MissingToken => (
                StatusCode::UNAUTHORIZED,
                "failure",
                "error",
                "unauthorizedrequest",
                "an access token from the token endpoint is required (Authorization: Bearer)",
            ),
            ResourceError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "failure",
                "error",
                "unauthorizedrequest",
                "the access token is unknown, expired or revoked",
            ),
            ResourceError::InsufficientScope(_) => (
                StatusCode::FORBIDDEN,
                "failure",
                "error",
                "forbidden",
                "the access token was not granted the scope this operation needs",
            ),
            ResourceError::InvalidQueryParameter(text) => (
                StatusCode::BAD_REQUEST,
                "failure",
                "error",
                "invalid_query_parameter",
                text,
            ),
            ResourceError::NotFound => (
                StatusCode::NOT_FOUND,
                "failure",
                "status",
                "not_found",
                "this earner has no record on this server",
            ),
            ResourceError::Unsupported => (
                StatusCode::METHOD_NOT_ALLOWED,
                "unsupported",
                "error",
                "not_allowed",
                "this server offers the read operations only",
            ),
            ResourceError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "failure",
                "error",
                "internal_server_error",
                "the server could not answer; try again later",
            ),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            ResourceError::MissingToken => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\""),
                ));
            }
            ResourceError::InvalidToken => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\", error=\"invalid_token\""),
                ));
            }
            ResourceError::InsufficientScope(scope) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""
                    ),
                ));
            }
            ResourceError::Unsupported => {
                response.insert_header((header::ALLOW, "GET"));
            }
            ResourceError::InvalidQueryParameter(_)
            | ResourceError::NotFound
            | ResourceError::Internal => {}
        }
        response.json(json!({
            "imsx_codeMajor": major,
            "imsx_severity": severity,
            "imsx_description": description,
            "imsx_codeMinor": {
                "imsx_codeMinorField": [{
                    "imsx_codeMinorFieldName": "ecusson",
                    "imsx_codeMinorFieldValue": minor,
                }],
            },
        }))
    }
}
