//! Completes every error response: fills the request id and timestamp into
//! envelopes built by handlers, and turns bare failures from the router or
//! tower layers (404 for unknown paths, 405, 413, 408) into the envelope, so
//! clients parse one shape whatever failed.

use axum::{
    Json,
    extract::Request,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};
use lantern_shared::{ErrorBody, ErrorCode};

use crate::error::envelope;

pub const REQUEST_ID: &str = "x-request-id";

pub async fn complete(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let mut body = match response.extensions_mut().remove::<ErrorBody>() {
        Some(body) => body,
        None if is_json(&response) => return response,
        None => bare_failure(status),
    };
    body.request_id = request_id;
    body.timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let fresh = Json(body).into_response();
    Response::from_parts(parts, fresh.into_body())
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn bare_failure(status: StatusCode) -> ErrorBody {
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::ValidationFailed,
            "method not allowed on this route",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (ErrorCode::UnsupportedMediaType, "unsupported content type")
        }
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::Unavailable, "request timed out"),
        StatusCode::TOO_MANY_REQUESTS => (ErrorCode::RateLimited, "too many requests"),
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthorized, "authentication required"),
        StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "forbidden"),
        s if s.is_server_error() => (ErrorCode::Internal, "internal error"),
        _ => (ErrorCode::ValidationFailed, "bad request"),
    };
    envelope(code, message, Vec::new())
}

/// Axum's fallback for unknown routes.
pub async fn not_found() -> impl IntoResponse {
    StatusCode::NOT_FOUND
}
