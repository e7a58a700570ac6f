//! What the tests of the `lantern` binary share: starting the real binary on
//! a free port and a fresh database, signalling it, a demo visitor, and a
//! slow stand-in LLM provider. Each test file is its own crate and uses part
//! of this, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_lantern");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub struct Running {
    pub child: Child,
    pub base: String,
    /// Every line the server printed, stdout and stderr.
    pub lines: Arc<Mutex<Vec<String>>>,
    _dir: Option<tempdir::Dir>,
}

pub mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let p =
                std::env::temp_dir().join(format!("lantern-ops-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&p).expect("dir");
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// `lantern serve` on a fresh SQLite file in its own directory.
pub fn start(extra: &[(&str, String)]) -> Running {
    let dir = tempdir::Dir::new();
    let url = format!("sqlite://{}/lantern.db", dir.0.display());
    let mut running = start_on(&url, extra);
    running._dir = Some(dir);
    running
}

/// `lantern serve` on `database_url`, with `extra` variables.
pub fn start_on(database_url: &str, extra: &[(&str, String)]) -> Running {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .env("LANTERN_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database_url)
        .env("LANTERN_LOG_FORMAT", "json")
        .env("LANTERN_LOG", "info")
        .env("LANTERN_DEMO", "1")
        .env_remove("REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("lantern starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().expect("lock").push(line);
            }
        });
    }
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "lantern did not listen: {:?}",
            lines.lock().expect("lock")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Running {
        child,
        base,
        lines,
        _dir: None,
    }
}

impl Running {
    pub fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    pub fn wait_exit(&mut self, within: Duration) -> i32 {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "did not exit in {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A visitor of the demo site, asked for from the server's own origin:
/// `{visitor_id, token, expires_at}`.
pub async fn demo_visitor(client: &reqwest::Client, base: &str) -> serde_json::Value {
    client
        .post(format!("{base}/api/v1/sites/demo/visitors"))
        .header("origin", base)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

/// A visitor of the demo site and a new conversation of theirs.
pub async fn demo_conversation(
    client: &reqwest::Client,
    base: &str,
) -> (String, serde_json::Value) {
    let visitor = demo_visitor(client, base).await;
    let token = visitor["token"].as_str().expect("token").to_string();
    let conv = client
        .post(format!("{base}/api/v1/conversations"))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    (token, conv)
}

/// A stand-in for an OpenAI-compatible server that writes its answer slowly:
/// five words, 300 ms apart, in the real streaming wire format.
pub async fn slow_provider() -> String {
    slow_provider_counted().await.0
}

/// [`slow_provider`], and how many calls it has taken so far.
pub async fn slow_provider_counted() -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for word in ["Lantern ", "answers ", "from ", "its ", "sources."] {
                    let chunk =
                        serde_json::json!({"choices": [{"index": 0, "delta": {"content": word}}]});
                    let _ = sock
                        .write_all(format!("data: {chunk}\n\n").as_bytes())
                        .await;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                let _ = sock.write_all(b"data: [DONE]\n\n").await;
            });
        }
    });
    (format!("http://{addr}/v1"), calls)
}
