//! `GET /health/ready` at the edge: the worker's view of the origin. The
//! probe result (reachable? the origin's own readiness) is kept in the Cache
//! API for `EDGE_READY_TTL_SECS` so load-balancer probes don't hammer the
//! origin; the answer itself, with its request id, is built per request.

use lantern_shared::{ErrorCode, routes};
use serde::{Deserialize, Serialize};
use worker::{Context, Fetch, Request, Response, Url};

use super::{cache, error, settings::EdgeSettings};

/// What one probe of the origin found; the cached value.
#[derive(Debug, Serialize, Deserialize)]
struct Probe {
    reachable: bool,
    /// The origin's `/health/ready` status (0 when unreachable).
    status: u16,
    /// The origin's readiness body, when it sent JSON.
    body: Option<serde_json::Value>,
}

/// Body of a ready edge.
#[derive(Debug, Serialize)]
struct EdgeReady<'a> {
    status: &'a str,
    service: &'a str,
    version: &'a str,
    origin: &'a Probe,
}

pub async fn handle(
    req: &Request,
    settings: &EdgeSettings,
    ctx: &Context,
    request_id: &str,
) -> worker::Result<Response> {
    let key = format!(
        "{}/__lantern_edge/origin-ready",
        req.url()?.origin().ascii_serialization()
    );
    let (probe, cache_status) = match cached(&key).await {
        Some(p) => (p, "hit"),
        None => {
            let p = probe(settings).await;
            remember(ctx, key, &p, settings.ready_ttl)?;
            (p, "miss")
        }
    };
    let mut resp = if probe.reachable && probe.status == 200 {
        Response::from_json(&EdgeReady {
            status: "ok",
            service: "edge",
            version: crate::VERSION,
            origin: &probe,
        })?
    } else {
        let message = if probe.reachable {
            "the origin server is not ready"
        } else {
            "the origin server is unreachable"
        };
        let details = vec![serde_json::to_value(&probe)?];
        error::envelope_with(ErrorCode::Unavailable, message, details, request_id)?
    };
    let headers = resp.headers_mut();
    headers.set(cache::CACHE_HEADER, cache_status)?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-request-id", request_id)?;
    Ok(resp)
}

/// Asks the origin's `/health/ready`.
async fn probe(settings: &EdgeSettings) -> Probe {
    let Ok(url) = Url::parse(&format!("{}{}", settings.origin, routes::HEALTH_READY)) else {
        return Probe {
            reachable: false,
            status: 0,
            body: None,
        };
    };
    match Fetch::Url(url).send().await {
        Ok(mut resp) => Probe {
            reachable: true,
            status: resp.status_code(),
            body: resp.json().await.ok(),
        },
        Err(_) => Probe {
            reachable: false,
            status: 0,
            body: None,
        },
    }
}

async fn cached(key: &str) -> Option<Probe> {
    let mut resp = cache::lookup(key).await.ok()??;
    resp.json().await.ok()
}

fn remember(ctx: &Context, key: String, probe: &Probe, ttl: u32) -> worker::Result<()> {
    if ttl == 0 {
        return Ok(());
    }
    let mut resp = Response::from_json(probe)?;
    resp.headers_mut()
        .set("cache-control", &format!("public, s-maxage={ttl}"))?;
    cache::put(ctx, key, resp);
    Ok(())
}
