//! Reads back the decision the engine stored with a reply (the `retrieval`
//! JSON of a message) as the owner's log shows it. Replies stored before a
//! field existed read as what can still be told, else `unknown`.

use lantern_shared::conversation_log::{Decision, DecisionKind};
use serde_json::Value;

/// The decision behind a reply whose stored `retrieval` is `stored`.
pub fn read(stored: Option<&Value>) -> Decision {
    let field = |k: &str| stored.and_then(|v| v.get(k));
    let number = |k: &str| field(k).and_then(Value::as_f64);
    let kind = match field("decision").and_then(Value::as_str) {
        Some("answered") if field("via").and_then(Value::as_str) == Some("llm") => DecisionKind::Llm,
        Some("answered") => DecisionKind::KnowledgeBase,
        Some("curated") => DecisionKind::Curated,
        Some("not_found") => DecisionKind::NotAnswered,
        Some("handoff") => DecisionKind::HandedOver,
        Some("small_talk") => DecisionKind::SmallTalk,
        Some("memory") => DecisionKind::Memory,
        Some("welcome") => DecisionKind::Welcome,
        _ => DecisionKind::Unknown,
    };
    Decision {
        kind,
        confidence: number("confidence"),
        threshold: number("threshold"),
        score: number("score"),
        document_ids: field("sources")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_each_stored_decision() {
        let kb = read(Some(&json!({"decision": "answered", "confidence": 0.82,
            "threshold": 0.6, "score": 3.1, "sources": ["d1", "d2"]})));
        assert_eq!(kb.kind, DecisionKind::KnowledgeBase);
        assert_eq!(kb.confidence, Some(0.82));
        assert_eq!(kb.document_ids, ["d1", "d2"]);
        let llm = read(Some(&json!({"decision": "answered", "via": "llm"})));
        assert_eq!(llm.kind, DecisionKind::Llm);
        assert_eq!(read(Some(&json!({"decision": "not_found"}))).kind, DecisionKind::NotAnswered);
        assert_eq!(read(Some(&json!({"decision": "handoff"}))).kind, DecisionKind::HandedOver);
        assert_eq!(read(None).kind, DecisionKind::Unknown);
        assert_eq!(read(Some(&json!({"decision": "later"}))).kind, DecisionKind::Unknown);
    }
}
