//! Signed webhooks, delivered to a receiver on loopback that checks every
//! signature and fails on purpose at first.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use hmac::{Hmac, Mac};
use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::assert_envelope;

const ALL_EVENTS: [&str; 3] = [
    "conversation.created",
    "message.created",
    "conversation.handoff",
];

/// One request the receiver saw.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    answered: u16,
}

#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Received>>>,
    /// Requests answered 500 before the receiver starts accepting.
    fail_first: usize,
}

impl Receiver {
    /// Serves on 127.0.0.1:0; returns the URL to register.
    async fn start(fail_first: usize) -> (Receiver, String) {
        let receiver = Receiver {
            seen: Arc::default(),
            fail_first,
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(receiver.clone());
        let base = lantern_tests::serve(app).await;
        (receiver, format!("{base}/hook"))
    }

    fn delivered(&self) -> Vec<Received> {
        let seen = self.seen.lock().expect("lock");
        seen.iter().filter(|r| r.answered == 200).cloned().collect()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> http_status::Code {
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut seen = r.seen.lock().expect("lock");
    let answered = if seen.len() < r.fail_first { 500 } else { 200 };
    seen.push(Received {
        id: header("lantern-webhook-id"),
        timestamp: header("lantern-webhook-timestamp"),
        signature: header("lantern-webhook-signature"),
        body: String::from_utf8(body.to_vec()).expect("utf-8 body"),
        answered,
    });
    http_status::Code(answered)
}

mod http_status {
    /// A bare status code as a response.
    pub struct Code(pub u16);
    impl axum::response::IntoResponse for Code {
        fn into_response(self) -> axum::response::Response {
            axum::http::StatusCode::from_u16(self.0)
                .expect("valid status")
                .into_response()
        }
    }
}

/// What a receiver should do: recompute the HMAC over "{timestamp}.{body}"
/// with the endpoint's secret, compare in constant time, and refuse stale
/// timestamps.
fn verify(secret: &str, r: &Received) -> bool {
    let Ok(ts) = r.timestamp.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return false;
    }
    let Some(hex_sig) = r.signature.strip_prefix("v1=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{}.{}", r.timestamp, r.body).as_bytes());
    mac.verify_slice(&sig).is_ok()
}

async fn register(app: &TestApp, site: &str, key: &str, url: &str, events: &[&str]) -> Value {
    let res = app
        .post_json(
            &format!("/api/v1/sites/{site}/webhooks"),
            key,
            &json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(res.status(), 201, "webhook registration");
    res.json().await.expect("json")
}

async fn deliveries(app: &TestApp, site: &str, key: &str, hook: &str) -> Vec<Value> {
    let res = app
        .get_auth(
            &format!("/api/v1/sites/{site}/webhooks/{hook}/deliveries"),
            key,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    body["items"].as_array().expect("items").clone()
}

/// Polls the delivery log until `done` holds (or fails after 20 s).
async fn wait_for(
    app: &TestApp,
    site: &str,
    key: &str,
    hook: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..200 {
        let items = deliveries(app, site, key, hook).await;
        if done(&items) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{:#?}", deliveries(app, site, key, hook).await);
}

/// Every event type arrives signed; a delivery survives two 500s.
async fn events_arrive_signed_after_retries(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.webhook_retry_base_ms = 50;
        s.webhook_allow_private = true; // the receivers are on loopback
    })
    .await;
    let site = app.site().await;
    // A flaky receiver of one event type, and a healthy one of all three.
    let (flaky, flaky_url) = Receiver::start(2).await;
    let (receiver, url) = Receiver::start(0).await;
    let flaky_hook = register(
        &app,
        &site.id,
        &site.admin_key,
        &flaky_url,
        &["conversation.created"],
    )
    .await;
    let hook = register(&app, &site.id, &site.admin_key, &url, &ALL_EVENTS).await;
    let secret = hook["secret"].as_str().expect("secret shown once");
    let flaky_secret = flaky_hook["secret"].as_str().expect("secret shown once");
    assert_ne!(secret, flaky_secret);
    let hook_id = hook["id"].as_str().expect("id");
    assert_eq!(hook["url"], url);
    assert_eq!(hook["events"], json!(ALL_EVENTS));

    let token = app.visitor(&site.id).await;
    let conversation = app.conversation(&token).await;
    let conv_id = conversation["id"].as_str().expect("id");
    let flaky_id = flaky_hook["id"].as_str().expect("id");
    let first = wait_for(&app, &site.id, &site.admin_key, flaky_id, |items| {
        items.len() == 1 && items[0]["status"] == "delivered"
    })
    .await;
    assert_eq!(first[0]["event"], "conversation.created");
    assert_eq!(first[0]["attempts"], 3, "{first:?}");
    assert_eq!(first[0]["last_status_code"], 200);
    assert!(first[0]["delivered_at"].is_string());
    assert!(first[0]["next_attempt_at"].is_null());
    let flaky_seen = flaky.seen.lock().expect("lock").clone();
    let answers: Vec<u16> = flaky_seen.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [500, 500, 200]);
    // Every attempt carries the same event id, each signed afresh.
    assert!(
        flaky_seen
            .iter()
            .all(|r| r.id == flaky_seen[0].id && verify(flaky_secret, r))
    );

    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv_id}/messages"),
            &token,
            &json!({"content": "Hello there"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv_id}/handoff"),
            &token,
            &json!({}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());

    let log = wait_for(&app, &site.id, &site.admin_key, hook_id, |items| {
        items.iter().any(|d| d["event"] == "conversation.handoff")
            && items
                .iter()
                .all(|d| d["status"] == "delivered" && d["attempts"] == 1)
    })
    .await;
    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), log.len(), "{log:#?}");
    let mut types = Vec::new();
    for r in &delivered {
        assert!(verify(secret, r), "bad signature on {r:?}");
        let body: Value = serde_json::from_str(&r.body).expect("json body");
        assert_eq!(body["id"], r.id.as_str());
        assert_eq!(body["site_id"], site.id.as_str());
        assert!(body["created_at"].is_string());
        types.push(body["type"].as_str().expect("type").to_string());
        match body["type"].as_str() {
            Some("message.created") => assert_eq!(body["data"]["conversation_id"], conv_id),
            _ => assert_eq!(body["data"]["id"], conv_id),
        }
    }
    for t in ALL_EVENTS {
        assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
    }
    assert!(
        delivered.iter().any(|r| r.body.contains("Hello there")),
        "the visitor's message is delivered"
    );

    // Another endpoint's secret, a tampered body, a stale timestamp: rejected.
    let r = delivered[0].clone();
    assert!(!verify(flaky_secret, &r));
    assert!(!verify(secret, &flaky_seen[2]));
    let tampered = Received {
        body: r.body.replace(&site.id, "other-site"),
        ..r.clone()
    };
    assert!(!verify(secret, &tampered));
    let stale = Received {
        timestamp: (r.timestamp.parse::<i64>().expect("ts") - 3600).to_string(),
        ..r
    };
    assert!(!verify(secret, &stale));
}
on_both_backends!(
    events_arrive_signed,
    super::events_arrive_signed_after_retries
);

/// A receiver that never accepts: eight attempts, then `failed`.
async fn deliveries_fail_after_eight_attempts(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.webhook_retry_base_ms = 5;
        s.webhook_allow_private = true;
    })
    .await;
    let site = app.site().await;
    let (_receiver, url) = Receiver::start(usize::MAX).await;
    let hook = register(
        &app,
        &site.id,
        &site.admin_key,
        &url,
        &["conversation.created"],
    )
    .await;
    let token = app.visitor(&site.id).await;
    app.conversation(&token).await;
    let log = wait_for(
        &app,
        &site.id,
        &site.admin_key,
        hook["id"].as_str().expect("id"),
        |items| items.len() == 1 && items[0]["status"] == "failed",
    )
    .await;
    assert_eq!(log[0]["attempts"], 8);
    assert_eq!(log[0]["last_status_code"], 500);
    assert!(
        log[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500"))
    );
    assert!(log[0]["next_attempt_at"].is_null());
}
on_both_backends!(
    fail_after_eight_attempts,
    super::deliveries_fail_after_eight_attempts
);

/// Validation, listing without secrets, deletion, and who may do it.
async fn endpoints_are_validated_and_owned(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.webhook_allow_private = true).await;
    let site = app.site().await;
    let other = app.site().await;
    let path = format!("/api/v1/sites/{}/webhooks", site.id);
    let bad = [
        json!({"url": "http://hooks.example.com/x", "events": ["message.created"]}),
        json!({"url": "ftp://127.0.0.1/x", "events": ["message.created"]}),
        json!({"url": "not a url", "events": ["message.created"]}),
        json!({"url": "https://hooks.example.com/x", "events": ["message.deleted"]}),
        json!({"url": "https://hooks.example.com/x", "events": []}),
    ];
    for body in &bad {
        let res = app.post_json(&path, &site.admin_key, body).await;
        let env = assert_envelope(res, 400, "validation_failed").await;
        assert!(env["details"][0]["field"].is_string(), "{env}");
    }
    for url in [
        "https://hooks.example.com/x",
        "http://localhost:9/x",
        "http://[::1]:9/x",
    ] {
        register(&app, &site.id, &site.admin_key, url, &["message.created"]).await;
    }

    let token = app.visitor(&site.id).await;
    let good = json!({"url": "https://hooks.example.com/x", "events": ["message.created"]});
    assert_envelope(app.post_json(&path, &token, &good).await, 403, "forbidden").await;
    assert_envelope(
        app.post_json(&path, &other.admin_key, &good).await,
        403,
        "forbidden",
    )
    .await;
    assert_envelope(
        app.get_auth(&path, &other.admin_key).await,
        403,
        "forbidden",
    )
    .await;
    assert_envelope(app.get_auth(&path, &token).await, 403, "forbidden").await;

    let list: Value = app
        .get_auth(&path, &site.admin_key)
        .await
        .json()
        .await
        .expect("json");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|h| h.get("secret").is_none()), "{list}");

    let id = items[0]["id"].as_str().expect("id");
    let one = format!("{path}/{id}");
    let res = app
        .client
        .delete(app.url(&one))
        .bearer_auth(&other.admin_key)
        .send()
        .await
        .expect("sent");
    assert_envelope(res, 403, "forbidden").await;
    let res = app
        .client
        .delete(app.url(&one))
        .bearer_auth(&site.admin_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    let res = app
        .get_auth(&format!("{one}/deliveries"), &site.admin_key)
        .await;
    assert_envelope(res, 404, "not_found").await;
}
on_both_backends!(
    validated_and_owned,
    super::endpoints_are_validated_and_owned
);

/// By default a site's admin cannot point webhooks into the operator's own
/// network: loopback, private and link-local receivers are refused, and the
/// refusal says how the operator can allow them.
async fn private_receivers_are_refused_by_default(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let path = format!("/api/v1/sites/{}/webhooks", site.id);
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost:9/x",
        "http://[::1]:9/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/latest/meta-data",
    ] {
        let body = json!({"url": url, "events": ["message.created"]});
        let env = assert_envelope(
            app.post_json(&path, &site.admin_key, &body).await,
            400,
            "validation_failed",
        )
        .await;
        let problem = env["details"][0]["problem"].as_str().unwrap_or_default();
        assert!(
            problem.contains("LANTERN_WEBHOOK_ALLOW_PRIVATE"),
            "{url}: {env}"
        );
    }
    // Nothing was registered.
    let list: Value = app
        .get_auth(&path, &site.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    // A public receiver is still fine.
    register(
        &app,
        &site.id,
        &site.admin_key,
        "https://hooks.example.com/x",
        &["message.created"],
    )
    .await;
}

on_both_backends!(
    private_refused,
    super::private_receivers_are_refused_by_default
);
