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
