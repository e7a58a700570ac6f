//! The owner's loop from "the bot failed" to "the bot knows": try a
//! question without a conversation, the figures per day, and the questions
//! the bot could not answer grouped by their words. Owners and admin keys.

use std::collections::HashSet;

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::{get, post},
};
use chrono::{DateTime, NaiveDate, Utc};
use lantern_shared::{
    insights::{
        InsightDay, Insights, TriedAnswer, TryQuestion, TryResult, UnansweredList,
        UnansweredQuestion,
    },
    routes,
};
use serde::Deserialize;

use super::{AppState, extract::ApiJson, extract::ApiQuery, site_admin::own_site};
use crate::{
    answer::{DeltaSink, Question},
    auth::Caller,
    db::{Figure, rfc3339},
    error::ApiError,
    knowledge::analysis::{Analyzer, query_language},
    validate,
};

/// Longest range of days one request may ask for.
const MAX_DAYS: i64 = 366;
/// Replies that did not help read per request, and groups returned.
const MISSES_READ: i64 = 2_000;
const GROUPS_SHOWN: usize = 100;
const CONVERSATIONS_SHOWN: usize = 20;
const MAX_QUESTION_CHARS: usize = 2_000;
/// Share of their words (stemmed, without stop words: Jaccard) two
/// questions must have in common to be one group.
const SIMILAR: f64 = 0.5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_KNOWLEDGE_TRY, post(try_it))
        .route(routes::SITE_INSIGHTS, get(insights))
        .route(routes::SITE_INSIGHTS_UNANSWERED, get(unanswered))
}

/// What the bot would answer, with the ranked passages behind it, in any
/// language of the site, creating no conversation. With an LLM configured
/// the answer is the LLM's (and counts against the site's LLM budget).
#[utoipa::path(post, path = "/api/v1/sites/{site_id}/knowledge/try", tag = "insights",
    params(("site_id" = String, Path)), request_body = TryQuestion, security(("bearer" = [])),
    responses((status = 200, body = TryResult), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn try_it(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiJson(req): ApiJson<TryQuestion>,
) -> Result<Json<TryResult>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let text = validate::text("q", &req.q, MAX_QUESTION_CHARS)?;
    let fallback = site.languages.first().map_or("en", String::as_str).to_string();
    let language = match &req.language {
        Some(l) => validate::language("language", l)?,
        None => query_language(&text, None, &fallback),
    };
    let results = state.knowledge.search(&site.id, &text, &language, 8).await?;
    let answer = state
        .chat
        .answerer
        .answer(
            Question {
                site,
                conversation_id: String::new(),
                visitor_id: None,
                language,
                text,
                history: Vec::new(),
                known: Default::default(),
            },
            DeltaSink::discard(),
        )
        .await;
    Ok(Json(TryResult {
        results,
        handoff: answer.handoff,
        answer: TriedAnswer {
            role: "assistant".into(),
            html: crate::markdown::render(&answer.content),
            content: answer.content,
            citations: answer.citations,
            retrieval: answer.retrieval.unwrap_or_default(),
        },
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub(super) from: Option<String>,
    /// Last day, included; default: today. At most 366 days in all.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub(super) to: Option<String>,
}

/// The range as days and as `[start, end)` instants.
pub(super) fn range(q: &RangeQuery) -> Result<(NaiveDate, NaiveDate, DateTime<Utc>, DateTime<Utc>), ApiError> {
    let day = |field: &str, v: &Option<String>| -> Result<Option<NaiveDate>, ApiError> {
        v.as_deref()
            .map(|s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| ApiError::field(field, "must be a date as YYYY-MM-DD"))
            })
            .transpose()
    };
    let to = day("to", &q.to)?.unwrap_or_else(|| Utc::now().date_naive());
    let from = day("from", &q.from)?.unwrap_or(to - chrono::Duration::days(29));
    if from > to {
        return Err(ApiError::field("from", "must not be after to"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::field("from", "the range must be at most 366 days"));
    }
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = (to + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    Ok((from, to, start, end))
}

/// The site's figures per UTC day, every day of the range.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/insights", tag = "insights",
    params(("site_id" = String, Path), RangeQuery), security(("bearer" = [])),
    responses((status = 200, body = Insights), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn insights(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<Insights>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    Ok(Json(figures(&state, &site.id, &q).await?))
}

/// Hand-overs read per request for the median first response.
const RESPONSES_READ: i64 = 20_000;

/// The median of `secs` (the lower middle of an even count: a whole
/// second that really occurred).
fn median(mut secs: Vec<i64>) -> Option<i64> {
    if secs.is_empty() {
        return None;
    }
    secs.sort_unstable();
    Some(secs[(secs.len() - 1) / 2])
}

/// The figures of a range, every day listed.
pub(super) async fn figures(
    state: &AppState,
    site_id: &str,
    q: &RangeQuery,
) -> Result<Insights, ApiError> {
    let (from, to, start, end) = range(q)?;
    let counted = state.db.insights(site_id, start, end).await?;
    // Seconds to the first human reply, per day of the hand-over.
    let mut waits: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for (at, replied) in state.db.first_responses(site_id, start, end, RESPONSES_READ).await? {
        waits
            .entry(at.format("%Y-%m-%d").to_string())
            .or_default()
            .push((replied - at).num_seconds().max(0));
    }
    let mut totals = InsightDay {
        date: format!("{from}/{to}"),
        ..InsightDay::default()
    };
    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        let key = date.format("%Y-%m-%d").to_string();
        let figures = counted.get(&key);
        let n = |f: Figure| figures.and_then(|m| m.get(&f)).copied().unwrap_or(0);
        let day = InsightDay {
            conversations: n(Figure::Conversations),
            messages: n(Figure::Messages),
            answered: n(Figure::Answered),
            unanswered: n(Figure::Unanswered),
            handoffs: n(Figure::Handoffs),
            thumbs_up: n(Figure::ThumbsUp),
            thumbs_down: n(Figure::ThumbsDown),
            median_first_response_seconds: median(waits.get(&key).cloned().unwrap_or_default()),
            date: key,
        };
        totals.conversations += day.conversations;
        totals.messages += day.messages;
        totals.answered += day.answered;
        totals.unanswered += day.unanswered;
        totals.handoffs += day.handoffs;
        totals.thumbs_up += day.thumbs_up;
        totals.thumbs_down += day.thumbs_down;
        days.push(day);
        date += chrono::Duration::days(1);
    }
    totals.median_first_response_seconds = median(waits.into_values().flatten().collect());
    Ok(Insights { days, totals })
}

/// Questions the bot did not answer well (nothing found, handed over, or a
/// thumbs down) in the range, grouped when they share most of their words
/// (after stemming and stop words), most asked first.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/insights/unanswered", tag = "insights",
    params(("site_id" = String, Path), RangeQuery), security(("bearer" = [])),
    responses((status = 200, body = UnansweredList), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn unanswered(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<UnansweredList>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let (_, _, start, end) = range(&q)?;
    let misses = state.db.misses(&site.id, start, end, MISSES_READ).await?;
    // Newest first, so each group's first question is its latest wording;
    // a question joins the first group whose words it mostly shares.
    let mut groups: Vec<(HashSet<String>, UnansweredQuestion)> = Vec::new();
    for m in misses {
        let terms: HashSet<String> = Analyzer::new(&m.language)
            .query_terms(&m.question)
            .into_iter()
            .collect();
        let close = |other: &HashSet<String>| {
            if terms.is_empty() || other.is_empty() {
                return false;
            }
            let shared = terms.intersection(other).count() as f64;
            shared / terms.union(other).count() as f64 >= SIMILAR
        };
        match groups.iter_mut().find(|(t, _)| close(t)) {
            Some((_, g)) => {
                g.count += 1;
                if !g.conversation_ids.contains(&m.conversation_id)
                    && g.conversation_ids.len() < CONVERSATIONS_SHOWN
                {
                    g.conversation_ids.push(m.conversation_id);
                }
            }
            None => groups.push((
                terms,
                UnansweredQuestion {
                    question: m.question,
                    count: 1,
                    last_seen: rfc3339(m.at),
                    conversation_ids: vec![m.conversation_id],
                },
            )),
        }
    }
    let mut groups: Vec<UnansweredQuestion> = groups.into_iter().map(|(_, g)| g).collect();
    // Most asked first; among equals, the most recent (the order so far).
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups.truncate(GROUPS_SHOWN);
    Ok(Json(UnansweredList { items: groups }))
}
