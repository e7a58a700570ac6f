//! The real server on an ephemeral port, with an HTTP client pointed at it.

use lantern_server::settings::Settings;
use tokio::sync::oneshot;

use crate::backend::{Backend, FreshDatabase};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    _db: FreshDatabase,
}

impl TestApp {
    /// Starts Lantern on a fresh database of `backend`.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to adjust the settings first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = backend.fresh_database().await;
        let mut settings = Settings {
            database_url: db.url.clone(),
            ..Settings::default()
        };
        adjust(&mut settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let app = lantern_server::startup::build(settings)
            .await
            .expect("the app starts");
        tokio::spawn(async move {
            axum_serve(listener, app, async {
                let _ = stopped.await;
            })
            .await
        });
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            database_url: db.url.clone(),
            stop: Some(stop),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
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

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
