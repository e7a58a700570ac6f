//! The API's error type: one enum, one status mapping, one envelope. The
//! request id and timestamp are filled in by [`crate::http::envelope`], which
//! also wraps failures produced outside handlers (unknown routes, body limits).

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use lantern_shared::{ErrorBody, ErrorCode};
use serde_json::{Value, json};

use crate::db;

/// Every way a request can fail. Internal causes are logged once, here, and
/// never sent to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Validation {
        message: String,
        details: Vec<Value>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("too many requests; retry in {} s", .0.reset_secs)]
    RateLimited(crate::ratelimit::Decision),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A validation failure of one field.
    pub fn field(field: &str, problem: impl Into<String>) -> ApiError {
        let problem = problem.into();
        ApiError::Validation {
            message: format!("{field}: {problem}"),
            details: vec![json!({"field": field, "problem": problem})],
        }
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Validation { .. } => ErrorCode::ValidationFailed,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::RateLimited(_) => ErrorCode::RateLimited,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<db::Error> for ApiError {
    fn from(e: db::Error) -> ApiError {
        match e {
            db::Error::NotFound => ApiError::not_found("resource"),
            db::Error::Conflict(m) => ApiError::Conflict(m),
            db::Error::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::Unavailable("the database is unavailable; retry shortly".into())
            }
            db::Error::Database(e) => ApiError::Internal(e.into()),
            db::Error::Sealed(e) => ApiError::Internal(e.into()),
        }
    }
}

/// The envelope for `code`; request id and timestamp come later.
pub fn envelope(code: ErrorCode, message: impl Into<String>, details: Vec<Value>) -> ErrorBody {
    ErrorBody {
        error: code,
        message: message.into(),
        details,
        request_id: String::new(),
        timestamp: String::new(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let code = self.code();
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let details = match &self {
            ApiError::Validation { details, .. } => details.clone(),
            _ => Vec::new(),
        };
        let body = envelope(code, self.to_string(), details);
        let mut response = (status, Json(&body)).into_response();
        if let ApiError::RateLimited(decision) = &self {
            crate::http::limits::set_headers(response.headers_mut(), decision, true);
        }
        if let ApiError::Unavailable(_) = &self {
            // Long enough for a restarting database or a full pool to
            // recover; clients and proxies retry after it.
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("2"));
        }
        // The envelope middleware completes the body from this.
        response.extensions_mut().insert(body);
        response
    }
}
