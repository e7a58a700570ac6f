use lantern_shared::health::Liveness;
use lantern_tests::{Backend, TestApp, on_both_backends};

async fn live_and_ready(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let live = app.get("/health/live").await;
    assert_eq!(live.status(), 200);
    let body: Liveness = live.json().await.expect("liveness body");
    assert_eq!(body.status, "ok");
    assert_eq!(body.service, "origin");

    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 200);

    let diag: serde_json::Value = app.get("/health").await.json().await.expect("json");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(diag["database"]["backend"], expected);
}
on_both_backends!(live_and_ready_answer, super::live_and_ready);

/// Unknown paths are not served as something else.
async fn unknown_path_is_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/no/such/thing").await.status(), 404);
}
on_both_backends!(unknown_path, super::unknown_path_is_404);

/// Readiness names the failing component: the database gone → 503.
#[tokio::test]
async fn readiness_is_503_naming_the_database_when_it_is_gone() {
    use sqlx::Connection;
    let app = TestApp::spawn(Backend::Postgres).await;
    assert_eq!(app.get("/health/ready").await.status(), 200);
    let (_, name) = app.database_url.rsplit_once('/').expect("db name");
    let mut admin = sqlx::PgConnection::connect(&lantern_tests::backend::postgres_server_url())
        .await
        .expect("admin connection");
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop the app's database");
    let res = app.get("/health/ready").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["error"], "unavailable");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("database"),
        "{body}"
    );
    // Liveness is about the process, not its dependencies.
    assert_eq!(app.get("/health/live").await.status(), 200);
}
