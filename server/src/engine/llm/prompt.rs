//! What the LLM is given: an instruction to answer only from numbered
//! sources and cite them, the sources (retrieved passages), and the recent
//! conversation within a token budget.

use lantern_shared::api::{Message, Role as ApiRole};

use super::{Role, tools::ToolCall};
use crate::{answer::Known, knowledge::PassageHit};

/// Tokens of history sent at most (a token is taken as four characters).
pub const HISTORY_TOKENS: usize = 1500;
/// Characters of one memory or earlier question given at most.
const KNOWN_CHARS: usize = 300;

pub struct Prompt {
    pub system: String,
    /// Oldest first; the last is the question.
    pub messages: Vec<(Role, String)>,
    /// Offer the `remember` tool (there is a visitor to remember things of).
    pub remember: bool,
    /// The answer so far and the tools it called, sent back with their
    /// results for the answer to go on (no further calls allowed).
    pub tool_turn: Option<ToolTurn>,
}

/// An assistant turn that called tools.
#[derive(Debug, Clone, Default)]
pub struct ToolTurn {
    pub text: String,
    pub calls: Vec<ToolCall>,
}

impl Prompt {
    /// Characters sent, for estimating tokens a provider did not report.
    pub fn chars(&self) -> usize {
        let turn = self.tool_turn.as_ref().map_or(0, |t| {
            t.text.len() + t.calls.iter().map(|c| c.arguments.len() + 16).sum::<usize>()
        });
        self.system.len() + self.messages.iter().map(|(_, t)| t.len()).sum::<usize>() + turn
    }
}

/// Added to the instructions when the visitor told something about
/// themselves that the knowledge base has nothing on: no sources are given.
pub const NOTE_FACT: &str = "\nThere are no sources for this message: the visitor is telling you \
     something about themselves. If it is a lasting fact worth remembering in later \
     conversations (an order number, their plan, a preference), save it with the remember tool. \
     Then acknowledge it in one short sentence without adding anything you were not told; if \
     they also asked something, say you don't know and offer to connect them with a person.\n";

/// Rough token count: characters / 4, rounded up.
pub fn tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

pub fn build(
    bot: &str,
    site: &str,
    language: &str,
    passages: &[PassageHit],
    history: &[Message],
    question: &str,
    known: &Known,
) -> Prompt {
    let mut system = format!(
        "You are {bot}, the assistant on the website of {site}. Answer the visitor using only the \
         numbered sources below. Cite the sources you use with their number in square brackets, \
         like [1]. If the sources do not contain the answer, say plainly that you don't know and \
         offer to connect the visitor with a person. Never invent facts, links, prices or \
         commands. Reply in the visitor's language (BCP 47: {language}), briefly, in markdown.\n\nSources:\n"
    );
    for (i, p) in passages.iter().enumerate() {
        system.push_str(&format!("\n[{}] {}\n{}\n", i + 1, p.heading, p.body));
    }
    remembered(&mut system, known);
    // Newest history first until the budget is spent, then back in order.
    let mut budget = HISTORY_TOKENS;
    let mut kept: Vec<(Role, String)> = Vec::new();
    for m in history.iter().rev() {
        let role = match m.role {
            ApiRole::User => Role::User,
            ApiRole::Assistant | ApiRole::Agent => Role::Assistant,
            ApiRole::System => continue,
        };
        let cost = tokens(&m.content);
        if cost > budget {
            break;
        }
        budget -= cost;
        kept.push((role, m.content.clone()));
    }
    kept.reverse();
    kept.push((Role::User, question.to_string()));
    Prompt {
        system,
        messages: kept,
        remember: false,
        tool_turn: None,
    }
}

/// What is known about a returning visitor, after the sources: facts to
/// use when they matter, never a source to cite.
fn remembered(system: &mut String, known: &Known) {
    if known.name.is_none() && known.memories.is_empty() && known.earlier.is_empty() {
        return;
    }
    let cut = |t: &str| t.chars().take(KNOWN_CHARS).collect::<String>();
    system.push_str(
        "\nWhat you know about this visitor from before (use it when it helps; it is not a source to cite):\n",
    );
    if let Some(name) = &known.name {
        system.push_str(&format!("- Their name: {}\n", cut(name)));
    }
    for m in &known.memories {
        system.push_str(&format!("- {}\n", cut(&m.content)));
    }
    if !known.earlier.is_empty() {
        system.push_str("Their earlier conversations, newest first:\n");
        for c in &known.earlier {
            system.push_str(&format!(
                "- {} ({} messages, {}): asked \"{}\"",
                c.date,
                c.messages,
                c.outcome,
                cut(&c.first_question)
            ));
            if let Some(last) = &c.last_question {
                system.push_str(&format!(", last \"{}\"", cut(last)));
            }
            system.push('\n');
        }
    }
}

/// The source numbers `[n]` cited in `text` (1-based, in order, distinct).
pub fn cited(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('[') {
        rest = &rest[i + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty()
            && rest[digits.len()..].starts_with(']')
            && let Ok(n) = digits.parse::<usize>()
            && n > 0
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citation_markers_are_found() {
        assert_eq!(
            cited("Use Docker [2]. See [1] and [2], not [x] or [0]."),
            [2, 1]
        );
    }
}
