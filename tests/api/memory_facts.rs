//! A fact told on its own ("I use the Pro plan"), which the knowledge base
//! has nothing on, still reaches the LLM with its `remember` tool and no
//! sources: it is kept and acknowledged, stored as a `memory` decision, not
//! "not answered". A question the knowledge base cannot answer, and that
//! tells nothing, costs no LLM call. Both backends.

use lantern_server::settings::LlmProvider;
use lantern_tests::{Backend, TestApp, on_both_backends, provider::StandIn};

use crate::{
    answers::ask,
    conversation_log::{last_decision, transcript},
    memory::{app_with, content, memories, openai_remembers, openai_says},
};

const TOLD: &str = "I use the Pro plan.";
const FACT: &str = "Uses the Pro plan";
const ACK: &str = "Noted: you use the Pro plan.";

async fn a_fact_told_alone_is_kept(backend: Backend) {
    let llm = StandIn::start(vec![openai_remembers(FACT), openai_says(ACK)]).await;
    let app: TestApp = app_with(backend, LlmProvider::OpenAi, &llm).await;
    let site = app.site().await;
    crate::knowledge::load(&app, &site.admin_key).await;
    let token = app.visitor(&site.id).await;
    let conv = app.conversation(&token).await;
    let (conv, visitor) = (
        conv["id"].as_str().expect("id").to_string(),
        conv["visitor_id"].as_str().expect("visitor").to_string(),
    );

    let reply = ask(&app, &token, &conv, TOLD).await;
    assert_eq!(
        content(&reply),
        ACK,
        "acknowledged, with no note about sources"
    );
    assert!(
        reply["citations"].as_array().is_none_or(Vec::is_empty),
        "{reply}"
    );
    let seen = llm.requests();
    assert_eq!(seen.len(), 2, "the call and the answer after it");
    assert_eq!(seen[0].body["tools"][0]["function"]["name"], "remember");
    let system = seen[0].body["messages"][0]["content"]
        .as_str()
        .expect("system");
    assert!(
        system.contains("There are no sources for this message"),
        "{system}"
    );
    assert!(!system.contains("\n[1] "), "no passage is given: {system}");
    let held = memories(&app, &site.admin_key, &visitor, None).await;
    assert_eq!(held, vec![(FACT.to_string(), "assistant".to_string())]);
    let shown = transcript(&app, &site.admin_key, &conv).await;
    assert_eq!(last_decision(&shown)["kind"], "memory", "{shown:?}");

    // Asked, not told, and nothing in the knowledge base: no LLM call.
    let unknown = ask(&app, &token, &conv, "Can I use the app on a submarine?").await;
    assert!(!content(&unknown).is_empty());
    assert_eq!(llm.requests().len(), 2, "no further LLM request");
    let shown = transcript(&app, &site.admin_key, &conv).await;
    assert_eq!(last_decision(&shown)["kind"], "not_answered");
}
on_both_backends!(a_fact_told_alone_is_kept, super::a_fact_told_alone_is_kept);
