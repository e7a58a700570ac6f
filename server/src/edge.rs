//! The Cloudflare edge worker (wasm32 build of this crate). It answers the
//! routes in [`crate::common`] itself; later it grows caching and the origin
//! pass-through.

use tower::Service;
use worker::{Context, Env, HttpRequest, event};

use crate::common::{self, Side};

#[event(fetch)]
async fn fetch(
    req: HttpRequest,
    _env: Env,
    _ctx: Context,
) -> worker::Result<axum::http::Response<axum::body::Body>> {
    let mut router: axum::Router = common::router(Side::Edge);
    Ok(router.call(req).await?)
}
