//! A returning visitor's earlier conversations reach the LLM as a short
//! summary (date, length, outcome, first and last question), the newest
//! first, the current conversation left out, on both backends.

use lantern_server::settings::LlmProvider;
use lantern_tests::{Backend, on_both_backends, provider::StandIn};

use crate::{
    answers::ask,
    memory::{app_with, lenient_site, openai_says},
};

const FIRST: &str = "How fast do orders ship?";
const LAST: &str = "Within how many days can I return an item for a refund?";
const OTHER: &str = "When is the shop in Lyon open?";
const NOW: &str = "Do you ship express to Lyon?";

async fn summary_of_earlier_conversations(backend: Backend) {
    let llm = StandIn::start((0..5).map(|_| openai_says("Noted [1].")).collect()).await;
    let app = app_with(backend, LlmProvider::OpenAi, &llm).await;
    let site = lenient_site(&app).await;
    let token = app.visitor(&site.id).await;
    let older = app.conversation_id(&token).await;
    ask(&app, &token, &older, FIRST).await;
    ask(&app, &token, &older, LAST).await;
    let newer = app.conversation_id(&token).await;
    ask(&app, &token, &newer, OTHER).await;
    // A stranger's conversation is never part of it.
    let stranger = app.visitor(&site.id).await;
    let theirs = app.conversation_id(&stranger).await;
    ask(
        &app,
        &stranger,
        &theirs,
        "How fast do orders ship to Mrs Stranger?",
    )
    .await;

    let now = app.conversation_id(&token).await;
    ask(&app, &token, &now, NOW).await;
    let seen = llm.requests();
    assert_eq!(seen.len(), 5, "each question went to the LLM");
    let system = seen[4].body["messages"][0]["content"]
        .as_str()
        .expect("system prompt")
        .to_string();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let older_line = format!("messages, still open): asked \"{FIRST}\", last \"{LAST}\"");
    let newer_line = format!("messages, still open): asked \"{OTHER}\"\n");
    let (o, n) = (
        system
            .find(&older_line)
            .unwrap_or_else(|| panic!("the older one: {system}")),
        system
            .find(&newer_line)
            .unwrap_or_else(|| panic!("the newer one: {system}")),
    );
    assert!(n < o, "newest first: {system}");
    assert!(system.contains(&format!("- {today} (")), "{system}");
    assert!(!system.contains("Mrs Stranger"), "{system}");
    assert!(
        !system.contains(&format!("asked \"{NOW}\"")),
        "not the current one: {system}"
    );

    // Before any earlier conversation, there is no such section.
    let first_prompt = seen[0].body["messages"][0]["content"]
        .as_str()
        .expect("system");
    assert!(
        !first_prompt.contains("earlier conversations"),
        "{first_prompt}"
    );
}
on_both_backends!(
    earlier_conversations_are_summed_up_for_the_llm,
    super::summary_of_earlier_conversations
);
