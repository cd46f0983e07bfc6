//! What a use case can answer instead of a result, and the closed set of codes clients see.

use ecusson_domain::DomainError;
use ecusson_store::StoreError;

/// The codes a client sees (`extensions.code` in GraphQL). Closed: adding one is a change of
/// the API contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A rule of the domain refused the command.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The input could not be turned into a command (an unknown id, a malformed value).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The thing does not exist for this caller (other tenants' objects answer this too).
    #[error("not found: {0}")]
    NotFound(String),
    /// Other writers kept changing the stream; the client may retry.
    #[error("the {stream} stream changed under {attempts} attempts in a row; retry")]
    Contended { stream: String, attempts: u32 },
    /// Personal data of the request was sealed under a person's key that changed before it
    /// could be written; nothing was recorded and the client may retry.
    #[error("a person's data key changed while the request was written; retry")]
    PersonKeyChanged,
    /// A shared aggregate the command was decided on (a badge class, an adoption, the staff)
    /// changed before its append: nothing was appended, and the caller decides again on a
    /// fresh read ([`crate::ledger::RequestMeta::shared_unchanged`]).
    #[error("what the request was decided on changed meanwhile; retry")]
    InputsChanged,
    /// The idempotency key was used before for another request.
    #[error("idempotency key already used for another request")]
    IdempotencyKeyReused,
    /// Anything else: opaque to clients, logged once where it is turned into a response.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Domain(DomainError::InvalidInput(_)) | AppError::InvalidInput(_) => {
                ErrorCode::BadUserInput
            }
            AppError::Domain(DomainError::Forbidden(_)) => ErrorCode::Forbidden,
            AppError::Domain(DomainError::NotFound(_)) | AppError::NotFound(_) => {
                ErrorCode::NotFound
            }
            AppError::Domain(DomainError::RuleViolated(_))
            | AppError::Contended { .. }
            | AppError::PersonKeyChanged
            | AppError::InputsChanged
            | AppError::IdempotencyKeyReused => ErrorCode::Conflict,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(error))
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::InvalidInput(message) => AppError::InvalidInput(message),
            StoreError::IdempotencyKeyReused => AppError::IdempotencyKeyReused,
            StoreError::PersonKeyChanged => AppError::PersonKeyChanged,
            StoreError::SharedStreamsChanged => AppError::InputsChanged,
            other => AppError::internal(other),
        }
    }
}
