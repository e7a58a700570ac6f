//! Feedback on an assistant's message.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::post,
};
use http::StatusCode;
use lantern_shared::{
    api::{Feedback, PostFeedback, Role},
    routes,
};

use super::{AppState, extract::ApiJson};
use crate::{auth::Caller, error::ApiError, validate};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::MESSAGE_FEEDBACK, post(feedback))
}

/// Thumbs up or down on an assistant message; a second vote replaces the first.
#[utoipa::path(post, path = "/api/v1/messages/{id}/feedback", tag = "messages",
    params(("id" = String, Path)), request_body = PostFeedback, security(("bearer" = [])),
    responses((status = 201, body = Feedback), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PostFeedback>,
) -> Result<impl IntoResponse, ApiError> {
    let id = validate::id("message", &id)?;
    let message = state.db.message(id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    // Visibility follows the conversation's.
    state
        .chat
        .visible_conversation(&caller, &message.conversation_id)
        .await
        .map_err(|_| ApiError::not_found("message"))?;
    if message.role != Role::Assistant {
        return Err(ApiError::field(
            "id",
            "feedback applies to assistant messages only",
        ));
    }
    let comment = match &req.comment {
        Some(c) => Some(validate::text("comment", c, validate::MAX_COMMENT_CHARS)?),
        None => None,
    };
    let saved = state.db.put_feedback(&message.id, req.rating, comment.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}
