//! Answers without an LLM: the best passage, quoted with its source, when
//! retrieval is confident; otherwise an honest "not in the knowledge base"
//! and the offer of a person. Nothing is said that is not in a passage.

use lantern_shared::api::Citation;

use super::replies;
use crate::knowledge::{PassageHit, Retrieved, analysis::Analyzer};

/// Share of the question's terms the best passage must contain, unless the
/// site sets its own threshold. The share is computed in Rust from the
/// analysed terms, so it does not move with a site's size the way BM25
/// scores do.
pub const CONFIDENCE: f64 = 0.6;
/// Longest quote, in words.
const QUOTE_WORDS: usize = 120;

/// The reply text and its citations.
pub struct Composed {
    pub content: String,
    pub citations: Vec<Citation>,
}

/// Confidence of `found` for a site: words of the site's own name match
/// nearly every passage of its knowledge base, so they do not count.
pub fn confidence(found: &Retrieved, site_name: &str) -> f64 {
    let own: Vec<String> = Analyzer::new(&found.language).query_terms(site_name);
    let terms: Vec<String> = found
        .terms
        .iter()
        .filter(|t| !own.contains(t))
        .cloned()
        .collect();
    if terms.is_empty() {
        return found.confidence();
    }
    Retrieved {
        terms,
        language: found.language.clone(),
        hits: found.hits.clone(),
    }
    .confidence()
}

pub fn citation(hit: &PassageHit) -> Citation {
    Citation {
        title: hit.title.clone(),
        url: hit.url.clone(),
    }
}

/// Citations of `hits`, one per document, in order.
pub fn citations(hits: &[PassageHit]) -> Vec<Citation> {
    let mut out: Vec<Citation> = Vec::new();
    for h in hits {
        let c = citation(h);
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The retrieval answer for `found`, or the honest no-answer when the
/// confidence is below `threshold`.
pub fn compose(found: &Retrieved, site_name: &str, language: &str, threshold: f64) -> Composed {
    let Some(best) = found
        .hits
        .first()
        .filter(|_| confidence(found, site_name) >= threshold)
    else {
        return Composed {
            content: replies::no_answer(language).to_string(),
            citations: Vec::new(),
        };
    };
    let section = best
        .heading
        .strip_prefix(&best.title)
        .map(|s| s.trim_start_matches(" › "))
        .filter(|s| !s.is_empty());
    let source = match section {
        Some(s) => format!("**{}** — {}", best.title, s),
        None => format!("**{}**", best.title),
    };
    let content = format!(
        "{}\n\n{}\n\n{}",
        replies::found_intro(language),
        source,
        quote(&best.body)
    );
    Composed {
        content,
        citations: vec![citation(best)],
    }
}

/// The passage's first blocks, up to [`QUOTE_WORDS`] words, each its own
/// paragraph; an ellipsis marks a cut.
fn quote(body: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut words = 0;
    for block in body.lines() {
        let n = block.split_whitespace().count();
        if words + n > QUOTE_WORDS {
            if out.is_empty() {
                let cut: Vec<&str> = block.split_whitespace().take(QUOTE_WORDS).collect();
                out.push(format!("{} …", cut.join(" ")));
            } else {
                out.push("…".into());
            }
            break;
        }
        words += n;
        out.push(block.to_string());
    }
    out.join("\n\n")
}
