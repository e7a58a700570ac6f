//! The inbox's conversation actions: assign, hand back to the bot, snooze,
//! typing, read marks. Members and admin keys (typing: visitors too).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    routing::{get, post},
};
use http::StatusCode;
use lantern_shared::{
    api::Conversation,
    inbox::{Assign, LeaveContact, MarkRead, SetTyping, Snooze, TeamPresence},
    routes,
};

use super::{AppState, extract::ApiJson};
use crate::{auth::Caller, error::ApiError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::CONVERSATION_ASSIGN, post(assign))
        .route(routes::CONVERSATION_RELEASE, post(release))
        .route(routes::CONVERSATION_SNOOZE, post(snooze))
        .route(routes::CONVERSATION_TYPING, post(typing))
        .route(routes::CONVERSATION_READ, post(read))
        .route(routes::CONVERSATION_CONTACT, post(contact))
        .route(routes::SITE_PRESENCE, get(presence))
}

fn staff(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_staff() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "this needs a member of the site or its admin key".into(),
        ))
    }
}

/// Gives the conversation to a member of its site (`null`: to nobody). The
/// visitor reads "NAME joined the conversation".
#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "inbox",
    params(("id" = String, Path)), request_body = Assign,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Conversation), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Assign>,
) -> Result<Json<Conversation>, ApiError> {
    staff(&caller)?;
    if req.user_id.as_ref().is_some_and(|u| u.len() > 64) {
        return Err(ApiError::field("user_id", "is not a member of this site"));
    }
    Ok(Json(state.chat.assign(&caller, &id, req.user_id.as_deref()).await?))
}

/// Hands the conversation back to the bot: status `open`, unassigned.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/release", tag = "inbox",
    params(("id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Conversation), (status = 404, body = lantern_shared::ErrorBody),
        (status = 409, body = lantern_shared::ErrorBody, description = "the conversation is closed")))]
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Conversation>, ApiError> {
    staff(&caller)?;
    Ok(Json(state.chat.release(&caller, &id).await?))
}

/// Snoozes the conversation until `until` (RFC 3339, within a year);
/// `null` wakes it. A visitor's next message wakes it too.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/snooze", tag = "inbox",
    params(("id" = String, Path)), request_body = Snooze,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Conversation), (status = 400, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn snooze(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Snooze>,
) -> Result<Json<Conversation>, ApiError> {
    staff(&caller)?;
    Ok(Json(state.chat.snooze(&caller, &id, req.until.as_deref()).await?))
}

/// Someone is typing: the visitor's typing reaches the members' stream, a
/// member's the visitor's stream. Nothing is stored. A visitor's `draft`
/// (cut to 200 characters) goes along only when the site's
/// `typing_preview` is on, and is dropped otherwise.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/typing", tag = "inbox",
    params(("id" = String, Path)), request_body = SetTyping,
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn typing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SetTyping>,
) -> Result<impl IntoResponse, ApiError> {
    state.chat.typing(&caller, &id, req.typing, req.draft.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in member has read the conversation (up to `seq`): its
/// `unread` count drops.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "inbox",
    params(("id" = String, Path)), request_body = MarkRead, security(("session" = [])),
    responses((status = 204), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MarkRead>,
) -> Result<impl IntoResponse, ApiError> {
    state.chat.mark_read(&caller, &id, req.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor leaves an email for a reply (the widget asks when nobody is
/// online). Kept on the visitor; the team reads it as a note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/contact", tag = "inbox",
    params(("id" = String, Path)), request_body = LeaveContact, security(("bearer" = [])),
    responses((status = 204), (status = 400, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LeaveContact>,
) -> Result<impl IntoResponse, ApiError> {
    state.chat.leave_contact(&caller, &id, &req.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a member of the site has the inbox open now (no names).
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/presence", tag = "inbox",
    params(("site_id" = String, Path)),
    responses((status = 200, body = TeamPresence), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn presence(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.chat.site(&site_id).await?;
    let online = !state.presence.shared(&site_id, None).await.is_empty();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(TeamPresence { agents_online: online }),
    ))
}
