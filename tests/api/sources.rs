//! URL sources on both backends, against a small web site served on
//! loopback by the test itself (pages, a sitemap, robots.txt, a page on
//! another host, a non-HTML page, an oversize page, a cross-host redirect,
//! a page that hangs). Loopback is private: the server is allowed to reach
//! it only with `LANTERN_ALLOW_PRIVATE_URLS`, and refuses it without.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::assert_envelope;

const SOURCES: &str = "/api/v1/knowledge/sources";

/// What the little site serves; tests change it between syncs.
#[derive(Default)]
struct Site {
    base: String,
    alpha: String,
    listed: Vec<String>,
}

type Shared = Arc<Mutex<Site>>;

fn page(title: &str, text: &str) -> String {
    format!(
        "<html><head><title>{title}</title></head><body>\
         <nav><a href=/>Home</a> <a href=/pricing>Pricing plans</a></nav>\
         <main><h1>{title}</h1><p>{text}</p></main>\
         <footer>Copyright Widgets Incorporated</footer></body></html>"
    )
}

async fn serve(State(site): State<Shared>, Path(path): Path<String>) -> Response {
    let s = site.lock().expect("lock");
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    match path.as_str() {
        "robots.txt" => "User-agent: Lantern\nDisallow: /private\n".into_response(),
        "sitemap.xml" => {
            let urls: String = s
                .listed
                .iter()
                .map(|u| format!("<url><loc>{u}</loc></url>"))
                .collect();
            (
                [(header::CONTENT_TYPE, "application/xml")],
                format!("<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>"),
            )
                .into_response()
        }
        "alpha" => html(page("Alpha guide", &s.alpha)),
        "bravo" => html(page(
            "Bravo guide",
            "The bravo gadget folds flat for storage.",
        )),
        "private/secret" => html(page("Secret", "Nobody should index this secret page.")),
        "image" => (
            [(header::CONTENT_TYPE, "image/png")],
            vec![0x89u8, b'P', b'N', b'G'],
        )
            .into_response(),
        "big" => html("x".repeat(3 * 1024 * 1024)),
        "elsewhere" => (
            StatusCode::FOUND,
            [(
                header::LOCATION,
                s.base.replace("127.0.0.1", "localhost") + "/alpha",
            )],
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn hang() -> &'static str {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "late"
}

/// Starts the site; returns its base URL and its shared state.
async fn start_site() -> (String, Shared) {
    let site: Shared = Arc::default();
    let app = Router::new()
        .route("/slow", get(hang))
        .route("/{*path}", get(serve))
        .with_state(site.clone());
    let base = lantern_tests::serve(app).await;
    {
        let mut s = site.lock().expect("lock");
        s.base = base.clone();
        s.alpha = "The alpha widget charges in forty minutes.".into();
        s.listed = [
            "alpha",
            "bravo",
            "private/secret",
            "image",
            "big",
            "elsewhere",
        ]
        .iter()
        .map(|p| format!("{base}/{p}"))
        .chain(["http://other-host.invalid/page".to_string()])
        .collect();
    }
    (base, site)
}

async fn json_ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).expect("json")
}

/// Waits until the source `id` is no longer queued or running.
async fn settled(app: &TestApp, key: &str, id: &str) -> Value {
    for _ in 0..200 {
        let list = json_ok(app.get_auth(SOURCES, key).await, 200).await;
        let s = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .expect("the source is listed");
        if s["state"] != "running" && s["state"] != "queued" {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import of {id} never finished");
}

async fn documents(app: &TestApp, key: &str) -> Vec<Value> {
    json_ok(
        app.get_auth("/api/v1/knowledge/documents?limit=100", key)
            .await,
        200,
    )
    .await["items"]
        .as_array()
        .expect("items")
        .clone()
}

async fn titles_found(app: &TestApp, site: &str, q: &str) -> Vec<String> {
    crate::knowledge::results(app, site, q)
        .await
        .iter()
        .map(|r| r["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn sitemap_import_and_resync(backend: Backend) {
    let (base, web) = start_site().await;
    let app = TestApp::spawn_with(backend, |s| s.allow_private_urls = true).await;
    let site = app.site().await;
    let key = site.admin_key.as_str();
    let created = json_ok(
        app.post_json(
            SOURCES,
            key,
            &json!({"url": format!("{base}/sitemap.xml"), "kind": "sitemap"}),
        )
        .await,
        202,
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert!(created["state"].is_string(), "{created}");
    let source = settled(&app, key, &id).await;
    assert_eq!(source["state"], "ready", "{source}");
    // Five pages on the host that robots.txt allows: alpha and bravo
    // imported; the image, the oversize page and the redirect failed.
    assert_eq!(source["pages_total"], 5, "{source}");
    assert_eq!(source["pages_done"], 2, "{source}");
    assert_eq!(source["pages_failed"], 3, "{source}");
    assert!(source["synced_at"].is_string());

    let docs = documents(&app, key).await;
    let by_url = |path: &str| {
        docs.iter()
            .find(|d| d["url"] == format!("{base}/{path}"))
            .cloned()
    };
    for path in ["alpha", "bravo"] {
        let d = by_url(path).expect(path);
        assert_eq!(d["state"], "ready", "{d}");
        assert_eq!(d["source"], "url");
        assert_eq!(d["source_id"], id.as_str());
    }
    for (path, reason) in [
        ("image", "not a web page"),
        ("big", "larger"),
        ("elsewhere", "another host"),
    ] {
        let d = by_url(path).expect(path);
        assert_eq!(d["state"], "failed", "{d}");
        assert!(
            d["error"].as_str().expect("error").contains(reason),
            "{path}: {d}"
        );
    }
    assert!(by_url("private/secret").is_none(), "robots.txt is honoured");
    assert!(
        !docs
            .iter()
            .any(|d| d["url"].as_str().is_some_and(|u| u.contains("other-host")))
    );
    assert_eq!(
        titles_found(&app, &site.id, "alpha widget charges").await,
        ["Alpha guide"]
    );
    assert!(
        titles_found(&app, &site.id, "pricing plans copyright")
            .await
            .is_empty(),
        "navigation and footers are not indexed"
    );

    // The site changes: alpha is rewritten, bravo leaves the sitemap.
    {
        let mut w = web.lock().expect("lock");
        w.alpha = "The alpha widget now charges wirelessly overnight.".into();
        w.listed = vec![format!("{base}/alpha")];
    }
    let synced = json_ok(
        app.post_json(&format!("{SOURCES}/{id}/sync"), key, &json!({}))
            .await,
        202,
    )
    .await;
    assert_eq!(synced["id"], id.as_str());
    let source = settled(&app, key, &id).await;
    assert_eq!(source["state"], "ready", "{source}");
    assert_eq!(source["pages_total"], 1);
    let docs = documents(&app, key).await;
    assert_eq!(
        docs.len(),
        1,
        "pages gone from the sitemap are deleted: {docs:?}"
    );
    assert_eq!(
        titles_found(&app, &site.id, "charges wirelessly overnight").await,
        ["Alpha guide"]
    );
    assert!(
        titles_found(&app, &site.id, "bravo gadget folds")
            .await
            .is_empty()
    );

    // One page as a source of its own.
    let page = json_ok(
        app.post_json(
            SOURCES,
            key,
            &json!({"url": format!("{base}/bravo"), "kind": "page"}),
        )
        .await,
        202,
    )
    .await;
    let page_id = page["id"].as_str().expect("id").to_string();
    assert_eq!(settled(&app, key, &page_id).await["state"], "ready");
    assert_eq!(
        titles_found(&app, &site.id, "bravo gadget folds").await,
        ["Bravo guide"]
    );

    // Bad input.
    assert_envelope(
        app.post_json(
            SOURCES,
            key,
            &json!({"url": format!("{base}/bravo"), "kind": "page"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    for bad in [
        json!({"url": "ftp://example.com/", "kind": "page"}),
        json!({"url": "not a url", "kind": "page"}),
        json!({"url": "https://example.com/", "kind": "feed"}),
        json!({"url": "https://example.com/"}),
    ] {
        assert_envelope(
            app.post_json(SOURCES, key, &bad).await,
            400,
            "validation_failed",
        )
        .await;
    }
    assert_envelope(
        app.post_json(
            &format!("{SOURCES}/{}/sync", uuid::Uuid::now_v7()),
            key,
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let visitor = app.visitor(&site.id).await;
    assert_envelope(app.get_auth(SOURCES, &visitor).await, 403, "forbidden").await;

    // Deleting a source deletes its pages.
    let res = app
        .client
        .delete(app.url(&format!("{SOURCES}/{page_id}")))
        .bearer_auth(key)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    assert!(
        titles_found(&app, &site.id, "bravo gadget folds")
            .await
            .is_empty()
    );
}
on_both_backends!(sitemap_import_and_resync, super::sitemap_import_and_resync);

async fn private_urls_need_the_switch(backend: Backend) {
    let (base, _web) = start_site().await;
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    for url in [
        format!("{base}/alpha"),
        "http://localhost/x".into(),
        "http://169.254.169.254/latest".into(),
    ] {
        let body = assert_envelope(
            app.post_json(
                SOURCES,
                &site.admin_key,
                &json!({"url": url, "kind": "page"}),
            )
            .await,
            400,
            "validation_failed",
        )
        .await;
        assert!(
            body["message"]
                .as_str()
                .expect("m")
                .contains("LANTERN_ALLOW_PRIVATE_URLS"),
            "{body}"
        );
    }
    let list = json_ok(app.get_auth(SOURCES, &site.admin_key).await, 200).await;
    assert_eq!(list["items"], json!([]), "nothing was stored");
}
on_both_backends!(
    private_urls_are_refused_without_the_switch,
    super::private_urls_need_the_switch
);

async fn restart_marks_imports_failed(backend: Backend) {
    let (base, _web) = start_site().await;
    let app = TestApp::spawn_with(backend, |s| s.allow_private_urls = true).await;
    let site = app.site().await;
    let created = json_ok(
        app.post_json(
            SOURCES,
            &site.admin_key,
            &json!({"url": format!("{base}/slow"), "kind": "page"}),
        )
        .await,
        202,
    )
    .await;
    let id = created["id"].as_str().expect("id");
    // The page hangs; meanwhile the server "restarts" on the same database.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = TestApp::spawn_sharing(&app, |s| s.allow_private_urls = true).await;
    let list = json_ok(again.get_auth(SOURCES, &site.admin_key).await, 200).await;
    let source = &list["items"][0];
    assert_eq!(source["id"], id);
    assert_eq!(source["state"], "failed", "{source}");
    assert!(
        source["error"].as_str().expect("e").contains("stopped"),
        "{source}"
    );
    let docs = documents(&again, &site.admin_key).await;
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["state"], "failed", "never left indexing: {docs:?}");
    assert_eq!(docs[0]["passages"], 0, "nothing half-indexed");
}
on_both_backends!(
    a_restart_marks_unfinished_imports_failed,
    super::restart_marks_imports_failed
);
