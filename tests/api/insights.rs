//! The owner's insights on both backends: the figures of a seeded day are
//! exactly what was done, unanswered questions are grouped by their words,
//! the playground answers without making a conversation, and bad ranges
//! and strangers are refused.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::{answers::ask, assert_envelope};

pub const KNOWN: &str = "Within how many days can I return an item for a refund?";

pub async fn body(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).expect("json")
}

pub async fn vote(app: &TestApp, token: &str, reply: &Value, rating: &str) {
    let id = reply["id"].as_str().expect("reply id");
    let res = app
        .post_json(
            &format!("/api/v1/messages/{id}/feedback"),
            token,
            &json!({"rating": rating}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
}

async fn insights(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    crate::knowledge::load(&app, &site.admin_key).await;
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation_id(&visitor).await;

    let answered = ask(&app, &visitor, &conv, KNOWN).await;
    assert!(
        !answered["citations"]
            .as_array()
            .expect("citations")
            .is_empty(),
        "{answered}"
    );
    vote(&app, &visitor, &answered, "up").await;
    let missed = ask(&app, &visitor, &conv, "What is the capital of Australia?").await;
    vote(&app, &visitor, &missed, "down").await;
    ask(
        &app,
        &visitor,
        &conv,
        "Australia: which city is its capital?",
    )
    .await;
    ask(&app, &visitor, &conv, "I want to talk to a human").await;

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let path = format!("/api/v1/sites/{}/insights", site.id);
    let day = body(
        app.get_auth(&format!("{path}?from={today}&to={today}"), &site.admin_key)
            .await,
    )
    .await;
    assert_eq!(day["days"].as_array().map(Vec::len), Some(1), "{day}");
    let d = &day["days"][0];
    assert_eq!(d["date"], today.as_str());
    let expected = json!({
        "conversations": 1, "messages": 4, "answered": 1, "unanswered": 2,
        "handoffs": 1, "thumbs_up": 1, "thumbs_down": 1,
    });
    for (k, v) in expected.as_object().expect("object") {
        assert_eq!(&d[k], v, "{k} in {d}");
        assert_eq!(&day["totals"][k], v, "total {k}");
    }
    // The default range is the last 30 days, every one listed.
    let month = body(app.get_auth(&path, &site.admin_key).await).await;
    assert_eq!(month["days"].as_array().map(Vec::len), Some(30));
    assert_eq!(month["days"][29]["date"], today.as_str());
    assert_eq!(month["totals"]["answered"], 1);

    // The two wordings of one unanswered question are one group.
    let list = body(
        app.get_auth(&format!("{path}/unanswered"), &site.admin_key)
            .await,
    )
    .await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items[0]["count"], 2, "{list}");
    assert_eq!(
        items[0]["question"],
        "Australia: which city is its capital?"
    );
    assert_eq!(items[0]["conversation_ids"], json!([conv]));
    assert!(
        items
            .iter()
            .any(|i| i["question"] == "I want to talk to a human"),
        "a hand-over is listed: {list}"
    );
    assert!(!items.iter().any(|i| i["question"] == KNOWN), "{list}");

    // Bad ranges, strangers.
    for bad in [
        "?from=2026-13-01",
        "?from=2026-02-01&to=2026-01-01",
        "?from=2020-01-01&to=2026-01-01",
        "?week=1",
    ] {
        assert_envelope(
            app.get_auth(&format!("{path}{bad}"), &site.admin_key).await,
            400,
            "validation_failed",
        )
        .await;
    }
    assert_envelope(app.get_auth(&path, &visitor).await, 403, "forbidden").await;
    let other = app.site().await;
    assert_envelope(
        app.get_auth(&path, &other.admin_key).await,
        403,
        "forbidden",
    )
    .await;
}
on_both_backends!(insights_count_what_happened, super::insights);

async fn playground(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    crate::knowledge::load(&app, &site.admin_key).await;
    let path = format!("/api/v1/sites/{}/knowledge/try", site.id);
    let tried = body(
        app.post_json(&path, &site.admin_key, &json!({"q": KNOWN}))
            .await,
    )
    .await;
    assert_eq!(
        tried["results"][0]["title"], "Returns and refunds",
        "{tried}"
    );
    assert!(
        tried["results"][0]["score"]
            .as_f64()
            .is_some_and(|s| s > 0.0),
        "{tried}"
    );
    assert!(
        tried["answer"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("30 days")),
        "{tried}"
    );
    assert_eq!(
        tried["answer"]["citations"][0]["title"],
        "Returns and refunds"
    );
    assert_eq!(tried["answer"]["retrieval"]["decision"], "answered");
    assert_eq!(tried["handoff"], false);
    let human = body(
        app.post_json(
            &path,
            &site.admin_key,
            &json!({"q": "Can I talk to a person?", "language": "en"}),
        )
        .await,
    )
    .await;
    assert_eq!(human["handoff"], true, "{human}");
    let missing = body(
        app.post_json(
            &path,
            &site.admin_key,
            &json!({"q": "What is the capital of Australia?"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        missing["answer"]["retrieval"]["decision"], "not_found",
        "{missing}"
    );
    // Nothing was stored.
    let list = body(app.get_auth("/api/v1/conversations", &site.admin_key).await).await;
    assert_eq!(list["items"], json!([]));
    assert_envelope(
        app.post_json(&path, &site.admin_key, &json!({"q": " "}))
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_envelope(
        app.post_json(
            &path,
            &site.admin_key,
            &json!({"q": "x", "language": "not a tag"}),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    let visitor = app.visitor(&site.id).await;
    assert_envelope(
        app.post_json(&path, &visitor, &json!({"q": KNOWN})).await,
        403,
        "forbidden",
    )
    .await;
}
on_both_backends!(
    the_playground_answers_without_a_conversation,
    super::playground
);

/// Sets when conversation `id` was handed over, straight in the database
/// (the server stamps it with the present), and drops its live events as
/// the housekeeping job would after some days.
async fn handed_over(app: &TestApp, id: &str, at: chrono::DateTime<chrono::Utc>) {
    use sqlx::Connection;
    if app.database_url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query("UPDATE conversations SET handed_over_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&mut c)
            .await
            .expect("update");
        sqlx::query("DELETE FROM events WHERE conversation_id = $1")
            .bind(id)
            .execute(&mut c)
            .await
            .expect("prune");
    } else {
        let mut c = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query("UPDATE conversations SET handed_over_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&mut c)
            .await
            .expect("update");
        sqlx::query("DELETE FROM events WHERE conversation_id = $1")
            .bind(id)
            .execute(&mut c)
            .await
            .expect("prune");
    }
}

/// An agent's reply in conversation `id`; its time.
async fn agent_reply(app: &TestApp, key: &str, id: &str) -> chrono::DateTime<chrono::Utc> {
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            key,
            &json!({"content": "Hello, a person here.", "role": "agent"}),
        )
        .await;
    let posted = body(res).await;
    let at = posted["message"]["created_at"]
        .as_str()
        .expect("created_at");
    chrono::DateTime::parse_from_rfc3339(at)
        .expect("rfc3339")
        .with_timezone(&chrono::Utc)
}

async fn handovers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    // Three hand-overs today: one asked for in a message, two through the
    // route; two answered by a person after 90 and 30 seconds, one not yet.
    let first = app.conversation_id(&visitor).await;
    ask(&app, &visitor, &first, "I want to talk to a human").await;
    let mut waits = Vec::new();
    for (conv, secs) in [
        (first.clone(), 90),
        (app.conversation_id(&visitor).await, 30),
    ] {
        if conv != first {
            let res = app
                .post_json(
                    &format!("/api/v1/conversations/{conv}/handoff"),
                    &visitor,
                    &json!({}),
                )
                .await;
            assert!(res.status().is_success(), "{}", res.status());
        }
        let replied = agent_reply(&app, &site.admin_key, &conv).await;
        handed_over(&app, &conv, replied - chrono::Duration::seconds(secs)).await;
        waits.push(secs);
    }
    let waiting = app.conversation_id(&visitor).await;
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{waiting}/handoff"),
            &visitor,
            &json!({}),
        )
        .await;
    assert!(res.status().is_success());

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let path = format!("/api/v1/sites/{}/insights?from={today}&to={today}", site.id);
    let day = body(app.get_auth(&path, &site.admin_key).await).await;
    assert_eq!(
        day["days"][0]["handoffs"], 3,
        "counted without the pruned events: {day}"
    );
    assert_eq!(day["days"][0]["median_first_response_seconds"], 30, "{day}");
    assert_eq!(day["totals"]["median_first_response_seconds"], 30);
    // A day without hand-overs has no median.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let before = body(
        app.get_auth(
            &format!(
                "/api/v1/sites/{}/insights?from={yesterday}&to={yesterday}",
                site.id
            ),
            &site.admin_key,
        )
        .await,
    )
    .await;
    assert!(
        before["days"][0]
            .get("median_first_response_seconds")
            .is_none(),
        "{before}"
    );
    assert_eq!(before["days"][0]["handoffs"], 0);

    // The same figures as CSV.
    let res = app
        .get_auth(
            &format!(
                "/api/v1/sites/{}/insights.csv?from={today}&to={today}",
                site.id
            ),
            &site.admin_key,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv"),
        "{:?}",
        res.headers()
    );
    let csv = res.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("date,conversations,"), "{csv}");
    assert!(lines[0].ends_with("median_first_response_seconds"));
    assert!(
        lines[1].starts_with(&today) && lines[1].ends_with(",3,0,0,30"),
        "{csv}"
    );
    assert_envelope(
        app.get_auth(
            &format!("/api/v1/sites/{}/insights.csv?from=x", site.id),
            &site.admin_key,
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(waits, [90, 30]);
}
on_both_backends!(handovers_and_first_responses, super::handovers);

async fn top_cited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    crate::knowledge::load(&app, &site.admin_key).await;
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation_id(&visitor).await;
    ask(&app, &visitor, &conv, KNOWN).await;
    ask(
        &app,
        &visitor,
        &conv,
        "How many days do I have to return an item for a refund?",
    )
    .await;
    let list = body(
        app.get_auth(
            &format!("/api/v1/sites/{}/insights/documents", site.id),
            &site.admin_key,
        )
        .await,
    )
    .await;
    let top = &list["items"][0];
    assert_eq!(top["title"], "Returns and refunds", "{list}");
    assert_eq!(top["count"], 2, "{list}");
    assert!(top["document_id"].is_string(), "{list}");
}
on_both_backends!(top_cited_documents, super::top_cited);
