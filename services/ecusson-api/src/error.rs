//! Errors as clients see them: a message and `extensions.code` from a closed set.

use async_graphql::{ErrorExtensions, Response};
use ecusson_app::{AppError, ErrorCode};

/// Turns a use-case error into a GraphQL error. Internal errors are logged here, once, with
/// their cause, and reach the client as an opaque "internal error".
pub fn graphql_error(error: AppError) -> async_graphql::Error {
    let code = error.code();
    let message = match &error {
        AppError::Internal(source) => {
            tracing::error!(error = %source, cause = ?source, "internal error");
            "internal error".to_owned()
        }
        other => other.to_string(),
    };
    coded(message, code)
}

/// A GraphQL error with a code.
pub fn coded(message: impl Into<String>, code: ErrorCode) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, extensions| {
        extensions.set("code", code.as_str());
    })
}

/// Errors raised before any resolver runs (syntax, unknown fields, wrong argument types,
/// depth and complexity limits) carry no code from async-graphql: they are the client's
/// input, so they get BAD_USER_INPUT.
pub fn code_unmarked_errors(mut response: Response) -> Response {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some());
        if !has_code {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::BadUserInput.as_str());
        }
    }
    response
}
