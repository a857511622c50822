//! The one error type every service returns. Each variant carries a message a publisher can act
//! on; `code()` is the stable string the REST API and the console use, `status()` its HTTP status.
use serde::{Deserialize, Serialize};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Error {
    /// Bad input. `field` names the form field to show the message beside.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    #[error("sign in to continue")]
    Unauthenticated,
    /// Deliberately the same for an unknown email and a wrong password.
    #[error("the email or password is not right")]
    BadCredentials,
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Details went to the log; the message only says where to look.
    #[error("{0}")]
    Internal(String),
    /// The browser could not reach the server or read its answer.
    #[error("could not reach Gatehouse: {0}")]
    Transport(String),
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid { field: Some(field.to_string()), message: message.into() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid_request",
            Error::Unauthenticated => "unauthenticated",
            Error::BadCredentials => "bad_credentials",
            Error::Throttled { .. } => "too_many_attempts",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Internal(_) => "internal",
            Error::Transport(_) => "transport",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::Invalid { .. } => 422,
            Error::Unauthenticated | Error::BadCredentials => 401,
            Error::Throttled { .. } => 429,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::Internal(_) | Error::Transport(_) => 500,
        }
    }

    /// The form field this error belongs beside, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

#[cfg(feature = "backend")]
impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string();
        tracing::error!(error = %err, reference = %reference, "database error");
        Error::Internal(format!("the database could not complete the request (reference {}); the server log has the details", &reference[..8]))
    }
}

/// The gateway's refusals in the publisher's terms: a route that does not compile is bad input
/// on the named setting; an environment with no listener here is a conflict with this process.
#[cfg(feature = "backend")]
impl From<gateway::Error> for Error {
    fn from(err: gateway::Error) -> Self {
        match err {
            gateway::Error::Invalid { field, message } => Error::Invalid { field: Some(field.to_string()), message },
            gateway::Error::Conflict(message) => Error::Conflict(message),
            gateway::Error::NotServed(_) => Error::Conflict(format!("{err}, so nothing can be deployed there")),
            gateway::Error::Internal(message) => Error::Internal(message),
        }
    }
}
