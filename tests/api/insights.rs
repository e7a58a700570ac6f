//! The owner's insights on both backends: the figures of a seeded day are
//! exactly what was done, unanswered questions are grouped by their words,
//! the playground answers without making a conversation, and bad ranges
//! and strangers are refused.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::{answers::ask, assert_envelope};

const KNOWN: &str = "Within how many days can I return an item for a refund?";

async fn body(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).expect("json")
}

async fn vote(app: &TestApp, token: &str, reply: &Value, rating: &str) {
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
