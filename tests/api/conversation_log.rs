//! The owner's conversation log on both backends: conversations seeded
//! answered, unanswered, handed over, voted up and down, in two languages
//! and on two dates; each filter lists exactly the right ones, pages hold,
//! bad filters are refused in the envelope, and each transcript shows the
//! decision behind every bot answer to the team — never to the visitor.

use lantern_tests::{Backend, TestApp, backend::raw_exec, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    answers::ask,
    assert_envelope,
    insights::{KNOWN, body, vote},
};

/// A new conversation of `token` in `language`.
async fn started(app: &TestApp, token: &str, language: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/conversations",
            token,
            &json!({"language": language}),
        )
        .await;
    body(res).await["id"].as_str().expect("id").to_string()
}

/// The ids the log lists for `query`, in order.
async fn listed(app: &TestApp, site: &str, key: &str, query: &str) -> Vec<String> {
    let page = body(
        app.get_auth(
            &format!("/api/v1/sites/{site}/conversations/log{query}"),
            key,
        )
        .await,
    )
    .await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

/// The transcript of `id` read with `key`: its messages.
pub async fn transcript(app: &TestApp, key: &str, id: &str) -> Vec<Value> {
    let page = body(
        app.get_auth(
            &format!("/api/v1/conversations/{id}/transcript?limit=100"),
            key,
        )
        .await,
    )
    .await;
    page["items"].as_array().expect("items").clone()
}

/// The decision shown on the last bot answer of `messages`.
pub fn last_decision(messages: &[Value]) -> &Value {
    &messages
        .iter()
        .rev()
        .find(|m| m["role"] == "assistant")
        .expect("a bot answer")["decision"]
}

async fn conversation_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let key = site.admin_key.as_str();
    crate::knowledge::load(&app, key).await;
    let visitor = app.visitor(&site.id).await;

    // Answered from the knowledge base, voted up.
    let answered = started(&app, &visitor, "en").await;
    let reply = ask(&app, &visitor, &answered, KNOWN).await;
    vote(&app, &visitor, &reply, "up").await;
    // Not answered, no vote.
    let missed = started(&app, &visitor, "en").await;
    ask(&app, &visitor, &missed, "What is the capital of Australia?").await;
    // Handed over, in French.
    let handed = started(&app, &visitor, "fr").await;
    ask(&app, &visitor, &handed, "I want to talk to a human").await;
    // Answered but voted down, weeks ago, stored before decisions were kept.
    let old = started(&app, &visitor, "en-GB").await;
    let reply = ask(&app, &visitor, &old, KNOWN).await;
    vote(&app, &visitor, &reply, "down").await;
    let then = chrono::Utc::now() - chrono::Duration::days(40);
    let then_day = then.format("%Y-%m-%d").to_string();
    raw_exec(
        &app.database_url,
        &format!("UPDATE conversations SET created_at = '{then_day}T10:00:00+00:00' WHERE id = $1"),
        &old,
    )
    .await;
    raw_exec(
        &app.database_url,
        "UPDATE messages SET retrieval = NULL WHERE conversation_id = $1",
        &old,
    )
    .await;

    let all = listed(&app, &site.id, key, "").await;
    assert_eq!(
        all,
        [
            old.as_str(),
            handed.as_str(),
            missed.as_str(),
            answered.as_str()
        ],
        "newest first"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for (query, expected) in [
        ("?status=handoff", vec![handed.as_str()]),
        (
            "?status=open",
            vec![old.as_str(), missed.as_str(), answered.as_str()],
        ),
        ("?rating=up", vec![answered.as_str()]),
        ("?rating=down", vec![old.as_str()]),
        ("?rating=none", vec![handed.as_str(), missed.as_str()]),
        (
            "?unanswered=true",
            vec![old.as_str(), handed.as_str(), missed.as_str()],
        ),
        ("?unanswered=false", vec![answered.as_str()]),
        ("?language=fr", vec![handed.as_str()]),
        (
            "?language=en",
            vec![old.as_str(), missed.as_str(), answered.as_str()],
        ),
        ("?language=en-gb", vec![old.as_str()]),
        (
            "?unanswered=true&language=en",
            vec![old.as_str(), missed.as_str()],
        ),
    ] {
        assert_eq!(
            listed(&app, &site.id, key, query).await,
            expected,
            "{query}"
        );
    }
    let dated = format!("?from={then_day}&to={then_day}");
    assert_eq!(listed(&app, &site.id, key, &dated).await, [old.as_str()]);
    let since = format!("?from={today}");
    assert_eq!(
        listed(&app, &site.id, key, &since).await,
        [handed.as_str(), missed.as_str(), answered.as_str()]
    );

    // What each entry says happened.
    let page = body(
        app.get_auth(&format!("/api/v1/sites/{}/conversations/log", site.id), key)
            .await,
    )
    .await;
    let entry = |id: &str| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .expect("listed")
    };
    let a = entry(&answered);
    assert_eq!(a["question"], KNOWN, "{a}");
    assert_eq!(
        (a["thumbs_up"].as_i64(), a["thumbs_down"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(a["unanswered"], 0);
    assert_eq!(entry(&missed)["unanswered"], 1);
    assert_eq!(entry(&handed)["status"], "handoff");
    assert_eq!(entry(&handed)["language"], "fr");
    assert_eq!(entry(&old)["thumbs_down"], 1);

    // Pages of two.
    let path = format!("/api/v1/sites/{}/conversations/log?limit=2", site.id);
    let first = body(app.get_auth(&path, key).await).await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = body(app.get_auth(&format!("{path}&cursor={cursor}"), key).await).await;
    let ids: Vec<&str> = second["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [missed.as_str(), answered.as_str()]);
    assert!(second["next_cursor"].is_null(), "{second}");

    // The decision behind each answer, for the team.
    let kb = transcript(&app, key, &answered).await;
    let d = last_decision(&kb);
    assert_eq!(d["kind"], "knowledge_base", "{d}");
    assert!(d["confidence"].as_f64().is_some_and(|c| c > 0.5), "{d}");
    assert!(d["threshold"].as_f64().is_some(), "{d}");
    assert!(
        d["document_ids"]
            .as_array()
            .is_some_and(|ids| !ids.is_empty()),
        "{d}"
    );
    assert_eq!(kb.last().expect("reply")["rating"], "up");
    assert_eq!(kb[0]["decision"]["kind"], "welcome", "{kb:?}");
    assert!(
        kb.iter()
            .filter(|m| m["role"] == "user")
            .all(|m| m.get("decision").is_none()),
        "visitor messages carry no decision"
    );
    let none = transcript(&app, key, &missed).await;
    assert_eq!(last_decision(&none)["kind"], "not_answered");
    assert!(
        last_decision(&none)["confidence"]
            .as_f64()
            .is_some_and(|c| c < 0.6)
    );
    let human = transcript(&app, key, &handed).await;
    assert_eq!(last_decision(&human)["kind"], "handed_over");
    let before = transcript(&app, key, &old).await;
    assert_eq!(last_decision(&before)["kind"], "unknown");

    // Never to the visitor: no transcript, and no decision in what they read.
    let path = format!("/api/v1/conversations/{answered}/transcript");
    assert_envelope(app.get_auth(&path, &visitor).await, 403, "forbidden").await;
    let own = app
        .get_auth(
            &format!("/api/v1/conversations/{answered}/messages"),
            &visitor,
        )
        .await
        .text()
        .await
        .expect("body");
    assert!(
        !own.contains("decision") && !own.contains("knowledge_base"),
        "{own}"
    );
    let posted = app
        .post_json(
            &format!("/api/v1/conversations/{answered}/messages"),
            &visitor,
            &json!({"content": KNOWN}),
        )
        .await
        .text()
        .await
        .expect("body");
    assert!(
        !posted.contains("decision") && !posted.contains("confidence"),
        "{posted}"
    );

    // Owners read the log; agents read transcripts but not the log.
    app.person("owner@log.example", &site.id, "owner").await;
    app.person("agent@log.example", &site.id, "agent").await;
    let log = format!(
        "/api/v1/sites/{}/conversations/log?unanswered=true",
        site.id
    );
    let mut owner = app.signed_in("owner@log.example").await;
    assert_eq!(
        body(owner.get(&log).await).await["items"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let mut agent = app.signed_in("agent@log.example").await;
    assert_envelope(agent.get(&log).await, 403, "forbidden").await;
    let mut headers = lantern_tests::people::same_origin_headers(&app);
    headers.push(("x-lantern-site", site.id.clone()));
    let res = agent
        .send_with(
            Method::GET,
            &format!("/api/v1/conversations/{missed}/transcript"),
            None,
            &headers,
        )
        .await;
    assert_eq!(
        last_decision(body(res).await["items"].as_array().expect("items"))["kind"],
        "not_answered"
    );

    // Bad filters, strangers.
    for bad in [
        "?status=waiting",
        "?rating=sideways",
        "?unanswered=maybe",
        "?language=not%20a%20tag",
        "?from=2026-13-01",
        "?from=2026-2-1",
        "?from=2026-02-02&to=2026-02-01",
        "?cursor=abc",
        "?limit=0",
        "?limit=101",
        "?week=1",
    ] {
        assert_envelope(
            app.get_auth(
                &format!("/api/v1/sites/{}/conversations/log{bad}", site.id),
                key,
            )
            .await,
            400,
            "validation_failed",
        )
        .await;
    }
    let log = format!("/api/v1/sites/{}/conversations/log", site.id);
    assert_envelope(app.get_auth(&log, &visitor).await, 403, "forbidden").await;
    let other = app.site().await;
    assert_envelope(app.get_auth(&log, &other.admin_key).await, 403, "forbidden").await;
    assert_envelope(
        app.get_auth(
            &format!("/api/v1/conversations/{missed}/transcript"),
            &other.admin_key,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}
on_both_backends!(
    the_conversation_log_filters_and_explains,
    super::conversation_log
);
