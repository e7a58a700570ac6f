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
    lantern_server::backup::backup(&app.database_url, None, &file)
        .await
        .expect("backup while serving");
    assert!(std::fs::metadata(&file).expect("backup file").len() > 0);

    let target = backend.fresh_database().await;
    lantern_server::backup::restore(&target.url, None, &file)
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

/// A restore refuses a damaged file, a file that is not a backup and a
/// database a server is using; each time, the database is left as it was.
async fn refusals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let dir = TempDir::new(&format!("lantern-backup-{}", uuid::Uuid::new_v4().simple()));
    let good = dir.0.join("good.backup");
    lantern_server::backup::backup(&app.database_url, None, &good)
        .await
        .expect("backup");

    // A running server's database is not replaced.
    let err = lantern_server::backup::restore(&app.database_url, None, &good)
        .await
        .expect_err("refused while serving");
    assert!(format!("{err:#}").contains("stop"), "{err:#}");

    let target = backend.fresh_database().await;
    lantern_server::db::Db::connect(&target.url)
        .await
        .expect("an empty Lantern database")
        .close()
        .await;
    let mut bytes = std::fs::read(&good).expect("read");
    let last = bytes.len() - 10;
    bytes[last] ^= 0x55;
    let damaged = dir.0.join("damaged.backup");
    std::fs::write(&damaged, &bytes).expect("write");
    let stranger = dir.0.join("stranger.backup");
    std::fs::write(
        &stranger,
        b"-- a SQL dump from elsewhere\nDROP TABLE sites;\n",
    )
    .expect("write");
    for (file, says) in [(&damaged, "damaged"), (&stranger, "not a backup")] {
        let err = lantern_server::backup::restore(&target.url, None, file)
            .await
            .expect_err("refused");
        assert!(format!("{err:#}").contains(says), "{err:#}");
    }
    // Nothing was restored: the target still lacks the conversation.
    let restored = lantern_server::db::Db::connect(&target.url)
        .await
        .expect("open");
    assert!(
        restored
            .messages(&id, 0, 10, true)
            .await
            .map_or(true, |m| m.is_empty())
    );
    restored.close().await;
    drop(restored); // its lock, too
    // The good file restores once nothing uses the target. Postgres lists
    // a closed connection for a moment after it went (its backend exits
    // after the client), so a refusal for that alone is retried briefly.
    let mut tries = 0;
    loop {
        match lantern_server::backup::restore(&target.url, None, &good).await {
            Ok(_) => break,
            Err(e) if tries < 50 && format!("{e:#}").contains("use this database") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("restore: {e:#}"),
        }
    }
}
on_both_backends!(restore_refuses_what_it_must, super::refusals);

/// `--dir DIR --keep N`: timestamped files, the oldest removed, each
/// readable by its owner only.
async fn rotation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = TempDir::new(&format!(
        "lantern-backups-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut written = Vec::new();
    for _ in 0..3 {
        written.push(
            lantern_server::backup::backup_to_dir(&app.database_url, None, &dir.0, 2)
                .await
                .expect("backup")
                .0,
        );
    }
    let mut left: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    left.sort();
    assert_eq!(left, written[1..].to_vec(), "the newest two are kept");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in &left {
            let mode = std::fs::metadata(f).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
    }
}
on_both_backends!(backups_rotate, super::rotation);
