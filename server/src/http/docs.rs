//! `GET /openapi.json`, generated from the handlers' annotations, and
//! `GET /docs`, a plain page rendered from the same document (no scripts, so
//! it works offline and under a strict CSP).

use axum::{Json, Router, response::Html, routing::get};
use lantern_shared::routes;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::{
    AppState, conversations, events, feedback, keys, knowledge, messages, new_site, session, site_admin,
    sites, team, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Lantern API", version = "1", description = "Self-hosted chat assistant for websites. \
        Every failure answers with the error envelope {error, message, details, request_id, timestamp}."),
    paths(
        sites::config, sites::create_visitor,
        conversations::create, conversations::list, conversations::fetch,
        conversations::handoff, conversations::close,
        messages::list, messages::post, events::events, feedback::feedback,
        knowledge::create, knowledge::list, knowledge::remove, knowledge::search,
        sites::refresh_visitor, site_admin::read, site_admin::update,
        site_admin::rotate_admin_key, site_admin::rotate_identity_secret,
        webhooks::create, webhooks::list, webhooks::remove, webhooks::deliveries,
        session::sign_in, session::sign_out, session::me, session::update_me,
        team::list, team::update, team::remove, team::invite, team::accept,
        keys::list, keys::create, keys::revoke, new_site::create,
    ),
    components(schemas(lantern_shared::ErrorBody, lantern_shared::ErrorCode,
        lantern_shared::event::AnswerDelta, lantern_shared::event::StatusChanged)),
    modifiers(&BearerAuth),
    tags((name = "sites"), (name = "conversations"), (name = "messages"), (name = "knowledge"),
        (name = "webhooks"), (name = "people", description = "Members who sign in: sessions, \
        the team, invites. Cookie-authenticated writes need `X-Lantern-Request: 1` from the \
        server's own origin, else 403."))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An admin key (lk_…) or a visitor token (lv_…)"))
                    .build(),
            ),
        );
        // A member's session (POST /api/v1/session); works wherever an
        // admin key does for owners, and on the inbox for agents.
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::accounts::COOKIE,
                "A member's session cookie, from POST /api/v1/session",
            ))),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::OPENAPI, get(|| async { Json(ApiDoc::openapi()) }))
        .route(
            routes::DOCS,
            get(|| async {
                (
                    [(
                        http::header::CONTENT_SECURITY_POLICY,
                        super::security::PAGE_CSP,
                    )],
                    Html(render_docs()),
                )
            }),
        )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn render_docs() -> String {
    let doc = ApiDoc::openapi();
    let mut body = String::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let summary = op.summary.as_deref().unwrap_or_default();
            let description = op.description.as_deref().unwrap_or_default();
            body.push_str(&format!(
                "<section><h2><code>{method} {}</code></h2><p><strong>{}</strong></p><p>{}</p></section>\n",
                escape(path),
                escape(summary),
                escape(description)
            ));
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Lantern API</title>\
         <style>body{{font:15px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}}\
         h2{{font-size:1rem;margin:1.5rem 0 .25rem}}code{{background:#f1f3f5;padding:.1rem .3rem}}</style></head>\
         <body><h1>Lantern API v1</h1><p>The machine-readable spec is at <a href=\"/openapi.json\">/openapi.json</a>. \
         {}</p>{body}</body></html>",
        escape(doc.info.description.as_deref().unwrap_or_default())
    )
}
