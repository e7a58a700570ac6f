//! The worker's configuration: wrangler vars (`[vars]` in `wrangler.toml`,
//! or `wrangler deploy --var NAME:VALUE`).

use lantern_shared::cache::CacheKind;
use worker::Env;

/// Default seconds the edge keeps its view of the origin's readiness.
const READY_TTL_SECS: u32 = 5;

/// Settings read from the worker's environment on each request (cheap).
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// `ORIGIN_URL`, without a trailing slash.
    pub origin: String,
    /// `EDGE_READY_TTL_SECS`: how long a readiness probe result is reused.
    pub ready_ttl: u32,
    /// `EDGE_CONFIG_TTL_SECS`, `EDGE_SEARCH_TTL_SECS`, `EDGE_WIDGET_TTL_SECS`:
    /// edge lifetimes overriding the origin's `s-maxage`.
    config_ttl: Option<u32>,
    search_ttl: Option<u32>,
    widget_ttl: Option<u32>,
}

impl EdgeSettings {
    pub fn from_env(env: &Env) -> worker::Result<Self> {
        let origin = env.var("ORIGIN_URL")?.to_string();
        let origin = origin.trim().trim_end_matches('/').to_string();
        if !(origin.starts_with("http://") || origin.starts_with("https://")) {
            return Err(worker::Error::RustError(
                "ORIGIN_URL must be an http(s) URL".into(),
            ));
        }
        let secs = |name: &str| -> Option<u32> {
            env.var(name)
                .ok()
                .and_then(|v| v.to_string().trim().parse().ok())
        };
        Ok(EdgeSettings {
            origin,
            ready_ttl: secs("EDGE_READY_TTL_SECS").unwrap_or(READY_TTL_SECS),
            config_ttl: secs("EDGE_CONFIG_TTL_SECS"),
            search_ttl: secs("EDGE_SEARCH_TTL_SECS"),
            widget_ttl: secs("EDGE_WIDGET_TTL_SECS"),
        })
    }

    /// The operator's edge lifetime for `kind`, when set.
    pub fn ttl_override(&self, kind: CacheKind) -> Option<u32> {
        match kind {
            CacheKind::SiteConfig => self.config_ttl,
            CacheKind::KnowledgeSearch => self.search_ttl,
            CacheKind::WidgetAssets => self.widget_ttl,
        }
    }
}
