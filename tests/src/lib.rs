//! Helpers for black-box tests: a fresh database per test (a new SQLite file or
//! a new Postgres database), the real server on port 0, and an HTTP client.

pub mod app;
pub mod backend;
pub mod byteproxy;
pub mod corpus;
pub mod cutproxy;
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
