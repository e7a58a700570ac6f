//! Site settings an owner edits in the console: per-language welcome
//! messages (in the public config and in new conversations) and the
//! bubble's position, with their bad input; and the `member.invited` webhook
//! that carries an invite link to teams without a mail server.

use std::time::Duration;

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::assert_envelope;

async fn patch(app: &TestApp, site: &str, key: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/sites/{site}")))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

async fn welcome_by_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let res = patch(
        &app,
        &site.id,
        &site.admin_key,
        json!({
            "languages": ["en", "ar"],
            "welcome_message": "Hello! How can I help?",
            "welcome_messages": {"ar": "مرحبًا! كيف أساعدك؟", "fr": "  "},
            "position": "left",
        }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.expect("json");
    assert_eq!(saved["position"], "left");
    assert_eq!(
        saved["welcome_messages"],
        json!({"ar": "مرحبًا! كيف أساعدك؟"}),
        "a blank text drops its language"
    );
    let read: Value = app
        .get_auth(&format!("/api/v1/sites/{}", site.id), &site.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read["position"], "left");

    let config = |lang: &'static str| {
        let (app, id) = (&app, site.id.clone());
        async move {
            let res = app
                .get(&format!("/api/v1/sites/{id}/config?lang={lang}"))
                .await;
            assert_eq!(res.status(), 200, "{lang}");
            res.json::<Value>().await.expect("json")["welcome_message"].clone()
        }
    };
    assert_eq!(config("ar").await, "مرحبًا! كيف أساعدك؟");
    assert_eq!(
        config("ar-EG").await,
        "مرحبًا! كيف أساعدك؟",
        "the primary language's welcome"
    );
    assert_eq!(
        config("fr").await,
        "Hello! How can I help?",
        "the default for other languages"
    );
    let plain: Value = app
        .get(&format!("/api/v1/sites/{}/config", site.id))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(plain["welcome_message"], "Hello! How can I help?");
    assert_envelope(
        app.get(&format!(
            "/api/v1/sites/{}/config?lang=%3Cscript%3E",
            site.id
        ))
        .await,
        400,
        "validation_failed",
    )
    .await;

    // A conversation in Arabic starts with the Arabic welcome.
    let visitor = app.visitor(&site.id).await;
    let conv: Value = app
        .post_json(
            "/api/v1/conversations",
            &visitor,
            &json!({"language": "ar"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(conv["messages"][0]["content"], "مرحبًا! كيف أساعدك؟");
    let conv: Value = app
        .post_json(
            "/api/v1/conversations",
            &visitor,
            &json!({"language": "en"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(conv["messages"][0]["content"], "Hello! How can I help?");

    // Bad input: a clear error, nothing changed.
    for (body, field) in [
        (json!({"position": "top"}), "position"),
        (
            json!({"welcome_messages": {"not a tag": "x"}}),
            "welcome_messages",
        ),
        (
            json!({"welcome_messages": {"de": "x".repeat(1001)}}),
            "welcome_messages.de",
        ),
    ] {
        let err = assert_envelope(
            patch(&app, &site.id, &site.admin_key, body).await,
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(err["details"][0]["field"], field, "{err}");
    }
    let after: Value = app
        .get_auth(&format!("/api/v1/sites/{}", site.id), &site.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after["position"], "left");
    assert_eq!(after["welcome_messages"], saved["welcome_messages"]);
}
on_both_backends!(welcomes_and_position, super::welcome_by_language);

/// A `member.invited` webhook carries the invite link an owner created.
async fn invite_webhook(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.webhook_allow_private = true).await;
    let site = app.site().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let seen = seen.clone();
            move |body: String| async move {
                seen.lock().expect("lock").push(body);
                "ok"
            }
        }),
    );
    let url = format!("{}/hook", lantern_tests::serve(receiver).await);
    let res = app
        .post_json(
            &format!("/api/v1/sites/{}/webhooks", site.id),
            &site.admin_key,
            &json!({"url": url, "events": ["member.invited"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invite: Value = app
        .post_json(
            &format!("/api/v1/sites/{}/invites", site.id),
            &site.admin_key,
            &json!({"email": "new.agent@example.com", "role": "agent"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let link = invite["invite_url"]
        .as_str()
        .expect("invite_url")
        .to_string();
    let mut body = None;
    for _ in 0..100 {
        if let Some(b) = seen.lock().expect("lock").first().cloned() {
            body = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body: Value =
        serde_json::from_str(&body.expect("a member.invited delivery")).expect("json");
    assert_eq!(body["type"], "member.invited");
    assert_eq!(body["data"]["email"], "new.agent@example.com");
    assert_eq!(body["data"]["role"], "agent");
    assert_eq!(body["data"]["invite_url"], link.as_str());
}
on_both_backends!(member_invited_webhook, super::invite_webhook);
