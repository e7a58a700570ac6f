//! The visitor panel's API on both backends: a verified identify tells
//! name, email and attributes (an unverified one does not; oversized
//! attributes are refused and nothing is kept), the browser's User-Agent
//! and time zone become browser, OS and local time, members list, search
//! and edit visitors and keep notes on them; another site's visitor is 404.

use lantern_tests::{Backend, TestApp, app::ALLOWED_ORIGIN, identity, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

use crate::assert_envelope;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87";

async fn body(res: reqwest::Response) -> Value {
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert!(status.is_success(), "{status}: {v}");
    v
}

/// Asks for a visitor from the allowed origin with a User-Agent.
async fn visitor_with(app: &TestApp, site_id: &str, ua: &str, req: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/sites/{site_id}/visitors")))
        .header("origin", ALLOWED_ORIGIN)
        .header("user-agent", ua)
        .json(&req)
        .send()
        .await
        .expect("sent")
}

async fn conversation_with(app: &TestApp, token: &str, ua: &str, req: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/conversations"))
        .bearer_auth(token)
        .header("user-agent", ua)
        .json(&req)
        .send()
        .await
        .expect("sent")
}

async fn profiles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let other = app.site().await;
    app.person("olive@v.example", &site.id, "owner").await;
    app.person("sam@v.example", &site.id, "agent").await;
    let mut agent = app.signed_in("sam@v.example").await;
    let secret = identity::new_secret(&app, &site.id, &site.admin_key).await;

    // A verified identify keeps name, email and attributes.
    let ada = body(
        visitor_with(
            &app,
            &site.id,
            FIREFOX,
            json!({
                "user_id": "u-1", "user_hash": identity::sign(&secret, "u-1"),
                "name": "Ada Lovelace", "email": "ada@example.com",
                "attributes": {"plan": "pro", "seats": 3, "trial": false},
            }),
        )
        .await,
    )
    .await;
    let ada_id = ada["visitor_id"].as_str().expect("id").to_string();
    let ada_token = ada["token"].as_str().expect("token").to_string();

    // An anonymous visitor's claims are not kept.
    let anon = body(
        visitor_with(
            &app,
            &site.id,
            FIREFOX,
            json!({"name": "Mallory", "email": "m@evil.example"}),
        )
        .await,
    )
    .await;
    let anon_id = anon["visitor_id"].as_str().expect("id").to_string();
    let anon_token = anon["token"].as_str().expect("token").to_string();

    // Oversized attributes: 400, and no visitor is created for u-2.
    let many: serde_json::Map<String, Value> =
        (0..21).map(|i| (format!("k{i}"), json!(i))).collect();
    let res = visitor_with(
        &app,
        &site.id,
        FIREFOX,
        json!({
            "user_id": "u-2", "user_hash": identity::sign(&secret, "u-2"), "attributes": many,
        }),
    )
    .await;
    assert_envelope(res, 400, "validation_failed").await;
    let res = visitor_with(
        &app,
        &site.id,
        FIREFOX,
        json!({
            "user_id": "u-2", "user_hash": identity::sign(&secret, "u-2"),
            "attributes": {"note": "x".repeat(201)},
        }),
    )
    .await;
    assert_envelope(res, 400, "validation_failed").await;
    let found = body(agent.get("/api/v1/visitors?q=u-2").await).await;
    assert_eq!(
        found["items"].as_array().expect("items").len(),
        0,
        "{found}"
    );

    // Conversations tell the browser and the time zone; a bad zone is 400.
    let res = conversation_with(
        &app,
        &ada_token,
        EDGE,
        json!({"time_zone": "Europe/Paris<b>"}),
    )
    .await;
    assert_envelope(res, 400, "validation_failed").await;
    let first =
        body(conversation_with(&app, &ada_token, EDGE, json!({"time_zone": "Europe/Paris"})).await)
            .await;
    let second = body(conversation_with(&app, &ada_token, EDGE, json!({})).await).await;
    assert_eq!(second["visitor_id"], ada_id.as_str());

    let p = body(agent.get(&format!("/api/v1/visitors/{ada_id}")).await).await;
    assert_eq!(p["id"], ada_id.as_str());
    assert_eq!(p["name"], "Ada Lovelace");
    assert_eq!(p["email"], "ada@example.com");
    assert_eq!(p["user_id"], "u-1");
    assert_eq!(
        p["attributes"],
        json!({"plan": "pro", "seats": 3, "trial": false})
    );
    assert_eq!(p["browser"], "Edge 126", "{p}");
    assert_eq!(p["os"], "Windows", "{p}");
    assert_eq!(
        p["time_zone"], "Europe/Paris",
        "a later conversation without a zone keeps it: {p}"
    );
    assert!(p["last_seen_at"].is_string(), "{p}");
    assert!(p["created_at"].is_string(), "{p}");

    let p = body(agent.get(&format!("/api/v1/visitors/{anon_id}")).await).await;
    assert!(
        p["name"].is_null() && p["email"].is_null(),
        "unverified claims kept: {p}"
    );
    assert_eq!(p["browser"], "Firefox 128", "{p}");
    assert_eq!(p["os"], "Linux", "{p}");

    // The email left for a reply shows as the contact email.
    let conv = app.conversation_id(&anon_token).await;
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv}/contact"),
            &anon_token,
            &json!({"email": "anon@example.com"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let p = body(agent.get(&format!("/api/v1/visitors/{anon_id}")).await).await;
    assert_eq!(p["contact_email"], "anon@example.com", "{p}");
    assert!(p["email"].is_null(), "{p}");

    // Earlier conversations of one visitor.
    let list = body(
        agent
            .get(&format!("/api/v1/conversations?visitor_id={ada_id}"))
            .await,
    )
    .await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        vec![
            second["id"].as_str().expect("id"),
            first["id"].as_str().expect("id")
        ]
    );
    assert_envelope(
        agent.get("/api/v1/conversations?visitor_id=nope").await,
        400,
        "validation_failed",
    )
    .await;

    // Search by name, email, user id, left email; pages.
    for q in ["ada", "LOVELACE", "example.com", "u-1"] {
        let found = body(agent.get(&format!("/api/v1/visitors?q={q}")).await).await;
        assert!(
            found["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|v| v["id"] == ada_id.as_str()),
            "{q}: {found}"
        );
    }
    let found = body(agent.get("/api/v1/visitors?q=anon%40").await).await;
    assert_eq!(found["items"][0]["id"], anon_id.as_str(), "{found}");
    let found = body(agent.get("/api/v1/visitors?q=%25").await).await;
    assert_eq!(
        found["items"].as_array().expect("items").len(),
        0,
        "% is not a wildcard: {found}"
    );
    let page = body(agent.get("/api/v1/visitors?limit=1").await).await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let page2 = body(
        agent
            .get(&format!("/api/v1/visitors?limit=1&cursor={cursor}"))
            .await,
    )
    .await;
    assert_ne!(page2["items"][0]["id"], page["items"][0]["id"]);
    assert_envelope(
        agent.get("/api/v1/visitors?limit=500").await,
        400,
        "validation_failed",
    )
    .await;

    // A member edits name and email; "" clears; a bad email is refused.
    let p = body(
        agent
            .send(
                Method::PATCH,
                &format!("/api/v1/visitors/{ada_id}"),
                Some(json!({"name": "Ada L.", "email": ""})),
            )
            .await,
    )
    .await;
    assert_eq!(p["name"], "Ada L.");
    assert!(p["email"].is_null(), "{p}");
    let res = agent
        .send(
            Method::PATCH,
            &format!("/api/v1/visitors/{ada_id}"),
            Some(json!({"email": "nope"})),
        )
        .await;
    assert_envelope(res, 400, "validation_failed").await;
    let res = agent
        .send(
            Method::PATCH,
            &format!("/api/v1/visitors/{ada_id}"),
            Some(json!({"phone": "1"})),
        )
        .await;
    assert_eq!(res.status(), 400);

    // Notes: stored with their author, bounded, per visitor of the site.
    let path = format!("/api/v1/visitors/{ada_id}/memories");
    let note = body(
        agent
            .post(&path, json!({"content": "Prefers email over phone"}))
            .await,
    )
    .await;
    assert_eq!(note["source"], "member");
    assert_eq!(note["content"], "Prefers email over phone");
    assert!(
        note["author"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{note}"
    );
    assert_envelope(
        agent
            .post(&path, json!({"content": "x".repeat(2001)}))
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_envelope(
        agent.post(&path, json!({"content": "  "})).await,
        400,
        "validation_failed",
    )
    .await;
    let notes = body(agent.get(&path).await).await;
    assert_eq!(notes["items"].as_array().expect("items").len(), 1);
    assert_eq!(notes["items"][0]["id"], note["id"]);

    // The visitor token reads none of this; another site's key sees 404.
    let res = app
        .get_auth(&format!("/api/v1/visitors/{ada_id}"), &ada_token)
        .await;
    assert_envelope(res, 403, "forbidden").await;
    let res = app.get_auth(&path, &ada_token).await;
    assert_envelope(res, 403, "forbidden").await;
    let res = app
        .get_auth(&format!("/api/v1/visitors/{ada_id}"), &other.admin_key)
        .await;
    assert_envelope(res, 404, "not_found").await;
    let res = app
        .post_json(&path, &other.admin_key, &json!({"content": "hi"}))
        .await;
    assert_envelope(res, 404, "not_found").await;
    let res = app
        .get_auth(&format!("/api/v1/visitors/{ada_id}"), &site.admin_key)
        .await;
    assert_eq!(res.status(), 200, "the site's admin key reads profiles");

    let one = format!("{path}/{}", note["id"].as_str().expect("id"));
    let res = agent.send(Method::DELETE, &one, None).await;
    assert_eq!(res.status(), 204);
    assert_envelope(
        agent.send(Method::DELETE, &one, None).await,
        404,
        "not_found",
    )
    .await;
    let notes = body(agent.get(&path).await).await;
    assert_eq!(notes["items"].as_array().expect("items").len(), 0);
}
on_both_backends!(visitor_profiles, super::profiles);
