//! More of the owner's insights: the documents replies cited most, and the
//! daily figures as a CSV file for a spreadsheet.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::get,
};
use http::{HeaderValue, header};
use lantern_shared::{
    insights::{CitedDocument, CitedDocuments},
    routes,
};

use super::{
    AppState,
    extract::ApiQuery,
    insights::{RangeQuery, figures, range},
    site_admin::own_site,
};
use crate::{auth::Caller, error::ApiError};

/// Cited documents listed.
const TOP_CITED: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_INSIGHTS_DOCUMENTS, get(cited))
        .route(routes::SITE_INSIGHTS_CSV, get(csv))
}

/// The sources the site's replies cited most in the range (by title and
/// url, as the replies carry them), with the document when still stored.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/insights/documents", tag = "insights",
    params(("site_id" = String, Path), RangeQuery), security(("bearer" = [])),
    responses((status = 200, body = CitedDocuments), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn cited(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<CitedDocuments>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let (_, _, start, end) = range(&q)?;
    let rows = state.db.cited(&site.id, start, end, TOP_CITED).await?;
    Ok(Json(CitedDocuments {
        items: rows
            .into_iter()
            .map(|r| CitedDocument {
                document_id: r.document_id,
                title: r.title,
                url: r.url,
                count: r.count,
            })
            .collect(),
    }))
}

/// The figures of `GET …/insights` as CSV: one row per day, then the totals.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/insights.csv", tag = "insights",
    params(("site_id" = String, Path), RangeQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = lantern_shared::ErrorBody), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let f = figures(&state, &site.id, &q).await?;
    let mut out = String::from(
        "date,conversations,messages,answered,unanswered,handoffs,thumbs_up,thumbs_down,median_first_response_seconds\r\n",
    );
    for d in f.days.iter().chain(std::iter::once(&f.totals)) {
        // Every field is a date, a range or a number: nothing to quote.
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\r\n",
            d.date,
            d.conversations,
            d.messages,
            d.answered,
            d.unanswered,
            d.handoffs,
            d.thumbs_up,
            d.thumbs_down,
            d.median_first_response_seconds
                .map(|s| s.to_string())
                .unwrap_or_default()
        ));
    }
    let name = format!(
        "attachment; filename=\"lantern-insights-{}.csv\"",
        f.totals.date.replace('/', "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&name).map_err(|e| ApiError::Internal(e.into()))?,
            ),
        ],
        out,
    ))
}
