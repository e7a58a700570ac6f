//! Memory across conversations, on both backends: the LLM keeps a fact the
//! visitor states through its `remember` tool (OpenAI's and Anthropic's
//! real tool-call wire formats, against loopback stand-ins), memories are
//! full-text searched, the relevant ones reach the LLM, and the visitor
//! asks what is remembered and has it forgotten (with or without an LLM).

use lantern_server::settings::{LlmProvider, LlmSettings};
use lantern_tests::{
    Backend, TestApp,
    backend::raw_count,
    on_both_backends,
    provider::{
        Part, Script, StandIn, anthropic_delta, anthropic_event, anthropic_start, anthropic_stop,
        openai_delta, openai_done,
    },
};
use serde_json::{Value, json};

use crate::{answers::ask, assert_envelope};

const QUESTION: &str =
    "My order number is ZQ-88417. Within how many days can I return an item for a refund?";
const FACT: &str = "Order number is ZQ-88417 (quokkaberry)";

/// OpenAI's stream for a `remember` call, its arguments in two pieces.
pub fn openai_remembers(fact: &str) -> Script {
    let args = json!({ "fact": fact }).to_string();
    let (a, b) = args.split_at(args.len() / 2);
    let chunk = |delta: Value, finish: Value| {
        Part::Send(format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-2", "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        ))
    };
    Script::stream(vec![
        chunk(
            json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": "call_1",
            "type": "function", "function": {"name": "remember", "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": a}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": b}}]}),
            Value::Null,
        ),
        chunk(json!({}), json!("tool_calls")),
        Part::Send("data: [DONE]\n\n".into()),
    ])
}

pub fn openai_says(text: &str) -> Script {
    let mut parts = vec![openai_delta(text)];
    parts.extend(openai_done());
    Script::stream(parts)
}

pub async fn app_with(backend: Backend, provider: LlmProvider, stand_in: &StandIn) -> TestApp {
    let base = stand_in.base_url.clone();
    TestApp::spawn_with(backend, move |s| {
        s.llm = Some(LlmSettings::new(
            provider,
            &base,
            Some("sk-test-key"),
            "test-model",
        ));
    })
    .await
}

pub async fn memories(
    app: &TestApp,
    key: &str,
    visitor: &str,
    q: Option<&str>,
) -> Vec<(String, String)> {
    let mut url = app.url(&format!("/api/v1/visitors/{visitor}/memories"));
    if let Some(q) = q {
        url = format!("{url}?q={}", urlencoding(q));
    }
    let res = app
        .client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| {
            (
                m["content"].as_str().expect("content").to_string(),
                m["source"].as_str().expect("source").to_string(),
            )
        })
        .collect()
}

fn urlencoding(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A site that lets the LLM answer when half the question's words are
/// found: a question that also states a fact has words no passage holds.
pub async fn lenient_site(app: &TestApp) -> lantern_tests::app::SiteKeys {
    let site = app.site().await;
    crate::knowledge::load(app, &site.admin_key).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/sites/{}", site.id)))
        .bearer_auth(&site.admin_key)
        .json(&json!({"answer_threshold": 0.3}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    site
}

pub fn content(reply: &Value) -> String {
    reply["content"].as_str().expect("content").to_string()
}

on_both_backends!(
    the_llm_keeps_a_fact_the_visitor_sees_and_forgets,
    super::keeps_and_forgets
);
async fn keeps_and_forgets(backend: Backend) {
    let llm = StandIn::start(vec![
        openai_remembers(FACT),
        openai_says("Returns are accepted within 30 days [1]."),
        openai_says("Returns are accepted within 30 days [1]."),
    ])
    .await;
    let app = app_with(backend, LlmProvider::OpenAi, &llm).await;
    let site = lenient_site(&app).await;
    let token = app.visitor(&site.id).await;
    let conv = app.conversation(&token).await;
    let (conv, visitor) = (
        conv["id"].as_str().expect("id").to_string(),
        conv["visitor_id"].as_str().expect("visitor").to_string(),
    );
    let res = app
        .post_json(
            &format!("/api/v1/visitors/{visitor}/memories"),
            &site.admin_key,
            &json!({"content": "Prefers email over phone"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // The model calls the tool, hears the fact was saved, and answers on.
    let reply = ask(&app, &token, &conv, QUESTION).await;
    assert_eq!(content(&reply), "Returns are accepted within 30 days [1].");
    let seen = llm.requests();
    assert_eq!(seen.len(), 2, "the call and the answer after it");
    assert_eq!(seen[0].body["tools"][0]["function"]["name"], "remember");
    assert!(seen[0].body.get("tool_choice").is_none());
    let sent = seen[1].body["messages"].as_array().expect("messages");
    let n = sent.len();
    assert_eq!(sent[n - 2]["role"], "assistant");
    assert_eq!(sent[n - 2]["tool_calls"][0]["id"], "call_1");
    assert_eq!(
        sent[n - 2]["tool_calls"][0]["function"]["arguments"],
        json!({ "fact": FACT }).to_string()
    );
    assert_eq!(
        sent[n - 1],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "saved"})
    );
    assert_eq!(seen[1].body["tool_choice"], "none");

    let held = memories(&app, &site.admin_key, &visitor, None).await;
    assert_eq!(
        held[0],
        (FACT.to_string(), "assistant".to_string()),
        "{held:?}"
    );
    assert_eq!(held.len(), 2);
    let pages = "visitor_memories_fts_data WHERE instr(block, CAST('quokkaberry' AS BLOB)) > 0";
    if backend == Backend::Sqlite {
        // The check below can fail: the word is in the index's pages now.
        assert!(raw_count(&app.database_url, pages).await > 0);
    }

    // Full text: an inflection finds the stem, a word elsewhere nothing.
    for (q, want) in [
        ("orders", Some(FACT)),
        ("ORDER", Some(FACT)),
        ("emails", Some("Prefers email over phone")),
        ("invoice", None),
    ] {
        let found = memories(&app, &site.admin_key, &visitor, Some(q)).await;
        assert_eq!(found.first().map(|m| m.0.as_str()), want, "{q}: {found:?}");
        assert!(found.len() <= 1, "{q}: {found:?}");
    }
    let res = app
        .client
        .get(app.url(&format!("/api/v1/visitors/{visitor}/memories?q=")))
        .bearer_auth(&site.admin_key)
        .send()
        .await
        .expect("sent");
    assert_envelope(res, 400, "validation_failed").await;

    // The next question's prompt carries the fact, the relevant one first.
    ask(
        &app,
        &token,
        &conv,
        "How many days do I have to return my order for a refund?",
    )
    .await;
    let system = llm.requests()[2].body["messages"][0]["content"]
        .as_str()
        .expect("system prompt")
        .to_string();
    let fact_at = system.find(FACT).expect("the fact is in the prompt");
    let note_at = system.find("Prefers email").expect("the note too");
    assert!(
        fact_at < note_at,
        "the matching memory comes first: {system}"
    );

    // Asking what is remembered is answered from the store, by no LLM:
    // what the visitor told, not the team's note, which is said to exist.
    let calls = llm.requests().len();
    let recall = content(&ask(&app, &token, &conv, "What do you remember about me?").await);
    assert!(recall.contains(FACT), "{recall}");
    assert!(!recall.contains("Prefers email"), "{recall}");
    assert!(recall.contains("The team may also keep notes"), "{recall}");
    let forgot = content(&ask(&app, &token, &conv, "Forget that, please").await);
    assert!(
        forgot.starts_with("Forgotten: “Order number is ZQ-88417"),
        "{forgot}"
    );
    assert_eq!(llm.requests().len(), calls, "no LLM call for either");
    let held = memories(&app, &site.admin_key, &visitor, None).await;
    assert_eq!(
        held,
        [("Prefers email over phone".to_string(), "member".to_string())]
    );
    assert!(
        memories(&app, &site.admin_key, &visitor, Some("quokkaberry"))
            .await
            .is_empty()
    );
    if backend == Backend::Sqlite {
        // Secure delete: the word is gone from the index's own pages too.
        assert_eq!(raw_count(&app.database_url, pages).await, 0);
    }
    let again = content(&ask(&app, &token, &conv, "What do you remember about me?").await);
    assert!(
        again.starts_with("I don't remember anything about you."),
        "{again}"
    );
}

/// Anthropic's tool protocol: a `tool_use` block streamed as
/// `input_json_delta` pieces, answered by a `tool_result` block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_tool_use_keeps_a_fact() {
    let mut first = anthropic_start();
    first.extend([
        anthropic_delta("Noted. "),
        anthropic_event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
        anthropic_event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 1,
                   "content_block": {"type": "tool_use", "id": "toolu_1", "name": "remember", "input": {}}}),
        ),
        anthropic_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
                   "delta": {"type": "input_json_delta", "partial_json": "{\"fact\": \"Uses the"}}),
        ),
        anthropic_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
                   "delta": {"type": "input_json_delta", "partial_json": " Pro plan\"}"}}),
        ),
        anthropic_event("content_block_stop", json!({"type": "content_block_stop", "index": 1})),
        anthropic_event(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}}),
        ),
        anthropic_event("message_stop", json!({"type": "message_stop"})),
    ]);
    let mut second = anthropic_start();
    second.push(anthropic_delta("Returns are accepted within 30 days [1]."));
    second.extend(anthropic_stop());
    let llm = StandIn::start(vec![Script::stream(first), Script::stream(second)]).await;
    let app = app_with(Backend::Sqlite, LlmProvider::Anthropic, &llm).await;
    let site = lenient_site(&app).await;
    let token = app.visitor(&site.id).await;
    let conv = app.conversation(&token).await;
    let (conv, visitor) = (
        conv["id"].as_str().expect("id"),
        conv["visitor_id"].as_str().expect("visitor"),
    );

    let reply = ask(
        &app,
        &token,
        conv,
        "I use the Pro plan. Within how many days can I return an item?",
    )
    .await;
    assert_eq!(
        content(&reply),
        "Noted. Returns are accepted within 30 days [1]."
    );
    let seen = llm.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body["tools"][0]["name"], "remember");
    let sent = seen[1].body["messages"].as_array().expect("messages");
    let n = sent.len();
    assert_eq!(
        sent[n - 2],
        json!({"role": "assistant", "content": [
            {"type": "text", "text": "Noted. "},
            {"type": "tool_use", "id": "toolu_1", "name": "remember", "input": {"fact": "Uses the Pro plan"}},
        ]})
    );
    assert_eq!(
        sent[n - 1],
        json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "saved"}]})
    );
    assert_eq!(
        seen[1].body["tools"][0]["name"], "remember",
        "tools stay declared"
    );
    assert_eq!(seen[1].body["tool_choice"], json!({"type": "none"}));
    let held = memories(&app, &site.admin_key, visitor, None).await;
    assert_eq!(
        held,
        [("Uses the Pro plan".to_string(), "assistant".to_string())]
    );
}

on_both_backends!(
    without_an_llm_the_visitor_still_asks_what_is_remembered,
    super::without_llm
);
async fn without_llm(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let secret = lantern_tests::identity::new_secret(&app, &site.id, &site.admin_key).await;
    let who: Value = lantern_tests::identity::identify(
        &app,
        &site.id,
        json!({"user_id": "u-9", "user_hash": lantern_tests::identity::sign(&secret, "u-9"), "name": "Bo Example"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let token = who["token"].as_str().expect("token");
    let conv = app.conversation_id(token).await;
    let recall = content(&ask(&app, token, &conv, "Qu'est-ce que tu sais de moi ?").await);
    assert!(recall.contains("Bo Example"), "{recall}");
    let forgot = content(&ask(&app, token, &conv, "forget everything").await);
    assert_eq!(forgot, "I don't remember anything about you.");
}
