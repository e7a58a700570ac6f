//! NUL characters (`\u0000`) in JSON text. Postgres cannot store them in
//! `text` or `jsonb` (and SQLite would keep them silently), so a request
//! carrying one anywhere — a field, a nested metadata value, an object key —
//! is refused up front with the field's path, alike on both backends.

use serde_json::Value;

/// The path of the first string (or object key) in `value` holding a NUL,
/// e.g. `metadata.tags[2]`; `None` when there is none.
pub fn first_nul(value: &Value) -> Option<String> {
    find(value, String::new())
}

fn find(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.replace('\0', "\\u0000")
            } else {
                format!("{path}.{}", k.replace('\0', "\\u0000"))
            };
            if k.contains('\0') {
                Some(here)
            } else {
                find(v, here)
            }
        }),
        _ => None,
    }
}

/// The query parameter whose (percent-encoded) value or name holds a NUL.
pub fn nul_in_query(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let has = |s: &str| s.to_ascii_lowercase().contains("%00");
        (has(name) || has(value)).then(|| name.replace("%00", "\\u0000"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_nul_anywhere_and_names_the_path() {
        assert_eq!(first_nul(&json!({"content": "fine"})), None);
        assert_eq!(
            first_nul(&json!({"content": "a\u{0}b"})).as_deref(),
            Some("content")
        );
        assert_eq!(
            first_nul(&json!({"metadata": {"tags": ["x", "y\u{0}"]}})).as_deref(),
            Some("metadata.tags[1]")
        );
        assert_eq!(
            first_nul(&json!({"metadata": {"k\u{0}": 1}})).as_deref(),
            Some("metadata.k\\u0000")
        );
        assert_eq!(nul_in_query("q=ab%00c&limit=3").as_deref(), Some("q"));
        assert_eq!(nul_in_query("q=abc"), None);
    }
}
