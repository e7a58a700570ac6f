//! `GET /openapi.json`, generated from the handlers' annotations, and
//! `GET /docs`, a plain page rendered from the same document (no scripts, so
//! it works offline and under a strict CSP), after a section on embedding
//! the widget: the tag, its JavaScript API, the CSP line a host page needs
//! and the current release's pinned loader with its integrity hash.

use axum::{Json, Router, extract::State, response::Html, routing::get};
use lantern_shared::routes;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::{
    AppState, attachments, canned, conversation_log, conversations, curated, documents, events, feedback, inbox,
    insights, insights_export, keys, knowledge, messages, new_site, privacy, session, site_admin,
    site_events, sites, sources, team, uploads, visitors, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Lantern API", version = "1", description = "Self-hosted chat assistant for websites. \
        Every failure answers with the error envelope {error, message, details, request_id, timestamp}. \
        Request bodies are JSON objects; no text field accepts the NUL character (\\u0000)."),
    paths(
        sites::config, sites::create_visitor,
        conversations::create, conversations::list, conversations::fetch,
        conversations::handoff, conversations::close,
        messages::list, messages::post, events::events, feedback::feedback,
        knowledge::create, knowledge::list, knowledge::remove, knowledge::search,
        curated::list, curated::create, curated::remove,
        sites::refresh_visitor, sites::revoke_visitor_tokens, site_admin::read, site_admin::update,
        site_admin::rotate_admin_key, site_admin::rotate_identity_secret,
        webhooks::create, webhooks::list, webhooks::remove, webhooks::deliveries,
        session::sign_in, session::sign_out, session::me, session::update_me,
        team::list, team::update, team::remove, team::invite, team::invites, team::accept,
        keys::list, keys::create, keys::revoke, new_site::create,
        inbox::assign, inbox::release, inbox::snooze, inbox::typing, inbox::read,
        inbox::contact, inbox::presence,
        canned::list, canned::create, canned::update, canned::remove, site_events::events,
        privacy::pin, privacy::archive, privacy::delete_conversation, privacy::export,
        privacy::erase, privacy::erasures, privacy::retention, privacy::set_retention,
        insights::try_it, insights::insights, insights::unanswered,
        insights_export::cited, insights_export::csv,
        conversation_log::log, conversation_log::transcript,
        uploads::upload, documents::set_enabled, documents::passages, documents::set_passage,
        sources::create, sources::list, sources::sync, sources::remove,
        visitors::list, visitors::show, visitors::update, visitors::memories,
        visitors::add_memory, visitors::delete_memory,
        attachments::upload, attachments::download, attachments::thumbnail,
    ),
    components(schemas(lantern_shared::ErrorBody, lantern_shared::ErrorCode,
        lantern_shared::event::AnswerDelta, lantern_shared::event::StatusChanged,
        lantern_shared::inbox::Typing, lantern_shared::inbox::Presence)),
    modifiers(&BearerAuth, &CommonResponses),
    tags((name = "sites"), (name = "attachments", description = "Files shared in conversations: \
        uploaded to a conversation, sent with a message (`attachment_ids`), served with the \
        conversation's authorisation."), (name = "privacy"), (name = "insights"), (name = "conversations"), (name = "messages"), (name = "knowledge"),
        (name = "webhooks"), (name = "inbox", description = "The operator inbox: assigning, \
        snoozing, typing, read marks, canned responses and the members' site event stream."),
        (name = "visitors", description = "Visitors as members see them: profiles, \
        search, and members' notes on a visitor."),
        (name = "people", description = "Members who sign in: sessions, \
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

/// Answers any API operation may give whatever its handler does: the
/// middleware's (authentication, rate limits, body limits) and the
/// database's. Documented once here so that the spec and the server agree.
struct CommonResponses;

const COMMON: [(&str, &str, bool); 8] = [
    ("400", "the request is not valid (`validation_failed`, naming the field)", false),
    ("401", "no valid credential (`unauthorized`)", false),
    ("403", "the credential may not do this (`forbidden`)", false),
    ("404", "no such resource, or not this caller's (`not_found`)", false),
    ("413", "the request body is too large (`payload_too_large`)", true),
    ("415", "the body is not `application/json` (`unsupported_media_type`)", true),
    ("429", "rate limited (`rate_limited`; see `Retry-After`)", false),
    ("503", "the database is unavailable (`unavailable`; see `Retry-After`)", false),
];

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/") {
                continue;
            }
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                let has_body = op.request_body.is_some();
                for (code, what, needs_body) in COMMON {
                    if needs_body && !has_body {
                        continue;
                    }
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| {
                        let body = ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build();
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(what)
                                .content("application/json", body)
                                .build(),
                        )
                    });
                }
            }
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::OPENAPI, get(|| async { Json(ApiDoc::openapi()) }))
        .route(
            routes::DOCS,
            get(|State(state): State<AppState>| async move {
                let pinned = std::fs::read_to_string(state.settings.widget_dir.join("embed.json"))
                    .ok()
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
                (
                    [(
                        http::header::CONTENT_SECURITY_POLICY,
                        super::security::PAGE_CSP,
                    )],
                    Html(render_docs(pinned.as_ref())),
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

/// The embed section: tag, options, JavaScript API, CSP, pinned release.
const EMBED: &str = "<section><h2>Embedding the widget</h2>\
<pre><code>&lt;script src=\"https://chat.example.com/widget/loader.js\" data-site=\"SITE_ID\" async&gt;&lt;/script&gt;</code></pre>\
<p>Options: <code>data-lang</code> (else the page's <code>lang</code>), <code>data-position</code> \
(<code>right</code>|<code>left</code>), <code>data-color</code>, <code>data-open</code>.</p>\
<p>JavaScript, once <code>window.Lantern</code> exists (the script is async: it has run by \
the page's <code>load</code> event):</p><ul>\
<li><code>Lantern.open()</code>, <code>Lantern.close()</code></li>\
<li><code>Lantern.identify({user_id, user_hash, name, email, attributes})</code>: <code>user_hash</code> is \
<code>HMAC-SHA256(identity secret, user_id)</code> in hex, computed on your server; a wrong hash is refused \
and the visitor stays anonymous with their conversation. <code>name</code>, <code>email</code> and \
<code>attributes</code> (flat: strings, integers, booleans) are optional and kept only with a right hash. \
A visitor who chatted anonymously and then signs in keeps that conversation: it moves to the user.</li>\
<li><code>Lantern.on(name, fn)</code> with <code>'message'</code> (<code>fn({id, conversation_id, seq, role, \
content, html, created_at, attachments})</code> for each message stored while the page is open: the visitor's, the \
assistant's, an agent's; <code>attachments</code> is <code>[{id, name, type, size, url}]</code>, each \
<code>url</code> fetched with the visitor's token), <code>'open'</code> or <code>'close'</code>.</li>\
<li><code>Lantern.setLanguage(tag)</code>: the widget's language (BCP 47), at once.</li>\
<li><code>Lantern.hide()</code>, <code>Lantern.show()</code>: the launcher and the panel.</li></ul>\
<p>The visitor's tabs on one site share one live connection; the panel's state follows across them.</p>\
<h3>Content-Security-Policy</h3><p>A page with a CSP needs the Lantern origin in <code>script-src</code>, \
<code>'wasm-unsafe-eval'</code> (browsers compile WebAssembly only with it) and the origin in \
<code>connect-src</code> when that (or <code>default-src</code>) is set:</p>\
<pre><code>script-src 'self' https://chat.example.com 'wasm-unsafe-eval'; connect-src 'self' https://chat.example.com</code></pre>\
<p>No <code>'unsafe-inline'</code> is needed: the widget's styles are constructed stylesheets, and with \
<code>require-trusted-types-for 'script'</code> it inserts markup (the server's sanitised replies, its icons) \
only through a Trusted Types policy named <code>lantern</code>; a page that lists its policies adds it: \
<code>trusted-types lantern</code>. Pictures shared in the conversation are fetched with the visitor's token \
and shown from <code>blob:</code> addresses: a page that sets <code>img-src</code> (or <code>default-src</code>) \
adds <code>blob:</code> to it. If the widget cannot load, the bubble says the chat is unavailable; \
nothing is thrown into the page.</p></section>\n";

fn render_docs(pinned: Option<&serde_json::Value>) -> String {
    let doc = ApiDoc::openapi();
    let mut body = String::from(EMBED);
    let field = |k: &str| pinned.and_then(|p| p[k].as_str()).map(escape);
    if let (Some(loader), Some(integrity)) = (field("loader"), field("integrity")) {
        body.push_str(&format!(
            "<section><h2>Pinned loader (Subresource Integrity)</h2><p>This release's loader under a \
             name that never changes, with its hash, for pages that pin the exact script they run \
             (update it with each Lantern release):</p><pre><code>&lt;script \
             src=\"https://chat.example.com{loader}\" integrity=\"{integrity}\" \
             crossorigin=\"anonymous\" data-site=\"SITE_ID\" async&gt;&lt;/script&gt;</code></pre></section>\n"
        ));
    }
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
