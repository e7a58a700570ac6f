//! Which public GETs may be cached, and for how long. The origin sends these as
//! `Cache-Control`; the edge worker uses the same table to decide what goes
//! through its Cache API.

/// Caching rule for one kind of response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// Browsers' lifetime (`max-age`), seconds.
    pub max_age: u32,
    /// Shared caches' lifetime (`s-maxage`), seconds — what the edge honours.
    pub s_maxage: u32,
}

impl CachePolicy {
    /// The `Cache-Control` header value for this policy.
    pub fn header_value(&self) -> String {
        format!(
            "public, max-age={}, s-maxage={}",
            self.max_age, self.s_maxage
        )
    }
}

/// Widget assets: the loader must pick up new releases quickly, so it is short-lived.
pub const WIDGET_ASSETS: CachePolicy = CachePolicy {
    max_age: 300,
    s_maxage: 3600,
};

/// Public site configuration: edits should show within minutes.
pub const SITE_CONFIG: CachePolicy = CachePolicy {
    max_age: 60,
    s_maxage: 300,
};

/// Knowledge search: answers change only when documents do; a short shared
/// lifetime keeps a re-imported document visible within minutes.
pub const KNOWLEDGE_SEARCH: CachePolicy = CachePolicy {
    max_age: 60,
    s_maxage: 300,
};

/// The kinds of cacheable response, so a cache can apply per-kind overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    WidgetAssets,
    SiteConfig,
    KnowledgeSearch,
}

impl CacheKind {
    /// The shared default policy of this kind.
    pub fn policy(self) -> CachePolicy {
        match self {
            CacheKind::WidgetAssets => WIDGET_ASSETS,
            CacheKind::SiteConfig => SITE_CONFIG,
            CacheKind::KnowledgeSearch => KNOWLEDGE_SEARCH,
        }
    }
}

/// The kind of cacheable response a path gives, or `None` when it must not be shared.
pub fn kind_for(path: &str) -> Option<CacheKind> {
    if path.starts_with("/widget/") {
        return Some(CacheKind::WidgetAssets);
    }
    let rest = path.strip_prefix("/api/v1/sites/")?;
    match rest.split_once('/') {
        Some((site, "config")) if !site.is_empty() => Some(CacheKind::SiteConfig),
        Some((site, "knowledge/search")) if !site.is_empty() => Some(CacheKind::KnowledgeSearch),
        _ => None,
    }
}

/// The policy for a path, or `None` when the response must not be shared.
pub fn policy_for(path: &str) -> Option<CachePolicy> {
    kind_for(path).map(CacheKind::policy)
}

/// The parts of a response's `Cache-Control` a shared cache acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheControl {
    pub no_store: bool,
    pub private: bool,
    pub no_cache: bool,
    pub max_age: Option<u32>,
    pub s_maxage: Option<u32>,
}

impl CacheControl {
    /// Parses a `Cache-Control` header value; unknown directives are ignored.
    pub fn parse(value: &str) -> Self {
        let mut cc = CacheControl::default();
        for directive in value.split(',') {
            let (name, arg) = match directive.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            let secs = || arg.and_then(|a| a.parse().ok());
            match name.to_ascii_lowercase().as_str() {
                "no-store" => cc.no_store = true,
                "private" => cc.private = true,
                "no-cache" => cc.no_cache = true,
                "max-age" => cc.max_age = secs(),
                "s-maxage" => cc.s_maxage = secs(),
                _ => {}
            }
        }
        cc
    }

    /// Whether a shared cache may store the response at all.
    pub fn shareable(&self) -> bool {
        !(self.no_store || self.private || self.no_cache)
    }

    /// Seconds a shared cache may keep it (`s-maxage`, else `max-age`).
    pub fn shared_ttl(&self) -> Option<u32> {
        self.s_maxage.or(self.max_age)
    }
}

/// A query string in canonical form for cache keys: parameters sorted, empty
/// ones (`a=` or a bare `&`) dropped. Values stay encoded as sent.
pub fn normalise_query(query: &str) -> String {
    let mut params: Vec<&str> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !p.ends_with('=') && !p.starts_with('='))
        .collect();
    params.sort_unstable();
    params.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_assets_are_cacheable_and_api_is_not_by_default() {
        assert_eq!(policy_for("/widget/loader.js"), Some(WIDGET_ASSETS));
        assert_eq!(policy_for("/api/v1/conversations"), None);
        assert_eq!(policy_for("/api/v1/sites/demo/config"), Some(SITE_CONFIG));
        assert_eq!(policy_for("/api/v1/sites/demo/visitors"), None);
        assert_eq!(
            policy_for("/api/v1/sites/demo/knowledge/search"),
            Some(KNOWLEDGE_SEARCH)
        );
        assert_eq!(policy_for("/api/v1/sites//config"), None);
        assert_eq!(policy_for("/api/v1/sites/demo/knowledge/documents"), None);
        assert_eq!(policy_for("/api/v1/knowledge/documents"), None);
        assert_eq!(
            WIDGET_ASSETS.header_value(),
            "public, max-age=300, s-maxage=3600"
        );
    }

    #[test]
    fn attachments_are_never_shared() {
        // The edge worker passes them through: no cache kind, and the
        // origin's `Cache-Control` says private even if one were added.
        for path in [
            "/api/v1/attachments/0190f1e2-0000-7000-8000-000000000000",
            "/api/v1/attachments/x/thumbnail",
        ] {
            assert_eq!(kind_for(path), None, "{path}");
        }
        assert!(!CacheControl::parse("private, max-age=31536000, immutable").shareable());
    }

    #[test]
    fn cache_control_is_parsed_for_shared_caches() {
        let cc = CacheControl::parse("public, max-age=60, s-maxage=300");
        assert!(cc.shareable());
        assert_eq!(cc.shared_ttl(), Some(300));
        assert_eq!(CacheControl::parse("max-age=5").shared_ttl(), Some(5));
        assert!(!CacheControl::parse("no-store").shareable());
        assert!(!CacheControl::parse("Private, max-age=60").shareable());
        assert!(!CacheControl::parse("no-cache").shareable());
        assert_eq!(CacheControl::parse("").shared_ttl(), None);
    }

    #[test]
    fn queries_are_sorted_and_empty_params_dropped() {
        assert_eq!(normalise_query("q=b&limit=5"), "limit=5&q=b");
        assert_eq!(normalise_query("?q=x&&empty=&limit=3"), "limit=3&q=x");
        assert_eq!(normalise_query(""), "");
        assert_eq!(normalise_query("b=2&a=1"), normalise_query("a=1&b=2"));
    }
}
