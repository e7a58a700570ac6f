//! Cacheable public GETs (site config, knowledge search, widget assets)
//! through the Cache API. What may be cached, and the default lifetimes, come
//! from [`lantern_shared::cache`]; the origin's `Cache-Control` is honoured.

use lantern_shared::cache::{CacheControl, CacheKind, normalise_query};
use worker::{Cache, Context, Request, Response, Url, console_warn};

use super::{proxy, settings::EdgeSettings};

/// Response header saying how the edge served a cacheable route.
pub const CACHE_HEADER: &str = "x-lantern-cache";

/// Serves a cacheable GET: from the cache, or from the origin (storing the
/// answer when the origin allows it). Requests with credentials bypass.
pub async fn serve(
    req: &Request,
    kind: CacheKind,
    settings: &EdgeSettings,
    ctx: &Context,
) -> worker::Result<Response> {
    if req.headers().has("authorization")? {
        let resp = proxy::forward(req, settings).await?;
        return proxy::rebuild(resp, |h| h.set(CACHE_HEADER, "bypass").map_err(Into::into));
    }
    let key = key_for(&req.url()?);
    if let Some(hit) = lookup(&key).await? {
        return public(hit, "hit");
    }
    let mut resp = proxy::forward(req, settings).await?;
    let stored = store(ctx, key, &mut resp, kind, settings)?;
    public(resp, if stored { "miss" } else { "bypass" })
}

/// The cache key of a URL: scheme, host and path as requested, query
/// normalised (parameters sorted, empty ones dropped), no fragment.
pub fn key_for(url: &Url) -> String {
    let query = normalise_query(url.query().unwrap_or(""));
    let base = format!("{}{}", url.origin().ascii_serialization(), url.path());
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}

/// The cached response for `key`, if any.
pub async fn lookup(key: &str) -> worker::Result<Option<Response>> {
    Cache::default().get(key, false).await
}

/// Stores a copy of `resp` under `key` (in the background, `wait_until`)
/// when it may be shared; returns whether it will be.
pub fn store(
    ctx: &Context,
    key: String,
    resp: &mut Response,
    kind: CacheKind,
    settings: &EdgeSettings,
) -> worker::Result<bool> {
    let Some(cache_control) = storable_as(resp, kind, settings)? else {
        return Ok(false);
    };
    let copy = proxy::rebuild(resp.cloned()?, |h| {
        for name in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "vary",
        ] {
            h.delete(name)?;
        }
        h.set("cache-control", &cache_control)?;
        Ok(())
    })?;
    put(ctx, key, copy);
    Ok(true)
}

/// Puts `resp` in the cache after the response has been sent.
pub fn put(ctx: &Context, key: String, resp: Response) {
    ctx.wait_until(async move {
        if let Err(e) = Cache::default().put(key.as_str(), resp).await {
            console_warn!("cache put {key} failed: {e}");
        }
    });
}

/// The `Cache-Control` to store `resp` with, or `None` when it must not be
/// shared: not a 200, a `Set-Cookie`, `no-store`/`private`/`no-cache`, or no
/// lifetime. Without a `Cache-Control` the shared default policy applies;
/// an operator override replaces the origin's `s-maxage`.
fn storable_as(
    resp: &Response,
    kind: CacheKind,
    settings: &EdgeSettings,
) -> worker::Result<Option<String>> {
    let headers = resp.headers();
    if resp.status_code() != 200 || headers.has("set-cookie")? {
        return Ok(None);
    }
    let policy = kind.policy();
    let cc = match headers.get("cache-control")? {
        Some(v) => CacheControl::parse(&v),
        None => CacheControl::parse(&policy.header_value()),
    };
    if !cc.shareable() {
        return Ok(None);
    }
    let ttl = settings.ttl_override(kind).or(cc.shared_ttl()).unwrap_or(0);
    if ttl == 0 {
        return Ok(None);
    }
    let max_age = cc.max_age.unwrap_or(policy.max_age);
    Ok(Some(format!("public, max-age={max_age}, s-maxage={ttl}")))
}

/// A public response as sent to clients: any origin may read it (it carries
/// no credentials, and the cached copy is shared by every site's pages).
fn public(resp: Response, status: &str) -> worker::Result<Response> {
    proxy::rebuild(resp, |h| {
        h.set(CACHE_HEADER, status)?;
        h.set("access-control-allow-origin", "*")?;
        h.delete("vary")?;
        Ok(())
    })
}
