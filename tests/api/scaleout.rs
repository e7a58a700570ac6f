//! Two instances on one Postgres database, sharing Redis: live events cross
//! instances, resume stays gap-free, and losing Redis degrades, not breaks.

use std::{process::Stdio, time::Duration};

use lantern_tests::{Backend, TestApp, backend::redis_url, sse::SseReader};
use serde_json::{Value, json};

/// Waits for the next durable event on `reader`.
async fn next_durable(reader: &mut SseReader, within: Duration) -> (i64, String, Value) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let e = reader.next(left).await.expect("an event in time");
        if let Some(id) = e.id {
            return (id.parse().expect("numeric id"), e.event, e.data);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_instances_and_resume_on_the_other() {
    let (a, b) = TestApp::pair_sharing_redis(redis_url()).await;
    let site = a.site().await;
    let visitor = a.visitor(&site.id).await;
    let id = a.conversation_id(&visitor).await;
    let events = format!("/api/v1/conversations/{id}/events");
    let mut on_a = SseReader::new(a.get_auth(&events, &visitor).await);

    // An agent replies through B; the visitor streaming from A sees it within a second.
    let res = b
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &site.admin_key,
            &json!({"content": "Hello from B", "role": "agent"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (seen, kind, data) = next_durable(&mut on_a, Duration::from_secs(1)).await;
    assert_eq!(kind, "message.created");
    assert_eq!(data["content"], "Hello from B");
    drop(on_a);

    // Missed while away, posted on A; resumed on B with Last-Event-ID.
    a.post_json(
        &format!("/api/v1/conversations/{id}/messages"),
        &visitor,
        &json!({"content": "two"}),
    )
    .await;
    a.post_json(
        &format!("/api/v1/conversations/{id}/handoff"),
        &visitor,
        &json!({}),
    )
    .await;
    let resumed = b
        .client
        .get(b.url(&events))
        .bearer_auth(&visitor)
        .header("last-event-id", seen.to_string())
        .send()
        .await
        .expect("sent");
    let mut on_b = SseReader::new(resumed);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(next_durable(&mut on_b, Duration::from_secs(2)).await.0);
    }
    assert_eq!(
        got,
        vec![seen + 1, seen + 2, seen + 3],
        "exactly the missed events"
    );
    assert!(
        on_b.next(Duration::from_millis(300)).await.is_none(),
        "and nothing more"
    );

    // A site update on A is what B serves at once, though B had it cached.
    let config_path = format!("/api/v1/sites/{}/config", site.id);
    for app in [&a, &b, &b] {
        let before: Value = app.get(&config_path).await.json().await.expect("json");
        assert_ne!(before["welcome_message"], "Updated on A");
    }
    let res = a
        .client
        .patch(a.url(&format!("/api/v1/sites/{}", site.id)))
        .bearer_auth(&site.admin_key)
        .json(&json!({"welcome_message": "Updated on A"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let config: Value = b
        .get(&format!("/api/v1/sites/{}/config", site.id))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(config["welcome_message"], "Updated on A");
}

/// A Redis server of this test's own, so it can be killed and restarted.
struct OwnRedis {
    port: u16,
    child: tokio::process::Child,
}

impl OwnRedis {
    async fn start(port: u16) -> OwnRedis {
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed (scripts/setup.sh)");
        for _ in 0..50 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return OwnRedis { port, child };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("redis-server did not start on {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn kill(mut self) {
        self.child.kill().await.expect("kill redis");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_redis_degrades_and_its_return_restores_fan_out() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let redis = OwnRedis::start(port).await;
    let (a, b) = TestApp::pair_sharing_redis(redis.url()).await;
    let site = a.site().await;
    let visitor = a.visitor(&site.id).await;
    let id = a.conversation_id(&visitor).await;
    let path = format!("/api/v1/conversations/{id}/messages");

    redis.kill().await;
    // Both keep serving, and say Redis is degraded.
    for app in [&a, &b] {
        let res = app
            .post_json(&path, &visitor, &json!({"content": "still here?"}))
            .await;
        assert_eq!(res.status(), 201);
        let ready = app.get("/health/ready").await;
        assert_eq!(
            ready.status(),
            200,
            "an instance without Redis still serves"
        );
        let body: Value = ready.json().await.expect("json");
        assert_eq!(body["checks"]["redis"], "degraded", "{body}");
        // The cache is bypassed, not in the way.
        let config = app.get(&format!("/api/v1/sites/{}/config", site.id)).await;
        assert_eq!(config.status(), 200);
    }

    // Redis returns on the same address: fan-out resumes with no restart.
    let _redis = OwnRedis::start(port).await;
    a.wait_for_redis().await;
    b.wait_for_redis().await;
    let mut on_a = SseReader::new(
        a.get_auth(&format!("/api/v1/conversations/{id}/events"), &visitor)
            .await,
    );
    b.post_json(
        &path,
        &site.admin_key,
        &json!({"content": "back again", "role": "agent"}),
    )
    .await;
    let (_, _, data) = next_durable(&mut on_a, Duration::from_secs(2)).await;
    assert_eq!(data["content"], "back again");
}

/// Knowledge search is cached in Redis for every instance, and a document
/// added on one instance retires the cached searches on all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_search_cache_is_invalidated_everywhere() {
    let (a, b) = TestApp::pair_sharing_redis(redis_url()).await;
    let site = a.site().await;
    let search = format!("/api/v1/sites/{}/knowledge/search?q=lighthouse", site.id);
    let add = |title: &str| json!({"title": title, "body": format!("The {title} lighthouse keeps ships safe at night.")});
    let res = a
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &add("North"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let titles = |v: Value| -> Vec<String> {
        v["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["title"].as_str().expect("title").to_string())
            .collect()
    };
    let first = titles(b.get(&search).await.json().await.expect("json"));
    assert_eq!(first, ["North"]);
    let again = titles(a.get(&search).await.json().await.expect("json"));
    assert_eq!(again, ["North"], "served from the shared cache");
    let diag: Value = a.get("/health").await.json().await.expect("json");
    assert!(
        diag["cache"]["hit_rate"].as_f64().is_some_and(|r| r > 0.0),
        "A hit what B cached: {diag}"
    );

    let res = b
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &add("South"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let mut after = titles(a.get(&search).await.json().await.expect("json"));
    after.sort();
    assert_eq!(
        after,
        ["North", "South"],
        "the new document shows on the other instance at once"
    );
}

/// Without Redis the same cache works in process, with the same invalidation.
#[tokio::test]
async fn in_process_cache_follows_changes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let site = app.site().await;
    let search = format!("/api/v1/sites/{}/knowledge/search?q=harbour", site.id);
    let count = |v: Value| v["results"].as_array().expect("results").len();
    let doc = |t: &str| json!({"title": t, "body": format!("{t}: the harbour opens at dawn.")});
    app.post_json("/api/v1/knowledge/documents", &site.admin_key, &doc("One"))
        .await;
    assert_eq!(count(app.get(&search).await.json().await.expect("json")), 1);
    assert_eq!(count(app.get(&search).await.json().await.expect("json")), 1);
    app.post_json("/api/v1/knowledge/documents", &site.admin_key, &doc("Two"))
        .await;
    assert_eq!(count(app.get(&search).await.json().await.expect("json")), 2);
    let config = format!("/api/v1/sites/{}/config", site.id);
    app.get(&config).await;
    app.client
        .patch(app.url(&format!("/api/v1/sites/{}", site.id)))
        .bearer_auth(&site.admin_key)
        .json(&json!({"bot_name": "Harbourmaster"}))
        .send()
        .await
        .expect("sent");
    let now: Value = app.get(&config).await.json().await.expect("json");
    assert_eq!(now["bot_name"], "Harbourmaster");
    let diag: Value = app.get("/health").await.json().await.expect("json");
    assert_eq!(diag["cache"]["backend"], "memory");
    assert!(
        diag["cache"]["hit_rate"].as_f64().is_some_and(|r| r > 0.0),
        "{diag}"
    );
}
