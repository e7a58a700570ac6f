//! Visitor tokens that end: refresh rotates, an admin revokes, identity
//! rules that change revoke what they no longer allow, hashes that expire.

use lantern_tests::{
    Backend, TestApp,
    identity::{identify, new_secret, sign},
    on_both_backends,
};
use serde_json::{Value, json};

use crate::assert_envelope;

async fn status_of(app: &TestApp, token: &str) -> u16 {
    app.get_auth("/api/v1/conversations", token)
        .await
        .status()
        .as_u16()
}

async fn refresh(app: &TestApp, token: &str) -> Value {
    let res = app
        .post_json("/api/v1/visitors/refresh", token, &json!({}))
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.expect("json")
}

/// Refresh rotates: once the grace is over, only the new token works.
async fn rotation(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.visitor_token_grace_secs = 0).await;
    let site = app.site().await;
    let old = app.visitor(&site.id).await;
    let conv = app.conversation_id(&old).await;
    let new = refresh(&app, &old).await;
    let new = new["token"].as_str().expect("token");
    assert_eq!(status_of(&app, &old).await, 401, "the old token died");
    assert_eq!(status_of(&app, new).await, 200);
    let res = app
        .get_auth(&format!("/api/v1/conversations/{conv}"), new)
        .await;
    assert_eq!(res.status(), 200, "the same visitor");
    // A dead token cannot be refreshed either.
    let res = app
        .post_json("/api/v1/visitors/refresh", &old, &json!({}))
        .await;
    assert_eq!(res.status(), 401);
}
on_both_backends!(refresh_rotates_the_token, super::rotation);

/// With the default grace the old token keeps working for the other tabs.
async fn grace(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let old = app.visitor(&site.id).await;
    refresh(&app, &old).await;
    assert_eq!(status_of(&app, &old).await, 200);
}
on_both_backends!(a_refreshed_token_has_a_grace, super::grace);

/// Opens `conv`'s event stream as `key`; the task ends when the stream does
/// (true when it ended cleanly).
async fn open_stream(app: &TestApp, conv: &str, key: &str) -> tokio::task::JoinHandle<bool> {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/conversations/{conv}/events")))
        .bearer_auth(key)
        .send()
        .await
        .expect("stream");
    assert_eq!(res.status(), 200);
    tokio::spawn(async move { res.text().await.is_ok() })
}

/// An admin (or owner) revokes every token of one visitor of their site.
async fn revoke(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let other_site = app.site().await;
    let token = app.visitor(&site.id).await;
    let second = refresh(&app, &token).await;
    let visitor_id = second["visitor_id"].as_str().expect("id").to_string();
    let bystander = app.visitor(&site.id).await;
    let path = format!("/api/v1/visitors/{visitor_id}/tokens");
    let delete = |key: String| {
        let req = app.client.delete(app.url(&path)).bearer_auth(key);
        async move { req.send().await.expect("sent") }
    };
    assert_envelope(delete(other_site.admin_key.clone()).await, 404, "not_found").await;
    assert_envelope(delete(bystander.clone()).await, 403, "forbidden").await;
    assert_eq!(
        status_of(&app, &token).await,
        200,
        "refused calls changed nothing"
    );
    // The visitor's open stream ends with the revocation; the admin's
    // stream of the same conversation stays.
    let conv = app.conversation_id(&token).await;
    let visitors_stream = open_stream(&app, &conv, &token).await;
    let admins_stream = open_stream(&app, &conv, &site.admin_key).await;
    assert_eq!(delete(site.admin_key.clone()).await.status(), 204);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), visitors_stream).await;
    assert!(
        matches!(ended, Ok(Ok(true))),
        "the visitor's stream did not end: {ended:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!admins_stream.is_finished(), "the admin's stream ended too");
    admins_stream.abort();
    assert_eq!(status_of(&app, &token).await, 401);
    assert_eq!(
        status_of(&app, second["token"].as_str().expect("token")).await,
        401
    );
    assert_eq!(
        status_of(&app, &bystander).await,
        200,
        "other visitors keep theirs"
    );
    let res = app
        .client
        .delete(app.url("/api/v1/visitors/no-such-visitor/tokens"))
        .bearer_auth(&site.admin_key)
        .send()
        .await
        .expect("sent");
    assert_envelope(res, 404, "not_found").await;
}
on_both_backends!(an_admin_revokes_a_visitors_tokens, super::revoke);

/// A new identity secret revokes verified visitors' tokens (the old secret
/// may have leaked); requiring identity revokes anonymous ones.
async fn identity_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let secret = new_secret(&app, &site.id, &site.admin_key).await;
    let verified: Value = identify(
        &app,
        &site.id,
        json!({"user_id": "u-1", "user_hash": sign(&secret, "u-1")}),
    )
    .await
    .json()
    .await
    .expect("json");
    let verified = verified["token"].as_str().expect("token").to_string();
    let anonymous = app.visitor(&site.id).await;
    new_secret(&app, &site.id, &site.admin_key).await;
    assert_eq!(
        status_of(&app, &verified).await,
        401,
        "signed under the old secret"
    );
    assert_eq!(status_of(&app, &anonymous).await, 200);
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/sites/{}", site.id)))
        .bearer_auth(&site.admin_key)
        .json(&json!({"identity_required": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert_eq!(
        status_of(&app, &anonymous).await,
        401,
        "issued without identity"
    );
}
on_both_backends!(changed_identity_rules_revoke_tokens, super::identity_rules);

/// `T.HEX` signs `user_id.T` and stops verifying at `T`.
async fn expiring_hash(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let secret = new_secret(&app, &site.id, &site.admin_key).await;
    let later = chrono::Utc::now().timestamp() + 600;
    let earlier = chrono::Utc::now().timestamp() - 1;
    let hash = |t: i64| format!("{t}.{}", sign(&secret, &format!("u-7.{t}")));
    let ok = identify(
        &app,
        &site.id,
        json!({"user_id": "u-7", "user_hash": hash(later)}),
    )
    .await;
    assert_eq!(ok.status(), 201);
    let res = identify(
        &app,
        &site.id,
        json!({"user_id": "u-7", "user_hash": hash(earlier)}),
    )
    .await;
    let body = assert_envelope(res, 401, "unauthorized").await;
    assert!(
        body["message"].as_str().unwrap_or("").contains("expired"),
        "{body}"
    );
    // Moving the expiry without the secret breaks the signature.
    let forged = format!(
        "{}.{}",
        later + 3600,
        sign(&secret, &format!("u-7.{later}"))
    );
    let res = identify(
        &app,
        &site.id,
        json!({"user_id": "u-7", "user_hash": forged}),
    )
    .await;
    assert_envelope(res, 401, "unauthorized").await;
}
on_both_backends!(a_user_hash_can_expire, super::expiring_hash);
