//! Knowledge base over HTTP: documents (admin) and search (public, cacheable).
//!
//! The documents route accepts larger bodies than the rest of the API (see
//! [`DOCUMENT_REQUEST_BYTES`]); this router is therefore mounted outside the
//! global body limit and sets its own.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Path, State},
    response::IntoResponse,
    routing::{delete, get},
};
use http::{HeaderValue, StatusCode, header};
use lantern_shared::{
    api::Page,
    cache,
    knowledge::{CreateDocument, Document, SearchResponse},
    routes,
};
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;

use super::{
    AppState,
    extract::{ApiJson, ApiQuery},
};
use crate::{auth::Caller, error::ApiError, knowledge::MAX_DOCUMENT_BYTES, validate};

/// Request bodies of `POST /knowledge/documents`: twice the document limit,
/// since JSON escaping (quotes, newlines) inflates a body, plus the fields
/// around it. The decoded body itself is held to [`MAX_DOCUMENT_BYTES`].
pub const DOCUMENT_REQUEST_BYTES: usize = 2 * MAX_DOCUMENT_BYTES + 16 * 1024;
/// Longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most search results per request.
pub const MAX_RESULTS: i64 = 20;

pub fn router() -> Router<AppState> {
    let documents = Router::new()
        .route(routes::KNOWLEDGE_DOCUMENTS, get(list).post(create))
        .layer(DefaultBodyLimit::max(DOCUMENT_REQUEST_BYTES))
        .layer(RequestBodyLimitLayer::new(DOCUMENT_REQUEST_BYTES));
    let others = Router::new()
        .route(
            routes::KNOWLEDGE_DOCUMENT,
            delete(remove).patch(super::documents::set_enabled),
        )
        .route(routes::KNOWLEDGE_PASSAGES, get(super::documents::passages))
        .route(
            routes::KNOWLEDGE_PASSAGE,
            axum::routing::patch(super::documents::set_passage),
        )
        .route(routes::KNOWLEDGE_SEARCH, get(search))
        .layer(DefaultBodyLimit::max(validate::MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(validate::MAX_BODY_BYTES));
    documents.merge(others)
}

/// The site whose knowledge base `caller` manages (its admin key or an
/// owner): every knowledge route's check.
pub(super) fn admin_site(caller: &Caller) -> Result<&str, ApiError> {
    caller.admin_site().ok_or_else(|| {
        ApiError::Forbidden(
            "the knowledge base is managed with the site's admin key or by an owner".into(),
        )
    })
}

/// Adds a document to the admin key's site, split into passages and indexed.
/// A document with the `url` of an existing one replaces it (the response's
/// `replaced` names the old id). Body ≤ 200 KiB, title ≤ 200 characters.
#[utoipa::path(post, path = "/api/v1/knowledge/documents", tag = "knowledge",
    request_body = CreateDocument, security(("bearer" = [])),
    responses((status = 201, body = Document), (status = 400, body = lantern_shared::ErrorBody),
              (status = 403, body = lantern_shared::ErrorBody), (status = 413, body = lantern_shared::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateDocument>,
) -> Result<impl IntoResponse, ApiError> {
    let site = state.chat.site(admin_site(&caller)?).await?;
    let language = site.languages.first().map_or("en", String::as_str);
    let doc = state.knowledge.add(&site.id, language, req).await?;
    state.cache.bump(&format!("kb:{}", site.id)).await;
    Ok((StatusCode::CREATED, Json(doc)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// The site's documents, newest first.
#[utoipa::path(get, path = "/api/v1/knowledge/documents", tag = "knowledge",
    params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Document>), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Document>>, ApiError> {
    let site_id = admin_site(&caller)?;
    let limit = validate::limit(q.limit)?;
    if let Some(cursor) = &q.cursor {
        uuid::Uuid::parse_str(cursor)
            .ok()
            // Only the hyphenated form the API hands out, as the spec says.
            .filter(|_| cursor.len() == 36)
            .ok_or(())
            .map_err(|_| ApiError::field("cursor", "is not a cursor this API issued"))?;
    }
    let mut items = state
        .knowledge
        .list(site_id, q.cursor.as_deref(), limit + 1)
        .await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more {
        items.last().map(|d| d.id.clone())
    } else {
        None
    };
    Ok(Json(Page { items, next_cursor }))
}

/// Deletes a document and its passages.
#[utoipa::path(delete, path = "/api/v1/knowledge/documents/{id}", tag = "knowledge",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.knowledge.delete(admin_site(&caller)?, &id).await?;
    state
        .cache
        .bump(&format!("kb:{}", admin_site(&caller)?))
        .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The words to look for (≤ 500 characters).
    #[param(min_length = 1, max_length = 500, pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$")]
    q: String,
    /// 1–20, default 5.
    #[param(minimum = 1, maximum = 20)]
    limit: Option<i64>,
    /// Language of the query (its analysis); detected from `q` when absent,
    /// else the site's first language.
    #[param(pattern = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", max_length = 35)]
    lang: Option<String>,
}

/// Full-text search of a site's knowledge base: the best passage of each
/// matching document, ranked, with a highlighted HTML snippet. Public and
/// cacheable.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/knowledge/search", tag = "knowledge",
    params(("site_id" = String, Path), SearchQuery),
    responses((status = 200, body = SearchResponse), (status = 400, body = lantern_shared::ErrorBody),
              (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let text = validate::text("q", &q.q, MAX_QUERY_CHARS)?;
    let limit = match q.limit {
        None => 5,
        Some(n) if (1..=MAX_RESULTS).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_RESULTS}"),
            ));
        }
    };
    let site = state.chat.site(&site_id).await?;
    // The asker's language when given, else detected from the question,
    // else the site's first language.
    let fallback = site.languages.first().map_or("en", String::as_str);
    let language = match &q.lang {
        Some(l) => validate::language("lang", l)?,
        None => crate::knowledge::analysis::query_language(&text, None, fallback),
    };
    // Cached under the site's knowledge generation: a document change
    // retires every cached search of the site. Unknown generation: bypass.
    let generation = state.cache.generation(&format!("kb:{}", site.id)).await;
    let key = generation.map(|g| format!("search:{}:{g}:{language}:{limit}:{text}", site.id));
    let cached = match &key {
        Some(k) => state.cache.get(k).await,
        None => None,
    };
    let body = match cached {
        Some(json) => json,
        None => {
            let results = state
                .knowledge
                .search(&site.id, &text, &language, limit as usize)
                .await?;
            let json = serde_json::to_string(&SearchResponse { results })
                .map_err(|e| ApiError::Internal(e.into()))?;
            if let Some(k) = &key {
                let ttl =
                    std::time::Duration::from_secs(u64::from(cache::KNOWLEDGE_SEARCH.s_maxage));
                state.cache.put(k, &json, ttl).await;
            }
            json
        }
    };
    let policy = cache::KNOWLEDGE_SEARCH.header_value();
    Ok((
        [
            (
                header::CACHE_CONTROL,
                HeaderValue::from_str(&policy).map_err(|e| ApiError::Internal(e.into()))?,
            ),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ],
        body,
    ))
}
