//! Extractors whose rejections are the API's own errors: JSON bodies, query
//! strings, and the caller's identity from its bearer token or, failing
//! that, a member's session cookie.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request, rejection::JsonRejection},
    http::request::Parts,
};
use http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::AppState;
use crate::{
    auth::{self, Caller},
    db::TokenOwner,
    error::ApiError,
};

/// `Json<T>` with enveloped rejections: 415 for a wrong content type, 400 for
/// malformed JSON or a wrong shape (unknown fields included) or a NUL
/// character in any string, 413 past the body limit.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge(format!(
                    "the body is larger than {} bytes",
                    crate::validate::MAX_BODY_BYTES
                )));
            }
            Err(e) => {
                return Err(ApiError::Validation {
                    message: e.body_text(),
                    details: Vec::new(),
                });
            }
        };
        // A NUL can only be written as the escape `\u0000`; look closer only
        // when those bytes are there.
        if bytes.windows(5).any(|w| w == b"u0000")
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(field) = crate::validate::first_nul(&value)
        {
            return Err(ApiError::field(
                &field,
                "must not contain the NUL character (\\u0000)",
            ));
        }
        // Every request body of this API is an object; serde would also
        // read a struct from an array of its fields, which the spec forbids.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{') {
            return Err(ApiError::Validation {
                message: "the body must be a JSON object".into(),
                details: Vec::new(),
            });
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::Validation {
                message: format!("malformed JSON: {}", e.body_text()),
                details: Vec::new(),
            }),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::Validation {
                message: format!(
                    "the body does not match the expected shape: {}",
                    e.body_text()
                ),
                details: Vec::new(),
            }),
            Err(e) => Err(ApiError::Validation {
                message: e.body_text(),
                details: Vec::new(),
            }),
        }
    }
}

/// `application/json` or `application/…+json`, as axum's `Json` accepts.
fn is_json(headers: &http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `Query<T>` with an enveloped 400 (a NUL in a parameter included).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(field) = parts.uri.query().and_then(crate::validate::nul_in_query) {
            return Err(ApiError::field(
                &field,
                "must not contain the NUL character (%00)",
            ));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::Validation {
                message: format!("bad query string: {}", e.body_text()),
                details: Vec::new(),
            })
    }
}

/// The bearer token of a request: the `Authorization` header, or — for event
/// streams only, since `EventSource` cannot set headers — `?access_token=`.
pub fn bearer(parts: &Parts) -> Option<String> {
    if parts.headers.contains_key(header::AUTHORIZATION) {
        return bearer_header(&parts.headers);
    }
    if parts.uri.path().ends_with("/events") {
        let query = parts.uri.query()?;
        return query
            .split('&')
            .find_map(|kv| kv.strip_prefix("access_token=").map(|t| t.to_string()));
    }
    None
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_header(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Resolves a token to its caller (from the token cache when it can: a
/// revoked key or an erased visitor is dropped from it at once, see
/// `db::cached`).
pub async fn caller_for(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let admin = token.starts_with(auth::ADMIN_KEY_PREFIX);
    if !admin && !token.starts_with(auth::VISITOR_TOKEN_PREFIX) {
        return Err(invalid_token());
    }
    let hash = auth::hash_secret(token);
    let (owner, asked) = state.db.token_owner(&hash, admin).await?;
    if admin && asked && owner.is_some() {
        // For the key list's "last used": written when the key is read from
        // the database, which the cache makes at most about once a TTL, and
        // the write itself skips keys used within the minute.
        state.db.touch_api_key(&hash).await?;
    }
    match owner.ok_or_else(invalid_token)? {
        TokenOwner::Admin { site_id } => Ok(Caller::Admin { site_id }),
        TokenOwner::Visitor {
            site_id,
            visitor_id,
        } => Ok(Caller::Visitor {
            site_id,
            visitor_id,
        }),
    }
}

fn invalid_token() -> ApiError {
    ApiError::Unauthorized("the token is invalid or has expired".into())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = match bearer(parts) {
            Some(token) => caller_for(state, &token).await?,
            // No token: a signed-in member's session cookie, if any.
            None => super::member::member_caller(parts, state)
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "send `Authorization: Bearer <admin key or visitor token>`, or sign in"
                            .into(),
                    )
                })?,
        };
        super::security::check_browser_origin(
            &state.db,
            &parts.headers,
            caller.site_id(),
        )
        .await?;
        Ok(caller)
    }
}

/// An optional caller: `None` without a token, an error for a bad one.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer(parts) {
            // Public routes ignore session cookies: the widget on the
            // console's preview or the demo page runs in a browser that may
            // also be signed in, and must be served as any visitor.
            None => Ok(MaybeCaller(None)),
            Some(token) => caller_for(state, &token)
                .await
                .map(|c| MaybeCaller(Some(c))),
        }
    }
}

/// True when the client asked for an event stream.
pub fn wants_event_stream(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}
