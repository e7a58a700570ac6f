//! Route paths of the public contract, written once for server, worker and widget.

pub const HEALTH_LIVE: &str = "/health/live";
pub const HEALTH_READY: &str = "/health/ready";
pub const HEALTH: &str = "/health";
pub const METRICS: &str = "/metrics";
pub const OPENAPI: &str = "/openapi.json";
pub const DOCS: &str = "/docs";
pub const WIDGET_PREFIX: &str = "/widget";
pub const API_V1: &str = "/api/v1";

/// `GET` site config; `{site_id}` is filled in by [`site_config`].
pub const SITE_CONFIG: &str = "/api/v1/sites/{site_id}/config";
pub const SITE_VISITORS: &str = "/api/v1/sites/{site_id}/visitors";
pub const KNOWLEDGE_SEARCH: &str = "/api/v1/sites/{site_id}/knowledge/search";
pub const CONVERSATIONS: &str = "/api/v1/conversations";
pub const CONVERSATION: &str = "/api/v1/conversations/{id}";
pub const CONVERSATION_MESSAGES: &str = "/api/v1/conversations/{id}/messages";
pub const CONVERSATION_EVENTS: &str = "/api/v1/conversations/{id}/events";
pub const CONVERSATION_HANDOFF: &str = "/api/v1/conversations/{id}/handoff";
pub const CONVERSATION_CLOSE: &str = "/api/v1/conversations/{id}/close";
pub const MESSAGE_FEEDBACK: &str = "/api/v1/messages/{id}/feedback";
pub const KNOWLEDGE_DOCUMENTS: &str = "/api/v1/knowledge/documents";
pub const KNOWLEDGE_DOCUMENT: &str = "/api/v1/knowledge/documents/{id}";
pub const KNOWLEDGE_UPLOADS: &str = "/api/v1/knowledge/uploads";
pub const KNOWLEDGE_SOURCES: &str = "/api/v1/knowledge/sources";
pub const KNOWLEDGE_SOURCE_SYNC: &str = "/api/v1/knowledge/sources/{id}/sync";
pub const KNOWLEDGE_SOURCE: &str = "/api/v1/knowledge/sources/{id}";
pub const KNOWLEDGE_PASSAGES: &str = "/api/v1/knowledge/documents/{id}/passages";
pub const KNOWLEDGE_PASSAGE: &str = "/api/v1/knowledge/documents/{id}/passages/{pid}";
pub const KNOWLEDGE_ANSWERS: &str = "/api/v1/knowledge/answers";
pub const KNOWLEDGE_ANSWER: &str = "/api/v1/knowledge/answers/{id}";

/// Fills the `{…}` placeholder of a route template (for clients).
pub fn fill(template: &str, value: &str) -> String {
    match (template.find('{'), template.find('}')) {
        (Some(a), Some(b)) if a < b => format!("{}{}{}", &template[..a], value, &template[b + 1..]),
        _ => template.to_string(),
    }
}

pub const SITE: &str = "/api/v1/sites/{site_id}";
pub const SITE_ADMIN_KEY: &str = "/api/v1/sites/{site_id}/admin-key";
pub const SITE_IDENTITY_SECRET: &str = "/api/v1/sites/{site_id}/identity-secret";
pub const SITE_WEBHOOKS: &str = "/api/v1/sites/{site_id}/webhooks";
pub const SITE_WEBHOOK: &str = "/api/v1/sites/{site_id}/webhooks/{id}";
pub const SITE_WEBHOOK_DELIVERIES: &str = "/api/v1/sites/{site_id}/webhooks/{id}/deliveries";
pub const VISITOR_REFRESH: &str = "/api/v1/visitors/refresh";
pub const VISITOR_TOKENS: &str = "/api/v1/visitors/{visitor_id}/tokens";
pub const VISITOR: &str = "/api/v1/visitors/{visitor_id}";
pub const VISITOR_EXPORT: &str = "/api/v1/visitors/{visitor_id}/export";
pub const CONVERSATION_PIN: &str = "/api/v1/conversations/{id}/pin";
pub const CONVERSATION_ARCHIVE: &str = "/api/v1/conversations/{id}/archive";
pub const SITE_ERASURES: &str = "/api/v1/sites/{site_id}/erasures";
pub const SITE_RETENTION: &str = "/api/v1/sites/{site_id}/retention";
pub const SITE_KNOWLEDGE_TRY: &str = "/api/v1/sites/{site_id}/knowledge/try";
pub const SITE_INSIGHTS: &str = "/api/v1/sites/{site_id}/insights";
pub const SITE_INSIGHTS_UNANSWERED: &str = "/api/v1/sites/{site_id}/insights/unanswered";
pub const SITE_INSIGHTS_CSV: &str = "/api/v1/sites/{site_id}/insights.csv";
pub const SITE_INSIGHTS_DOCUMENTS: &str = "/api/v1/sites/{site_id}/insights/documents";
pub const SITE_CONVERSATION_LOG: &str = "/api/v1/sites/{site_id}/conversations/log";
pub const CONVERSATION_TRANSCRIPT: &str = "/api/v1/conversations/{id}/transcript";
pub const VISITORS: &str = "/api/v1/visitors";
pub const VISITOR_MEMORIES: &str = "/api/v1/visitors/{visitor_id}/memories";
pub const VISITOR_MEMORY: &str = "/api/v1/visitors/{visitor_id}/memories/{memory_id}";
pub const SITES: &str = "/api/v1/sites";
pub const SESSION: &str = "/api/v1/session";
pub const ME: &str = "/api/v1/me";
pub const SITE_MEMBERS: &str = "/api/v1/sites/{site_id}/members";
pub const SITE_MEMBER: &str = "/api/v1/sites/{site_id}/members/{user_id}";
pub const SITE_INVITES: &str = "/api/v1/sites/{site_id}/invites";
pub const INVITE_ACCEPT: &str = "/api/v1/invites/accept";
pub const SITE_KEYS: &str = "/api/v1/sites/{site_id}/keys";
pub const SITE_KEY: &str = "/api/v1/sites/{site_id}/keys/{id}";
pub const CONVERSATION_ASSIGN: &str = "/api/v1/conversations/{id}/assign";
pub const CONVERSATION_RELEASE: &str = "/api/v1/conversations/{id}/release";
pub const CONVERSATION_SNOOZE: &str = "/api/v1/conversations/{id}/snooze";
pub const CONVERSATION_TYPING: &str = "/api/v1/conversations/{id}/typing";
pub const CONVERSATION_READ: &str = "/api/v1/conversations/{id}/read";
pub const CONVERSATION_CONTACT: &str = "/api/v1/conversations/{id}/contact";
pub const SITE_EVENTS: &str = "/api/v1/sites/{site_id}/events";
pub const SITE_PRESENCE: &str = "/api/v1/sites/{site_id}/presence";
pub const SITE_CANNED: &str = "/api/v1/sites/{site_id}/canned-responses";
pub const SITE_CANNED_ONE: &str = "/api/v1/sites/{site_id}/canned-responses/{id}";
pub const CONVERSATION_ATTACHMENTS: &str = "/api/v1/conversations/{id}/attachments";
pub const ATTACHMENT: &str = "/api/v1/attachments/{id}";
pub const ATTACHMENT_THUMBNAIL: &str = "/api/v1/attachments/{id}/thumbnail";
/// The owner console (a single-page app).
pub const CONSOLE_PREFIX: &str = "/console";
/// The header cookie-authenticated writes must carry (value `1`): a page on
/// another origin cannot set it without a CORS preflight we refuse.
pub const REQUEST_HEADER: &str = "x-lantern-request";

/// The site id of a site-scoped path (`/api/v1/sites/{site_id}/…`), if any.
pub fn site_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1/sites/")?;
    let site = rest.split('/').next()?;
    (!site.is_empty()).then_some(site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_ids_come_from_site_scoped_paths_only() {
        assert_eq!(site_of("/api/v1/sites/demo/config"), Some("demo"));
        assert_eq!(site_of("/api/v1/sites/demo"), Some("demo"));
        assert_eq!(site_of("/api/v1/sites/"), None);
        assert_eq!(site_of("/api/v1/conversations/x"), None);
    }
}
