//! The S3 store, against a real S3-compatible server (moto) that the test
//! starts: files land in the bucket under the configured prefix, come back
//! through the API, and go with their conversation. A store that cuts
//! every connection mid-upload makes the upload fail cleanly: an error
//! answer, no row, no object.

use lantern_server::settings::Secret;
use lantern_tests::{
    Backend, TestApp,
    backend::raw_count,
    byteproxy, on_both_backends,
    s3::{Moto, keys},
};
use serde_json::json;

use super::{fetch, jpeg, scene, send_files, uploaded};

pub(super) fn s3_settings(
    s: &mut lantern_server::settings::Settings,
    endpoint: String,
    store: &str,
) {
    s.attachments.store = Some(store.to_string());
    s.attachments.aws_endpoint = Some(endpoint);
    s.attachments.aws_allow_http = true;
    s.attachments.aws_access_key_id = Some("test".into());
    s.attachments.aws_secret_access_key = Some(Secret::new("test"));
}

async fn files_live_in_an_s3_bucket(backend: Backend) {
    let moto = Moto::start().await;
    moto.bucket("lantern-files").await;
    let endpoint = moto.endpoint.clone();
    let app = TestApp::spawn_with(backend, |s| {
        s3_settings(s, endpoint, "s3://lantern-files/chat")
    })
    .await;
    let s = scene(&app).await;
    let bucket = moto.client("lantern-files");

    let photo = jpeg(1200, 900, Some("GPS-SECRET"));
    let a = uploaded(&app, &s.conversation, &s.visitor, "shot.jpg", photo).await;
    // A large text goes up in several parts (S3 multipart upload).
    let text = "a line of a long log\n".repeat(300_000);
    let big = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "log.txt",
        text.clone().into_bytes(),
    )
    .await;
    assert_eq!(big["size"], text.len());
    let stored = keys(&bucket, "chat").await;
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert!(
        stored
            .iter()
            .all(|k| k.starts_with(&format!("chat/{}/", s.site.id))),
        "{stored:?}"
    );

    let (status, _, body) = fetch(&app, a["url"].as_str().expect("url"), &s.visitor).await;
    assert_eq!(status, 200);
    assert!(!body.windows(10).any(|w| w == b"GPS-SECRET"));
    image::load_from_memory(&body).expect("an image");
    let (status, _, body) = fetch(&app, big["url"].as_str().expect("url"), &s.visitor).await;
    assert_eq!((status, body.len()), (200, text.len()));
    assert!(body == text.as_bytes());

    let res = send_files(&app, &s, "see", json!([a["id"]])).await;
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/conversations/{}", s.conversation)))
        .bearer_auth(&s.site.admin_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    assert!(keys(&bucket, "chat").await.is_empty());
    assert_eq!(raw_count(&app.database_url, "attachments").await, 0);
}
on_both_backends!(
    files_live_in_an_s3_bucket,
    super::files_live_in_an_s3_bucket
);

async fn a_store_failing_mid_upload_leaves_nothing(backend: Backend) {
    let moto = Moto::start().await;
    moto.bucket("lantern-files").await;
    // Each connection to the store carries at most 64 KiB, then is cut.
    let port = byteproxy::start(format!("127.0.0.1:{}", moto.port), 64 * 1024).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let app =
        TestApp::spawn_with(backend, |s| s3_settings(s, endpoint, "s3://lantern-files")).await;
    let s = scene(&app).await;
    // One request (2 MiB), then a multipart upload (6 MiB: parts of 5).
    for size in [2 * 1024 * 1024, 6 * 1024 * 1024] {
        let res = app
            .upload(&s.conversation, &s.visitor, "big.txt", vec![b'z'; size])
            .await;
        crate::assert_envelope(res, 503, "unavailable").await;
    }
    assert_eq!(raw_count(&app.database_url, "attachments").await, 0);
    assert!(keys(&moto.client("lantern-files"), "").await.is_empty());
    // The multipart upload was aborted, not left half-done in the bucket.
    let pending = reqwest::get(format!("{}/lantern-files?uploads", moto.endpoint))
        .await
        .expect("moto reached")
        .text()
        .await
        .expect("text");
    assert!(!pending.contains("<UploadId>"), "{pending}");
    // Small files still fit through the same store.
    let a = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "small.txt",
        b"fine".to_vec(),
    )
    .await;
    assert_eq!(
        fetch(&app, a["url"].as_str().expect("url"), &s.visitor)
            .await
            .0,
        200
    );
}
on_both_backends!(
    a_store_failing_mid_upload_leaves_nothing,
    super::a_store_failing_mid_upload_leaves_nothing
);
