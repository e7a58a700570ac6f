//! Typed settings: defaults, then the environment (api.md's variables).
//! Validated once at start-up; a bad value becomes one sentence naming the
//! variable, and the process exits with code 2.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

/// Everything the server needs to start.
#[derive(Clone)]
pub struct Settings {
    /// `LANTERN_ADDR`
    pub addr: SocketAddr,
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `REDIS_URL`, when set.
    pub redis_url: Option<String>,
    /// `LANTERN_REDIS_PREFIX`: namespace of Lantern's keys, so several
    /// deployments can share one Redis.
    pub redis_prefix: String,
    /// `LANTERN_WIDGET_DIR`: the Trunk output folder served under `/widget/`.
    pub widget_dir: PathBuf,
    /// `LANTERN_CONSOLE_DIR`: the console's Trunk output served under `/console/`.
    pub console_dir: PathBuf,
    /// `LANTERN_LOG`
    pub log_filter: String,
    /// `LANTERN_LOG_FORMAT`
    pub log_format: LogFormat,
    /// `LANTERN_TRUSTED_PROXIES`: peers (IPs or CIDRs, comma-separated) whose
    /// `CF-Connecting-IP` / `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `LANTERN_RATE_LIMIT_IP`: API requests per minute per client IP.
    pub rate_limit_ip: u32,
    /// `LANTERN_RATE_LIMIT_VISITOR`: messages and conversations per minute
    /// per site + visitor.
    pub rate_limit_visitor: u32,
    /// `LANTERN_REQUEST_TIMEOUT_SECS`: longest a non-streaming request may take.
    pub request_timeout_secs: u64,
    /// `LANTERN_SHUTDOWN_GRACE_SECS`: how long in-flight requests may run on
    /// after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// `LANTERN_WEBHOOK_RETRY_BASE_MS`: the first retry wait of a failed
    /// webhook delivery; each further retry waits twice as long.
    pub webhook_retry_base_ms: u64,
    /// `LANTERN_WEBHOOK_ALLOW_PRIVATE`: webhook receivers may be on loopback
    /// or private networks (off: a site's admin could otherwise make the
    /// server call into the operator's own network).
    pub webhook_allow_private: bool,
    /// `LANTERN_LLM_*`: the LLM that writes answers; `None` answers from
    /// the knowledge base alone.
    pub llm: Option<LlmSettings>,
}

/// Which wire protocol the LLM speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmProvider {
    /// OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, llama.cpp).
    OpenAi,
    /// Anthropic messages.
    Anthropic,
}

/// The LLM provider's settings.
#[derive(Clone)]
pub struct LlmSettings {
    /// `LANTERN_LLM_PROVIDER`
    pub provider: LlmProvider,
    /// `LANTERN_LLM_BASE_URL`: for OpenAI-compatible servers the URL that
    /// `/chat/completions` is appended to (e.g. `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1`); for Anthropic the one `/v1/messages` is
    /// appended to (`https://api.anthropic.com`).
    pub base_url: String,
    /// `LANTERN_LLM_API_KEY` (optional for local servers).
    pub api_key: Option<String>,
    /// `LANTERN_LLM_MODEL`
    pub model: String,
    /// Connecting to the provider.
    pub connect_timeout: Duration,
    /// From sending the request to the first byte of the answer
    /// (`LANTERN_LLM_TIMEOUT_SECS`, default 30).
    pub first_byte_timeout: Duration,
    /// Longest silence between two chunks of a streaming answer.
    pub idle_timeout: Duration,
    /// A 429's `retry-after` is honoured once when at most this long.
    pub max_retry_wait: Duration,
}

impl LlmSettings {
    /// Settings with the default timeouts.
    pub fn new(provider: LlmProvider, base_url: &str, api_key: Option<&str>, model: &str) -> Self {
        LlmSettings {
            provider,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.map(str::to_string),
            model: model.to_string(),
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(20),
            max_retry_wait: Duration::from_secs(3),
        }
    }
}

impl fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmSettings")
            .field("provider", &self.provider)
            .field("base_url", &redact_url(&self.base_url))
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// A setting that cannot be used, with the variable that holds it.
#[derive(Debug, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct SettingsError {
    pub variable: &'static str,
    pub problem: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://lantern.db".into(),
            redis_url: None,
            redis_prefix: "lantern".into(),
            widget_dir: PathBuf::from("widget/dist"),
            console_dir: PathBuf::from("console/dist"),
            log_filter: "info".into(),
            log_format: LogFormat::Human,
            trusted_proxies: Vec::new(),
            rate_limit_ip: 600,
            rate_limit_visitor: 30,
            request_timeout_secs: 60,
            shutdown_grace_secs: 20,
            webhook_retry_base_ms: 1000,
            webhook_allow_private: false,
            llm: None,
        }
    }
}

impl Settings {
    /// Defaults overridden by the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Defaults, then the settings file (when given), then the environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, SettingsError> {
        let from_file = match file {
            Some(path) => crate::settings_file::load(path)?,
            None => Default::default(),
        };
        Self::from_lookup(|k| std::env::var(k).ok().or_else(|| from_file.get(k).cloned()))
    }

    /// Defaults overridden by whatever `lookup` returns (testable without
    /// touching the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut s = Settings::default();
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("LANTERN_ADDR") {
            s.addr = v.parse().map_err(|_| SettingsError {
                variable: "LANTERN_ADDR",
                problem: format!("must be a socket address such as 127.0.0.1:8080, not {v:?}"),
            })?;
        }
        if let Some(v) = get("DATABASE_URL") {
            s.database_url = v;
        }
        if !(s.database_url.starts_with("sqlite:")
            || s.database_url.starts_with("postgres://")
            || s.database_url.starts_with("postgresql://"))
        {
            return Err(SettingsError {
                variable: "DATABASE_URL",
                problem: "must start with sqlite:, postgres:// or postgresql://".into(),
            });
        }
        if let Some(v) = get("REDIS_URL") {
            if !(v.starts_with("redis://") || v.starts_with("rediss://")) {
                return Err(SettingsError {
                    variable: "REDIS_URL",
                    problem: "must start with redis:// or rediss://".into(),
                });
            }
            s.redis_url = Some(v);
        }
        if let Some(v) = get("LANTERN_REDIS_PREFIX") {
            if v.contains(char::is_whitespace) || v.len() > 64 {
                return Err(SettingsError {
                    variable: "LANTERN_REDIS_PREFIX",
                    problem: "must be at most 64 characters without spaces".into(),
                });
            }
            s.redis_prefix = v;
        }
        if let Some(v) = get("LANTERN_WIDGET_DIR") {
            s.widget_dir = PathBuf::from(v);
        }
        if let Some(v) = get("LANTERN_CONSOLE_DIR") {
            s.console_dir = PathBuf::from(v);
        }
        if let Some(v) = get("LANTERN_LOG") {
            s.log_filter = v;
        }
        if let Some(v) = get("LANTERN_LOG_FORMAT") {
            s.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "human" | "text" => LogFormat::Human,
                _ => {
                    return Err(SettingsError {
                        variable: "LANTERN_LOG_FORMAT",
                        problem: format!("must be \"json\" or \"human\", not {v:?}"),
                    });
                }
            };
        }
        if let Some(v) = get("LANTERN_TRUSTED_PROXIES") {
            s.trusted_proxies = parse_proxies(&v).ok_or_else(|| SettingsError {
                variable: "LANTERN_TRUSTED_PROXIES",
                problem: format!(
                    "must be comma-separated IPs or CIDRs such as 10.0.0.0/8, not {v:?}"
                ),
            })?;
        }
        s.rate_limit_ip = number(
            &get,
            "LANTERN_RATE_LIMIT_IP",
            s.rate_limit_ip,
            1..=1_000_000,
        )?;
        s.rate_limit_visitor = number(
            &get,
            "LANTERN_RATE_LIMIT_VISITOR",
            s.rate_limit_visitor,
            1..=100_000,
        )?;
        s.shutdown_grace_secs = u64::from(number(
            &get,
            "LANTERN_SHUTDOWN_GRACE_SECS",
            s.shutdown_grace_secs as u32,
            0..=600,
        )?);
        s.request_timeout_secs = number(
            &get,
            "LANTERN_REQUEST_TIMEOUT_SECS",
            s.request_timeout_secs as u32,
            1..=3600,
        )? as u64;
        s.webhook_retry_base_ms = u64::from(number(
            &get,
            "LANTERN_WEBHOOK_RETRY_BASE_MS",
            s.webhook_retry_base_ms as u32,
            1..=3_600_000,
        )?);
        if let Some(v) = get("LANTERN_WEBHOOK_ALLOW_PRIVATE") {
            s.webhook_allow_private = match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" | "" => false,
                _ => {
                    return Err(SettingsError {
                        variable: "LANTERN_WEBHOOK_ALLOW_PRIVATE",
                        problem: format!("must be true or false, not {v:?}"),
                    });
                }
            };
        }
        s.llm = llm_from(&get)?;
        Ok(s)
    }
}

/// The `LANTERN_LLM_*` variables: none set is fine; a provider needs a base
/// URL and a model.
fn llm_from(get: &impl Fn(&str) -> Option<String>) -> Result<Option<LlmSettings>, SettingsError> {
    let Some(provider) = get("LANTERN_LLM_PROVIDER") else {
        return Ok(None);
    };
    let provider = match provider.trim().to_ascii_lowercase().as_str() {
        "openai" => LlmProvider::OpenAi,
        "anthropic" => LlmProvider::Anthropic,
        other => {
            return Err(SettingsError {
                variable: "LANTERN_LLM_PROVIDER",
                problem: format!("must be \"openai\" or \"anthropic\", not {other:?}"),
            });
        }
    };
    let base_url = get("LANTERN_LLM_BASE_URL").ok_or_else(|| SettingsError {
        variable: "LANTERN_LLM_BASE_URL",
        problem: "is required when LANTERN_LLM_PROVIDER is set (e.g. https://api.openai.com/v1)"
            .into(),
    })?;
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(SettingsError {
            variable: "LANTERN_LLM_BASE_URL",
            problem: format!(
                "must start with http:// or https://, not {:?}",
                redact_url(&base_url)
            ),
        });
    }
    let model = get("LANTERN_LLM_MODEL").ok_or_else(|| SettingsError {
        variable: "LANTERN_LLM_MODEL",
        problem: "is required when LANTERN_LLM_PROVIDER is set".into(),
    })?;
    let key = get("LANTERN_LLM_API_KEY");
    let mut llm = LlmSettings::new(provider, &base_url, key.as_deref(), model.trim());
    if let Some(v) = get("LANTERN_LLM_TIMEOUT_SECS") {
        let secs: u64 = v
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=600).contains(n))
            .ok_or_else(|| SettingsError {
                variable: "LANTERN_LLM_TIMEOUT_SECS",
                problem: format!("must be a number of seconds from 1 to 600, not {v:?}"),
            })?;
        llm.first_byte_timeout = Duration::from_secs(secs);
    }
    Ok(Some(llm))
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, SettingsError> {
    let Some(v) = get(variable) else {
        return Ok(default);
    };
    match v.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(SettingsError {
            variable,
            problem: format!(
                "must be a whole number from {} to {}, not {v:?}",
                range.start(),
                range.end()
            ),
        }),
    }
}

fn parse_proxies(v: &str) -> Option<Vec<ipnet::IpNet>> {
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| p.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
        })
        .collect()
}

/// Hides credentials inside URLs (`postgres://user:secret@host` →
/// `postgres://user:***@host`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(&self.database_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("redis_prefix", &self.redis_prefix)
            .field("widget_dir", &self.widget_dir)
            .field("console_dir", &self.console_dir)
            .field("log_filter", &self.log_filter)
            .field("log_format", &self.log_format)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("rate_limit_ip", &self.rate_limit_ip)
            .field("rate_limit_visitor", &self.rate_limit_visitor)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("llm", &self.llm)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = Settings::from_lookup(env(&[])).expect("defaults are valid");
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url, "sqlite://lantern.db");
        assert!(s.redis_url.is_none());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = Settings::from_lookup(env(&[("LANTERN_ADDR", "nowhere")]))
            .expect_err("must be refused");
        assert_eq!(err.variable, "LANTERN_ADDR");
        let err = Settings::from_lookup(env(&[("DATABASE_URL", "mysql://x")]))
            .expect_err("must be refused");
        assert!(err.to_string().starts_with("DATABASE_URL "));
    }

    #[test]
    fn llm_settings_are_validated_and_the_key_hidden() {
        let err = Settings::from_lookup(env(&[("LANTERN_LLM_PROVIDER", "openai")]))
            .expect_err("needs a base URL");
        assert_eq!(err.variable, "LANTERN_LLM_BASE_URL");
        let err = Settings::from_lookup(env(&[("LANTERN_LLM_PROVIDER", "gpt")]))
            .expect_err("unknown provider");
        assert_eq!(err.variable, "LANTERN_LLM_PROVIDER");
        let err = Settings::from_lookup(env(&[
            ("LANTERN_LLM_PROVIDER", "anthropic"),
            ("LANTERN_LLM_BASE_URL", "https://api.anthropic.com"),
        ]))
        .expect_err("needs a model");
        assert_eq!(err.variable, "LANTERN_LLM_MODEL");
        let s = Settings::from_lookup(env(&[
            ("LANTERN_LLM_PROVIDER", "openai"),
            ("LANTERN_LLM_BASE_URL", "http://127.0.0.1:11434/v1/"),
            ("LANTERN_LLM_MODEL", "llama3"),
            ("LANTERN_LLM_API_KEY", "sk-topsecret"),
        ]))
        .expect("valid");
        let llm = s.llm.as_ref().expect("configured");
        assert_eq!(llm.base_url, "http://127.0.0.1:11434/v1");
        assert!(!format!("{s:?}").contains("topsecret"));
    }

    #[test]
    fn debug_output_hides_passwords() {
        let s = Settings::from_lookup(env(&[
            ("DATABASE_URL", "postgres://app:hunter2@db/lantern"),
            ("REDIS_URL", "redis://:sekrit@cache:6379"),
        ]))
        .expect("valid");
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("sekrit"),
            "{shown}"
        );
    }
}
