//! The release `lantern` binary as a child process: how benchmarks start the
//! server, through its command line and HTTP only, so they keep working
//! whatever the server's insides become. Build it first with
//! `cargo build --release --bin lantern`.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::app::ALLOWED_ORIGIN;

/// The release binary, or the one `LANTERN_BIN` names (a debug build, for
/// a quick look at figures that are then not release figures).
pub fn binary() -> PathBuf {
    std::env::var_os("LANTERN_BIN").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/release/lantern"
            ))
        },
        PathBuf::from,
    )
}

/// Runs `lantern ARGS…` on `database_url` and returns its standard output.
pub fn lantern(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("LANTERN_LOG", "warn")
        .env_remove("REDIS_URL")
        .output()
        .expect("build it first: cargo build --release --bin lantern");
    assert!(
        out.status.success(),
        "lantern {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A site made with `lantern site create --json` (migrating first).
pub fn create_site(database_url: &str) -> (String, String) {
    lantern(database_url, &["migrate"]);
    let out = lantern(
        database_url,
        &[
            "site",
            "create",
            "--name",
            "Bench",
            "--origin",
            ALLOWED_ORIGIN,
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("site JSON");
    (
        v["site_id"].as_str().expect("site_id").to_string(),
        v["admin_key"].as_str().expect("admin_key").to_string(),
    )
}

/// A running `lantern serve`; killed on drop.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    child: Child,
}

impl Server {
    /// Starts `lantern serve` on `database_url` with rate limits lifted and
    /// `env` added, and waits until it is live.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .env("LANTERN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            // A benchmark may ask for more (e.g. `sqlx=debug` for each
            // statement's time).
            .env(
                "LANTERN_LOG",
                std::env::var("LANTERN_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env("LANTERN_DEMO", "1")
            .env("LANTERN_RATE_LIMIT_NEW_VISITORS_IP", "1000000")
            .env("LANTERN_RATE_LIMIT_IP", "1000000")
            .env("LANTERN_MAX_STREAMS_PER_IP", "1000000")
            .env("LANTERN_RATE_LIMIT_VISITOR", "100000")
            .env_remove("REDIS_URL")
            .stdout(log_file(port))
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .expect("build it first: cargo build --release --bin lantern");
        let mut server = Server {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .expect("client"),
            child,
        };
        for _ in 0..300 {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("lantern serve exited ({status}) on {database_url}");
            }
            if let Ok(r) = server.client.get(server.url("/health/live")).send().await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("lantern serve did not come up on {database_url}");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A visitor token for `site_id`, asked from an allowed origin.
    pub async fn visitor(&self, site_id: &str) -> String {
        crate::app::visitor_token(&self.client, &self.base, site_id).await
    }

    /// POSTs JSON with a bearer token; panics unless the answer is `expect`.
    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
        expect: u16,
    ) -> serde_json::Value {
        self.try_post(path, token, body, expect)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// POSTs JSON with a bearer token; the body, or what went wrong unless
    /// the answer is `expect`.
    pub async fn try_post(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
        expect: u16,
    ) -> Result<serde_json::Value, String> {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("sent");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        if status != expect {
            return Err(format!("POST {path}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// Kills the process (as `kill -9`) and waits for it.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the server's log goes (it writes to stdout; `LANTERN_LOG=warn`
/// unless `LANTERN_BENCH_LOG` says otherwise): a file in the temp folder,
/// named on stderr, so a run's output stays readable.
fn log_file(port: u16) -> Stdio {
    let path = std::env::temp_dir().join(format!("lantern-bench-{port}.log"));
    eprintln!("(server log: {})", path.display());
    std::fs::File::create(&path).map_or_else(|_| Stdio::inherit(), Stdio::from)
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
