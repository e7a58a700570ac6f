//! A message acknowledged with 2xx is durable: the server is killed with
//! SIGKILL while 1,000 posts are in flight, started again on the same
//! database, and every acknowledged message must be there — on SQLite (group
//! commit: a write is acknowledged only after the COMMIT that holds it) and
//! on Postgres. Run with `--nocapture` for the drill's figures.

mod support;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::Connection;
use support::{Running, start_on};

/// Conversations posted to, posters per conversation (so 1,000 posts are in
/// flight at once), and posts per poster at most.
const CONVERSATIONS: usize = 100;
const POSTERS_EACH: usize = 10;
const POSTS_EACH: usize = 5;
/// The server is killed once this many posts were acknowledged.
const KILL_AFTER: usize = 1_000;

/// `lantern serve` on `database_url` with the limits lifted for the load.
fn start(database_url: &str) -> (Running, String) {
    let lifted = [
        ("LANTERN_RATE_LIMIT_IP", "1000000"),
        ("LANTERN_RATE_LIMIT_VISITOR", "100000"),
        ("LANTERN_RATE_LIMIT_NEW_VISITORS_IP", "1000000"),
        ("LANTERN_LOG", "warn"),
    ]
    .map(|(k, v)| (k, v.to_string()));
    let running = start_on(database_url, &lifted);
    let base = running.base.clone();
    (running, base)
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    let status = res.status();
    let body = res.text().await.expect("body");
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).expect("json")
}

async fn kill_during_posts(database_url: &str) {
    let (mut server, base) = start(database_url);
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
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut posters = Vec::new();
    for (c, conv) in conversations.iter().enumerate() {
        for p in 0..POSTERS_EACH {
            let (client, base, token, conv) =
                (client.clone(), base.clone(), token.clone(), conv.clone());
            let (acknowledged, in_flight) = (acknowledged.clone(), in_flight.clone());
            posters.push(tokio::spawn(async move {
                for i in 0..POSTS_EACH {
                    let content = format!("durable {c}.{p} #{i}");
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let res = client
                        .post(format!("{base}/api/v1/conversations/{conv}/messages"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"content": content}))
                        .send()
                        .await;
                    // A refusal (503 while the pool is saturated) is not an
                    // acknowledgement; the poster goes on. No answer at all
                    // means the server is gone.
                    let body = match res {
                        Ok(res) if res.status().is_success() => {
                            res.json::<serde_json::Value>().await.map_err(|_| ())
                        }
                        Ok(_) => Err(()),
                        Err(_) => {
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            return;
                        }
                    };
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let Ok(body) = body else { continue };
                    let id = body["message"]["id"].as_str().expect("id").to_string();
                    acknowledged
                        .lock()
                        .expect("lock")
                        .push((conv.clone(), id, content));
                }
            }));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    while acknowledged.lock().expect("lock").len() < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "posts are not being acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let flying = in_flight.load(Ordering::SeqCst);
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    for p in posters {
        let _ = p.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= KILL_AFTER);
    // The kill must land in the middle of the load, not after it.
    assert!(
        flying >= 100,
        "only {flying} posts were in flight at the kill"
    );
    println!(
        "drill: {flying} posts in flight at SIGKILL, {} acknowledged before it",
        acknowledged.len()
    );

    let (_server, base) = start(database_url);
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
