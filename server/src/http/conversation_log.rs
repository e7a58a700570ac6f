//! The owner's conversation log: every conversation of a site, filtered by
//! status, votes, unanswered replies, language and start date (owners and
//! admin keys, like insights); and a conversation's transcript with the
//! decision behind each bot answer (members and admin keys: the team
//! reads it, a visitor's token never does).

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::get,
};
use chrono::{DateTime, NaiveDate, Utc};
use lantern_shared::{
    api::{ConversationStatus, Page, Role},
    conversation_log::{LogEntry, TranscriptMessage},
    routes,
};
use serde::Deserialize;

use super::{AppState, extract::ApiQuery, site_admin::own_site};
use crate::{
    auth::Caller,
    db::{LogFilter, VoteFilter, rfc3339},
    engine::decision,
    error::ApiError,
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_CONVERSATION_LOG, get(log))
        .route(routes::CONVERSATION_TRANSCRIPT, get(transcript))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// `open`, `handoff` or `closed`.
    #[param(pattern = "^(open|handoff|closed)$")]
    status: Option<String>,
    /// `up` or `down`: with at least one such vote; `none`: without votes.
    #[param(pattern = "^(up|down|none)$")]
    rating: Option<String>,
    /// `true`: with a bot answer that did not help (nothing found, handed
    /// over, or voted down — as insights counts them); `false`: without.
    unanswered: Option<bool>,
    /// The conversation's language (BCP 47); `fr` lists `fr-CA` too.
    #[param(pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    language: Option<String>,
    /// Started on or after this day, `YYYY-MM-DD` (UTC).
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    from: Option<String>,
    /// Started on or before this day, `YYYY-MM-DD` (UTC).
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    to: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// The start of day `v` of query field `field` (`None`: not given).
fn day(field: &str, v: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    v.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 10)
            .ok_or_else(|| ApiError::field(field, "must be a date as YYYY-MM-DD"))
    })
    .transpose()
}

/// The latest `to` a query can mean.
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 30).expect("a valid date");

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The site's conversations, newest first, with what happened in each:
/// the visitor's first question, messages, unanswered replies and votes.
/// Archived conversations are listed too (`archived_at`).
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/conversations/log", tag = "insights",
    params(("site_id" = String, Path), LogQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<LogEntry>), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn log(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Json<Page<LogEntry>>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let limit = validate::limit(q.limit)?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            ConversationStatus::parse(s)
                .ok_or_else(|| ApiError::field("status", "must be open, handoff or closed"))
        })
        .transpose()?;
    let votes = match q.rating.as_deref() {
        None => None,
        Some("up") => Some(VoteFilter::Up),
        Some("down") => Some(VoteFilter::Down),
        Some("none") => Some(VoteFilter::Unrated),
        Some(_) => return Err(ApiError::field("rating", "must be up, down or none")),
    };
    let language = q
        .language
        .as_deref()
        .map(|l| validate::language("language", l).map(|l| l.to_lowercase()))
        .transpose()?;
    let from = day("from", q.from.as_deref())?;
    let to = day("to", q.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::field("from", "must not be after to"));
    }
    if let Some(cursor) = &q.cursor
        && (cursor.len() != 36 || uuid::Uuid::parse_str(cursor).is_err())
    {
        return Err(ApiError::field("cursor", "is not a cursor this API issued"));
    }
    let mut rows = state
        .db
        .conversation_log(&LogFilter {
            site_id: &site.id,
            status,
            language: language.as_deref(),
            votes,
            unanswered: q.unanswered,
            from: from.map_or(DateTime::<Utc>::UNIX_EPOCH, midnight),
            // The day after `to`, exclusive; without one, the last day of
            // year 9999 (SQLite compares times as text: a later year's sign
            // would sort before every stored time).
            to: midnight(to.unwrap_or(LAST_DAY).min(LAST_DAY) + chrono::Duration::days(1)),
            before: q.cursor.as_deref(),
            limit: limit + 1,
        })
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    let items = rows
        .into_iter()
        .map(|r| LogEntry {
            // The CHECK constraint admits only the three statuses.
            status: ConversationStatus::parse(&r.status).unwrap_or(ConversationStatus::Open),
            id: r.id,
            language: r.language,
            visitor_id: r.visitor_id,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            question: r.question,
            messages: r.messages,
            unanswered: r.unanswered,
            thumbs_up: r.thumbs_up,
            thumbs_down: r.thumbs_down,
            archived_at: r.archived_at.map(rfc3339),
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TranscriptQuery {
    /// Only messages with a greater seq (default 0: from the start).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// A conversation's messages as the team reads them, in seq order: notes,
/// the visitor's votes, and on each bot answer the decision behind it —
/// answered from the knowledge base or by the LLM (with its confidence,
/// score and the documents considered), a curated answer, not answered,
/// handed over, or `unknown` for answers stored before decisions were
/// kept. Members and admin keys; a visitor's token gets 403.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/transcript", tag = "conversations",
    params(("id" = String, Path), TranscriptQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<TranscriptMessage>), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn transcript(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<TranscriptQuery>,
) -> Result<Json<Page<TranscriptMessage>>, ApiError> {
    if !caller.is_staff() {
        return Err(ApiError::Forbidden(
            "the transcript is for the site's team".into(),
        ));
    }
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    let limit = validate::limit(q.limit)?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::field("after", "must not be negative"));
    }
    let mut messages = state.db.messages(&conv.id, after, limit + 1, true).await?;
    let more = messages.len() as i64 > limit;
    messages.truncate(limit as usize);
    let ratings = state.db.ratings(&conv.id).await?;
    let decisions = state.db.decisions(&conv.id).await?;
    let next_cursor = more
        .then(|| messages.last().map(|m| m.seq.to_string()))
        .flatten();
    let items = messages
        .into_iter()
        .map(|mut message| {
            message.rating = ratings.iter().find(|(id, _)| *id == message.id).map(|(_, r)| *r);
            let decision = (message.role == Role::Assistant).then(|| {
                let stored = decisions.iter().find(|(id, _)| *id == message.id);
                decision::read(stored.and_then(|(_, r)| r.as_ref()))
            });
            TranscriptMessage { message, decision }
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}
