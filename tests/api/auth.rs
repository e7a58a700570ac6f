use lantern_tests::{Backend, TestApp, app::ALLOWED_ORIGIN, on_both_backends};
use serde_json::json;

use crate::assert_envelope;

/// Visitors see only their own conversations; admins only their site's.
async fn who_sees_what(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site1 = app.site().await;
    let site2 = app.site().await;
    let a = app.visitor(&site1.id).await;
    let b = app.visitor(&site1.id).await;
    let conv = app.conversation(&a).await;
    let id = conv["id"].as_str().expect("id");
    let path = format!("/api/v1/conversations/{id}");

    assert_eq!(app.get_auth(&path, &a).await.status(), 200);
    assert_eq!(app.get_auth(&path, &site1.admin_key).await.status(), 200);
    assert_envelope(app.get_auth(&path, &b).await, 404, "not_found").await;
    assert_envelope(
        app.get_auth(&path, &site2.admin_key).await,
        404,
        "not_found",
    )
    .await;
    assert_envelope(app.get(&path).await, 401, "unauthorized").await;
    assert_envelope(app.get_auth(&path, "lv_forged").await, 401, "unauthorized").await;
    assert_envelope(app.get_auth(&path, "lk_forged").await, 401, "unauthorized").await;

    // Writing follows reading.
    let post = format!("{path}/messages");
    assert_envelope(
        app.post_json(&post, &b, &json!({"content": "hi"})).await,
        404,
        "not_found",
    )
    .await;
    assert_envelope(
        app.post_json(&format!("{path}/close"), &b, &json!({}))
            .await,
        404,
        "not_found",
    )
    .await;
    // Only an admin posts as an agent.
    assert_envelope(
        app.post_json(
            &post,
            &a,
            &json!({"content": "I am staff", "role": "agent"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_envelope(
        app.post_json(
            &post,
            &site1.admin_key,
            &json!({"content": "x", "role": "system"}),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    // A site's list holds only its own conversations.
    let listed: serde_json::Value = app
        .get_auth("/api/v1/conversations", &site2.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"].as_array().expect("items").len(), 0);
}
on_both_backends!(visibility, super::who_sees_what);

/// Visitor tokens go to allowed origins; servers use the admin key.
async fn visitor_origins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let path = app.url(&format!("/api/v1/sites/{}/visitors", site.id));
    let send = |origin: Option<&str>, token: Option<&str>| {
        let mut req = app.client.post(&path).json(&json!({}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(
        send(Some(ALLOWED_ORIGIN), None)
            .await
            .expect("sent")
            .status(),
        201
    );
    assert_envelope(
        send(Some("https://evil.example"), None)
            .await
            .expect("sent"),
        403,
        "forbidden",
    )
    .await;
    assert_envelope(
        send(Some("null"), None).await.expect("sent"),
        403,
        "forbidden",
    )
    .await;
    assert_envelope(send(None, None).await.expect("sent"), 403, "forbidden").await;
    assert_eq!(
        send(None, Some(&site.admin_key))
            .await
            .expect("sent")
            .status(),
        201
    );
    // A visitor token never grants admin routes.
    let visitor = app.visitor(&site.id).await;
    let other = app.site().await;
    assert_envelope(
        app.client
            .post(app.url(&format!("/api/v1/sites/{}/visitors", other.id)))
            .bearer_auth(&visitor)
            .json(&json!({}))
            .send()
            .await
            .expect("sent"),
        403,
        "forbidden",
    )
    .await;
}
on_both_backends!(visitor_tokens_by_origin, super::visitor_origins);
