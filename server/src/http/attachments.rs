//! Attachments over HTTP: the upload (multipart, streamed to the store)
//! and the download of a file or its thumbnail, with the authorisation of
//! the conversation it belongs to. Downloads are never a page: they carry
//! a sandboxing CSP and `nosniff`, and anything but an image is a download
//! (`Content-Disposition: attachment`).

use axum::{
    Json, Router,
    body::Body,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use http::{HeaderValue, StatusCode, header};
use lantern_shared::{
    api::{Attachment, ConversationStatus},
    routes,
};
use tower_http::limit::RequestBodyLimitLayer;

use super::AppState;
use crate::{
    attachments::{Refusal, picture::thumbnail_kind},
    auth::Caller,
    error::ApiError,
    validate,
};

/// Room for the multipart envelope around the largest file.
const ENVELOPE_BYTES: u64 = 64 * 1024;

pub fn router(settings: &crate::settings::Settings) -> Router<AppState> {
    let limit = usize::try_from(settings.attachments.max_bytes + ENVELOPE_BYTES).unwrap_or(usize::MAX);
    let upload = Router::new()
        .route(routes::CONVERSATION_ATTACHMENTS, post(upload))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limit));
    let download = Router::new()
        .route(routes::ATTACHMENT, get(download))
        .route(routes::ATTACHMENT_THUMBNAIL, get(thumbnail))
        .layer(DefaultBodyLimit::max(validate::MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(validate::MAX_BODY_BYTES));
    upload.merge(download)
}

/// The upload form: one part.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file, at most the site's `attachments_max_bytes`; its type is
    /// read from its content: PNG, JPEG, GIF, WebP, PDF or plain text.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads one file (the multipart part `file`) to a conversation, for
/// sending with a message (`attachment_ids`) within a day. Its type comes
/// from its content; images are re-encoded without their metadata.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/attachments", tag = "attachments",
    params(("id" = String, Path)), security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment),
              (status = 400, body = lantern_shared::ErrorBody), (status = 403, body = lantern_shared::ErrorBody),
              (status = 409, body = lantern_shared::ErrorBody, description = "the conversation is closed (visitors)"),
              (status = 404, body = lantern_shared::ErrorBody), (status = 413, body = lantern_shared::ErrorBody),
              (status = 415, body = lantern_shared::ErrorBody), (status = 429, body = lantern_shared::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let conversation = state.chat.visible_conversation(&caller, &id).await?;
    if conversation.status == ConversationStatus::Closed && !caller.is_staff() {
        return Err(ApiError::Conflict("the conversation is closed".into()));
    }
    let outcome = async {
        let (max_bytes, room) = admit(&state, &caller, &conversation.site_id).await?;
        let mut form = Multipart::from_request(request, &state).await.map_err(|_| {
            Refusal::BadBody("send the file as multipart/form-data, in a part named `file`".into())
        })?;
        let field = match form.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => f,
            Ok(Some(_)) => return Err(Refusal::BadBody("the form's only part must be named `file`".into())),
            Ok(None) => return Err(Refusal::BadBody("the form has no part named `file`".into())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(Refusal::TooLarge(max_bytes)),
            Err(e) => return Err(Refusal::BadBody(e.body_text())),
        };
        let stored = state
            .attachments
            .accept(&state.db, &conversation, caller.is_staff(), field, max_bytes, room)
            .await;
        if stored.is_err() {
            // Read what is left of the body (bounded by the route's limit),
            // so the client gets this answer rather than a reset connection.
            while let Ok(Some(mut f)) = form.next_field().await {
                while let Ok(Some(_)) = f.chunk().await {}
            }
        }
        stored
    }
    .await;
    match outcome {
        Ok(attachment) => Ok((StatusCode::CREATED, Json(attachment)).into_response()),
        Err(refusal) => {
            crate::stats::upload_refused(refusal.reason());
            Err(refusal.into())
        }
    }
}

fn internal(e: crate::db::Error) -> Refusal {
    match e {
        crate::db::Error::Unavailable(e) => Refusal::Store(e.into()),
        other => Refusal::Internal(other.into()),
    }
}

/// Whether the site takes this upload now: switched on, within the rates
/// (per visitor, per site), with room left. The largest file it takes, and
/// the bytes left in its quota.
async fn admit(state: &AppState, caller: &Caller, site_id: &str) -> Result<(u64, u64), Refusal> {
    let policy = state.db.attachment_policy(site_id).await.map_err(internal)?;
    if !policy.attachments_enabled {
        return Err(Refusal::Disabled);
    }
    let limits = &state.settings.attachments;
    if let Caller::Visitor { visitor_id, .. } = caller {
        let d = state
            .limiter
            .check(&format!("up-v:{site_id}:{visitor_id}"), limits.uploads_per_visitor)
            .await;
        if !d.allowed {
            return Err(Refusal::Rate("rate_visitor", d));
        }
    }
    let d = state.limiter.check(&format!("up-s:{site_id}"), limits.uploads_per_site).await;
    if !d.allowed {
        return Err(Refusal::Rate("rate_site", d));
    }
    let used = u64::try_from(state.db.site_attachment_bytes(site_id).await.map_err(internal)?).unwrap_or(0);
    let room = limits.site_quota_bytes.saturating_sub(used);
    if room == 0 {
        return Err(Refusal::Quota);
    }
    let max_bytes = u64::try_from(policy.attachments_max_bytes)
        .unwrap_or(0)
        .min(limits.max_bytes);
    Ok((max_bytes, room))
}

/// The file, to the conversation's visitor, the site's members and its
/// admin keys.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the file's bytes, as its `type`"),
              (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn download(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    serve(&state, &caller, &id, false).await
}

/// An image's thumbnail (at most 320 × 320), with the same authorisation.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "a PNG or JPEG image"),
              (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn thumbnail(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    serve(&state, &caller, &id, true).await
}

async fn serve(state: &AppState, caller: &Caller, id: &str, thumbnail: bool) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("attachment");
    let id = validate::id("attachment", id)?;
    let (record, in_note) = state.db.attachment(id).await?.ok_or_else(missing)?;
    let conversation_id = record.conversation_id.clone().ok_or_else(missing)?;
    // Another site's or another visitor's files are missing, not forbidden.
    match state.chat.visible_conversation(caller, &conversation_id).await {
        Ok(_) => {}
        Err(ApiError::NotFound(_)) => return Err(missing()),
        Err(e) => return Err(e),
    }
    // The visitor sees what was sent to them: not private notes' files,
    // nor a member's upload before it is sent.
    if !caller.is_staff() && (in_note || (record.by_staff && record.message_id.is_none())) {
        return Err(missing());
    }
    let (key, media_type) = if thumbnail {
        let key = record.thumbnail_key.clone().ok_or_else(missing)?;
        let kind = if record.media_type == "image/jpeg" {
            crate::attachments::kind::Kind::Jpeg
        } else {
            crate::attachments::kind::Kind::Png
        };
        (key, thumbnail_kind(kind).media_type().to_string())
    } else {
        (record.object_key.clone(), record.media_type.clone())
    };
    let (size, stream) = match state.attachments.store.get(&key).await {
        Ok(found) => found,
        Err(object_store::Error::NotFound { .. }) => return Err(missing()),
        Err(e) => {
            tracing::warn!(error = %e, "attachment store read failed");
            return Err(ApiError::Unavailable("the attachment store is unavailable; retry shortly".into()));
        }
    };
    let content_type = if media_type == "text/plain" {
        "text/plain; charset=utf-8".to_string()
    } else {
        media_type.clone()
    };
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, value(&content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(header::CONTENT_DISPOSITION, disposition(&media_type, &record.name));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    // Ids are never reused and files never change: a browser may keep it,
    // a shared cache may not.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}

/// `inline` for images (shown in the transcript), `attachment` for the
/// rest, with the display name as an RFC 6266 file name.
fn disposition(media_type: &str, name: &str) -> HeaderValue {
    let how = if media_type.starts_with("image/") { "inline" } else { "attachment" };
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_are_inline_and_names_are_quoted_safely() {
        let d = disposition("application/pdf", "a\"b\u{e9}.pdf");
        assert_eq!(d, "attachment; filename=\"a_b_.pdf\"; filename*=UTF-8''a%22b%C3%A9%2Epdf");
        assert!(disposition("image/png", "x.png").to_str().unwrap_or_default().starts_with("inline;"));
        assert!(disposition("text/plain", "x.txt").to_str().unwrap_or_default().starts_with("attachment;"));
    }
}
