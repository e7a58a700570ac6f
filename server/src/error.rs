//! The API's error type: one enum, one status mapping, one envelope.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use lantern_shared::{ErrorBody, ErrorCode};

/// Every way a request can fail. Internal causes are logged once here and
/// never sent to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("the service is not ready: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// Builds the envelope for `code` with a human sentence.
pub fn envelope(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
    ErrorBody {
        error: code,
        message: message.into(),
        details: Vec::new(),
        request_id: String::new(),
        timestamp: now_rfc3339(),
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let code = self.code();
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(envelope(code, self.to_string()))).into_response()
    }
}
