//! Answers without an LLM, on both backends: cited answers from the
//! knowledge base, an honest no-answer, small talk, and handoff on request.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

/// A site with the test documents, a visitor and a conversation; returns
/// (visitor token, conversation id).
pub async fn conversation_with_docs(app: &TestApp) -> (String, String) {
    let site = app.site().await;
    crate::knowledge::load(app, &site.admin_key).await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    (visitor, id)
}

pub async fn ask(app: &TestApp, token: &str, conversation: &str, text: &str) -> Value {
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conversation}/messages"),
            token,
            &json!({"content": text}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("json");
    body["reply"].clone()
}

async fn answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (visitor, id) = conversation_with_docs(&app).await;

    let reply = ask(
        &app,
        &visitor,
        &id,
        "Within how many days can I return an item for a refund?",
    )
    .await;
    let content = reply["content"].as_str().expect("content");
    assert!(content.contains("30 days"), "{content}");
    assert_eq!(
        reply["citations"][0]["title"], "Returns and refunds",
        "{reply}"
    );
    assert_eq!(reply["citations"][0]["url"], "/help/returns");

    let reply = ask(&app, &visitor, &id, "What is the capital of Australia?").await;
    let content = reply["content"].as_str().expect("content");
    assert!(content.contains("couldn't find"), "{content}");
    assert!(content.contains("human"), "offers a person: {content}");
    assert_eq!(reply["citations"], json!([]));

    // Partly related words are not enough to answer.
    let reply = ask(&app, &visitor, &id, "Do you ship live animals by drone?").await;
    assert!(
        reply["content"]
            .as_str()
            .expect("c")
            .contains("couldn't find"),
        "{reply}"
    );

    let reply = ask(&app, &visitor, &id, "Hello!").await;
    assert!(
        reply["content"].as_str().expect("c").starts_with("Hello!"),
        "{reply}"
    );
    let reply = ask(&app, &visitor, &id, "thanks a lot").await;
    assert!(
        reply["content"].as_str().expect("c").contains("welcome"),
        "{reply}"
    );

    let conv: Value = app
        .get_auth(&format!("/api/v1/conversations/{id}"), &visitor)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(conv["status"], "open");
}
on_both_backends!(answers_come_from_the_knowledge_base, super::answers);

async fn human(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let res = app
        .post_json(
            "/api/v1/conversations",
            &visitor,
            &json!({"language": "ar", "initial_message": "أريد التحدث مع موظف"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let ar: Value = res.json().await.expect("json");
    assert_eq!(ar["status"], "open", "the response predates the handoff");
    let ar_id = ar["id"].as_str().expect("id");

    let reply = ask(&app, &visitor, &id, "I want to talk to a human").await;
    assert!(
        reply["content"].as_str().expect("c").contains("person"),
        "{reply}"
    );
    for conv in [id.as_str(), ar_id] {
        let conv: Value = app
            .get_auth(&format!("/api/v1/conversations/{conv}"), &visitor)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(conv["status"], "handoff", "{conv}");
    }
    // The bot is quiet from now on.
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &visitor,
            &json!({"content": "hello?"}),
        )
        .await;
    let body: Value = res.json().await.expect("json");
    assert!(body["reply"].is_null(), "{body}");
}
on_both_backends!(asking_for_a_human_hands_off, super::human);
