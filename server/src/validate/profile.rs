//! Bounds on what is kept about a visitor: name, email, custom attributes,
//! time zone, User-Agent.

use lantern_shared::visitors::{MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE, MAX_ATTRIBUTES, MAX_EMAIL, MAX_NAME};
use serde_json::Value;

use crate::error::ApiError;

/// Longest User-Agent kept, in bytes (cut at a character boundary).
pub const MAX_USER_AGENT_BYTES: usize = 512;
/// Longest IANA time zone name accepted.
pub const MAX_TIME_ZONE: usize = 64;

/// A name: `""` (clear) or 1–100 characters without control characters.
pub fn name(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    super::text(field, value, MAX_NAME)
}

/// An email: `""` (clear) or an address of at most 254 characters.
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    if value.chars().count() > MAX_EMAIL || !crate::accounts::valid_email(value) {
        return Err(ApiError::field(field, "must be an email address of at most 254 characters"));
    }
    Ok(value.to_string())
}

/// Custom attributes: an object of at most 20 keys of `[A-Za-z0-9_.-]{1,40}`
/// whose values are strings (≤ 200 characters), numbers or booleans.
pub fn attributes(value: &Value) -> Result<Value, ApiError> {
    let Some(map) = value.as_object() else {
        return Err(ApiError::field("attributes", "must be a JSON object"));
    };
    if map.len() > MAX_ATTRIBUTES {
        return Err(ApiError::field(
            "attributes",
            format!("has {} keys; the limit is {MAX_ATTRIBUTES}", map.len()),
        ));
    }
    for (k, v) in map {
        let key_ok = !k.is_empty()
            && k.len() <= MAX_ATTRIBUTE_KEY
            && k.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !key_ok {
            return Err(ApiError::field(
                "attributes",
                format!("keys must be 1–{MAX_ATTRIBUTE_KEY} characters of A–Z, a–z, 0–9, '_', '.', '-'"),
            ));
        }
        match v {
            Value::String(s) if s.chars().count() <= MAX_ATTRIBUTE_VALUE
                && !s.chars().any(char::is_control) => {}
            Value::Number(_) | Value::Bool(_) => {}
            _ => {
                return Err(ApiError::field(
                    "attributes",
                    format!("{k}: values must be strings of at most {MAX_ATTRIBUTE_VALUE} characters, numbers or booleans"),
                ));
            }
        }
    }
    Ok(value.clone())
}

/// An IANA time zone name as browsers report it (`Europe/Paris`,
/// `America/Argentina/Buenos_Aires`, `Etc/GMT+3`, `UTC`); empty means none.
pub fn time_zone(value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok = value.len() <= MAX_TIME_ZONE
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
    if ok {
        Ok(Some(value.to_string()))
    } else {
        Err(ApiError::field(
            "time_zone",
            format!("must be an IANA time zone name (at most {MAX_TIME_ZONE} characters)"),
        ))
    }
}

/// The User-Agent header to keep: printable, at most 512 bytes (longer
/// ones are cut, not refused: the visitor did not choose it).
pub fn user_agent(headers: &http::HeaderMap) -> Option<String> {
    let ua = headers.get(http::header::USER_AGENT)?.to_str().ok()?.trim();
    if ua.is_empty() {
        return None;
    }
    let mut end = ua.len().min(MAX_USER_AGENT_BYTES);
    while !ua.is_char_boundary(end) {
        end -= 1;
    }
    Some(ua[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_are_bounded() {
        assert!(attributes(&json!({"plan": "pro", "seats": 3, "trial": false})).is_ok());
        assert!(attributes(&json!(["x"])).is_err());
        assert!(attributes(&json!({"bad key": 1})).is_err());
        assert!(attributes(&json!({"nested": {"a": 1}})).is_err());
        assert!(attributes(&json!({"long": "x".repeat(201)})).is_err());
        let many: serde_json::Map<String, Value> =
            (0..21).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(attributes(&Value::Object(many)).is_err());
    }

    #[test]
    fn time_zones_are_names() {
        assert_eq!(time_zone(Some("Europe/Paris")).expect("valid").as_deref(), Some("Europe/Paris"));
        assert!(time_zone(Some("Etc/GMT+3")).is_ok());
        assert_eq!(time_zone(Some("")).expect("empty"), None);
        assert!(time_zone(Some("Europe/Paris<script>")).is_err());
        assert!(time_zone(Some(&"A".repeat(65))).is_err());
    }
}
