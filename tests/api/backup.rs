//! `lantern backup` / `restore`: a populated database, backed up while the
//! server runs, restored elsewhere, compares equal.

use lantern_tests::{Backend, TestApp, backend::TempDir, on_both_backends};
use serde_json::json;

async fn round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    for text in ["first", "second, with **markdown**", "third"] {
        let res = app
            .post_json(
                &format!("/api/v1/conversations/{id}/messages"),
                &visitor,
                &json!({"content": text}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let dir = TempDir::new(&format!("lantern-backup-{}", uuid::Uuid::new_v4().simple()));
    let file = dir.0.join("lantern.backup.gz");
    lantern_server::backup::backup(&app.database_url, &file)
        .await
        .expect("backup while serving");
    assert!(std::fs::metadata(&file).expect("backup file").len() > 0);

    let target = backend.fresh_database().await;
    lantern_server::backup::restore(&target.url, &file)
        .await
        .expect("restore");

    let original = lantern_server::db::Db::connect(&app.database_url)
        .await
        .expect("original");
    let restored = lantern_server::db::Db::connect(&target.url)
        .await
        .expect("restored");
    let a = original
        .messages(&id, 0, 100, true)
        .await
        .expect("messages");
    let b = restored
        .messages(&id, 0, 100, true)
        .await
        .expect("messages");
    assert_eq!(a.len(), 7, "welcome + 3 questions + 3 replies");
    assert_eq!(a, b, "messages survive the round trip");
    assert_eq!(
        original.site(&site.id).await.expect("site"),
        restored.site(&site.id).await.expect("site")
    );
    assert_eq!(
        original.events_after(&id, 0, 100).await.expect("events"),
        restored.events_after(&id, 0, 100).await.expect("events")
    );
}
on_both_backends!(backup_and_restore, super::round_trip);
