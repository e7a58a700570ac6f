//! Files go with what they belong to: a deleted conversation, an erased
//! visitor, an upload never sent within a day. The visitor's export lists
//! them.

use std::time::{Duration, Instant};

use lantern_tests::{
    Backend, TestApp,
    backend::{raw_count, raw_exec},
    on_both_backends,
};
use serde_json::{Value, json};

use super::{fetch, png, scene, send_files, stored_files, uploaded};

/// Waits until `done` holds (the housekeeping job runs every second).
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn files_go_with_their_conversation_and_visitor(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.prune_every_secs = 1).await;
    let s = scene(&app).await;
    let a = uploaded(&app, &s.conversation, &s.visitor, "a.png", png(20, 20)).await;
    let res = send_files(&app, &s, "look", json!([a["id"]])).await;
    assert_eq!(res.status(), 201);
    let unsent = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "later.txt",
        b"not yet".to_vec(),
    )
    .await;
    assert_eq!(stored_files(&app).len(), 3, "image, thumbnail, text");

    // The export lists both, sent and not.
    let visitor_id = app
        .get_auth(
            &format!("/api/v1/conversations/{}", s.conversation),
            &s.site.admin_key,
        )
        .await
        .json::<Value>()
        .await
        .expect("json")["visitor_id"]
        .as_str()
        .expect("visitor id")
        .to_string();
    let export: Value = app
        .get_auth(
            &format!("/api/v1/visitors/{visitor_id}/export"),
            &s.site.admin_key,
        )
        .await
        .json()
        .await
        .expect("json");
    let listed = export["attachments"].as_array().expect("attachments");
    assert_eq!(listed.len(), 2, "{export}");
    assert!(
        listed
            .iter()
            .any(|x| x["id"] == a["id"] && x["conversation_id"] == s.conversation)
    );
    assert!(
        listed
            .iter()
            .any(|x| x["id"] == unsent["id"] && x["message_id"].is_null())
    );

    // A second conversation of the same visitor, deleted by its owner.
    let second = app.conversation_id(&s.visitor).await;
    let b = uploaded(&app, &second, &s.visitor, "b.txt", b"bye".to_vec()).await;
    assert_eq!(stored_files(&app).len(), 4);
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/conversations/{second}")))
        .bearer_auth(&s.site.admin_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    assert_eq!(stored_files(&app).len(), 3, "{:?}", stored_files(&app));
    assert_eq!(
        fetch(&app, b["url"].as_str().expect("url"), &s.site.admin_key)
            .await
            .0,
        404
    );

    // The visitor erased: every file of theirs goes, and every row.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/visitors/{visitor_id}")))
        .bearer_auth(&s.site.admin_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    assert_eq!(raw_count(&app.database_url, "attachments").await, 0);
}
on_both_backends!(
    files_go_with_their_conversation_and_visitor,
    super::files_go_with_their_conversation_and_visitor
);

async fn uploads_never_sent_go_after_a_day(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.prune_every_secs = 1).await;
    let s = scene(&app).await;
    let sent = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "sent.txt",
        b"kept".to_vec(),
    )
    .await;
    let res = send_files(&app, &s, "x", json!([sent["id"]])).await;
    assert_eq!(res.status(), 201);
    let fresh = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "fresh.txt",
        b"kept too".to_vec(),
    )
    .await;
    let old = uploaded(&app, &s.conversation, &s.visitor, "old.png", png(10, 10)).await;
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let sql = if app.database_url.starts_with("postgres") {
        "UPDATE attachments SET created_at = CAST($1 AS TIMESTAMPTZ) WHERE message_id IS NULL AND name = 'old.png'"
    } else {
        "UPDATE attachments SET created_at = $1 WHERE message_id IS NULL AND name = 'old.png'"
    };
    raw_exec(&app.database_url, sql, &two_days_ago).await;
    // Even the old sent one stays: only unsent uploads expire.
    let sql = sql.replace(
        "message_id IS NULL AND name = 'old.png'",
        "name = 'sent.txt'",
    );
    raw_exec(&app.database_url, &sql, &two_days_ago).await;
    eventually("the old unsent upload is removed", async || {
        raw_count(&app.database_url, "attachments").await == 2
    })
    .await;
    assert_eq!(stored_files(&app).len(), 2, "{:?}", stored_files(&app));
    assert_eq!(
        fetch(&app, old["url"].as_str().expect("url"), &s.visitor)
            .await
            .0,
        404
    );
    for kept in [&sent, &fresh] {
        assert_eq!(
            fetch(&app, kept["url"].as_str().expect("url"), &s.visitor)
                .await
                .0,
            200
        );
    }
    // Sending it now is refused: it is gone.
    let res = send_files(&app, &s, "x", json!([old["id"]])).await;
    crate::assert_envelope(res, 400, "validation_failed").await;
}
on_both_backends!(
    uploads_never_sent_go_after_a_day,
    super::uploads_never_sent_go_after_a_day
);

/// A file stored without a row (the process stopped between storing an
/// upload and recording it) goes once it is a day old; files with rows,
/// young strays and objects not named as Lantern names them stay.
async fn stray_files_go_after_a_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let kept = uploaded(&app, &s.conversation, &s.visitor, "kept.png", png(12, 12)).await;
    let unsent = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "later.txt",
        b"soon".to_vec(),
    )
    .await;
    let dir = &app.attachments_dir.0;
    let stray = format!("{}/{}", s.site.id, uuid::Uuid::now_v7());
    std::fs::write(dir.join(&stray), b"orphan").expect("stray");
    std::fs::write(dir.join(format!("{stray}.thumb")), b"orphan thumb").expect("stray thumb");
    std::fs::create_dir_all(dir.join("elsewhere")).expect("dir");
    std::fs::write(dir.join("elsewhere/notes.v1.txt"), b"not ours").expect("foreign");
    assert_eq!(stored_files(&app).len(), 6, "{:?}", stored_files(&app));

    let mut settings = lantern_server::settings::Settings::default();
    settings.attachments.store = Some(format!("file://{}", dir.display()));
    let attachments = lantern_server::attachments::Attachments::open(&settings).expect("store");
    let db = lantern_server::db::Db::connect(&app.database_url)
        .await
        .expect("db");
    let now = chrono::Utc::now();
    assert_eq!(
        attachments.sweep_strays(&db, now).await,
        0,
        "young strays stay"
    );
    let later = now + chrono::Duration::days(2);
    assert_eq!(
        attachments.sweep_strays(&db, later).await,
        2,
        "{:?}",
        stored_files(&app)
    );
    let mut left = stored_files(&app);
    left.sort();
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(!left.iter().any(|f| f.starts_with(&stray)), "{left:?}");
    assert!(
        left.contains(&"elsewhere/notes.v1.txt".to_string()),
        "{left:?}"
    );
    for a in [&kept, &unsent] {
        assert_eq!(
            fetch(&app, a["url"].as_str().expect("url"), &s.visitor)
                .await
                .0,
            200
        );
    }
    db.close().await;
}
on_both_backends!(
    stray_files_go_after_a_day,
    super::stray_files_go_after_a_day
);
