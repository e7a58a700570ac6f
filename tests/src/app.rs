//! The real server on an ephemeral port, with an HTTP client pointed at it.

use lantern_server::settings::Settings;
use tokio::{sync::watch, task::JoinHandle};

use std::sync::Arc;

use crate::backend::{Backend, FreshDatabase, TempDir};

/// The origin every test site allows.
pub const ALLOWED_ORIGIN: &str = "https://site.example";
/// The in-process server's `LANTERN_SECRETS_KEY` (32 bytes of 7, base64).
pub const TEST_SECRETS_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

pub struct SiteKeys {
    pub id: String,
    pub admin_key: String,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The attachment store's folder (unless a test chose another store).
    pub attachments_dir: Arc<TempDir>,
    /// Turning true shuts the server down as SIGTERM does (live streams
    /// end with `reconnect`); dropping the app does it too.
    closing: watch::Sender<bool>,
    served: Option<JoinHandle<()>>,
    _db: Option<FreshDatabase>,
}

impl TestApp {
    /// Starts Lantern on a fresh database of `backend`.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to adjust the settings first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = backend.fresh_database().await;
        Self::start(db.url.clone(), Some(db), None, adjust).await
    }

    /// An instance on the database at `database_url` (reached, say, through
    /// a proxy a test controls).
    pub async fn spawn_on(database_url: &str, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::start(database_url.to_string(), None, None, adjust).await
    }

    /// Two instances on one Postgres database sharing the Redis at `redis`
    /// (under a key prefix of their own), both subscribed when returned.
    pub async fn pair_sharing_redis(redis: String) -> (TestApp, TestApp) {
        let p = format!("lantern-test-{}", uuid::Uuid::new_v4().simple());
        let (p1, r1) = (p.clone(), redis.clone());
        let a = TestApp::spawn_with(Backend::Postgres, move |s| {
            s.redis_url = Some(r1.into());
            s.redis_prefix = p1;
        })
        .await;
        let b = TestApp::spawn_sharing(&a, move |s| {
            s.redis_url = Some(redis.into());
            s.redis_prefix = p;
        })
        .await;
        a.wait_for_redis().await;
        b.wait_for_redis().await;
        (a, b)
    }

    /// A second instance on `other`'s database (scale-out tests).
    pub async fn spawn_sharing(other: &TestApp, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::start(
            other.database_url.clone(),
            None,
            Some(other.attachments_dir.clone()),
            adjust,
        )
        .await
    }

    async fn start(
        database_url: String,
        db: Option<FreshDatabase>,
        attachments_dir: Option<Arc<TempDir>>,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        // Each instance keeps its files in a folder of its own (shared by
        // instances of one database), never in the working directory.
        let attachments_dir = attachments_dir.unwrap_or_else(|| {
            Arc::new(TempDir::new(&format!(
                "lantern_files_{}",
                uuid::Uuid::new_v4().simple()
            )))
        });
        let mut settings = Settings {
            database_url: database_url.clone().into(),
            // The tests use the demo site as "any site".
            demo: true,
            // Every test's visitors come from 127.0.0.1.
            rate_limit_new_visitors_ip: 1_000_000,
            // The API tests run with secrets sealed at rest; the spawned
            // binaries (process tests, browsers) without.
            secrets_key: Some(lantern_server::settings::Secret::new(TEST_SECRETS_KEY)),
            ..Settings::default()
        };
        settings.attachments.store = Some(format!("file://{}", attachments_dir.0.display()));
        adjust(&mut settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        let (closing, closed) = watch::channel(false);
        let app = lantern_server::startup::build_with_shutdown(settings, closed.clone())
            .await
            .expect("the app starts");
        let served = tokio::spawn(async move {
            let mut closed = closed;
            axum_serve(listener, app, async move {
                let _ = closed.wait_for(|c| *c).await;
            })
            .await
        });
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            database_url,
            attachments_dir,
            closing,
            served: Some(served),
            _db: db,
        }
    }

    /// Waits until `/health/ready` reports Redis as `ok` (connections to Redis
    /// are made in the background).
    pub async fn wait_for_redis(&self) {
        for _ in 0..100 {
            let ready: serde_json::Value =
                self.get("/health/ready").await.json().await.expect("json");
            if ready["checks"]["redis"] == "ok" {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("Redis never became ready for {}", self.base);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A new site allowing `https://site.example`, and its admin key.
    pub async fn site(&self) -> SiteKeys {
        let db = lantern_server::db::Db::connect(&self.database_url)
            .await
            .expect("open the database");
        let id = lantern_server::seed::new_site_id();
        let (site, admin_key) = lantern_server::seed::create_site(
            &db,
            &id,
            "Test site",
            vec![ALLOWED_ORIGIN.to_string()],
        )
        .await
        .expect("create site");
        SiteKeys {
            id: site.id,
            admin_key,
        }
    }

    /// A visitor token for `site_id`, requested from an allowed origin.
    pub async fn visitor(&self, site_id: &str) -> String {
        visitor_token(&self.client, &self.base, site_id).await
    }

    /// A conversation created by `token`; returns its JSON.
    pub async fn conversation(&self, token: &str) -> serde_json::Value {
        let res = self
            .post_json("/api/v1/conversations", token, &serde_json::json!({}))
            .await;
        assert_eq!(res.status(), 201, "conversation creation");
        res.json().await.expect("json")
    }

    /// The id of a new conversation created by `token`.
    pub async fn conversation_id(&self, token: &str) -> String {
        self.conversation(token).await["id"]
            .as_str()
            .expect("a conversation id")
            .to_string()
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn patch_json(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.send_json(reqwest::Method::PATCH, path, token, body)
            .await
    }

    async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Uploads `bytes` as the multipart part `file` named `name` to the
    /// conversation `conversation_id`.
    pub async fn upload(
        &self,
        conversation_id: &str,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.client
            .post(self.url(&format!(
                "/api/v1/conversations/{conversation_id}/attachments"
            )))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// A GET asking for `text/event-stream`, as a browser's `EventSource`
    /// sends it, on a connection of its own: it takes the server's light
    /// path for streams (`lantern_server::listen`) instead of hyper's.
    pub async fn open_stream(&self, path: &str, token: &str) -> reqwest::Response {
        // `self.client` could reuse a connection hyper already serves.
        let fresh = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("a client");
        fresh
            .get(self.url(path))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("request sent")
    }

    /// The text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.get("/metrics")
            .await
            .text()
            .await
            .expect("metrics text")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

async fn axum_serve(
    listener: tokio::net::TcpListener,
    app: lantern_server::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    lantern_server::startup::serve(listener, app, shutdown)
        .await
        .expect("server runs");
}

impl TestApp {
    /// Shuts the server down as SIGTERM does and waits until it has
    /// finished: every connection closed, the light streams' included.
    pub async fn shut_down(mut self) {
        let _ = self.closing.send(true);
        if let Some(served) = self.served.take() {
            served.await.expect("the server task ends");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.closing.send(true);
    }
}

/// A visitor token for `site_id` from the server at `base`, requested from
/// an allowed origin (the in-process app and the spawned binary alike).
pub async fn visitor_token(client: &reqwest::Client, base: &str, site_id: &str) -> String {
    let res = client
        .post(format!("{base}/api/v1/sites/{site_id}/visitors"))
        .header("origin", ALLOWED_ORIGIN)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status(), 201, "visitor creation");
    let body: serde_json::Value = res.json().await.expect("json");
    body["token"].as_str().expect("token").to_string()
}
