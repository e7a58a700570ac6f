//! Rate limits at the HTTP edge: every `/api/` request counts against its
//! client IP; message and conversation creation also count against the
//! visitor. Refusals are 429 envelopes with `Retry-After`; every limited
//! response carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue};

use super::{
    AppState,
    client_ip::rate_key,
};
use crate::{auth::Caller, error::ApiError, ratelimit::Decision};

pub fn set_headers(headers: &mut HeaderMap, d: &Decision, refused: bool) {
    let num =
        |n: u64| HeaderValue::from_str(&n.to_string()).unwrap_or(HeaderValue::from_static("0"));
    headers.insert("ratelimit-limit", num(u64::from(d.limit)));
    headers.insert("ratelimit-remaining", num(u64::from(d.remaining)));
    headers.insert("ratelimit-reset", num(d.reset_secs));
    if refused {
        headers.insert(http::header::RETRY_AFTER, num(d.reset_secs));
    }
}

/// Per-IP budget for the API.
pub async fn per_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let ip = state.client_ip(request.extensions(), request.headers());
    let Some(ip) = ip else {
        return next.run(request).await;
    };
    let decision = state
        .limiter
        .check(&format!("ip:{}", rate_key(ip)), state.settings.rate_limit_ip)
        .await;
    if !decision.allowed {
        crate::stats::rate_limited("ip");
        return ApiError::RateLimited(decision).into_response();
    }
    let mut response = next.run(request).await;
    // A tighter (visitor) limit may already have reported itself.
    if !response.headers().contains_key("ratelimit-limit") {
        set_headers(response.headers_mut(), &decision, false);
    }
    response
}

/// Per-visitor budget for writes that make the assistant work. Admin keys
/// (server-to-server integrations) are limited by IP only.
pub async fn per_visitor(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let Caller::Visitor {
        site_id,
        visitor_id,
    } = caller
    else {
        return Ok(());
    };
    let decision = state
        .limiter
        .check(
            &format!("v:{site_id}:{visitor_id}"),
            state.settings.rate_limit_visitor,
        )
        .await;
    if decision.allowed {
        Ok(())
    } else {
        crate::stats::rate_limited("visitor");
        Err(ApiError::RateLimited(decision))
    }
}

/// Budget for minting visitors without an admin key: per client address,
/// then per site. Checked before anything is stored.
pub async fn new_visitor(
    state: &AppState,
    site_id: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    let by_ip = ip.map(|ip| {
        (
            format!("nv-ip:{}", rate_key(ip)),
            state.settings.rate_limit_new_visitors_ip,
            "new_visitor_ip",
        )
    });
    let by_site = (
        format!("nv-site:{site_id}"),
        state.settings.rate_limit_new_visitors_site,
        "new_visitor_site",
    );
    for (key, limit, reason) in by_ip.into_iter().chain([by_site]) {
        let decision = state.limiter.check(&key, limit).await;
        if !decision.allowed {
            crate::stats::rate_limited(reason);
            return Err(ApiError::RateLimited(decision));
        }
    }
    Ok(())
}
