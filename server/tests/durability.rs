//! A message acknowledged with 2xx is durable: the server is killed with
//! SIGKILL in the middle of concurrent posts, started again on the same
//! database, and every acknowledged message must be there — on SQLite (group
//! commit: a write is acknowledged only after the COMMIT that holds it) and
//! on Postgres.

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_lantern");
/// Conversations posted to concurrently, and posts per conversation.
const CONVERSATIONS: usize = 8;
const POSTS_EACH: usize = 60;
/// The server is killed once this many posts were acknowledged.
const KILL_AFTER: usize = 120;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts `lantern serve` on `database_url`; returns the child and base URL.
fn start(database_url: &str) -> (Child, String) {
    let port = free_port();
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("LANTERN_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database_url)
        .env("LANTERN_RATE_LIMIT_IP", "1000000")
        .env("LANTERN_RATE_LIMIT_VISITOR", "100000")
        .env("LANTERN_LOG", "warn")
        .env("LANTERN_DEMO", "1")
        .env("LANTERN_RATE_LIMIT_NEW_VISITORS_IP", "1000000")
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("lantern starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "lantern did not listen");
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("lantern exited at start-up: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, format!("http://127.0.0.1:{port}"))
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    let status = res.status();
    let body = res.text().await.expect("body");
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).expect("json")
}

async fn kill_during_posts(database_url: &str) {
    let (mut child, base) = start(database_url);
    let client = reqwest::Client::new();
    let visitor = json(
        client
            .post(format!("{base}/api/v1/sites/demo/visitors"))
            .header("origin", &base)
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    let token = visitor["token"].as_str().expect("token").to_string();
    let mut conversations = Vec::new();
    for _ in 0..CONVERSATIONS {
        let conv = json(
            client
                .post(format!("{base}/api/v1/conversations"))
                .bearer_auth(&token)
                .json(&serde_json::json!({}))
                .send()
                .await
                .expect("sent"),
        )
        .await;
        conversations.push(conv["id"].as_str().expect("id").to_string());
    }

    // Every acknowledged (2xx) post: (conversation, message id, content).
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String, String)>::new()));
    let mut posters = Vec::new();
    for conv in &conversations {
        let (client, base, token, conv) =
            (client.clone(), base.clone(), token.clone(), conv.clone());
        let acknowledged = acknowledged.clone();
        posters.push(tokio::spawn(async move {
            for i in 0..POSTS_EACH {
                let content = format!("durable {conv} #{i}");
                let res = client
                    .post(format!("{base}/api/v1/conversations/{conv}/messages"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"content": content}))
                    .send()
                    .await;
                let Ok(res) = res else { return };
                if !res.status().is_success() {
                    return;
                }
                let Ok(body) = res.json::<serde_json::Value>().await else {
                    return;
                };
                let id = body["message"]["id"].as_str().expect("id").to_string();
                acknowledged
                    .lock()
                    .expect("lock")
                    .push((conv.clone(), id, content));
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().expect("lock").len() < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "posts are not being acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    for p in posters {
        let _ = p.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= KILL_AFTER);

    let (mut child, base) = start(database_url);
    for conv in &conversations {
        let page = json(
            client
                .get(format!(
                    "{base}/api/v1/conversations/{conv}/messages?limit=100"
                ))
                .bearer_auth(&token)
                .send()
                .await
                .expect("sent"),
        )
        .await;
        let mut stored = Vec::new();
        let mut next = page;
        loop {
            for m in next["items"].as_array().expect("items") {
                stored.push((
                    m["id"].as_str().expect("id").to_string(),
                    m["content"].as_str().expect("content").to_string(),
                ));
            }
            let Some(cursor) = next["next_cursor"].as_str().map(str::to_string) else {
                break;
            };
            next = json(
                client
                    .get(format!(
                        "{base}/api/v1/conversations/{conv}/messages?limit=100&after={cursor}"
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("sent"),
            )
            .await;
        }
        for (c, id, content) in acknowledged.iter().filter(|(c, ..)| c == conv) {
            assert!(
                stored.iter().any(|(i, t)| i == id && t == content),
                "acknowledged message {id} of {c} ({content:?}) is lost after SIGKILL"
            );
        }
    }
    let _ = child.kill();
}

#[tokio::test]
async fn sqlite_keeps_every_acknowledged_message_through_sigkill() {
    let dir = std::env::temp_dir().join(format!("lantern-kill-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    kill_during_posts(&format!("sqlite://{}/lantern.db", dir.display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_keeps_every_acknowledged_message_through_sigkill() {
    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("lantern_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("Postgres for the durability test (TEST_DATABASE_URL)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let (base, _) = server.rsplit_once('/').expect("URL with a database");
    kill_during_posts(&format!("{base}/{name}")).await;
}
