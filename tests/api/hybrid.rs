//! Hybrid retrieval with an OpenAI-compatible embeddings server (the
//! stand-in of `lantern_tests::embedder`, real wire format): passages are
//! embedded at import in batches, a question sharing no word with its
//! answer finds it through the vectors, provider failures leave the
//! full-text answer, a new model name re-embeds, and a deleted document
//! takes its vectors along.

use std::time::{Duration, Instant};

use lantern_server::{db::Db, settings::Settings};
use lantern_tests::{
    Backend, TestApp,
    embedder::{Embedder, Mode, TOO_LONG},
    on_both_backends,
};
use serde_json::{Value, json};

use crate::answers::ask;

/// Words the stand-in treats as one meaning each.
const CONCEPTS: &[&[&str]] = &[
    &["refund", "refunds", "money", "reimbursed"],
    &["ship", "shipping", "parcels", "delivery"],
];
/// Shares no word (nor stem) with the refunds page.
const SEMANTIC: &str = "Can I get my money back?";
const BATCH: usize = 4;

fn with_embedder(e: &Embedder, model: &str) -> impl FnOnce(&mut Settings) + use<> {
    let url = e.url.clone();
    let model = model.to_string();
    move |s| {
        s.embeddings.embeddings_url = Some(url.as_str().into());
        s.embeddings.embeddings_model = Some(model);
        s.embeddings.embeddings_batch_size = BATCH;
        s.embeddings.embeddings_query_timeout = Duration::from_millis(400);
    }
}

/// Three small pages and a longer one (9 passages); the refunds page's id.
async fn load(app: &TestApp, key: &str) -> String {
    let docs = [
        json!({"title": "Refunds", "url": "/refunds", "language": "en",
            "body": "Refunds are issued within 30 days of purchase."}),
        json!({"title": "Shipping", "url": "/shipping", "language": "en",
            "body": "Parcels ship from Lisbon within two business days."}),
        json!({"title": "Passwords", "url": "/password", "language": "en",
            "body": "Reset your password from the sign-in page."}),
        json!({"title": "Handbook", "url": "/handbook", "language": "en", "format": "markdown",
            "body": (1..=9).map(|i| format!("## Chapter {i}\n\nChapter {i} of the handbook covers topic {i}.\n"))
                .collect::<String>()}),
    ];
    let mut refunds = String::new();
    for doc in docs {
        let res = app
            .post_json("/api/v1/knowledge/documents", key, &doc)
            .await;
        assert_eq!(res.status(), 201, "document created");
        let body: Value = res.json().await.expect("json");
        if doc["url"] == "/refunds" {
            refunds = body["id"].as_str().expect("id").to_string();
        }
    }
    refunds
}

async fn db(app: &TestApp) -> Db {
    Db::connect(&app.database_url)
        .await
        .expect("open the database")
}

/// Waits until every passage of `site` has a vector from `model`; their number.
async fn embedded(app: &TestApp, site: &str, model: &str) -> i64 {
    let db = db(app).await;
    let want = db.passage_count(site).await.expect("count");
    for _ in 0..200 {
        let (n, _) = db.vector_stamp(site, model).await.expect("stamp");
        if n == want {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the passages of {site} were not all embedded with {model}");
}

async fn search(app: &TestApp, site: &str, q: &str) -> Vec<String> {
    crate::knowledge::results(app, site, q)
        .await
        .iter()
        .filter_map(|r| r["url"].as_str().map(str::to_string))
        .collect()
}

/// (a) import embeds in batches with the model; (e) deleting a document
/// removes its vectors and its semantic match.
async fn import_embeds_and_delete_removes(backend: Backend) {
    let stand_in = Embedder::start(CONCEPTS).await;
    let app = TestApp::spawn_with(backend, with_embedder(&stand_in, "stand-in-1")).await;
    let site = app.site().await;
    let refunds = load(&app, &site.admin_key).await;
    let passages = embedded(&app, &site.id, "stand-in-1").await;
    assert_eq!(passages, 12, "3 pages of one passage and 9 chapters");
    let seen = stand_in.seen();
    assert!(seen.iter().all(|s| s.model == "stand-in-1"));
    assert!(
        seen.iter().all(|s| s.inputs.len() <= BATCH),
        "batches of at most {BATCH}"
    );
    let chapters = seen
        .iter()
        .flat_map(|s| &s.inputs)
        .filter(|i| i.contains("of the handbook covers"))
        .count();
    assert_eq!(chapters, 9, "each chapter embedded once");
    assert!(seen.len() >= 12 / BATCH, "{} requests", seen.len());
    assert_eq!(
        search(&app, &site.id, SEMANTIC)
            .await
            .first()
            .map(String::as_str),
        Some("/refunds")
    );

    let res = app
        .client
        .delete(app.url(&format!("/api/v1/knowledge/documents/{refunds}")))
        .bearer_auth(&site.admin_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    let db = db(&app).await;
    let left = db.passage_count(&site.id).await.expect("count");
    assert_eq!(left, passages - 1, "the refunds page had one passage");
    assert_eq!(db.site_vector_count(&site.id).await.expect("count"), left);
    assert!(
        !search(&app, &site.id, SEMANTIC)
            .await
            .contains(&"/refunds".to_string())
    );
}
on_both_backends!(import_and_delete, super::import_embeds_and_delete_removes);

/// (b) A question sharing no word with its answer: found with embeddings,
/// not by full text alone; a lexical question still ranks its page first.
async fn semantic_match_needs_embeddings(backend: Backend) {
    let plain = TestApp::spawn(backend).await;
    let site = plain.site().await;
    load(&plain, &site.admin_key).await;
    assert!(
        !search(&plain, &site.id, SEMANTIC)
            .await
            .contains(&"/refunds".to_string()),
        "full text alone cannot find it"
    );

    let stand_in = Embedder::start(CONCEPTS).await;
    let app = TestApp::spawn_with(backend, with_embedder(&stand_in, "stand-in-1")).await;
    let site = app.site().await;
    load(&app, &site.admin_key).await;
    embedded(&app, &site.id, "stand-in-1").await;
    let found = search(&app, &site.id, SEMANTIC).await;
    assert_eq!(
        found.first().map(String::as_str),
        Some("/refunds"),
        "{found:?}"
    );
    let found = search(&app, &site.id, "password reset").await;
    assert_eq!(
        found.first().map(String::as_str),
        Some("/password"),
        "{found:?}"
    );
}
on_both_backends!(semantic_match, super::semantic_match_needs_embeddings);

/// A paraphrase sharing no word with its answer gets that answer in a
/// conversation, not only in search: the passage's cosine similarity counts
/// as confidence when it clears the site's threshold (0.6). Without
/// embeddings the bot says it does not know; a question only loosely near
/// the page (cosine about 0.3 with the stand-in) is not answered either.
async fn paraphrase_answered_in_conversation(backend: Backend) {
    let page = json!({"title": "Refunds", "url": "/refunds", "language": "en",
        "body": "Refunds and refund requests: each refund is paid within 30 days."});
    let cited = |reply: &Value| {
        reply["citations"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| c["url"].as_str())
            .map(str::to_string)
    };

    let plain = TestApp::spawn(backend).await;
    let site = plain.site().await;
    let res = plain
        .post_json("/api/v1/knowledge/documents", &site.admin_key, &page)
        .await;
    assert_eq!(res.status(), 201);
    let reply = ask_new(&plain, &site.id, "Money reimbursed?").await;
    assert_eq!(cited(&reply), None, "full text alone has nothing: {reply}");

    let stand_in = Embedder::start(CONCEPTS).await;
    let app = TestApp::spawn_with(backend, with_embedder(&stand_in, "stand-in-1")).await;
    let site = app.site().await;
    let res = app
        .post_json("/api/v1/knowledge/documents", &site.admin_key, &page)
        .await;
    assert_eq!(res.status(), 201);
    embedded(&app, &site.id, "stand-in-1").await;
    let reply = ask_new(&app, &site.id, "Money reimbursed?").await;
    assert_eq!(cited(&reply).as_deref(), Some("/refunds"), "{reply}");
    let content = reply["content"].as_str().expect("content");
    assert!(
        content.contains("within 30 days"),
        "the page is quoted: {reply}"
    );
    let reply = ask_new(&app, &site.id, "Can I get my money back?").await;
    assert_eq!(cited(&reply), None, "too far from the page: {reply}");
}
on_both_backends!(
    paraphrase_answered,
    super::paraphrase_answered_in_conversation
);

/// The reply to `text` in a new conversation of a new visitor of `site`.
async fn ask_new(app: &TestApp, site: &str, text: &str) -> Value {
    let visitor = app.visitor(site).await;
    let id = app.conversation_id(&visitor).await;
    ask(app, &visitor, &id, text).await
}

/// The value of a counter series in the metrics text.
fn counter(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

/// (c) The provider answering 500 or 429, or too slowly: searches and
/// answers come from full text, quickly, and the failures are counted.
async fn provider_failures_fall_back(backend: Backend) {
    let stand_in = Embedder::start(CONCEPTS).await;
    let app = TestApp::spawn_with(backend, with_embedder(&stand_in, "stand-in-1")).await;
    let site = app.site().await;
    load(&app, &site.admin_key).await;
    embedded(&app, &site.id, "stand-in-1").await;
    let cases = [
        (
            Mode::Fail(500),
            "How soon do parcels leave Lisbon?",
            "server_error",
        ),
        (
            Mode::Fail(429),
            "Do parcels leave Lisbon quickly?",
            "rate_limited",
        ),
        (
            Mode::Stall(Duration::from_secs(3)),
            "When do parcels leave Lisbon?",
            "timeout",
        ),
    ];
    for (mode, question, kind) in cases {
        let series = format!("lantern_embeddings_errors_total{{kind=\"{kind}\"}}");
        let before = counter(&app.metrics().await, &series);
        stand_in.set_mode(mode);
        let asked = Instant::now();
        let found = search(&app, &site.id, question).await;
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "{mode:?}: {:?}",
            asked.elapsed()
        );
        assert_eq!(
            found.first().map(String::as_str),
            Some("/shipping"),
            "{mode:?}: {found:?}"
        );
        assert!(
            counter(&app.metrics().await, &series) > before,
            "{series} counted"
        );
    }
    // A conversation's answer, the provider down: the full-text answer.
    stand_in.set_mode(Mode::Fail(500));
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let reply = ask(&app, &visitor, &id, "Where do parcels ship from?").await;
    let content = reply["content"].as_str().expect("content");
    assert!(content.contains("Lisbon"), "{reply}");
}
on_both_backends!(provider_failures, super::provider_failures_fall_back);

/// (d) A new model name: every passage is embedded again with it.
async fn model_change_reembeds(backend: Backend) {
    let stand_in = Embedder::start(CONCEPTS).await;
    let first = TestApp::spawn_with(backend, with_embedder(&stand_in, "model-a")).await;
    let site = first.site().await;
    load(&first, &site.admin_key).await;
    let n = embedded(&first, &site.id, "model-a").await;
    let second = TestApp::spawn_sharing(&first, with_embedder(&stand_in, "model-b")).await;
    assert_eq!(embedded(&second, &site.id, "model-b").await, n);
    let db = db(&second).await;
    assert_eq!(
        db.vector_stamp(&site.id, "model-a").await.expect("stamp").0,
        0
    );
    assert_eq!(
        db.site_vector_count(&site.id).await.expect("count"),
        n,
        "one vector per passage"
    );
    let again = stand_in
        .seen()
        .iter()
        .filter(|s| s.model == "model-b")
        .flat_map(|s| s.inputs.clone())
        .filter(|i| i.contains("Refunds are issued"))
        .count();
    assert_eq!(again, 1, "the refunds page embedded again with model-b");
    let found = search(&second, &site.id, SEMANTIC).await;
    assert_eq!(
        found.first().map(String::as_str),
        Some("/refunds"),
        "{found:?}"
    );
}
on_both_backends!(model_change, super::model_change_reembeds);

/// A passage the provider refuses (400, as for an input past the model's
/// context) is skipped; the passages after it are embedded all the same.
async fn refused_passage_is_skipped(backend: Backend) {
    let stand_in = Embedder::start(CONCEPTS).await;
    let app = TestApp::spawn_with(backend, with_embedder(&stand_in, "stand-in-1")).await;
    let site = app.site().await;
    let bad = json!({"title": "Long", "url": "/long", "language": "en",
        "body": format!("A page the provider refuses: {TOO_LONG}.")});
    let res = app
        .post_json("/api/v1/knowledge/documents", &site.admin_key, &bad)
        .await;
    assert_eq!(res.status(), 201);
    load(&app, &site.admin_key).await;
    let db = db(&app).await;
    let passages = db.passage_count(&site.id).await.expect("count");
    let mut n = 0;
    for _ in 0..200 {
        n = db.site_vector_count(&site.id).await.expect("count");
        if n == passages - 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(n, passages - 1, "all but the refused passage");
    let found = search(&app, &site.id, SEMANTIC).await;
    assert_eq!(
        found.first().map(String::as_str),
        Some("/refunds"),
        "{found:?}"
    );
}
on_both_backends!(refused_passage, super::refused_passage_is_skipped);
