//! A conversation read back, read-only, as the team sees it: each bot
//! answer with a badge saying how it was decided ("knowledge base 0.82 ·
//! 2 sources", "not answered", "handed over", …) and the visitor's vote.
//! Insights and the conversation log open it.

use lantern_shared::{
    api::{Page, Rating},
    conversation_log::{Decision, DecisionKind, TranscriptMessage},
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{api, ui::Note};

/// The badge's words for `d` on an answer citing `sources` documents.
pub fn badge(d: &Decision, sources: usize) -> String {
    let scored = |name: &str| {
        let mut s = name.to_string();
        if let Some(c) = d.confidence {
            s.push_str(&format!(" {c:.2}"));
        }
        s
    };
    let with_sources = |s: String| match sources {
        0 => s,
        1 => format!("{s} · 1 source"),
        n => format!("{s} · {n} sources"),
    };
    match d.kind {
        DecisionKind::KnowledgeBase => with_sources(scored("knowledge base")),
        DecisionKind::Llm => with_sources(scored("LLM")),
        DecisionKind::Curated => "curated answer".into(),
        DecisionKind::NotAnswered => scored("not answered"),
        DecisionKind::HandedOver => "handed over".into(),
        DecisionKind::SmallTalk => "small talk".into(),
        DecisionKind::Memory => "memory".into(),
        DecisionKind::Welcome => "welcome".into(),
        DecisionKind::Unknown => "unknown".into(),
    }
}

/// Loads conversation `id`'s transcript (its first 100 messages) into
/// `into`, or says why not in `note`.
pub fn open(
    id: String,
    site: String,
    into: RwSignal<Option<(String, Vec<TranscriptMessage>)>>,
    note: RwSignal<Note>,
) {
    spawn_local(async move {
        let path = format!("/api/v1/conversations/{id}/transcript?limit=100");
        match api::get::<Page<TranscriptMessage>>(&path, Some(&site)).await {
            Ok(p) => into.set(Some((id, p.items))),
            Err(e) => note.set(Note::Err(e.message)),
        }
    });
}

/// The open transcript, with a button that closes it.
#[component]
pub fn Transcript(shown: RwSignal<Option<(String, Vec<TranscriptMessage>)>>) -> impl IntoView {
    move || {
        shown.get().map(|(id, messages)| {
            view! {
                <section class="transcript" aria-label="Conversation">
                    <h2>{format!("Conversation {id}")}</h2>
                    <button type="button" class="secondary" on:click=move |_| shown.set(None)>"Close"</button>
                    <ol class="plain">
                        {messages.into_iter().filter(|m| !m.message.internal).map(|t| {
                            let m = t.message;
                            let decision = t.decision.map(|d| {
                                let kind = format!("decision {:?}", d.kind).to_lowercase();
                                let title = d.threshold.map(|th| format!("threshold {th:.2}"));
                                view! { <span class=kind title=title>{badge(&d, m.citations.len())}</span> }
                            });
                            let vote = m.rating.map(|r| match r {
                                Rating::Up => "👍",
                                Rating::Down => "👎",
                            });
                            view! {
                                <li class=format!("msg {:?}", m.role).to_lowercase()>
                                    <strong>{format!("{:?}", m.role)}</strong>
                                    " " {decision} " " {vote}
                                    <div inner_html=m.html></div>
                                    {(!m.citations.is_empty()).then(|| view! {
                                        <ul class="cites">
                                            {m.citations.into_iter().map(|c| view! { <li>{c.title}</li> }).collect_view()}
                                        </ul>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                </section>
            }
        })
    }
}
