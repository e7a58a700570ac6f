//! Signed webhooks: sites register endpoints for conversation events; the
//! database queues one delivery row per endpoint in the event's own
//! transaction (`crate::db::webhooks`) and a background [`worker`] sends
//! them with retries.

/// The address rules, shared with knowledge imports.
pub use crate::urlguard as guard;
pub mod worker;

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use crate::db::webhooks::{
    AGENT_REPLIED, CONVERSATION_ASSIGNED, CONVERSATION_CLOSED, CONVERSATION_CREATED,
    CONVERSATION_HANDOFF, MEMBER_INVITED, MESSAGE_CREATED,
};
/// Every event type an endpoint may subscribe to.
pub const EVENTS: [&str; 7] = [
    CONVERSATION_CREATED,
    MESSAGE_CREATED,
    CONVERSATION_HANDOFF,
    MEMBER_INVITED,
    CONVERSATION_ASSIGNED,
    AGENT_REPLIED,
    CONVERSATION_CLOSED,
];

/// Attempts before a delivery is marked `failed`.
pub const MAX_ATTEMPTS: i64 = 8;
/// The longest wait between two attempts.
pub const MAX_BACKOFF_MS: u64 = 10 * 60 * 1000;

/// `v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `attempts + 1`: `base · 2^(attempts-1)`, capped.
pub fn backoff_ms(base_ms: u64, attempts: i64) -> u64 {
    let exp = attempts.clamp(1, 30) as u32 - 1;
    base_ms.saturating_mul(1u64 << exp).min(MAX_BACKOFF_MS)
}

/// Checks a receiver URL: `https://`, or plain `http://` to a loopback host
/// (local receivers and tests); with `allow_private` false, no address
/// literal or `localhost` outside the public internet (see [`guard`]; names
/// are checked again when they are resolved). Returns the problem, if any.
pub fn check_url(url: &str, allow_private: bool) -> Result<(), &'static str> {
    if url.len() > 2000 {
        return Err("must be at most 2000 characters");
    }
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Err("must be an absolute URL such as https://hooks.example.com/lantern");
    };
    guard::check_host(&parsed, allow_private)?;
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let ip = bare.parse::<std::net::IpAddr>().ok();
    let localhost = host.eq_ignore_ascii_case("localhost");
    let loopback = localhost || ip.is_some_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("must be https:// (plain http:// only for 127.0.0.1, localhost or [::1])"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_loopback() {
        for allow_private in [true, false] {
            assert!(check_url("https://hooks.example.com/x", allow_private).is_ok());
            assert!(check_url("https://93.184.215.14/x", allow_private).is_ok());
            assert!(check_url("http://hooks.example.com/x", allow_private).is_err());
            assert!(check_url("ftp://127.0.0.1/", allow_private).is_err());
            assert!(check_url("not a url", allow_private).is_err());
        }
        assert!(check_url("http://127.0.0.1:9000/x", true).is_ok());
        assert!(check_url("http://localhost/x", true).is_ok());
        assert!(check_url("http://[::1]:80/", true).is_ok());
        assert!(check_url("https://10.0.0.5/x", true).is_ok());
    }

    #[test]
    fn private_receivers_need_the_operators_consent() {
        for url in [
            "http://127.0.0.1:9000/x",
            "http://localhost/x",
            "https://LOCALHOST/x",
            "http://[::1]:80/",
            "https://10.0.0.5/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/x",
            "https://[::ffff:192.168.0.1]/x",
        ] {
            let problem = check_url(url, false).expect_err(url);
            assert!(problem.contains("LANTERN_WEBHOOK_ALLOW_PRIVATE"), "{url}: {problem}");
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1000, 1), 1000);
        assert_eq!(backoff_ms(1000, 2), 2000);
        assert_eq!(backoff_ms(1000, 3), 4000);
        assert_eq!(backoff_ms(1000, 30), MAX_BACKOFF_MS);
    }
}
