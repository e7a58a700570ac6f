//! Inbox benchmark: how long from a visitor's POST to the `message.created`
//! on an agent's site stream (p50/p99), with the visitor and the agent on
//! one instance (SQLite; Postgres + Redis) and on two instances sharing
//! Postgres and Redis; and the server's resident memory with 1,000 members'
//! site streams open. Prints figures; asserts nothing about them.
//!
//! `cargo build --release --bin lantern && cargo bench -p lantern-tests --bench inbox`
//! (`LANTERN_BIN=target/debug/lantern` for a quick look with a debug build;
//! the two-instance runs need TEST_DATABASE_URL and TEST_REDIS_URL, or the
//! local servers on their standard ports).

use std::{
    io::Write,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures::future::join_all;
use lantern_tests::{
    Backend,
    process::{Server, binary, create_site, rss_kib},
    sse::SseReader,
    stats::{ms, percentile},
};
use serde_json::json;

const POSTS: usize = 300;
const STREAMS: usize = 1_000;
const PASSWORD: &str = "an inbox bench passphrase";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = std::env::temp_dir().join(format!("lantern-inbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let sqlite = format!("sqlite://{}/lantern.db", dir.display());
    println!("binary: {}", binary().display());

    let (site, agent) = setup(&sqlite);
    let a = Server::start(&sqlite, &lifted()).await;
    latency("one instance, SQLite", &a, &a, &site, &agent).await;
    memory(&a, &site, &agent).await;
    a.stop();

    let pg = Backend::Postgres.fresh_database().await;
    let (site, agent) = setup(&pg.url);
    let redis = lantern_tests::backend::redis_url();
    let prefix = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let mut env = lifted();
    env.push(("REDIS_URL", redis.as_str()));
    env.push(("LANTERN_REDIS_PREFIX", prefix.as_str()));
    let a = Server::start(&pg.url, &env).await;
    let b = Server::start(&pg.url, &env).await;
    // Both subscribe to Redis in the background.
    tokio::time::sleep(Duration::from_secs(1)).await;
    latency("one instance, Postgres + Redis", &a, &a, &site, &agent).await;
    latency(
        "two instances (visitor on B, agent on A), Postgres + Redis",
        &b,
        &a,
        &site,
        &agent,
    )
    .await;
    a.stop();
    b.stop();
    let _ = std::fs::remove_dir_all(dir);
}

/// Stream caps lifted: every stream of the bench has one address and user.
fn lifted() -> Vec<(&'static str, &'static str)> {
    vec![("LANTERN_MAX_STREAMS_PER_VISITOR", "1000000")]
}

/// A site and an agent on it (`lantern user create`): (site id, email).
fn setup(database_url: &str) -> (String, String) {
    let (site, _key) = create_site(database_url);
    let email = "agent@bench.example".to_string();
    let mut child = Command::new(binary())
        .args([
            "user", "create", "--email", &email, "--site", &site, "--role", "agent",
        ])
        .args(["--name", "Bench Agent", "--password-stdin"])
        .env("DATABASE_URL", database_url)
        .env("LANTERN_LOG", "warn")
        .env_remove("REDIS_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("lantern user create");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    assert!(child.wait().expect("wait").success(), "user create failed");
    (site, email)
}

/// Signs in on `server`; the session cookie (`NAME=VALUE`).
async fn sign_in(server: &Server, email: &str) -> String {
    let res = server
        .client
        .post(server.url("/api/v1/session"))
        .header("x-lantern-request", "1")
        .header("origin", &server.base)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200, "sign-in");
    let set = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    set.split(';').next().unwrap_or_default().to_string()
}

async fn site_stream(server: &Server, site: &str, cookie: &str) -> reqwest::Response {
    let res = server
        .client
        .get(server.url(&format!("/api/v1/sites/{site}/events")))
        .header("cookie", cookie)
        .send()
        .await
        .expect("stream");
    assert_eq!(res.status(), 200, "site stream");
    res
}

/// Visitor posts through `visitor_on`, the agent streams from `agent_on`.
async fn latency(label: &str, visitor_on: &Server, agent_on: &Server, site: &str, email: &str) {
    let cookie = sign_in(agent_on, email).await;
    let mut stream = SseReader::new(site_stream(agent_on, site, &cookie).await);
    let visitor = visitor_on.visitor(site).await;
    let conv = visitor_on
        .post("/api/v1/conversations", &visitor, &json!({}), 201)
        .await;
    let id = conv["id"].as_str().expect("id").to_string();
    // A person's conversation: the bot stays out, the post is stored at once.
    visitor_on
        .post(
            &format!("/api/v1/conversations/{id}/handoff"),
            &visitor,
            &json!({}),
            200,
        )
        .await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let mut got = Vec::with_capacity(POSTS);
    for i in 0..POSTS {
        let content = format!("bench message {i}");
        let started = Instant::now();
        visitor_on
            .post(&path, &visitor, &json!({"content": content}), 201)
            .await;
        loop {
            let e = stream
                .next(Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("{label}: no event for message {i}"));
            if e.event == "message.created" && e.data["content"] == content.as_str() {
                got.push(started.elapsed());
                break;
            }
        }
    }
    got.sort();
    println!(
        "== {label}: visitor POST → agent's site stream, {POSTS} posts one at a time: \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&got, 0.50)),
        ms(percentile(&got, 0.99)),
        ms(got[got.len() - 1]),
    );
}

/// RSS of `server` idle, then with [`STREAMS`] members' site streams open.
async fn memory(server: &Server, site: &str, email: &str) {
    let cookie = sign_in(server, email).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(server.pid());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(STREAMS + 10)
        .build()
        .expect("client");
    let opened = Instant::now();
    let streams = join_all((0..STREAMS).map(|_| {
        let (client, url, cookie) = (
            client.clone(),
            server.url(&format!("/api/v1/sites/{site}/events")),
            cookie.clone(),
        );
        async move {
            let res = client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .expect("stream");
            assert_eq!(res.status(), 200);
            res
        }
    }))
    .await;
    let secs = opened.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let open = rss_kib(server.pid());
    println!(
        "== {STREAMS} members' site streams: opened in {secs:.1} s; RSS {} MiB idle, {} MiB with \
         the streams open ({:.1} KiB per stream above idle)",
        idle / 1024,
        open / 1024,
        open.saturating_sub(idle) as f64 / STREAMS as f64
    );
    drop(streams);
}
