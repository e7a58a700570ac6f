//! Helpers for black-box tests: a fresh database per test (a new SQLite file or
//! a new Postgres database), the real server on port 0, and an HTTP client.

pub mod app;
pub mod backend;
pub mod byteproxy;
pub mod corpus;
pub mod cutproxy;
pub mod embedder;
pub mod identity;
pub mod people;
pub mod pgproxy;
pub mod process;
pub mod provider;
pub mod rawsql;
pub mod s3;
pub mod sse;
pub mod stats;

pub use app::TestApp;
pub use backend::Backend;

/// Runs one async test body against both backends, as two `#[tokio::test]`s
/// named `sqlite` and `postgres` inside a module named after the test.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::Backend::Postgres).await
            }
        }
    };
}

/// Serves `router` on 127.0.0.1 port 0 for the rest of the test (a site, a
/// webhook receiver); its base URL, `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}
