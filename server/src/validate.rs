//! Input limits, checked before anything is stored. The numbers are part of
//! the documented contract (README, "Limits").

mod nul;
pub mod profile;

use serde_json::Value;

pub use nul::{first_nul, nul_in_query};

use crate::error::ApiError;

/// Largest request body accepted, in bytes (413 beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Message content, in characters (Unicode scalar values).
pub const MAX_CONTENT_CHARS: usize = 4000;
pub const MAX_CLIENT_MESSAGE_ID_CHARS: usize = 64;
pub const MAX_COMMENT_CHARS: usize = 1000;
/// Serialised conversation metadata, in bytes.
pub const MAX_METADATA_BYTES: usize = 4096;
pub const MAX_PAGE: i64 = 100;
pub const DEFAULT_PAGE: i64 = 20;

/// Non-blank text of at most `max` characters, returned trimmed of trailing
/// whitespace only (leading indentation can matter in markdown).
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::field(field, "must not be empty"));
    }
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::field(
            field,
            format!("is {n} characters; the limit is {max}"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.trim_end().to_string())
}

/// The longest page URL or referrer kept (longer ones are refused).
pub const MAX_URL_CHARS: usize = 2048;

/// An optional page address the widget reports: `http(s)://…`, at most
/// [`MAX_URL_CHARS`], no spaces or control characters; empty means none.
pub fn page_url(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::field(field, format!("must be at most {MAX_URL_CHARS} characters")));
    }
    let scheme_ok = value.starts_with("https://") || value.starts_with("http://");
    if !scheme_ok || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::field(field, "must be an http(s) URL"));
    }
    Ok(Some(value.to_string()))
}

/// A client-chosen id: 1–64 of `[A-Za-z0-9._:-]`.
pub fn client_id(field: &str, value: &str) -> Result<String, ApiError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_CLIENT_MESSAGE_ID_CHARS
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c));
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::field(
            field,
            format!(
                "must be 1–{MAX_CLIENT_MESSAGE_ID_CHARS} characters of A–Z, a–z, 0–9, '.', '_', ':', '-'"
            ),
        ))
    }
}

/// A BCP 47-looking language tag (`en`, `pt-BR`, `zh-Hant-TW`).
pub fn language(field: &str, value: &str) -> Result<String, ApiError> {
    let ok = (2..=35).contains(&value.len())
        && value
            .split('-')
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && value
            .split('-')
            .next()
            .is_some_and(|p| p.len() >= 2 && p.chars().all(|c| c.is_ascii_alphabetic()));
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::field(
            field,
            "must be a language tag such as en or pt-BR",
        ))
    }
}

/// Metadata: a JSON object of at most [`MAX_METADATA_BYTES`] serialised.
pub fn metadata(value: Option<Value>) -> Result<Value, ApiError> {
    let value = value.unwrap_or_else(|| Value::Object(Default::default()));
    if !value.is_object() {
        return Err(ApiError::field("metadata", "must be a JSON object"));
    }
    let size = value.to_string().len();
    if size > MAX_METADATA_BYTES {
        return Err(ApiError::field(
            "metadata",
            format!("is {size} bytes serialised; the limit is {MAX_METADATA_BYTES}"),
        ));
    }
    Ok(value)
}

/// A page size: default when absent, 1..=MAX_PAGE otherwise.
pub fn limit(value: Option<i64>) -> Result<i64, ApiError> {
    match value {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}

/// An id we issued (a UUID). Anything else cannot exist, so it is a 404 —
/// never a database error.
pub fn id<'a>(what: &str, value: &'a str) -> Result<&'a str, ApiError> {
    if uuid::Uuid::parse_str(value).is_ok() {
        Ok(value)
    } else {
        Err(ApiError::not_found(what))
    }
}

/// A CSS hex colour (`#rgb` or `#rrggbb`), lower-cased.
pub fn color(field: &str, value: &str) -> Result<String, ApiError> {
    let hex = value.strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(ApiError::field(
            field,
            "must be a hex colour such as #2563eb",
        ))
    }
}

/// `scheme://host[:port]` without path or trailing slash, lower-cased; `*`
/// (any origin) is kept as is.
pub fn origin(value: &str) -> Option<String> {
    let value = value.trim().trim_end_matches('/');
    if value == "*" {
        return Some(value.to_string());
    }
    let (scheme, rest) = value.split_once("://")?;
    let ok = matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' '])
        && !rest.starts_with(':');
    ok.then(|| format!("{scheme}://{}", rest.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits() {
        assert!(text("content", "  ", 10).is_err());
        assert!(text("content", &"é".repeat(11), 10).is_err());
        assert_eq!(
            text("content", &"é".repeat(10), 10).expect("ten chars fit"),
            "é".repeat(10)
        );
        assert!(text("content", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn languages_and_ids() {
        for ok in ["en", "pt-BR", "zh-Hant-TW", "ar"] {
            assert!(language("language", ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english language", "en_US", "1a"] {
            assert!(language("language", bad).is_err(), "{bad}");
        }
        assert!(client_id("client_message_id", "abc-123:x.y_z").is_ok());
        assert!(client_id("client_message_id", "has space").is_err());
        assert!(id("conversation", "nope").is_err());
    }
}
