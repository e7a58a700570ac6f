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

/// The policy for a path, or `None` when the response must not be shared.
pub fn policy_for(path: &str) -> Option<CachePolicy> {
    if path.starts_with("/widget/") {
        return Some(WIDGET_ASSETS);
    }
    let rest = path.strip_prefix("/api/v1/sites/")?;
    match rest.split_once('/') {
        Some((site, "config")) if !site.is_empty() => Some(SITE_CONFIG),
        Some((site, "knowledge/search")) if !site.is_empty() => Some(KNOWLEDGE_SEARCH),
        _ => None,
    }
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
        assert_eq!(policy_for("/api/v1/knowledge/documents"), None);
        assert_eq!(
            WIDGET_ASSETS.header_value(),
            "public, max-age=300, s-maxage=3600"
        );
    }
}
