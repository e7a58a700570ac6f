//! A person's data under control, on both backends: pin, archive and
//! delete a conversation; a visitor's export compared with what was made;
//! erasure checked by a scan of the whole database for a marker; the
//! retention rule applied by the housekeeping job to data moved into the
//! past.

use lantern_tests::{
    Backend, TestApp,
    backend::{raw_count, raw_exec, raw_mentions, raw_text},
    on_both_backends,
};
use serde_json::{Value, json};

use crate::assert_envelope;

async fn body(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).expect("json")
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, key: &str) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .expect("sent")
}

async fn say(app: &TestApp, token: &str, conv: &str, text: &str) -> Value {
    body(
        app.post_json(
            &format!("/api/v1/conversations/{conv}/messages"),
            token,
            &json!({"content": text}),
        )
        .await,
    )
    .await
}

async fn list(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let page = body(
        app.get_auth(&format!("/api/v1/conversations{query}"), key)
            .await,
    )
    .await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

async fn housekeeping(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let kept = app.conversation_id(&visitor).await;
    let old = app.conversation_id(&visitor).await;
    say(&app, &visitor, &old, "an archived question about invoices").await;

    // The visitor pins one and archives the other.
    let pinned = body(
        app.post_json(
            &format!("/api/v1/conversations/{kept}/pin"),
            &visitor,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(pinned["pinned"], true);
    let archived = body(
        app.post_json(
            &format!("/api/v1/conversations/{old}/archive"),
            &visitor,
            &json!({}),
        )
        .await,
    )
    .await;
    assert!(archived["archived_at"].is_string(), "{archived}");

    // Archived ones leave the default lists and stay findable.
    assert_eq!(list(&app, &site.admin_key, "").await, vec![kept.clone()]);
    assert_eq!(list(&app, &visitor, "").await, vec![kept.clone()]);
    assert_eq!(
        list(&app, &site.admin_key, "?archived=true").await,
        vec![old.clone()]
    );
    assert_eq!(
        list(&app, &site.admin_key, "?q=invoices").await,
        vec![old.clone()]
    );
    assert_eq!(
        list(&app, &site.admin_key, "?pinned=true").await,
        vec![kept.clone()]
    );
    let back = body(
        app.post_json(
            &format!("/api/v1/conversations/{old}/archive"),
            &site.admin_key,
            &json!({"archived": false}),
        )
        .await,
    )
    .await;
    assert!(back["archived_at"].is_null(), "{back}");
    assert_envelope(
        app.post_json(
            &format!("/api/v1/conversations/{old}/pin"),
            &visitor,
            &json!({"pinned": "yes"}),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;

    // Deleting is for the site's admins: a visitor is refused, another
    // site's key does not find it, the admin key deletes it all.
    let path = format!("/api/v1/conversations/{old}");
    assert_envelope(
        send(&app, reqwest::Method::DELETE, &path, &visitor).await,
        403,
        "forbidden",
    )
    .await;
    let other = app.site().await;
    assert_envelope(
        send(&app, reqwest::Method::DELETE, &path, &other.admin_key).await,
        404,
        "not_found",
    )
    .await;
    let res = send(&app, reqwest::Method::DELETE, &path, &site.admin_key).await;
    assert_eq!(res.status(), 204);
    assert_envelope(app.get_auth(&path, &site.admin_key).await, 404, "not_found").await;
    let left = raw_text(
        &app.database_url,
        "SELECT id FROM messages WHERE conversation_id = $1",
        &old,
    )
    .await;
    assert!(left.is_empty(), "messages left: {left:?}");
}
on_both_backends!(pin_archive_and_delete_conversations, super::housekeeping);

/// A visitor with a conversation full of `marker`: messages, feedback with
/// a comment, an email left for a reply, metadata and page; a webhook
/// endpoint queues deliveries carrying it too.
async fn marked_visitor(
    app: &TestApp,
    site: &lantern_tests::app::SiteKeys,
    marker: &str,
) -> (String, String, String) {
    let res = app
        .post_json(
            &format!("/api/v1/sites/{}/webhooks", site.id),
            &site.admin_key,
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["message.created", "conversation.created"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let visitor = app.visitor(&site.id).await;
    let conv = body(
        app.post_json(
            "/api/v1/conversations",
            &visitor,
            &json!({"metadata": {"order": marker}, "page_url": format!("https://shop.example/{marker}")}),
        )
        .await,
    )
    .await;
    let conv = conv["id"].as_str().expect("id").to_string();
    let posted = say(
        app,
        &visitor,
        &conv,
        &format!("my order number is {marker}"),
    )
    .await;
    let reply = posted["reply"]["id"].as_str().expect("a reply").to_string();
    let res = app
        .post_json(
            &format!("/api/v1/messages/{reply}/feedback"),
            &visitor,
            &json!({"rating": "down", "comment": format!("wrong about {marker}")}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv}/contact"),
            &visitor,
            &json!({"email": format!("{marker}@example.com")}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let me = raw_text(
        &app.database_url,
        "SELECT visitor_id FROM conversations WHERE id = $1",
        &conv,
    )
    .await;
    (visitor, me[0].clone(), conv)
}

async fn export_and_erase(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.webhook_allow_private = true).await;
    let site = app.site().await;
    let marker = format!("mark{}", uuid::Uuid::new_v4().simple());
    let (visitor, visitor_id, conv) = marked_visitor(&app, &site, &marker).await;
    // Someone else's data, which must survive.
    let (_, _, other_conv) = marked_visitor(&app, &site, "bystander").await;

    // The export holds every message made, the feedback and the email.
    let export_path = format!("/api/v1/visitors/{visitor_id}/export");
    let export = body(app.get_auth(&export_path, &site.admin_key).await).await;
    assert_eq!(export["visitor"]["id"], visitor_id.as_str());
    assert_eq!(
        export["visitor"]["contact_email"],
        format!("{marker}@example.com")
    );
    let exported: Vec<&Value> = export["conversations"][0]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .collect();
    let stored = raw_text(
        &app.database_url,
        "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY seq",
        &conv,
    )
    .await;
    let ids: Vec<&str> = exported.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, stored.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        export["feedback"][0]["comment"],
        format!("wrong about {marker}")
    );
    assert_eq!(export["conversations"].as_array().map(Vec::len), Some(1));
    // Only the site's admins, and only their own site's visitors.
    assert_envelope(app.get_auth(&export_path, &visitor).await, 403, "forbidden").await;
    let other = app.site().await;
    assert_envelope(
        app.get_auth(&export_path, &other.admin_key).await,
        404,
        "not_found",
    )
    .await;

    // A live stream of the visitor's conversation ends with the erasure.
    let stream = app
        .client
        .get(app.url(&format!("/api/v1/conversations/{conv}/events")))
        .bearer_auth(&visitor)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    let ended = tokio::spawn(async move { stream.text().await.is_ok() });

    let before = raw_mentions(&app.database_url, &marker).await;
    assert!(before.len() >= 5, "the marker is stored widely: {before:?}");
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/visitors/{visitor_id}"),
        &site.admin_key,
    )
    .await;
    assert_eq!(res.status(), 204);
    let after = raw_mentions(&app.database_url, &marker).await;
    assert!(after.is_empty(), "still mentioned after erasure: {after:?}");
    assert!(
        raw_text(
            &app.database_url,
            "SELECT id FROM visitors WHERE id = $1",
            &visitor_id
        )
        .await
        .is_empty()
    );
    let done = tokio::time::timeout(std::time::Duration::from_secs(5), ended).await;
    assert!(
        matches!(done, Ok(Ok(true))),
        "the stream did not end: {done:?}"
    );
    // The visitor's token is dead; the bystander is untouched.
    assert_envelope(
        app.get_auth("/api/v1/conversations", &visitor).await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(
        raw_text(
            &app.database_url,
            "SELECT id FROM conversations WHERE id = $1",
            &other_conv
        )
        .await
        .len(),
        1
    );
    // Erasing again: nothing there.
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/visitors/{visitor_id}"),
        &site.admin_key,
    )
    .await;
    assert_eq!(res.status(), 404);

    // The owner's audit: who and how much, nothing about the person.
    let log = body(
        app.get_auth(
            &format!("/api/v1/sites/{}/erasures", site.id),
            &site.admin_key,
        )
        .await,
    )
    .await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(log["items"][0]["actor"], "admin-key");
    assert_eq!(log["items"][0]["conversations"], 1);
    assert!(
        log["items"][0]["messages"].as_i64().is_some_and(|n| n >= 3),
        "{log}"
    );
    assert!(!log.to_string().contains(&visitor_id), "{log}");
}
on_both_backends!(
    export_is_complete_and_erasure_leaves_nothing,
    super::export_and_erase
);

/// Moves a stored time `days` into the past, in each backend's own form.
async fn age(app: &TestApp, table: &str, column: &str, id: &str, days: i64) {
    let when = (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339();
    let value = if app.database_url.starts_with("postgres") {
        format!("CAST('{when}' AS TIMESTAMPTZ)")
    } else {
        format!("'{when}'")
    };
    raw_exec(
        &app.database_url,
        &format!("UPDATE {table} SET {column} = {value} WHERE id = $1"),
        id,
    )
    .await;
}

async fn retention(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.prune_every_secs = 1).await;
    let site = app.site().await;
    let rule = format!("/api/v1/sites/{}/retention", site.id);
    let put = |value: Value| {
        app.client
            .put(app.url(&rule))
            .bearer_auth(&site.admin_key)
            .json(&value)
            .send()
    };
    assert_envelope(
        put(json!({"closed_days": 0})).await.expect("sent"),
        400,
        "validation_failed",
    )
    .await;
    let set = body(
        put(json!({"closed_days": 30, "inactive_days": 90}))
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(set, json!({"closed_days": 30, "inactive_days": 90}));
    assert_eq!(body(app.get_auth(&rule, &site.admin_key).await).await, set);

    let visitor = app.visitor(&site.id).await;
    let expired = app.conversation_id(&visitor).await;
    let pinned = app.conversation_id(&visitor).await;
    let recent = app.conversation_id(&visitor).await;
    for id in [&expired, &pinned, &recent] {
        let res = app
            .post_json(
                &format!("/api/v1/conversations/{id}/close"),
                &visitor,
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    body(
        app.post_json(
            &format!("/api/v1/conversations/{pinned}/pin"),
            &site.admin_key,
            &json!({}),
        )
        .await,
    )
    .await;
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{recent}/contact"),
            &visitor,
            &json!({"email": "keep-or-forget@example.com"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    // 31 days ago for two of them, and the visitor quiet for 91.
    age(&app, "conversations", "updated_at", &expired, 31).await;
    age(&app, "conversations", "updated_at", &pinned, 31).await;

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !raw_text(
        &app.database_url,
        "SELECT id FROM conversations WHERE id = $1",
        &expired,
    )
    .await
    .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the expired conversation was not deleted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for id in [&pinned, &recent] {
        let kept = raw_text(
            &app.database_url,
            "SELECT id FROM conversations WHERE id = $1",
            id,
        )
        .await;
        assert_eq!(kept.len(), 1, "{id} should stay");
    }
    let visitor_id = raw_text(
        &app.database_url,
        "SELECT visitor_id FROM conversations WHERE id = $1",
        &recent,
    )
    .await[0]
        .clone();
    let email = raw_text(
        &app.database_url,
        "SELECT contact_email FROM visitors WHERE id = $1",
        &visitor_id,
    )
    .await;
    assert_eq!(
        email,
        vec!["keep-or-forget@example.com".to_string()],
        "active: kept"
    );

    // Now the visitor has been quiet for 91 days.
    for id in [&pinned, &recent] {
        age(&app, "conversations", "updated_at", id, 91).await;
    }
    age(&app, "visitors", "created_at", &visitor_id, 91).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let email: Vec<Option<String>> = {
            let rows = raw_text(
                &app.database_url,
                "SELECT COALESCE(contact_email, '') FROM visitors WHERE id = $1",
                &visitor_id,
            )
            .await;
            rows.into_iter()
                .map(|e| (!e.is_empty()).then_some(e))
                .collect()
        };
        if email == vec![None] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not anonymised: {email:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        raw_count(&app.database_url, "visitor_tokens").await,
        0,
        "tokens go too"
    );
    assert_envelope(
        app.get_auth("/api/v1/conversations", &visitor).await,
        401,
        "unauthorized",
    )
    .await;
}
on_both_backends!(
    retention_deletes_and_anonymises_on_schedule,
    super::retention
);

/// Identifying with the anonymous visitor's token brings their
/// conversations to the signed-in user (and to the user's other devices);
/// a signed-in user's token never hands theirs to another user.
async fn merge_on_identify(backend: Backend) {
    use lantern_tests::{app::ALLOWED_ORIGIN, identity};
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let secret = identity::new_secret(&app, &site.id, &site.admin_key).await;
    let identify = |user: &str, bearer: Option<&str>| {
        let mut req = app
            .client
            .post(app.url(&format!("/api/v1/sites/{}/visitors", site.id)))
            .header("origin", ALLOWED_ORIGIN)
            .json(&json!({"user_id": user, "user_hash": identity::sign(&secret, user)}));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        async move { body(req.send().await.expect("sent")).await }
    };
    let anonymous = app.visitor(&site.id).await;
    let conv = app.conversation_id(&anonymous).await;
    say(&app, &anonymous, &conv, "where is my parcel?").await;

    let ann = identify("ann", Some(&anonymous)).await;
    let ann_token = ann["token"].as_str().expect("token").to_string();
    assert_eq!(
        list(&app, &ann_token, "").await,
        vec![conv.clone()],
        "the conversation followed"
    );
    assert_envelope(
        app.get_auth("/api/v1/conversations", &anonymous).await,
        401,
        "unauthorized",
    )
    .await;
    // Ann on another device sees it too.
    let elsewhere = identify("ann", None).await;
    assert_eq!(elsewhere["visitor_id"], ann["visitor_id"]);
    let other_device = elsewhere["token"].as_str().expect("token");
    assert_eq!(list(&app, other_device, "").await, vec![conv.clone()]);

    // Bob signs in on Ann's device: Ann's conversations stay hers.
    let bob = identify("bob", Some(&ann_token)).await;
    let bob_token = bob["token"].as_str().expect("token");
    assert!(
        list(&app, bob_token, "").await.is_empty(),
        "nothing of Ann's moved to Bob"
    );
    assert_eq!(list(&app, other_device, "").await, vec![conv]);
}
on_both_backends!(
    identifying_brings_an_anonymous_visitors_conversations,
    super::merge_on_identify
);
