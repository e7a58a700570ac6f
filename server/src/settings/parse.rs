//! The value parsers of the settings: each turns one variable's text into its
//! typed value or into the problem sentence that follows the variable's name
//! in the start-up error (`LANTERN_ADDR must be a socket address …`).

use std::{net::SocketAddr, ops::RangeInclusive, path::PathBuf, time::Duration};

use super::{LlmProvider, LogFormat, Secret, SecretUrl, redact_url};

type Parsed<T> = Result<T, String>;

pub fn socket_addr(v: &str) -> Parsed<SocketAddr> {
    v.trim()
        .parse()
        .map_err(|_| format!("must be a socket address such as 127.0.0.1:8080, not {v:?}"))
}

pub fn database_url(v: &str) -> Parsed<SecretUrl> {
    let ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| v.starts_with(p));
    ok.then(|| SecretUrl::new(v))
        .ok_or_else(|| "must start with sqlite:, postgres:// or postgresql://".into())
}

pub fn redis_url(v: &str) -> Parsed<SecretUrl> {
    (v.starts_with("redis://") || v.starts_with("rediss://"))
        .then(|| SecretUrl::new(v))
        .ok_or_else(|| "must start with redis:// or rediss://".into())
}

pub fn redis_prefix(v: &str) -> Parsed<String> {
    if v.contains(char::is_whitespace) || v.len() > 64 {
        Err("must be at most 64 characters without spaces".into())
    } else {
        Ok(v.to_string())
    }
}

/// `file:///ABSOLUTE/DIR` or `s3://BUCKET[/PREFIX]`.
pub fn attachments_url(v: &str) -> Parsed<String> {
    let v = v.trim();
    let problem = || "must be file:///ABSOLUTE/DIR or s3://BUCKET[/PREFIX]".to_string();
    if let Some(dir) = v.strip_prefix("file://") {
        return (dir.starts_with('/') && dir.len() > 1)
            .then(|| v.to_string())
            .ok_or_else(problem);
    }
    let bucket = v.strip_prefix("s3://").ok_or_else(problem)?;
    let bucket = bucket.split('/').next().unwrap_or_default();
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    valid.then(|| v.to_string()).ok_or_else(problem)
}

pub fn path(v: &str) -> Parsed<PathBuf> {
    Ok(PathBuf::from(v))
}

pub fn text(v: &str) -> Parsed<String> {
    Ok(v.trim().to_string())
}

pub fn secret(v: &str) -> Parsed<Secret> {
    Ok(Secret::new(v.trim()))
}

/// A key for secrets at rest: 32 bytes in base64.
pub fn sealing_key(v: &str) -> Parsed<Secret> {
    crate::sealing::Sealer::new(v, &[])?;
    Ok(Secret::new(v.trim()))
}

pub fn log_format(v: &str) -> Parsed<LogFormat> {
    match v.trim() {
        "json" => Ok(LogFormat::Json),
        "human" | "text" => Ok(LogFormat::Human),
        _ => Err(format!("must be \"json\" or \"human\", not {v:?}")),
    }
}

pub fn boolean(v: &str) -> Parsed<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("must be true or false, not {v:?}")),
    }
}

/// One IP or CIDR of a comma-separated list.
pub fn ip_net(v: &str) -> Parsed<ipnet::IpNet> {
    let p = v.trim();
    p.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| p.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
        .ok_or_else(|| format!("must be comma-separated IPs or CIDRs such as 10.0.0.0/8, not {v:?}"))
}

/// A whole number within `range`.
pub fn whole<T>(range: RangeInclusive<u64>) -> impl Fn(&str) -> Parsed<T> + Clone + Send + Sync
where
    T: TryFrom<u64>,
{
    move |v| {
        v.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| {
                format!(
                    "must be a whole number from {} to {}, not {v:?}",
                    range.start(),
                    range.end()
                )
            })
    }
}

/// A duration written as whole seconds within `range`.
pub fn seconds(range: RangeInclusive<u64>) -> impl Fn(&str) -> Parsed<Duration> + Clone + Send + Sync {
    move |v| {
        v.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .map(Duration::from_secs)
            .ok_or_else(|| {
                format!(
                    "must be a number of seconds from {} to {}, not {v:?}",
                    range.start(),
                    range.end()
                )
            })
    }
}

/// A duration written as whole milliseconds within `range`.
/// A human interval such as `24h`, `30m` or `7d`, from 1 s to 365 days.
pub fn interval(v: &str) -> Parsed<Duration> {
    humantime::parse_duration(v.trim())
        .ok()
        .filter(|d| (Duration::from_secs(1)..=Duration::from_secs(365 * 86_400)).contains(d))
        .ok_or_else(|| format!("must be an interval such as 24h, 30m or 7d (1s to 365d), not {v:?}"))
}

pub fn millis(range: RangeInclusive<u64>) -> impl Fn(&str) -> Parsed<Duration> + Clone + Send + Sync {
    move |v| {
        v.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .map(Duration::from_millis)
            .ok_or_else(|| {
                format!(
                    "must be a number of milliseconds from {} to {}, not {v:?}",
                    range.start(),
                    range.end()
                )
            })
    }
}

pub fn llm_provider(v: &str) -> Parsed<LlmProvider> {
    match v.trim().to_ascii_lowercase().as_str() {
        "openai" => Ok(LlmProvider::OpenAi),
        "anthropic" => Ok(LlmProvider::Anthropic),
        other => Err(format!("must be \"openai\" or \"anthropic\", not {other:?}")),
    }
}

/// The provider's base URL, without a trailing slash.
pub fn llm_base_url(v: &str) -> Parsed<SecretUrl> {
    let v = v.trim();
    if v.starts_with("http://") || v.starts_with("https://") {
        Ok(SecretUrl::new(v.trim_end_matches('/')))
    } else {
        Err(format!(
            "must start with http:// or https://, not {:?}",
            redact_url(v)
        ))
    }
}
