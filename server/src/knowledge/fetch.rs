//! Fetching pages for URL sources: a client that names Lantern, follows
//! redirects only on the same host, reads at most a bounded number of bytes,
//! and — unless the operator allows private targets — never reaches
//! loopback or private addresses ([`crate::urlguard`], the rules webhooks
//! use). robots.txt is read once per import and honoured.

use std::time::Duration;

use reqwest::{StatusCode, Url, redirect};

use crate::urlguard;

/// The user agent of every import request.
pub const USER_AGENT: &str = concat!(
    "Lantern/",
    env!("CARGO_PKG_VERSION"),
    " (knowledge base import; self-hosted chat assistant)"
);
/// The product token robots.txt rules are matched against.
pub const ROBOTS_AGENT: &str = "Lantern";
/// Longest wait for one response, body included.
const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_ROBOTS_BYTES: usize = 512 * 1024;
const MAX_REDIRECTS: usize = 5;

/// Why a fetch gave nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// 404 or 410: the page is gone (a re-sync deletes it).
    Gone,
    /// Anything else, said for the owner.
    Failed(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Gone => f.write_str("the page is gone (404)"),
            FetchError::Failed(m) => f.write_str(m),
        }
    }
}

/// A response body and its media type (lower case, without parameters).
#[derive(Debug)]
pub struct Fetched {
    pub media_type: String,
    pub body: Vec<u8>,
}

/// The rules of one host's robots.txt.
pub enum Robots {
    /// No robots.txt (4xx): everything may be fetched.
    AllowAll,
    Rules(Box<texting_robots::Robot>),
}

impl Robots {
    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Robots::AllowAll => true,
            Robots::Rules(r) => r.allowed(url.as_str()),
        }
    }
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_private: bool,
}

impl Fetcher {
    pub fn new(allow_private: bool) -> anyhow::Result<Fetcher> {
        let mut client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            // A proxy would resolve names past the address checks.
            .no_proxy()
            // Same host only: a redirect elsewhere is stopped and reported.
            .redirect(redirect::Policy::custom(|attempt| {
                let first = attempt.previous().first();
                let same = first.is_some_and(|f| {
                    f.host_str() == attempt.url().host_str()
                        && f.port_or_known_default() == attempt.url().port_or_known_default()
                });
                if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if same {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }));
        if !allow_private {
            client = client.dns_resolver(std::sync::Arc::new(urlguard::PublicOnly));
        }
        Ok(Fetcher {
            client: client.build()?,
            allow_private,
        })
    }

    /// Checks a URL the server is asked to fetch: http(s), a host, and no
    /// private address unless allowed.
    pub fn check(&self, url: &str) -> Result<Url, String> {
        check_url(url, self.allow_private)
    }

    /// GETs `url`, reading at most `limit` bytes of body.
    pub async fn get(&self, url: &Url, limit: usize) -> Result<Fetched, FetchError> {
        let failed = |m: String| FetchError::Failed(m);
        check_url(url.as_str(), self.allow_private).map_err(failed)?;
        let mut res = self.client.get(url.clone()).send().await.map_err(|e| {
            failed(if e.is_timeout() {
                "timed out".into()
            } else if e.is_redirect() {
                "redirects too often".into()
            } else {
                // The chain of causes says why (refused, private address…).
                let mut m = String::from("cannot be reached");
                let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&e);
                while let Some(c) = cause {
                    m = format!("cannot be reached: {c}");
                    cause = c.source();
                }
                m
            })
        })?;
        let status = res.status();
        if status.is_redirection() {
            return Err(failed("redirects to another host".into()));
        }
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            return Err(FetchError::Gone);
        }
        if !status.is_success() {
            return Err(failed(format!("answered HTTP {}", status.as_u16())));
        }
        if res.content_length().is_some_and(|n| n > limit as u64) {
            return Err(failed(format!("is larger than {limit} bytes")));
        }
        let media_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let mut body = Vec::new();
        loop {
            match res.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(failed(format!("is larger than {limit} bytes")));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(failed("timed out".into())),
                Err(_) => return Err(failed("broke off while being read".into())),
            }
        }
        Ok(Fetched { media_type, body })
    }

    /// The robots.txt rules for `url`'s host. Absent (4xx): everything is
    /// allowed; unreadable otherwise: the import stops rather than guess.
    pub async fn robots(&self, url: &Url) -> Result<Robots, String> {
        let mut at = url.clone();
        at.set_path("/robots.txt");
        at.set_query(None);
        at.set_fragment(None);
        match self.get(&at, MAX_ROBOTS_BYTES).await {
            Ok(f) => Ok(texting_robots::Robot::new(ROBOTS_AGENT, &f.body)
                .map(|r| Robots::Rules(Box::new(r)))
                .unwrap_or(Robots::AllowAll)),
            Err(FetchError::Gone) => Ok(Robots::AllowAll),
            Err(FetchError::Failed(m)) if m.starts_with("answered HTTP 4") => Ok(Robots::AllowAll),
            Err(e) => Err(format!("robots.txt {e}")),
        }
    }
}

/// `url` if it is an absolute http(s) URL with a host (no credentials) that
/// the address rules allow.
pub fn check_url(url: &str, allow_private: bool) -> Result<Url, String> {
    if url.chars().count() > 2000 {
        return Err("must be at most 2000 characters".into());
    }
    let parsed = Url::parse(url)
        .map_err(|_| "must be an absolute URL such as https://www.example.com/help".to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    urlguard::check_host(&parsed, allow_private).map_err(str::to_string)?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_odd_urls_are_refused() {
        for url in [
            "http://127.0.0.1:8080/",
            "http://localhost/",
            "https://10.0.0.1/x",
            "http://[::1]/",
            "http://169.254.169.254/latest",
        ] {
            let e = check_url(url, false).expect_err(url);
            assert!(e.contains("LANTERN_ALLOW_PRIVATE_URLS"), "{url}: {e}");
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("https://user:pw@example.com/", true).is_err());
        assert!(check_url("not a url", true).is_err());
        assert!(check_url("https://www.example.com/help", false).is_ok());
    }
}
