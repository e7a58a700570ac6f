//! Backups carry the attachment files: a conversation with files, backed
//! up while serving, restored into another database and another folder,
//! serves the same bytes; a backup written before files were included
//! (format 1) still restores; `None` leaves files out on both sides.

use std::path::Path;

use lantern_server::{attachments::Store, settings::Settings};
use lantern_tests::{Backend, TestApp, backend::TempDir, on_both_backends};
use serde_json::{Value, json};

use super::{fetch, jpeg, scene, send_files, stored_files, uploaded};

fn store_at(dir: &Path) -> Store {
    let mut settings = Settings::default();
    settings.attachments.store = Some(format!("file://{}", dir.display()));
    Store::open(&settings).expect("a store in a folder")
}

fn temp(tag: &str) -> TempDir {
    TempDir::new(&format!("lantern-{tag}-{}", uuid::Uuid::new_v4().simple()))
}

async fn files_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let photo = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "shot.jpg",
        jpeg(640, 480, None),
    )
    .await;
    let log = "a line of a log\n".repeat(4_000).into_bytes();
    let text = uploaded(&app, &s.conversation, &s.visitor, "log.txt", log.clone()).await;
    let ids = json!([photo["id"], text["id"]]);
    let res = send_files(&app, &s, "see attached", json!(ids)).await;
    assert_eq!(res.status(), 201);
    let held = stored_files(&app);
    assert_eq!(
        held.len(),
        3,
        "the photo, its thumbnail and the log: {held:?}"
    );

    let dir = temp("backup");
    let file = dir.0.join("with-files.backup");
    let written = lantern_server::backup::backup(
        &app.database_url,
        Some(&store_at(&app.attachments_dir.0)),
        &file,
    )
    .await
    .expect("backup while serving");
    assert_eq!(written.files, 3);
    assert!(written.file_bytes > log.len() as u64, "{written:?}");

    // Restored into a fresh database and an empty folder of its own.
    let target = backend.fresh_database().await;
    let folder = temp("restored-files");
    let restored = lantern_server::backup::restore(&target.url, Some(&store_at(&folder.0)), &file)
        .await
        .expect("restore");
    assert_eq!(restored, written, "every file went back");
    let store = format!("file://{}", folder.0.display());
    let again = TestApp::spawn_on(&target.url, |s| s.attachments.store = Some(store)).await;
    for a in [&photo, &text] {
        let url = a["url"].as_str().expect("url");
        let (status, _, before) = fetch(&app, url, &s.visitor).await;
        assert_eq!(status, 200);
        let (status, _, after) = fetch(&again, url, &s.visitor).await;
        assert_eq!(status, 200, "{url} after the restore");
        assert_eq!(before, after, "{url}: the same bytes");
    }
    let thumb = photo["thumbnail_url"].as_str().expect("thumbnail");
    assert_eq!(fetch(&again, thumb, &s.visitor).await.0, 200);
    let (_, _, after) = fetch(&again, text["url"].as_str().expect("url"), &s.visitor).await;
    assert_eq!(after, log);

    // Without a store: the database alone, nothing written anywhere else.
    let bare = dir.0.join("bare.backup");
    let only_db = lantern_server::backup::backup(&app.database_url, None, &bare)
        .await
        .expect("backup");
    assert_eq!((only_db.files, only_db.file_bytes), (0, 0));
    let target = backend.fresh_database().await;
    let skipped = lantern_server::backup::restore(&target.url, None, &file)
        .await
        .expect("restore without files");
    assert_eq!((skipped.files, skipped.file_bytes), (0, 0));
    let db = lantern_server::db::Db::connect(&target.url)
        .await
        .expect("open");
    let messages = db
        .messages(&s.conversation, 0, 100, true)
        .await
        .expect("messages");
    assert!(messages.iter().any(|m| m.content == "see attached"));
    db.close().await;
}
on_both_backends!(backup_carries_the_files, super::files_round_trip);

/// A format-1 backup (the gzipped dump alone, written by earlier versions)
/// is still read: made here from a format-2 file's database entry.
async fn format_one_restores(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let dir = temp("backup-v1");
    let new = dir.0.join("v2.backup");
    lantern_server::backup::backup(&app.database_url, None, &new)
        .await
        .expect("backup");
    let old = dir.0.join("v1.backup");
    std::fs::write(&old, as_format_one(&new)).expect("write");
    let target = backend.fresh_database().await;
    lantern_server::backup::restore(&target.url, None, &old)
        .await
        .expect("a format-1 backup restores");
    let again = TestApp::spawn_on(&target.url, |_| {}).await;
    let res = again
        .get_auth(
            &format!("/api/v1/conversations/{}/messages", s.conversation),
            &s.visitor,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert!(
        !body["items"].as_array().expect("items").is_empty(),
        "{body}"
    );
}
on_both_backends!(format_one_backups_restore, super::format_one_restores);

/// The database entry of a format-2 backup, rewritten as format 1.
fn as_format_one(v2: &Path) -> Vec<u8> {
    use sha2::Digest;
    use std::io::{BufRead, Read, Write};
    let mut reader = std::io::BufReader::new(std::fs::File::open(v2).expect("open"));
    let mut line = String::new();
    for _ in 0..2 {
        line.clear();
        reader.read_line(&mut line).expect("header");
    }
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut dump = Vec::new();
    let mut first = archive
        .entries()
        .expect("entries")
        .next()
        .expect("an entry")
        .expect("entry");
    assert_eq!(first.path().expect("path").to_str(), Some("database"));
    first.read_to_end(&mut dump).expect("dump");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&dump).expect("gzip");
    let payload = gz.finish().expect("gzip");
    let header = json!({
        "backend": header_backend(v2),
        "created_at": "2026-01-01T00:00:00Z",
        "sha256": hex::encode(sha2::Sha256::digest(&payload)),
        "bytes": payload.len(),
    });
    let mut out = format!("LANTERN-BACKUP 1\n{header}\n").into_bytes();
    out.extend_from_slice(&payload);
    out
}

fn header_backend(file: &Path) -> String {
    let text = std::fs::read(file).expect("read");
    let line = text.split(|b| *b == b'\n').nth(1).expect("header line");
    let header: Value = serde_json::from_slice(line).expect("json header");
    header["backend"].as_str().expect("backend").to_string()
}

/// Files kept in an S3 bucket (a real S3-compatible server, moto) are
/// backed up from it and restored into a folder: the store need not be of
/// the same kind on both sides.
async fn from_a_bucket_to_a_folder(backend: Backend) {
    let moto = lantern_tests::s3::Moto::start().await;
    moto.bucket("lantern-backup").await;
    let endpoint = moto.endpoint.clone();
    let configure =
        move |s: &mut Settings| super::s3::s3_settings(s, endpoint, "s3://lantern-backup/files");
    let mut bucket_settings = Settings::default();
    configure.clone()(&mut bucket_settings);
    let app = TestApp::spawn_with(backend, configure).await;
    let s = scene(&app).await;
    let text = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "notes.txt",
        b"kept in S3".to_vec(),
    )
    .await;
    let dir = temp("backup-s3");
    let file = dir.0.join("s3.backup");
    let bucket = Store::open(&bucket_settings).expect("the bucket");
    let written = lantern_server::backup::backup(&app.database_url, Some(&bucket), &file)
        .await
        .expect("backup");
    assert_eq!((written.files, written.file_bytes), (1, 10));

    let target = backend.fresh_database().await;
    let folder = temp("from-s3");
    lantern_server::backup::restore(&target.url, Some(&store_at(&folder.0)), &file)
        .await
        .expect("restore");
    let store = format!("file://{}", folder.0.display());
    let again = TestApp::spawn_on(&target.url, |s| s.attachments.store = Some(store)).await;
    let (status, _, bytes) = fetch(&again, text["url"].as_str().expect("url"), &s.visitor).await;
    assert_eq!((status, bytes.as_slice()), (200, b"kept in S3".as_slice()));
}
on_both_backends!(
    backup_from_a_bucket_restores_into_a_folder,
    super::from_a_bucket_to_a_folder
);
