//! The Cloudflare edge worker (wasm32 build of this crate).
//!
//! It answers liveness and readiness itself, serves cacheable public GETs
//! from the Cache API ([`cache`]), refuses browser origins a site has not
//! allowed ([`origin_check`]) and passes everything else to the origin
//! unchanged, streams included ([`proxy`]).

mod cache;
mod error;
mod origin_check;
mod proxy;
mod ready;
mod settings;

use lantern_shared::{ErrorCode, cache::kind_for, routes};
use tower::Service;
use worker::{Context, Env, Method, Request, Response, console_error, event};

use crate::common::{self, Side};
use settings::EdgeSettings;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let request_id = error::request_id(&req);
    let settings = match EdgeSettings::from_env(&env) {
        Ok(s) => s,
        Err(e) => {
            console_error!("edge misconfigured: {e}");
            return error::envelope(
                ErrorCode::Internal,
                "the edge is misconfigured",
                &request_id,
            );
        }
    };
    match route(req, &settings, &ctx, &request_id).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            console_error!("{request_id}: origin unreachable: {e}");
            error::envelope(
                ErrorCode::Unavailable,
                "the origin server could not be reached",
                &request_id,
            )
        }
    }
}

/// Decides who answers: the edge itself, the cache, or the origin.
async fn route(
    req: Request,
    settings: &EdgeSettings,
    ctx: &Context,
    request_id: &str,
) -> worker::Result<Response> {
    let path = req.path();
    if path == routes::HEALTH_LIVE {
        return live(&path).await;
    }
    if path == routes::HEALTH_READY {
        return ready::handle(&req, settings, ctx, request_id).await;
    }
    if let Some(site) = routes::site_of(&path)
        && let Some(refusal) = origin_check::refuse(&req, site, settings, ctx, request_id).await?
    {
        return Ok(refusal);
    }
    if req.method() == Method::Get
        && let Some(kind) = kind_for(&path)
    {
        return cache::serve(&req, kind, settings, ctx).await;
    }
    proxy::forward(&req, settings).await
}

/// The handlers shared with the origin ([`crate::common`]).
async fn live(path: &str) -> worker::Result<Response> {
    let req = http::Request::builder()
        .uri(path)
        .body(axum::body::Body::empty())
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    let mut router: axum::Router = common::router(Side::Edge);
    let resp = router.call(req).await?;
    Response::try_from(resp)
}
