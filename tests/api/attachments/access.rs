//! A file is served with the authorisation of its conversation: its
//! visitor, the site's members and admin keys; nobody else, not even with
//! the id in hand. A member's upload reaches the visitor only once sent,
//! and never with a private note.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use super::{fetch, png, scene, send_files, uploaded};

async fn files_follow_their_conversations_authorisation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let a = uploaded(&app, &s.conversation, &s.visitor, "mine.png", png(40, 30)).await;
    assert_eq!(a["type"], "image/png");
    let url = a["url"].as_str().expect("url");
    let thumb = a["thumbnail_url"].as_str().expect("thumb");

    // Its visitor and the site's admin key.
    for token in [&s.visitor, &s.site.admin_key] {
        assert_eq!(fetch(&app, url, token).await.0, 200);
        assert_eq!(fetch(&app, thumb, token).await.0, 200);
    }
    // Another visitor of the same site, another site's key: not found.
    let stranger = app.visitor(&s.site.id).await;
    let other_site = app.site().await;
    let other_visitor = app.visitor(&other_site.id).await;
    for token in [&stranger, &other_site.admin_key, &other_visitor] {
        assert_eq!(fetch(&app, url, token).await.0, 404);
        assert_eq!(fetch(&app, thumb, token).await.0, 404);
        let res = app
            .upload(&s.conversation, token, "x.txt", b"x".to_vec())
            .await;
        crate::assert_envelope(res, 404, "not_found").await;
    }
    // No credentials at all.
    crate::assert_envelope(app.get(url).await, 401, "unauthorized").await;

    // The site's members, by their session.
    app.person("agent@example.com", &s.site.id, "agent").await;
    let mut agent = app.signed_in("agent@example.com").await;
    let res = agent.get(&format!("{url}?site_id={}", s.site.id)).await;
    assert_eq!(res.status(), 200);
    app.person("outsider@example.com", &other_site.id, "owner")
        .await;
    let mut outsider = app.signed_in("outsider@example.com").await;
    let res = outsider.get(url).await;
    assert_eq!(res.status(), 404);

    // A member's upload: hidden from the visitor until sent.
    let by_staff = uploaded(
        &app,
        &s.conversation,
        &s.site.admin_key,
        "answer.txt",
        b"steps".to_vec(),
    )
    .await;
    let staff_url = by_staff["url"].as_str().expect("url");
    assert_eq!(fetch(&app, staff_url, &s.visitor).await.0, 404);
    // ... and the visitor cannot send it as theirs.
    let path = format!("/api/v1/conversations/{}/messages", s.conversation);
    let res = send_files(&app, &s, "x", json!([by_staff["id"]])).await;
    crate::assert_envelope(res, 400, "validation_failed").await;
    let res = app
        .post_json(
            &path,
            &s.site.admin_key,
            &json!({"content": "Here you go", "role": "agent", "attachment_ids": [by_staff["id"]]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(fetch(&app, staff_url, &s.visitor).await.0, 200);

    // A private note's file never reaches the visitor.
    let secret = uploaded(
        &app,
        &s.conversation,
        &s.site.admin_key,
        "internal.txt",
        b"note".to_vec(),
    )
    .await;
    let res = app
        .post_json(
            &path,
            &s.site.admin_key,
            &json!({"content": "for us", "role": "agent", "internal": true, "attachment_ids": [secret["id"]]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let secret_url = secret["url"].as_str().expect("url");
    assert_eq!(fetch(&app, secret_url, &s.visitor).await.0, 404);
    assert_eq!(fetch(&app, secret_url, &s.site.admin_key).await.0, 200);
    let visible: Value = app
        .get_auth(&path, &s.visitor)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        !visible
            .to_string()
            .contains(secret["id"].as_str().expect("id"))
    );
}
on_both_backends!(
    files_follow_their_conversations_authorisation,
    super::files_follow_their_conversations_authorisation
);
