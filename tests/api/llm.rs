//! Answers with an LLM: both provider clients against loopback stand-ins
//! speaking the providers' wire formats, their error shapes, 429 handling,
//! cut streams, timeouts, and the first delta reaching the client before the
//! provider has finished. The database does not matter here: SQLite only.

use std::{sync::Arc, time::Duration};

use lantern_server::settings::{LlmProvider, LlmSettings};
use lantern_tests::{
    Backend, TestApp,
    provider::{
        Part, Script, StandIn, anthropic_delta, anthropic_event, anthropic_start, anthropic_stop,
        openai_delta, openai_done, openai_usage,
    },
    sse::SseReader,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::answers::{ask, conversation_with_docs};

const QUESTION: &str = "Within how many days can I return an item for a refund?";

async fn app_with(provider: LlmProvider, stand_in: &StandIn) -> TestApp {
    let base = stand_in.base_url.clone();
    TestApp::spawn_with(Backend::Sqlite, move |s| {
        let mut llm = LlmSettings::new(provider, &base, Some("sk-test-key"), "test-model");
        llm.first_byte_timeout = Duration::from_millis(800);
        llm.idle_timeout = Duration::from_millis(800);
        llm.max_retry_wait = Duration::from_secs(1);
        s.llm = Some(llm);
    })
    .await
}

/// Who wrote a stored reply, as its decision records it (`llm` or
/// `knowledge_base`): what the owner's conversation log shows.
async fn written_by(app: &TestApp, reply: &Value) -> String {
    let id = reply["id"].as_str().expect("reply id");
    let stored = lantern_tests::backend::raw_text(
        &app.database_url,
        "SELECT CAST(retrieval AS TEXT) FROM messages WHERE id = $1",
        id,
    )
    .await;
    let decision: Value = serde_json::from_str(&stored[0]).expect("a stored decision");
    assert_eq!(decision["decision"], "answered", "{decision}");
    decision["via"].as_str().expect("via").to_string()
}

fn stored_fallback(reply: &Value) {
    let content = reply["content"].as_str().expect("content");
    assert!(content.contains("Here's what I found"), "{reply}");
    assert!(content.contains("30 days"), "{reply}");
    assert_eq!(reply["citations"][0]["title"], "Returns and refunds");
    assert!(reply.get("incomplete").is_none(), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_answer_streams_with_sources_and_citations() {
    let mut parts = vec![
        openai_delta("Returns are accepted "),
        openai_delta("within 30 days [1]."),
    ];
    parts.extend(openai_done());
    let llm = StandIn::start(vec![Script::stream(parts)]).await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    assert_eq!(reply["content"], "Returns are accepted within 30 days [1].");
    assert_eq!(
        reply["citations"],
        json!([{"title": "Returns and refunds", "url": "/help/returns"}])
    );
    assert_eq!(written_by(&app, &reply).await, "llm");

    let seen = llm.requests();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].head.starts_with("post /chat/completions "),
        "{}",
        seen[0].head
    );
    assert!(seen[0].head.contains("authorization: bearer sk-test-key"));
    let body = &seen[0].body;
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "test-model");
    let system = body["messages"][0]["content"].as_str().expect("system");
    assert!(
        system.contains("only") && system.contains("30 days"),
        "{system}"
    );
    let last = body["messages"]
        .as_array()
        .expect("messages")
        .last()
        .cloned()
        .expect("last");
    assert_eq!(last, json!({"role": "user", "content": QUESTION}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_answer_streams() {
    let mut parts = anthropic_start();
    parts.push(anthropic_delta("Within "));
    parts.push(anthropic_delta("30 days [1]."));
    parts.extend(anthropic_stop());
    let llm = StandIn::start(vec![Script::stream(parts)]).await;
    let app = app_with(LlmProvider::Anthropic, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    ask(&app, &visitor, &id, "hello there").await; // small talk: no provider call
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    assert_eq!(reply["content"], "Within 30 days [1].");
    assert_eq!(reply["citations"][0]["title"], "Returns and refunds");
    let seen = llm.requests();
    assert_eq!(seen.len(), 1, "small talk never reaches the provider");
    assert!(
        seen[0].head.starts_with("post /v1/messages "),
        "{}",
        seen[0].head
    );
    assert!(seen[0].head.contains("x-api-key: sk-test-key"));
    assert!(seen[0].head.contains("anthropic-version: 2023-06-01"));
    let body = &seen[0].body;
    assert!(body["system"].as_str().expect("system").contains("30 days"));
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(
        messages[0]["role"], "user",
        "turns start with the user: {messages:?}"
    );
    assert_eq!(messages.last().expect("last")["content"], QUESTION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_fall_back_to_the_knowledge_base() {
    let openai_500 = Script::error(
        500,
        json!({"error": {"message": "The server had an error", "type": "server_error", "code": null}}),
        &[],
    );
    let llm = StandIn::start(vec![openai_500]).await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    stored_fallback(&reply);
    assert_eq!(written_by(&app, &reply).await, "knowledge_base");

    let overloaded = Script::error(
        529,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        &[],
    );
    let malformed = Script::stream(vec![Part::Send("data: {not json\n\n".into())]);
    for script in [overloaded, malformed] {
        let llm = StandIn::start(vec![script]).await;
        let app = app_with(LlmProvider::Anthropic, &llm).await;
        let (visitor, id) = conversation_with_docs(&app).await;
        stored_fallback(&ask(&app, &visitor, &id, QUESTION).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_retry_after_is_honoured_once_a_long_one_is_not() {
    let limited = |after: &str| {
        Script::error(
            429,
            json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
            &[("retry-after", after)],
        )
    };
    let mut ok = vec![openai_delta("30 days [1].")];
    ok.extend(openai_done());
    let llm = StandIn::start(vec![limited("0.2"), Script::stream(ok)]).await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    assert_eq!(reply["content"], "30 days [1].");
    assert_eq!(llm.requests().len(), 2, "retried once");

    let llm = StandIn::start(vec![limited("120")]).await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let started = std::time::Instant::now();
    stored_fallback(&ask(&app, &visitor, &id, QUESTION).await);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no two-minute wait"
    );
    assert_eq!(llm.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_midway_is_stored_incomplete() {
    // OpenAI: the connection closes before `[DONE]`.
    let llm = StandIn::start(vec![Script::stream(vec![openai_delta(
        "Returns are accepted [1]",
    )])])
    .await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    assert_eq!(reply["incomplete"], true, "{reply}");
    let content = reply["content"].as_str().expect("content");
    assert!(content.starts_with("Returns are accepted [1]"), "{content}");
    assert!(content.contains("cut short"), "{content}");
    assert_eq!(reply["citations"][0]["title"], "Returns and refunds");

    // Anthropic: an error event mid-stream.
    let mut parts = anthropic_start();
    parts.push(anthropic_delta("Returns are "));
    parts.push(anthropic_event(
        "error",
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ));
    let llm = StandIn::start(vec![Script::stream(parts)]).await;
    let app = app_with(LlmProvider::Anthropic, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    assert_eq!(reply["incomplete"], true, "{reply}");
    assert!(
        reply["content"]
            .as_str()
            .expect("c")
            .starts_with("Returns are")
    );

    // The visitor's message is stored whatever happened.
    let list: Value = app
        .get_auth(&format!("/api/v1/conversations/{id}/messages"), &visitor)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["content"] == QUESTION)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_provider_times_out_into_the_fallback() {
    let mut parts = vec![Part::Sleep(Duration::from_secs(10))];
    parts.extend(openai_done());
    let llm = StandIn::start(vec![Script::stream(parts)]).await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let started = std::time::Instant::now();
    stored_fallback(&ask(&app, &visitor, &id, QUESTION).await);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_delta_reaches_the_client_before_the_provider_finishes() {
    let release = Arc::new(Notify::new());
    let mut parts = vec![openai_delta("Returns are "), Part::Wait(release.clone())];
    parts.push(openai_delta("accepted within 30 days [1]."));
    parts.extend(openai_done());
    let llm = StandIn::start(vec![Script::stream(parts)]).await;
    let base = llm.base_url.clone();
    // A generous idle timeout: the provider is held until the test says so.
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.llm = Some(LlmSettings::new(LlmProvider::OpenAi, &base, None, "m"));
    })
    .await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{id}/messages")))
        .bearer_auth(&visitor)
        .header("accept", "text/event-stream")
        .json(&json!({"content": QUESTION}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201);
    let mut events = SseReader::new(res);
    let mut first = None;
    while let Some(e) = events.next(Duration::from_secs(5)).await {
        if e.event == "answer.delta" {
            first = Some(e);
            break;
        }
    }
    let first = first.expect("a delta arrives while the provider is still holding the stream");
    assert_eq!(first.data["text"], "Returns are ");
    release.notify_one();
    let rest = events.collect_until("done", Duration::from_secs(5)).await;
    let reply = rest
        .iter()
        .rev()
        .find(|e| e.event == "message.created")
        .expect("the stored reply");
    assert_eq!(
        reply.data["content"],
        "Returns are accepted within 30 days [1]."
    );
}

/// Every request says how long the answer may be (`LANTERN_LLM_MAX_TOKENS`),
/// on both wire formats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_carry_max_tokens() {
    for provider in [LlmProvider::OpenAi, LlmProvider::Anthropic] {
        let parts = match provider {
            LlmProvider::OpenAi => {
                let mut p = vec![openai_delta("Within 30 days [1].")];
                p.extend(openai_done());
                p
            }
            LlmProvider::Anthropic => {
                let mut p = anthropic_start();
                p.push(anthropic_delta("Within 30 days [1]."));
                p.extend(anthropic_stop());
                p
            }
        };
        let llm = StandIn::start(vec![Script::stream(parts)]).await;
        let base = llm.base_url.clone();
        let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
            let mut settings = LlmSettings::new(provider, &base, None, "m");
            settings.max_tokens = 321;
            s.llm = Some(settings);
        })
        .await;
        let (visitor, id) = conversation_with_docs(&app).await;
        ask(&app, &visitor, &id, QUESTION).await;
        let seen = llm.requests();
        assert_eq!(seen.len(), 1, "{provider:?}");
        assert_eq!(seen[0].body["max_tokens"], 321, "{provider:?}");
    }
}

/// With every provider call taken (`LANTERN_LLM_CONCURRENCY=1`, one answer
/// held by the provider), the next answer waits the queue timeout and is
/// then written from the knowledge base; the provider never sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_provider_calls_fall_back_to_the_knowledge_base() {
    let release = Arc::new(Notify::new());
    let mut parts = vec![openai_delta("Held "), Part::Wait(release.clone())];
    parts.push(openai_delta("answer [1]."));
    parts.extend(openai_done());
    let llm = StandIn::start(vec![Script::stream(parts)]).await;
    let base = llm.base_url.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        let mut settings = LlmSettings::new(LlmProvider::OpenAi, &base, None, "m");
        settings.concurrency = 1;
        settings.queue_timeout = Duration::from_millis(100);
        s.llm = Some(settings);
    })
    .await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{id}/messages")))
        .bearer_auth(&visitor)
        .header("accept", "text/event-stream")
        .json(&json!({"content": QUESTION}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201);
    let mut events = SseReader::new(res);
    let mut holding = false;
    while let Some(e) = events.next(Duration::from_secs(5)).await {
        if e.event == "answer.delta" {
            holding = true;
            break;
        }
    }
    assert!(holding, "the first answer holds the only provider call");

    // A second visitor asks meanwhile.
    let site_id = app
        .get_auth(&format!("/api/v1/conversations/{id}"), &visitor)
        .await
        .json::<Value>()
        .await
        .expect("json")["site_id"]
        .as_str()
        .expect("site id")
        .to_string();
    let other = app.visitor(&site_id).await;
    let other_id = app.conversation_id(&other).await;
    let reply = ask(&app, &other, &other_id, QUESTION).await;
    stored_fallback(&reply);

    release.notify_one();
    let rest = events.collect_until("done", Duration::from_secs(5)).await;
    assert!(
        rest.iter()
            .any(|e| e.event == "message.created" && e.data["content"] == "Held answer [1]."),
        "{rest:?}"
    );
    assert_eq!(
        llm.requests().len(),
        1,
        "the busy answer never reached the provider"
    );
}

/// An answer without `[n]` markers still cites the passages it was written
/// from; one that overlaps with none says it cites nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmarked_answers_are_cited_by_overlap() {
    let answer = |text: &str| {
        let mut parts = vec![openai_delta(text)];
        parts.extend(openai_done());
        Script::stream(parts)
    };
    let llm = StandIn::start(vec![
        answer("You can return any item within 30 days and get a full refund on your card."),
        answer("Sorry, I am not sure about that one."),
    ])
    .await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    assert_eq!(
        reply["citations"],
        json!([{"title": "Returns and refunds", "url": "/help/returns"}]),
        "{reply}"
    );
    let reply = ask(
        &app,
        &visitor,
        &id,
        "Do you ship express to other countries?",
    )
    .await;
    assert_eq!(reply["citations"], json!([]), "{reply}");
    let content = reply["content"].as_str().expect("content");
    assert!(content.contains("not based on a source"), "{content}");
}

/// The stand-in's answer citing source 1, with a usage report when given
/// (prompt and completion tokens).
fn cited(usage: Option<(u64, u64)>) -> Script {
    let mut parts = vec![openai_delta("Returns are accepted within 30 days [1].")];
    parts.extend(usage.map(|(p, c)| openai_usage(p, c)));
    parts.extend(openai_done());
    Script::stream(parts)
}

/// An app (SQLite) whose LLM is the OpenAI stand-in, with `adjust` applied.
async fn openai_app(
    stand_in: &StandIn,
    adjust: impl FnOnce(&mut lantern_server::settings::Settings) + Send + 'static,
) -> TestApp {
    let base = stand_in.base_url.clone();
    TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.llm = Some(LlmSettings::new(
            LlmProvider::OpenAi,
            &base,
            Some("sk-test-key"),
            "test-model",
        ));
        adjust(s);
    })
    .await
}

/// A site's daily LLM budget: past it, no provider call is made and the
/// visitor gets the knowledge base's own answer; other sites are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sites_daily_llm_budget_stops_provider_calls() {
    let llm = StandIn::start(vec![cited(None), cited(None), cited(None), cited(None)]).await;
    let app = openai_app(&llm, |s| s.llm_daily_requests_per_site = 2).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    for _ in 0..2 {
        let reply = ask(&app, &visitor, &id, QUESTION).await;
        assert_eq!(reply["content"], "Returns are accepted within 30 days [1].");
    }
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    stored_fallback(&reply);
    assert_eq!(llm.requests().len(), 2, "no provider call past the budget");
    // Another site has its own budget.
    let (other, other_id) = conversation_with_docs(&app).await;
    let reply = ask(&app, &other, &other_id, QUESTION).await;
    assert_eq!(reply["content"], "Returns are accepted within 30 days [1].");
    assert_eq!(llm.requests().len(), 3);
}

/// The token half of the daily budget: the provider's reported usage is
/// charged to the site, and a site at its token budget makes no more calls.
/// Tokens show in `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sites_daily_token_budget_counts_the_providers_usage() {
    let usage = Some((50, 20));
    let llm = StandIn::start(vec![cited(usage), cited(usage), cited(usage)]).await;
    let app = openai_app(&llm, |s| s.llm_daily_tokens_per_site = 100).await;
    let (visitor, id) = conversation_with_docs(&app).await;
    // 0, then 70 tokens spent: both under 100, so both calls are made.
    for _ in 0..2 {
        let reply = ask(&app, &visitor, &id, QUESTION).await;
        assert_eq!(reply["content"], "Returns are accepted within 30 days [1].");
    }
    // 140 spent: no third call.
    let reply = ask(&app, &visitor, &id, QUESTION).await;
    stored_fallback(&reply);
    let seen = llm.requests();
    assert_eq!(seen.len(), 2, "no provider call past the token budget");
    assert_eq!(seen[0].body["stream_options"]["include_usage"], true);
    let metrics = app.metrics().await;
    let counted = |kind: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("lantern_llm_tokens_total{{kind=\"{kind}\"}} ")))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    // The recorder is shared by the tests of this process: at least ours.
    assert!(
        counted("input") >= 100 && counted("output") >= 40,
        "{metrics}"
    );
}

/// A returning visitor: greeted by the name their site verified, and the
/// LLM is told that name, what the team noted about them, and what they
/// asked in earlier conversations (it had none of it the first time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_visitor_is_known_to_the_llm_and_greeted_by_name() {
    let llm = StandIn::start(vec![cited(None), cited(None)]).await;
    let app = app_with(LlmProvider::OpenAi, &llm).await;
    let site = app.site().await;
    crate::knowledge::load(&app, &site.admin_key).await;
    let secret = lantern_tests::identity::new_secret(&app, &site.id, &site.admin_key).await;
    let visitor: Value = lantern_tests::identity::identify(
        &app,
        &site.id,
        json!({"user_id": "u-7", "user_hash": lantern_tests::identity::sign(&secret, "u-7"), "name": "Ann Example"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let token = visitor["token"].as_str().expect("token").to_string();
    let visitor_id = visitor["visitor_id"].as_str().expect("id").to_string();

    let first = app.conversation_id(&token).await;
    ask(&app, &token, &first, QUESTION).await;
    let res = app
        .post_json(
            &format!("/api/v1/visitors/{visitor_id}/memories"),
            &site.admin_key,
            &json!({"content": "Uses the Pro plan"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let second = app.conversation(&token).await;
    let welcome = second["messages"][0]["content"].as_str().expect("welcome");
    assert!(
        welcome.starts_with("Welcome back, Ann Example!"),
        "{welcome}"
    );
    assert!(
        welcome.contains(&format!("Last time you asked: “{QUESTION}”")),
        "the offer to pick up the last question: {welcome}"
    );
    let id = second["id"].as_str().expect("id");
    ask(&app, &token, id, QUESTION).await;

    let seen = llm.requests();
    assert_eq!(seen.len(), 2);
    let system = |i: usize| {
        seen[i].body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let (before, after) = (system(0), system(1));
    assert!(before.contains("Their name: Ann Example"), "{before}");
    assert!(
        !before.contains("Pro plan") && !before.contains("earlier conversations"),
        "{before}"
    );
    assert!(after.contains("Their name: Ann Example"), "{after}");
    assert!(after.contains("- Uses the Pro plan"), "{after}");
    assert!(
        after.contains(&format!("messages, still open): asked \"{QUESTION}\"")),
        "the earlier conversation, summed up: {after}"
    );
}
