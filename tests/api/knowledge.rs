//! The knowledge base over HTTP: documents (admin), search (public), on both
//! backends.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::assert_envelope;

pub const DOCS: &[(&str, &str, &str)] = &[
    (
        "Shipping",
        "/help/shipping",
        "# Shipping\n\nOrders ship within two business days. Express delivery arrives the next day.\n\n## International\n\nWe ship to 40 countries; customs fees are paid by the recipient.",
    ),
    (
        "Returns and refunds",
        "/help/returns",
        "# Returns\n\nYou can return any item within 30 days for a full refund. Refunds reach your card in 5 days.",
    ),
    (
        "Opening hours",
        "/help/hours",
        "# Opening hours\n\nThe shop in Lyon is open Monday to Saturday, 9:00 to 18:00. Orders from Lyon & Paris under < 5 € ship free.",
    ),
];

/// Posts [`DOCS`] to `admin_key`'s site; returns the created documents.
pub async fn load(app: &TestApp, admin_key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (title, url, body) in DOCS {
        let res = app
            .post_json(
                "/api/v1/knowledge/documents",
                admin_key,
                &json!({"title": title, "url": url, "body": body}),
            )
            .await;
        assert_eq!(res.status(), 201, "document created");
        out.push(res.json().await.expect("json"));
    }
    out
}

async fn search(app: &TestApp, site: &str, q: &str) -> (reqwest::header::HeaderMap, Value) {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/sites/{site}/knowledge/search")))
        .query(&[("q", q)])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    (headers, res.json().await.expect("json"))
}

/// The results of the public search of `site` for `q` (other test files'
/// searches come here too).
pub(crate) async fn results(app: &TestApp, site: &str, q: &str) -> Vec<Value> {
    let (_, body) = search(app, site, q).await;
    body["results"].as_array().expect("results").clone()
}

/// Ranking, snippets, caching, replacement by url, deletion.
async fn documents_and_search(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let docs = load(&app, &site.admin_key).await;
    assert!(
        docs[0]["passages"].as_i64().expect("passages") >= 2,
        "{}",
        docs[0]
    );

    let (headers, body) = search(&app, &site.id, "how long until my refund arrives").await;
    assert_eq!(headers["cache-control"], "public, max-age=60, s-maxage=300");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results[0]["title"], "Returns and refunds", "{body}");
    assert_eq!(results[0]["url"], "/help/returns");
    let snippet = results[0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>refund</mark>"), "{snippet}");

    let (_, body) = search(&app, &site.id, "customs fees international").await;
    assert_eq!(body["results"][0]["title"], "Shipping", "{body}");
    assert_eq!(body["results"][0]["section"], "International", "{body}");

    // Snippets are escaped apart from the marks.
    let (_, body) = search(&app, &site.id, "Lyon shop script").await;
    let snippet = body["results"][0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("&amp; Paris under &lt; 5"), "{snippet}");

    // Same url: replaced, not duplicated.
    let res = app
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &json!({"title": "Returns and refunds", "url": "/help/returns",
                    "body": "Returns are accepted within 60 days.", "format": "text"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let replacement: Value = res.json().await.expect("json");
    assert_eq!(replacement["replaced"], docs[1]["id"]);
    let list: Value = app
        .get_auth("/api/v1/knowledge/documents?limit=2", &site.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().expect("items").len(), 2);
    let cursor = list["next_cursor"].as_str().expect("a second page");
    let rest: Value = app
        .get_auth(
            &format!("/api/v1/knowledge/documents?cursor={cursor}"),
            &site.admin_key,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rest["items"].as_array().expect("items").len(), 1);
    assert!(rest["next_cursor"].is_null());
    let (_, body) = search(&app, &site.id, "60 days returns").await;
    assert_eq!(body["results"][0]["document_id"], replacement["id"]);
    assert!(
        !body["results"][0]["snippet"]
            .as_str()
            .expect("s")
            .contains("30")
    );

    // Delete: gone from search; a second delete is 404.
    let id = replacement["id"].as_str().expect("id");
    let path = format!("/api/v1/knowledge/documents/{id}");
    let del = |p: String| {
        app.client
            .delete(app.url(&p))
            .bearer_auth(&site.admin_key)
            .send()
    };
    assert_eq!(del(path.clone()).await.expect("sent").status(), 204);
    let (_, body) = search(&app, &site.id, "returns refund").await;
    assert!(
        body["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["document_id"] != id),
        "{body}"
    );
    assert_envelope(del(path).await.expect("sent"), 404, "not_found").await;
}
on_both_backends!(
    documents_are_indexed_and_searchable,
    super::documents_and_search
);

/// Bad input and the wrong caller get the envelope.
async fn refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let doc = json!({"title": "T", "body": "text"});
    let res = app
        .post_json("/api/v1/knowledge/documents", &visitor, &doc)
        .await;
    assert_envelope(res, 403, "forbidden").await;
    let res = app
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &json!({"title": " ", "body": "x"}),
        )
        .await;
    let body = assert_envelope(res, 400, "validation_failed").await;
    assert_eq!(body["details"][0]["field"], "title");
    let res = app
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &json!({"title": "T", "body": "x", "url": "javascript:alert(1)"}),
        )
        .await;
    assert_envelope(res, 400, "validation_failed").await;
    // Larger than the usual 64 KiB limit but within 200 KiB: accepted.
    let big = "word ".repeat(30_000);
    let res = app
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &json!({"title": "Big", "body": big}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let too_big = "word ".repeat(50_000);
    let res = app
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &json!({"title": "Huge", "body": too_big}),
        )
        .await;
    assert_envelope(res, 400, "validation_failed").await;
    let res = app
        .get(&format!("/api/v1/sites/{}/knowledge/search?q=", site.id))
        .await;
    assert_envelope(res, 400, "validation_failed").await;
    let res = app.get("/api/v1/sites/nope/knowledge/search?q=x").await;
    assert_envelope(res, 404, "not_found").await;
}
on_both_backends!(bad_documents_are_refused, super::refused);

/// A fresh database gets the demo site with the demo knowledge base.
async fn demo_knowledge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .get("/api/v1/sites/demo/knowledge/search?q=script%20tag%20embed%20widget")
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["results"][0]["title"], "Embedding the chat widget",
        "{body}"
    );
}
on_both_backends!(demo_site_has_the_demo_knowledge_base, super::demo_knowledge);
