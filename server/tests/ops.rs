//! The `lantern` binary as an operator runs it: settings errors, JSON logs
//! with request ids, metrics, graceful shutdown. Each test starts the real
//! binary on a fresh SQLite file and a free port.

mod support;

use std::{
    process::Command,
    time::{Duration, Instant},
};

use futures::StreamExt;
use support::{BIN, demo_conversation, slow_provider, start};

#[test]
fn a_bad_setting_stops_start_up_with_exit_2_naming_the_variable() {
    for (var, value) in [
        ("LANTERN_ADDR", "not-an-address"),
        ("DATABASE_URL", "mysql://x"),
        ("LANTERN_RATE_LIMIT_IP", "lots"),
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .env(var, value)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(var), "{var}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
}

#[tokio::test]
async fn request_ids_reach_log_lines_and_error_bodies() {
    let server = start(&[]);
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{}/api/v1/conversations/nope", server.base))
        .header("x-request-id", "req-ops-4242")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.headers()["x-request-id"], "req-ops-4242");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["request_id"], "req-ops-4242");
    // A generated id when none is sent.
    let res = client
        .get(format!("{}/health/live", server.base))
        .send()
        .await
        .expect("sent");
    assert!(!res.headers()["x-request-id"].is_empty());

    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = server.lines.lock().expect("lock").clone();
    let tagged: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.to_string().contains("req-ops-4242"))
        .collect();
    assert!(
        !tagged.is_empty(),
        "no JSON log line carries the id: {lines:#?}"
    );
    assert!(
        tagged
            .iter()
            .all(|v| v["span"]["request_id"] == "req-ops-4242"),
        "{tagged:#?}"
    );
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_text() {
    let server = start(&[]);
    let client = reqwest::Client::new();
    client
        .get(format!("{}/api/v1/sites/demo/config", server.base))
        .send()
        .await
        .expect("sent");
    let text = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    for name in [
        "lantern_http_requests_total{method=\"GET\",route=\"/api/v1/sites/{site_id}/config\",status=\"200\"}",
        "lantern_http_request_duration_seconds_bucket",
        "lantern_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

#[tokio::test]
async fn sigterm_closes_streams_with_reconnect_and_exits_cleanly() {
    let mut server = start(&[("LANTERN_SHUTDOWN_GRACE_SECS", "10".into())]);
    let client = reqwest::Client::new();
    let (token, conv) = demo_conversation(&client, &server.base).await;
    let id = conv["id"].as_str().expect("id");
    let stream = client
        .get(format!("{}/api/v1/conversations/{id}/events", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.sigterm();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("event: reconnect"),
        "stream ended without reconnect: {seen:?}"
    );
    assert_eq!(server.wait_exit(Duration::from_secs(10)), 0);
}

#[tokio::test]
async fn an_answer_in_flight_completes_during_shutdown() {
    let provider = slow_provider().await;
    let mut server = start(&[
        ("LANTERN_LLM_PROVIDER", "openai".into()),
        ("LANTERN_LLM_BASE_URL", provider),
        ("LANTERN_LLM_MODEL", "stand-in".into()),
        ("LANTERN_SHUTDOWN_GRACE_SECS", "15".into()),
    ]);
    let client = reqwest::Client::new();
    let (token, conv) = demo_conversation(&client, &server.base).await;
    let url = format!(
        "{}/api/v1/conversations/{}/messages",
        server.base,
        conv["id"].as_str().expect("id")
    );
    let post = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .post(url)
                .bearer_auth(&token)
                .json(&serde_json::json!({"content": "How do I install Lantern?"}))
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(600)).await; // the answer is being written
    server.sigterm();
    let res = post
        .await
        .expect("task")
        .expect("the in-flight request is answered");
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.expect("json");
    // The stand-in's answer cites nothing, and says so (issue 17).
    let content = body["reply"]["content"].as_str().expect("content");
    assert!(
        content.starts_with("Lantern answers from its sources."),
        "{body}"
    );
    assert!(content.contains("not based on a source"), "{body}");
    assert!(body["reply"].get("incomplete").is_none(), "{body}");
    assert_eq!(server.wait_exit(Duration::from_secs(10)), 0);
}

async fn metrics_text(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text")
}

/// Known series are there from the start at 0, so `rate()` works at once.
#[tokio::test]
async fn known_counters_start_at_zero() {
    let server = start(&[]);
    let text = metrics_text(&reqwest::Client::new(), &server.base).await;
    for series in [
        "lantern_messages_stored_total{role=\"user\"} 0",
        "lantern_messages_stored_total{role=\"assistant\"} 0",
        "lantern_llm_errors_total{kind=\"timeout\"} 0",
        "lantern_llm_errors_total{kind=\"busy\"} 0",
        "lantern_rate_limit_refusals_total{scope=\"ip\"} 0",
        "lantern_rate_limit_refusals_total{scope=\"visitor\"} 0",
        "lantern_sse_streams_open 0",
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
}

/// Paths with a random segment in each route family, and one no route has.
fn random_path(template: &str) -> String {
    template.replace("{x}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

const PATHS: &[&str] = &[
    "/health",
    "/health/live",
    "/openapi.json",
    "/api/v1/sites/{x}/config",
    "/api/v1/sites/{x}/visitors",
    "/api/v1/conversations",
    "/api/v1/conversations/{x}",
    "/api/v1/conversations/{x}/messages",
    "/api/v1/knowledge/documents",
    "/widget/{x}.js",
    "/{x}/{x}",
];

const VERBS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

async fn send_all(client: &reqwest::Client, base: &str, requests: Vec<(String, String)>) {
    futures::stream::iter(requests)
        .map(|(method, path)| {
            let client = client.clone();
            let url = format!("{base}{path}");
            async move {
                let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
                let _ = client.request(method, url).send().await;
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

/// Made-up methods and paths cannot add series: after one request of each
/// kind, thousands more leave the set of series (the lines of `/metrics`)
/// unchanged and its size within a small bound (only numbers grow).
#[tokio::test]
async fn random_methods_and_paths_do_not_grow_metrics() {
    let server = start(&[("LANTERN_RATE_LIMIT_IP", "1000000".into())]);
    let client = reqwest::Client::new();
    let made_up = || format!("X{}", &uuid::Uuid::new_v4().simple().to_string()[..7]).to_uppercase();
    // Every route family with every known verb and one made-up method.
    let mut first = Vec::new();
    for path in PATHS {
        for verb in VERBS.iter().map(|v| v.to_string()).chain([made_up()]) {
            first.push((verb, random_path(path)));
        }
    }
    send_all(&client, &server.base, first).await;
    // Reading /metrics is a request too: its own series exists from here on.
    metrics_text(&client, &server.base).await;
    let before = metrics_text(&client, &server.base).await;

    const N: usize = 3000;
    let mut more = Vec::with_capacity(N);
    for i in 0..N {
        let verb = if i % 2 == 0 {
            made_up()
        } else {
            VERBS[i % VERBS.len()].to_string()
        };
        more.push((verb, random_path(PATHS[i % PATHS.len()])));
    }
    send_all(&client, &server.base, more).await;
    let after = metrics_text(&client, &server.base).await;
    println!(
        "/metrics: {} bytes, {} lines before; {} bytes, {} lines after {N} random requests",
        before.len(),
        before.lines().count(),
        after.len(),
        after.lines().count()
    );
    assert_eq!(
        before.lines().count(),
        after.lines().count(),
        "new series appeared"
    );
    assert!(
        after.len() < before.len() + before.len() / 4,
        "{} → {} bytes",
        before.len(),
        after.len()
    );
}

/// The start-up settings line shows every setting but no secret: API keys,
/// passwords in URLs, `?password=` parameters.
#[tokio::test]
async fn the_settings_line_redacts_secrets() {
    let server = start(&[
        (
            "REDIS_URL",
            "redis://:redispw-1@127.0.0.1:1/0?password=querypw-2".into(),
        ),
        ("LANTERN_LLM_PROVIDER", "openai".into()),
        (
            "LANTERN_LLM_BASE_URL",
            "http://llmuser:llmpw-3@127.0.0.1:9/v1".into(),
        ),
        ("LANTERN_LLM_MODEL", "stand-in".into()),
        ("LANTERN_LLM_API_KEY", "sk-live-4".into()),
    ]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let lines = server.lines.lock().expect("lock").clone();
        if let Some(l) = lines.iter().find(|l| l.contains("lantern listening")) {
            break l.clone();
        }
        assert!(Instant::now() < deadline, "no start-up line: {lines:#?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(line.contains("webhook_allow_private"), "{line}");
    assert!(line.contains("llmuser:***@"), "{line}");
    let lines = server.lines.lock().expect("lock").clone();
    for secret in ["redispw-1", "querypw-2", "llmpw-3", "sk-live-4"] {
        assert!(
            lines.iter().all(|l| !l.contains(secret)),
            "{secret} leaked: {lines:#?}"
        );
    }
}

/// A production start (no `LANTERN_DEMO`) invents no site; the demo start
/// prints the owner's one-time sign-in link but never an admin key.
#[tokio::test]
async fn the_demo_site_exists_only_when_asked_for_and_no_admin_key_is_printed() {
    let client = reqwest::Client::new();
    for (demo, expect) in [("0", 404), ("1", 200)] {
        let server = start(&[("LANTERN_DEMO", demo.to_string())]);
        let status = client
            .get(format!("{}/api/v1/sites/demo/config", server.base))
            .send()
            .await
            .expect("sent")
            .status();
        assert_eq!(status.as_u16(), expect, "LANTERN_DEMO={demo}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let out = server.lines.lock().expect("lock").join("\n");
        assert!(!out.contains("lk_"), "an admin key in the output: {out}");
        assert_eq!(out.contains("/console/#link="), demo == "1", "{out}");
    }
}

/// `lantern visitor export ID` prints everything held about the visitor;
/// `lantern visitor erase ID` removes it (beside a running server on the
/// same SQLite file), and an unknown id is a usage error.
#[tokio::test]
async fn the_visitor_command_exports_and_erases() {
    let dir = support::tempdir::Dir::new();
    let url = format!("sqlite://{}/lantern.db", dir.0.display());
    let server = support::start_on(&url, &[]);
    let client = reqwest::Client::new();
    let visitor = support::demo_visitor(&client, &server.base).await;
    let (id, token) = (
        visitor["visitor_id"].as_str().expect("id"),
        visitor["token"].as_str().expect("token"),
    );
    let conv: serde_json::Value = client
        .post(format!("{}/api/v1/conversations", server.base))
        .bearer_auth(token)
        .json(&serde_json::json!({"initial_message": "remember the blue lantern"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(conv["id"].is_string(), "{conv}");
    let cli = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("DATABASE_URL", &url)
            .env("LANTERN_LOG", "warn")
            .output()
            .expect("run")
    };
    let out = cli(&["visitor", "export", id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(export["visitor"]["id"], id);
    assert!(
        export.to_string().contains("remember the blue lantern"),
        "{export}"
    );

    let out = cli(&["visitor", "erase", id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 conversations"));
    let out = cli(&["visitor", "export", id]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown visitor is a usage error"
    );
    let res = client
        .get(format!("{}/api/v1/conversations", server.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 401, "the erased visitor's token is dead");
}

/// `LANTERN_BACKUP_EVERY`: backups appear in the folder while serving, only
/// the newest `LANTERN_BACKUP_KEEP` stay, and the newest restores into a
/// database a new server answers from.
#[tokio::test]
async fn scheduled_backups_rotate_and_restore() {
    let backups = support::tempdir::Dir::new();
    let mut server = start(&[
        ("LANTERN_BACKUP_EVERY", "1s".into()),
        ("LANTERN_BACKUP_DIR", backups.0.display().to_string()),
        ("LANTERN_BACKUP_KEEP", "2".into()),
    ]);
    let client = reqwest::Client::new();
    let (token, conv) = demo_conversation(&client, &server.base).await;
    let id = conv["id"].as_str().expect("id").to_string();
    let files = || {
        let mut f: Vec<std::path::PathBuf> = std::fs::read_dir(&backups.0)
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "backup"))
            .collect();
        f.sort();
        f
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    // Three rounds at least: the rotation has had to remove one.
    let written = || {
        server
            .lines
            .lock()
            .expect("lock")
            .iter()
            .filter(|l| l.contains("backup written"))
            .count()
    };
    while written() < 3 {
        assert!(Instant::now() < deadline, "no backups: {:?}", files());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.sigterm();
    assert_eq!(server.wait_exit(Duration::from_secs(10)), 0);
    assert_eq!(files().len(), 2, "only the newest two stay: {:?}", files());

    let restored = support::tempdir::Dir::new();
    let url = format!("sqlite://{}/lantern.db", restored.0.display());
    let newest = files().pop().expect("a backup");
    let out = Command::new(BIN)
        .args(["restore", &newest.display().to_string()])
        .env("DATABASE_URL", &url)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = support::start_on(&url, &[]);
    let res = client
        .get(format!("{}/api/v1/conversations/{id}", again.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        res.status(),
        200,
        "the restored server has the conversation"
    );
}
