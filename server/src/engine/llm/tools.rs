//! The one tool the assistant is offered: `remember`, to keep a lasting
//! fact the visitor states about themselves ("my order number is …", "I
//! use the Pro plan"). A call arrives in pieces while the answer streams
//! (its arguments are JSON written a few characters at a time), is put
//! together here, and is answered in a second request that carries the
//! call and its result, as both providers' tool protocols require.

use serde_json::{Value, json};

/// The tool's name, as the provider echoes it.
pub const REMEMBER: &str = "remember";
/// Facts kept from one answer at most (a model that calls the tool in a
/// loop cannot fill the visitor's memory from one question).
pub const MAX_FACTS: usize = 3;
/// Characters of one fact kept at most.
pub const FACT_CHARS: usize = 300;
/// Characters of one call's arguments read at most.
const ARGS_CHARS: usize = 4096;

pub const DESCRIPTION: &str = "Keep a lasting fact the visitor has just stated about themselves \
     (an order number, their plan, a preference) so you know it in later conversations. \
     Write it as a short sentence about the visitor, e.g. \"Uses the Pro plan\". \
     Never keep passwords, card numbers or other secrets, nor facts about other people.";

/// A tool call, as put together from the stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments' JSON text.
    pub arguments: String,
}

impl ToolCall {
    /// The fact a `remember` call keeps, trimmed and cut to [`FACT_CHARS`];
    /// `None` for another tool or arguments without one.
    pub fn fact(&self) -> Option<String> {
        if self.name != REMEMBER {
            return None;
        }
        let args: Value = serde_json::from_str(&self.arguments).ok()?;
        let fact: String = args
            .get("fact")?
            .as_str()?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(FACT_CHARS)
            .collect();
        (!fact.is_empty()).then_some(fact)
    }

    /// What the tool says back to the model.
    pub fn result(&self) -> &'static str {
        if self.fact().is_some() { "saved" } else { "not saved: give {\"fact\": \"…\"}" }
    }

    /// The arguments as JSON (an empty object when they are not JSON).
    pub fn input(&self) -> Value {
        serde_json::from_str(&self.arguments).unwrap_or_else(|_| json!({}))
    }
}

/// One piece of a tool call in a stream: the call at `index` begins (with
/// its id and name) or gets more of its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPiece {
    pub index: u64,
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: String,
}

/// Puts calls together from their pieces, in the order they began.
#[derive(Debug, Default)]
pub struct Calls {
    calls: Vec<(u64, ToolCall)>,
}

impl Calls {
    pub fn push(&mut self, piece: CallPiece) {
        let at = match self.calls.iter().position(|(i, _)| *i == piece.index) {
            Some(at) => at,
            None => {
                self.calls.push((piece.index, ToolCall::default()));
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[at].1;
        if let Some(id) = piece.id {
            call.id = id;
        }
        if let Some(name) = piece.name {
            call.name = name;
        }
        if call.arguments.len() + piece.arguments.len() <= ARGS_CHARS {
            call.arguments.push_str(&piece.arguments);
        }
    }

    pub fn finish(self) -> Vec<ToolCall> {
        self.calls.into_iter().map(|(_, c)| c).collect()
    }
}

/// The `remember` tool's parameters, as a JSON schema.
pub fn parameters() -> Value {
    json!({
        "type": "object",
        "properties": {"fact": {"type": "string", "description": "The fact, one short sentence."}},
        "required": ["fact"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_put_together_from_pieces() {
        let mut calls = Calls::default();
        let piece = |index, id: Option<&str>, name: Option<&str>, args: &str| CallPiece {
            index,
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            arguments: args.to_string(),
        };
        calls.push(piece(0, Some("call_1"), Some("remember"), ""));
        calls.push(piece(1, Some("call_2"), Some("lookup"), "{}"));
        calls.push(piece(0, None, None, "{\"fact\": \"Uses the "));
        calls.push(piece(0, None, None, "  Pro plan\"}"));
        let calls = calls.finish();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].id, "call_1");
        assert_eq!(calls[0].fact().as_deref(), Some("Uses the Pro plan"));
        assert_eq!(calls[1].fact(), None, "another tool keeps nothing");
        let broken = ToolCall {
            name: REMEMBER.into(),
            arguments: "{\"fact\": ".into(),
            ..Default::default()
        };
        assert_eq!(broken.fact(), None);
        assert_eq!(broken.input(), json!({}));
    }
}
