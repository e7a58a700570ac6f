//! Uploads have their own rates (per visitor, per site) and a per-site
//! storage quota, and a site can switch them off: each refusal is clear
//! and counted by reason.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::json;

use super::{metric, scene, uploaded};

async fn rates_quota_and_the_switch(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.attachments.uploads_per_visitor = 2;
        s.attachments.site_quota_bytes = 2_500;
    })
    .await;
    let s = scene(&app).await;
    let rate = r#"lantern_uploads_refused_total{reason="rate_visitor"} "#;
    let quota = r#"lantern_uploads_refused_total{reason="quota"} "#;
    let (rate_before, quota_before) = (metric(&app, rate).await, metric(&app, quota).await);

    uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "1.txt",
        vec![b'a'; 1_000],
    )
    .await;
    uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "2.txt",
        vec![b'b'; 1_000],
    )
    .await;
    let res = app
        .upload(&s.conversation, &s.visitor, "3.txt", vec![b'c'; 10])
        .await;
    assert!(res.headers().contains_key("retry-after"));
    crate::assert_envelope(res, 429, "rate_limited").await;
    assert!(metric(&app, rate).await > rate_before);

    // Another visitor of the site has a rate of their own, but the site's
    // storage is nearly full: 2,000 of 2,500 bytes.
    let other = app.visitor(&s.site.id).await;
    let conv = app.conversation_id(&other).await;
    let res = app.upload(&conv, &other, "big.txt", vec![b'd'; 600]).await;
    let body = crate::assert_envelope(res, 413, "payload_too_large").await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("storage")),
        "{body}"
    );
    assert!(metric(&app, quota).await > quota_before);
    uploaded(&app, &conv, &other, "small.txt", vec![b'e'; 400]).await;

    // Switched off: nobody uploads, and the widget's public config says
    // so (it hides its attach button).
    assert_eq!(takes_files(&app, &s.site.id).await, true);
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/sites/{}", s.site.id)))
        .bearer_auth(&s.site.admin_key)
        .json(&json!({"attachments_enabled": false}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert_eq!(takes_files(&app, &s.site.id).await, false);
    let res = app
        .upload(&conv, &s.site.admin_key, "x.txt", b"x".to_vec())
        .await;
    crate::assert_envelope(res, 403, "forbidden").await;
    let stored = app
        .metrics()
        .await
        .lines()
        .any(|l| l.starts_with("lantern_attachment_bytes_stored "));
    assert!(stored, "the stored-bytes gauge is exported");
}
/// `attachments_enabled` of the site's public (widget) config.
async fn takes_files(app: &TestApp, site: &str) -> serde_json::Value {
    let url = app.url(&format!("/api/v1/sites/{site}/config"));
    let res = app.client.get(url).send().await.expect("sent");
    res.json::<serde_json::Value>().await.expect("json")["attachments_enabled"].clone()
}

on_both_backends!(
    rates_quota_and_the_switch,
    super::rates_quota_and_the_switch
);
