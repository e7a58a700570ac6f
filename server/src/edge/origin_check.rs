//! The site's allowed origins, enforced at the edge: a browser on an origin
//! the site has not allowed is refused (403 `forbidden`) before its request —
//! preflights included — reaches the origin. The allowed origins come from
//! the site's public config, cached at the edge like any config read.

use lantern_shared::{ErrorCode, cache::CacheKind, routes};
use serde::Deserialize;
use worker::{Context, Fetch, Request, Response, Url};

use super::{cache, error, settings::EdgeSettings};

/// The part of the public site config the check needs.
#[derive(Deserialize)]
struct SiteOrigins {
    /// Absent from origins that predate it: then the origin decides alone.
    allowed_origins: Option<Vec<String>>,
}

/// A 403 envelope when `req` is a browser request from an origin `site`
/// does not allow; `None` lets it through. Same-origin requests (pages the
/// worker serves) and callers without `Origin` (servers) pass.
pub async fn refuse(
    req: &Request,
    site: &str,
    settings: &EdgeSettings,
    ctx: &Context,
    request_id: &str,
) -> worker::Result<Option<Response>> {
    let Some(origin) = req.headers().get("origin")? else {
        return Ok(None);
    };
    let own = req.url()?.origin().ascii_serialization();
    if origin == own {
        return Ok(None);
    }
    match allowed_origins(site, &own, settings, ctx).await? {
        Some(list) if !allows(&list, &origin) => Ok(Some(error::envelope(
            ErrorCode::Forbidden,
            &format!("origin {origin} is not allowed for this site"),
            request_id,
        )?)),
        _ => Ok(None),
    }
}

/// Mirrors the origin's rule: `*` or an exact match; `null` never.
fn allows(list: &[String], origin: &str) -> bool {
    origin != "null"
        && list
            .iter()
            .any(|o| o == "*" || o.trim_end_matches('/') == origin)
}

/// The site's allowed origins from its (edge-cached) public config; `None`
/// when the origin has no such site or does not publish them.
async fn allowed_origins(
    site: &str,
    own: &str,
    settings: &EdgeSettings,
    ctx: &Context,
) -> worker::Result<Option<Vec<String>>> {
    let path = routes::fill(routes::SITE_CONFIG, site);
    let key = format!("{own}{path}");
    let mut resp = match cache::lookup(&key).await? {
        Some(hit) => hit,
        None => {
            let url = Url::parse(&format!("{}{path}", settings.origin))?;
            let mut resp = Fetch::Url(url).send().await?;
            cache::store(ctx, key, &mut resp, CacheKind::SiteConfig, settings)?;
            resp
        }
    };
    if resp.status_code() != 200 {
        return Ok(None);
    }
    Ok(resp
        .json::<SiteOrigins>()
        .await
        .ok()
        .and_then(|s| s.allowed_origins))
}
