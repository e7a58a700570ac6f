//! An image goes up, comes back re-encoded without its metadata, with a
//! thumbnail and the download headers; it is sent with a message, which
//! every reader of messages then shows.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use super::{fetch, jpeg, scene, send_files, uploaded};

async fn an_image_goes_up_and_comes_back_clean(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let sent = jpeg(640, 480, Some("GPS-SECRET-51.5N"));
    assert!(sent.windows(16).any(|w| w == b"GPS-SECRET-51.5N"));
    let a = uploaded(&app, &s.conversation, &s.visitor, "holiday.jpg", sent).await;
    assert_eq!(a["type"], "image/jpeg", "{a}");
    assert_eq!(a["name"], "holiday.jpg");
    assert_eq!(
        (a["width"].as_u64(), a["height"].as_u64()),
        (Some(640), Some(480)),
        "{a}"
    );
    let id = a["id"].as_str().expect("id");
    assert_eq!(a["url"], format!("/api/v1/attachments/{id}"));
    assert_eq!(
        a["thumbnail_url"],
        format!("/api/v1/attachments/{id}/thumbnail")
    );

    let (status, headers, body) = fetch(&app, a["url"].as_str().expect("url"), &s.visitor).await;
    assert_eq!(status, 200);
    assert_eq!(a["size"].as_u64(), Some(body.len() as u64));
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        headers["cache-control"],
        "private, max-age=31536000, immutable"
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline;")
    );
    assert!(
        !body.windows(10).any(|w| w == b"GPS-SECRET"),
        "metadata survived"
    );
    let img = image::load_from_memory(&body).expect("the stored file is an image");
    assert_eq!((img.width(), img.height()), (640, 480));

    let (status, headers, thumb) = fetch(
        &app,
        a["thumbnail_url"].as_str().expect("thumb"),
        &s.visitor,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    let small = image::load_from_memory(&thumb).expect("the thumbnail is an image");
    assert!(
        small.width() <= 320 && small.height() <= 320,
        "{}x{}",
        small.width(),
        small.height()
    );
}
on_both_backends!(
    an_image_goes_up_and_comes_back_clean,
    super::an_image_goes_up_and_comes_back_clean
);

async fn files_are_sent_with_messages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let path = format!("/api/v1/conversations/{}/messages", s.conversation);
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let a = uploaded(&app, &s.conversation, &s.visitor, "report.pdf", pdf.clone()).await;
    assert_eq!(a["type"], "application/pdf");
    assert!(a.get("thumbnail_url").is_none(), "{a}");
    let (status, headers, body) = fetch(&app, a["url"].as_str().expect("url"), &s.visitor).await;
    assert_eq!((status, body), (200, pdf));
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    let id = a["id"].as_str().expect("id").to_string();

    let body = json!({"content": "my report", "attachment_ids": [id], "client_message_id": "m-1"});
    let res = app.post_json(&path, &s.visitor, &body).await;
    let posted: Value = res.json().await.expect("json");
    assert_eq!(posted["message"]["attachments"][0]["id"], id, "{posted}");
    assert_eq!(posted["message"]["attachments"][0]["name"], "report.pdf");
    // Its live event carries them too (a stream resumed from the start).
    let events = app
        .client
        .get(app.url(&format!("/api/v1/conversations/{}/events", s.conversation)))
        .bearer_auth(&s.visitor)
        .header("last-event-id", "0")
        .send()
        .await
        .expect("sent");
    let mut reader = lantern_tests::sse::SseReader::new(events);
    let mut seen = false;
    while let Some(e) = reader.next(std::time::Duration::from_secs(5)).await {
        if e.event == "message.created" && e.data["attachments"][0]["id"] == id {
            seen = true;
            break;
        }
    }
    assert!(seen, "no message.created event with the attachment");
    // The same post again (a retry) is the same message.
    let again: Value = app
        .post_json(&path, &s.visitor, &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["message"]["id"], posted["message"]["id"], "{again}");
    // Sent once only.
    let res = send_files(&app, &s, "again", json!([id])).await;
    crate::assert_envelope(res, 400, "validation_failed").await;
    // Every reader of messages shows them: the list, the conversation.
    let list: Value = app
        .get_auth(&path, &s.visitor)
        .await
        .json()
        .await
        .expect("json");
    let with: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m.get("attachments").is_some())
        .collect();
    assert_eq!(with.len(), 1, "{list}");
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|m| m.get("attachments").is_none()
                || m["attachments"].as_array().is_some_and(|a| !a.is_empty())),
        "messages without files carry no `attachments`: {list}"
    );
    // Files alone: an empty text is fine, and the bot does not answer it.
    let b = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "notes.txt",
        b"just text\n".to_vec(),
    )
    .await;
    assert_eq!(b["type"], "text/plain");
    let res = send_files(&app, &s, "", json!([b["id"]])).await;
    assert_eq!(res.status(), 201);
    let alone: Value = res.json().await.expect("json");
    assert!(alone["reply"].is_null(), "{alone}");
    let (_, headers, _) = fetch(&app, b["url"].as_str().expect("url"), &s.visitor).await;
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    // Without files, an empty message is still refused.
    let res = app
        .post_json(&path, &s.visitor, &json!({"content": " "}))
        .await;
    crate::assert_envelope(res, 400, "validation_failed").await;
}
on_both_backends!(
    files_are_sent_with_messages,
    super::files_are_sent_with_messages
);

async fn only_this_conversations_unsent_uploads_can_be_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let other = app.conversation_id(&s.visitor).await;
    let a = uploaded(&app, &other, &s.visitor, "a.txt", b"elsewhere".to_vec()).await;
    let path = format!("/api/v1/conversations/{}/messages", s.conversation);
    for ids in [
        json!([a["id"]]),
        json!([lantern_server::db::new_id()]),
        json!(["not-an-id"]),
        json!(
            (0..11)
                .map(|_| lantern_server::db::new_id())
                .collect::<Vec<_>>()
        ),
    ] {
        let res = send_files(&app, &s, "x", json!(ids)).await;
        crate::assert_envelope(res, 400, "validation_failed").await;
    }
    // Nothing was stored by the refused posts.
    let list: Value = app
        .get_auth(&path, &s.visitor)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|m| m["role"] != "user"),
        "{list}"
    );
    // Refused twice in one post.
    let b = uploaded(&app, &s.conversation, &s.visitor, "b.txt", b"here".to_vec()).await;
    let res = send_files(&app, &s, "x", json!([b["id"], b["id"]])).await;
    crate::assert_envelope(res, 400, "validation_failed").await;
}
on_both_backends!(
    only_this_conversations_unsent_uploads_can_be_sent,
    super::only_this_conversations_unsent_uploads_can_be_sent
);
