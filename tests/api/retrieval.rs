//! Language-aware retrieval on both backends: documents and questions are
//! analysed in their language (stems, stop words, Arabic and accent
//! folding); follow-up questions are searched with the conversation; bad
//! queries give results or an empty list, never an error.

use std::time::{Duration, Instant};

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::answers::ask;

async fn post_doc(app: &TestApp, key: &str, doc: Value) {
    let res = app
        .post_json("/api/v1/knowledge/documents", key, &doc)
        .await;
    assert_eq!(res.status(), 201, "document created");
}

pub(crate) async fn search(app: &TestApp, site: &str, q: &str, lang: Option<&str>) -> Value {
    let mut query = vec![("q", q)];
    if let Some(l) = lang {
        query.push(("lang", l));
    }
    let res = app
        .client
        .get(app.url(&format!("/api/v1/sites/{site}/knowledge/search")))
        .query(&query)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200, "search of {q:?}");
    res.json().await.expect("json")
}

fn first_url(body: &Value) -> Option<&str> {
    body["results"][0]["url"].as_str()
}

/// Each language's words meet their other forms; Arabic without diacritics
/// finds text written with them; the language is detected when not given.
async fn languages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let key = &site.admin_key;
    post_doc(
        &app,
        key,
        json!({"title": "Imprimantes", "url": "/fr/imprimantes", "language": "fr",
        "body": "Pour ajouter une imprimante, ouvrez les Paramètres et choisissez Imprimantes."}),
    )
    .await;
    post_doc(
        &app,
        key,
        json!({"title": "Écran", "url": "/fr/ecran", "language": "fr",
        "body": "Changez la luminosité de l'écran dans les réglages d'énergie."}),
    )
    .await;
    post_doc(
        &app,
        key,
        json!({"title": "كلمة المرور", "url": "/ar/password", "language": "ar",
        "body": "لتغيير كَلِمَةِ المُرُورِ افتح الإعدادات ثم اختر المستخدمين."}),
    )
    .await;
    post_doc(
        &app,
        key,
        json!({"title": "الطابعات", "url": "/ar/printers", "language": "ar",
        "body": "لإضافة طابعة جديدة افتح لوحة الطابعات."}),
    )
    .await;
    post_doc(
        &app,
        key,
        json!({"title": "Printers", "url": "/en/printers", "language": "en",
        "body": "To add a printer, open Settings and choose Printers."}),
    )
    .await;

    // French plural and accents, with and without the language given.
    let body = search(&app, &site.id, "ajouter des imprimantes", Some("fr")).await;
    assert_eq!(first_url(&body), Some("/fr/imprimantes"), "{body}");
    let body = search(
        &app,
        &site.id,
        "Comment régler la luminosité de l'ecran ?",
        None,
    )
    .await;
    assert_eq!(first_url(&body), Some("/fr/ecran"), "{body}");
    // Arabic: no diacritics in the question, letter variants, detected.
    let body = search(&app, &site.id, "كيف اغير كلمة المرور", None).await;
    assert_eq!(first_url(&body), Some("/ar/password"), "{body}");
    let body = search(&app, &site.id, "إضافة طابعة", Some("en")).await;
    assert_eq!(first_url(&body), Some("/ar/printers"), "{body}");
    // English stems: "adding printers" meets "add a printer".
    let body = search(&app, &site.id, "adding printers", Some("en")).await;
    assert_eq!(first_url(&body), Some("/en/printers"), "{body}");
    let snippet = body["results"][0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>printer</mark>"), "{snippet}");
}
on_both_backends!(search_is_language_aware, super::languages);

/// Stop words only, punctuation, FTS operators, mixed scripts, marks,
/// the longest query: a list (maybe empty), fast, never an error.
async fn bad_queries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    crate::knowledge::load(&app, &site.admin_key).await;
    let long = "refund ".repeat(71);
    let queries = [
        "the of and is",
        "?!... ---",
        "\"refund",
        "refund*",
        "NEAR(refund shipping)",
        "title:refund",
        "refund & shipping | !customs",
        "' OR 1=1 --",
        "\u{200F}refund \u{202E}شحن",
        "refund الشحن Versand",
        "كيف هل في من",
        long.trim(),
    ];
    let mut times = Vec::new();
    for q in queries {
        let t = Instant::now();
        let body = search(&app, &site.id, q, None).await;
        times.push(t.elapsed());
        assert!(body["results"].is_array(), "{q:?}: {body}");
    }
    let body = search(&app, &site.id, "the of and is", Some("en")).await;
    assert_eq!(body["results"], json!([]));
    let body = search(&app, &site.id, "\"refund*", Some("en")).await;
    assert_eq!(first_url(&body), Some("/help/returns"), "{body}");
    times.sort();
    assert!(
        times[times.len() - 1] < Duration::from_secs(2),
        "slowest bad query {:?}",
        times[times.len() - 1]
    );
}
on_both_backends!(bad_queries_are_harmless, super::bad_queries);

/// "And how much does it cost?" is searched with the conversation: alone it
/// cannot tell which product "it" is, so each order of questions must give
/// its own product's price.
async fn follow_ups(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let key = &site.admin_key;
    post_doc(&app, key, json!({"title": "Lantern Pro", "url": "/pro",
        "body": "# Lantern Pro\n\nLantern Pro answers visitors of large shops in every language.\n\n## Price\n\nLantern Pro costs 20 euros a month."})).await;
    post_doc(&app, key, json!({"title": "Lantern Lite", "url": "/lite",
        "body": "# Lantern Lite\n\nLantern Lite is the small edition for personal blogs.\n\n## Price\n\nLantern Lite costs 5 euros a month."})).await;
    let visitor = app.visitor(&site.id).await;
    for (first, url, price) in [
        (
            "What is the small edition for personal blogs?",
            "/lite",
            "5 euros",
        ),
        (
            "Which edition answers visitors of large shops?",
            "/pro",
            "20 euros",
        ),
    ] {
        let id = app.conversation_id(&visitor).await;
        let reply = ask(&app, &visitor, &id, first).await;
        assert_eq!(reply["citations"][0]["url"], url, "{reply}");
        let reply = ask(&app, &visitor, &id, "And how much does it cost?").await;
        assert_eq!(reply["citations"][0]["url"], url, "{reply}");
        let content = reply["content"].as_str().expect("content");
        assert!(content.contains(price), "{content}");
    }
}
on_both_backends!(follow_ups_use_the_conversation, super::follow_ups);

/// The `retrieval` column of the newest assistant message: how the reply
/// was decided, stored for the owner's insights.
async fn last_decision(app: &TestApp, backend: Backend) -> Value {
    let sql = "SELECT retrieval FROM messages WHERE role = 'assistant' AND retrieval IS NOT NULL \
               ORDER BY created_at DESC, seq DESC LIMIT 1";
    let text: String = match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database_url)
                .await
                .expect("open");
            sqlx::query_scalar(sql).fetch_one(&pool).await.expect("row")
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database_url)
                .await
                .expect("open");
            let sql = sql.replace("SELECT retrieval", "SELECT CAST(retrieval AS TEXT)");
            sqlx::query_scalar(&sql)
                .fetch_one(&pool)
                .await
                .expect("row")
        }
    };
    serde_json::from_str(&text).expect("json")
}

/// Curated answers come ahead of retrieval, cited as curated; the site's
/// threshold decides when the bot says it does not know; each reply keeps
/// its decision and scores.
async fn curated_and_threshold(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    crate::knowledge::load(&app, &site.admin_key).await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;

    let res = app
        .post_json(
            "/api/v1/knowledge/answers",
            &site.admin_key,
            &json!({"question": "How long does a refund take?", "answer": "Refunds take **5 days**."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    let list: Value = app
        .get_auth("/api/v1/knowledge/answers", &site.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"][0]["id"], created["id"], "{list}");
    let refused = app
        .post_json(
            "/api/v1/knowledge/answers",
            &visitor,
            &json!({"question": "q", "answer": "a"}),
        )
        .await;
    crate::assert_envelope(refused, 403, "forbidden").await;
    let refused = app
        .post_json(
            "/api/v1/knowledge/answers",
            &site.admin_key,
            &json!({"question": "the of and", "answer": "a"}),
        )
        .await;
    crate::assert_envelope(refused, 400, "validation_failed").await;

    let reply = ask(&app, &visitor, &id, "how long do refunds take?").await;
    assert!(
        reply["content"].as_str().expect("c").contains("5 days"),
        "{reply}"
    );
    let cited = reply["citations"][0]["title"].as_str().expect("title");
    assert!(cited.starts_with("Curated answer"), "{reply}");
    assert_eq!(last_decision(&app, backend).await["decision"], "curated");

    let reply = ask(&app, &visitor, &id, "Do you ship to other countries?").await;
    assert_eq!(reply["citations"][0]["url"], "/help/shipping", "{reply}");
    let decision = last_decision(&app, backend).await;
    assert_eq!(decision["decision"], "answered", "{decision}");
    assert!(
        decision["confidence"].as_f64().expect("confidence") > 0.6,
        "{decision}"
    );

    // A site that wants every word found: the same kind of question is
    // now below its threshold.
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/sites/{}", site.id)))
        .bearer_auth(&site.admin_key)
        .json(&json!({"answer_threshold": 1.0}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let settings: Value = res.json().await.expect("json");
    assert_eq!(settings["answer_threshold"], 1.0);
    let reply = ask(
        &app,
        &visitor,
        &id,
        "Do you ship parcels to other countries?",
    )
    .await;
    assert_eq!(reply["citations"], json!([]), "{reply}");
    let decision = last_decision(&app, backend).await;
    assert_eq!(decision["decision"], "not_found", "{decision}");
    assert_eq!(decision["threshold"], 1.0, "{decision}");

    let path = format!(
        "/api/v1/knowledge/answers/{}",
        created["id"].as_str().expect("id")
    );
    let del = || {
        app.client
            .delete(app.url(&path))
            .bearer_auth(&site.admin_key)
            .send()
    };
    assert_eq!(del().await.expect("sent").status(), 204);
    crate::assert_envelope(del().await.expect("sent"), 404, "not_found").await;
}
on_both_backends!(
    curated_answers_and_the_threshold,
    super::curated_and_threshold
);
