//! Tokens a provider call used, as the provider reports them: OpenAI sends
//! a `usage` object on the last chunk when asked (`stream_options.
//! include_usage`); Anthropic sends the input count in `message_start` and
//! the running output count in each `message_delta`. A later report of a
//! field replaces an earlier one (both providers send running totals).

use serde_json::Value;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input: Option<u64>,
    pub output: Option<u64>,
}

impl Usage {
    /// Takes the fields `report` carries.
    pub fn absorb(&mut self, report: Usage) {
        self.input = report.input.or(self.input);
        self.output = report.output.or(self.output);
    }

    /// The tokens to charge: the provider's figures, or, for a field it did
    /// not report (a compatible server that ignores `include_usage`), an
    /// estimate of four characters per token so that a silent provider
    /// cannot spend without limit.
    pub fn charged(&self, prompt_chars: usize, answer_chars: usize) -> (u64, u64) {
        let estimate = |chars: usize| (chars as u64).div_ceil(4);
        (
            self.input.unwrap_or_else(|| estimate(prompt_chars)),
            self.output.unwrap_or_else(|| estimate(answer_chars)),
        )
    }

    pub fn is_reported(&self) -> bool {
        self.input.is_some() || self.output.is_some()
    }
}

/// The `usage` object of an OpenAI chunk (`prompt_tokens`,
/// `completion_tokens`) or of an Anthropic event (`input_tokens`,
/// `output_tokens`, at the top or inside `message`).
pub fn read(event: &Value) -> Option<Usage> {
    let usage = event
        .get("usage")
        .or_else(|| event.pointer("/message/usage"))
        .filter(|u| u.is_object())?;
    let field = |names: [&str; 2]| names.iter().find_map(|n| usage.get(*n)?.as_u64());
    let found = Usage {
        input: field(["prompt_tokens", "input_tokens"]),
        output: field(["completion_tokens", "output_tokens"]),
    };
    found.is_reported().then_some(found)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_both_providers_and_keeps_running_totals() {
        let mut u = Usage::default();
        // OpenAI's last chunk with include_usage.
        u.absorb(read(&json!({"choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}})).expect("a usage report"));
        assert_eq!(u.charged(0, 0), (120, 30));

        let mut a = Usage::default();
        a.absorb(read(&json!({"type": "message_start", "message": {"usage": {"input_tokens": 80, "output_tokens": 1}}})).expect("a usage report"));
        a.absorb(read(&json!({"type": "message_delta", "usage": {"output_tokens": 42}})).expect("a usage report"));
        assert_eq!(a.charged(0, 0), (80, 42));

        assert_eq!(read(&json!({"choices": [{"delta": {"content": "x"}}]})), None);
        assert_eq!(read(&json!({"usage": null})), None);
    }

    #[test]
    fn unreported_fields_are_estimated() {
        let u = Usage { input: Some(10), output: None };
        assert_eq!(u.charged(999, 41), (10, 11));
        assert_eq!(Usage::default().charged(8, 0), (2, 0));
    }
}
