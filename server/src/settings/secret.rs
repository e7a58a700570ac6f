//! Values that must not reach a log line: secrets print as `***` and URLs
//! print with their password (and password-like query parameters) hidden,
//! whether through `Debug` or `Display`. The real value is only reachable
//! through an explicit `expose()`.

use std::fmt;

/// A secret such as an API key. `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A URL that may carry credentials (`postgres://u:pw@…`, `redis://:pw@…`,
/// `…?password=…`). `Debug` and `Display` show it with them hidden.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> SecretUrl {
        SecretUrl(url.into())
    }

    /// The full URL, credentials included, for the client that connects.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretUrl {
    fn from(url: String) -> SecretUrl {
        SecretUrl(url)
    }
}

impl From<&str> for SecretUrl {
    fn from(url: &str) -> SecretUrl {
        SecretUrl(url.to_string())
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact_url(&self.0))
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// Query parameters whose value is hidden (matched case-insensitively as a
/// part of the name, so `sslpassword` and `api_key` are caught too).
const SECRET_PARAMS: &[&str] = &["password", "passwd", "pwd", "secret", "token", "key"];

/// Hides credentials inside a URL: the password of the user-info part
/// (`postgres://app:hunter2@db` → `postgres://app:***@db`) and the values
/// of password-like query parameters (`?password=x` → `?password=***`).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    // The authority ends at the first '/', '?' or '#'; an '@' after that is
    // part of a path or query, not user-info.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, format!("#{f}")),
                None => (query, String::new()),
            };
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if is_secret_param(name) => format!("{name}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}{fragment}", pairs.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| name.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        for (url, shown) in [
            (
                "postgres://app:hunter2@db:5432/lantern",
                "postgres://app:***@db:5432/lantern",
            ),
            ("redis://:sekrit@cache:6379", "redis://:***@cache:6379"),
            (
                "postgres://db/lantern?user=app&password=hunter2&sslmode=require",
                "postgres://db/lantern?user=app&password=***&sslmode=require",
            ),
            (
                "https://api.example/v1?api_key=abc#frag",
                "https://api.example/v1?api_key=***#frag",
            ),
            ("sqlite://lantern.db", "sqlite://lantern.db"),
            (
                "https://host/path?mail=a@b.example",
                "https://host/path?mail=a@b.example",
            ),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let key = Secret::new("sk-topsecret");
        let url = SecretUrl::new("redis://user:pw123@cache/0?password=pw456");
        for shown in [
            format!("{key:?}"),
            format!("{key}"),
            format!("{url:?}"),
            format!("{url}"),
        ] {
            assert!(
                !shown.contains("topsecret") && !shown.contains("pw123") && !shown.contains("pw456"),
                "{shown}"
            );
        }
        assert_eq!(key.expose(), "sk-topsecret");
    }
}
