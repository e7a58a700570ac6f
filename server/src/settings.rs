//! Typed settings, each declared once below: its variable, default, help and
//! validation sit on its field (clap's derive with the `env` attribute).
//! Values come from the environment, then the optional `--config` TOML file
//! ([`crate::settings_file`]), then the defaults. A bad value stops start-up
//! with one sentence naming the variable (the binary exits with code 2).
//! Secrets and URLs that may carry passwords are wrapped so that `Debug` —
//! and so the start-up log line — cannot show them.

mod attachments;
mod embeddings;
mod parse;
mod secret;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Arg, Args, Command, FromArgMatches, error::ContextKind, error::ContextValue};

pub use attachments::AttachmentSettings;
pub use embeddings::{EmbeddingConfig, EmbeddingSettings};
pub use secret::{Secret, SecretUrl, redact_url};

/// Everything the server needs to start.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Listen address.
    #[arg(long, env = "LANTERN_ADDR", default_value = "127.0.0.1:8080", value_parser = parse::socket_addr)]
    pub addr: SocketAddr,
    /// `sqlite://FILE` (WAL, created when missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://lantern.db", value_parser = parse::database_url)]
    pub database_url: SecretUrl,
    /// `redis://…`: shared rate limits and live events across instances.
    #[arg(long, env = "REDIS_URL", value_parser = parse::redis_url)]
    pub redis_url: Option<SecretUrl>,
    /// Namespace of Lantern's Redis keys, so deployments can share one Redis.
    #[arg(long, env = "LANTERN_REDIS_PREFIX", default_value = "lantern", value_parser = parse::redis_prefix)]
    pub redis_prefix: String,
    /// How long a token's caller, a site's settings and a conversation's
    /// owner are served from memory (seconds) when no change clears them
    /// first; every change clears them at once, on every instance through
    /// Redis. 0 turns these caches off.
    #[arg(long, env = "LANTERN_CACHE_TTL_SECS", default_value = "60", value_parser = parse::seconds(0..=3600))]
    pub cache_ttl: Duration,
    /// The built widget (Trunk's output) served under `/widget/`.
    #[arg(long, env = "LANTERN_WIDGET_DIR", default_value = "widget/dist", value_parser = parse::path)]
    pub widget_dir: PathBuf,
    /// The built console (Trunk's output) served under `/console/`.
    #[arg(long, env = "LANTERN_CONSOLE_DIR", default_value = "console/dist", value_parser = parse::path)]
    pub console_dir: PathBuf,
    /// Create the demo site (with its knowledge base and a one-time sign-in
    /// link for its owner) when the database has no site. Off by default so
    /// that a production server never invents a site; `scripts/run.sh`
    /// turns it on.
    #[arg(long, env = "LANTERN_DEMO", default_value = "false", action = clap::ArgAction::Set, value_parser = parse::boolean)]
    pub demo: bool,
    /// Log filter (tracing `EnvFilter` syntax).
    #[arg(long, env = "LANTERN_LOG", default_value = "info", value_parser = parse::text)]
    pub log_filter: String,
    /// `json` for JSON lines, `human` otherwise.
    #[arg(long, env = "LANTERN_LOG_FORMAT", default_value = "human", value_parser = parse::log_format)]
    pub log_format: LogFormat,
    /// Peers (IPs or CIDRs, comma-separated) whose `X-Forwarded-For` is
    /// believed (and `CF-Connecting-IP`, with the next setting).
    #[arg(long, env = "LANTERN_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse::ip_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The trusted proxies are Cloudflare's: believe their `CF-Connecting-IP`
    /// (any other client can send that header, so it is ignored otherwise).
    #[arg(long, env = "LANTERN_TRUSTED_PROXIES_CLOUDFLARE", default_value = "false", action = clap::ArgAction::Set, value_parser = parse::boolean)]
    pub trusted_proxies_cloudflare: bool,
    /// API requests per minute per client IP (IPv6: per /64).
    #[arg(long, env = "LANTERN_RATE_LIMIT_IP", default_value = "600", value_parser = parse::whole::<u32>(1..=1_000_000))]
    pub rate_limit_ip: u32,
    /// Conversations and messages per minute per site and visitor.
    #[arg(long, env = "LANTERN_RATE_LIMIT_VISITOR", default_value = "30", value_parser = parse::whole::<u32>(1..=100_000))]
    pub rate_limit_visitor: u32,
    /// New visitors (tokens minted without an admin key) per minute per
    /// client IP (IPv6: per /64): each visitor has its own message budget,
    /// so minting them freely would multiply it.
    #[arg(long, env = "LANTERN_RATE_LIMIT_NEW_VISITORS_IP", default_value = "20", value_parser = parse::whole::<u32>(1..=1_000_000))]
    pub rate_limit_new_visitors_ip: u32,
    /// New visitors per minute per site, whatever their addresses.
    #[arg(long, env = "LANTERN_RATE_LIMIT_NEW_VISITORS_SITE", default_value = "1200", value_parser = parse::whole::<u32>(1..=10_000_000))]
    pub rate_limit_new_visitors_site: u32,
    /// Seconds a visitor token keeps working after it was refreshed: the
    /// page's other tabs still hold it until they read the new one.
    #[arg(long, env = "LANTERN_VISITOR_TOKEN_GRACE_SECS", default_value = "120", value_parser = parse::whole::<u32>(0..=3600))]
    pub visitor_token_grace_secs: u32,
    /// Seals webhook and identity secrets in the database (32 random bytes
    /// in base64; `lantern secrets new-key` makes one). Unset: stored in
    /// plaintext.
    #[arg(long, env = "LANTERN_SECRETS_KEY", value_parser = parse::sealing_key)]
    pub secrets_key: Option<Secret>,
    /// Earlier keys, comma-separated: they still open what they sealed
    /// until `lantern secrets rotate` re-seals it with the current key.
    #[arg(long, env = "LANTERN_SECRETS_OLD_KEYS", value_delimiter = ',', value_parser = parse::sealing_key)]
    pub secrets_old_keys: Vec<Secret>,
    /// LLM calls per site per 24 hours, across instances (with Redis);
    /// past it, the site's visitors get the knowledge base's own answers.
    #[arg(long, env = "LANTERN_LLM_DAILY_REQUESTS_PER_SITE", default_value = "2000", value_parser = parse::whole::<u32>(1..=10_000_000))]
    pub llm_daily_requests_per_site: u32,
    /// LLM tokens (prompt and answer, as the provider reports them) per
    /// site per 24 hours, across instances (with Redis); past it, as above.
    #[arg(long, env = "LANTERN_LLM_DAILY_TOKENS_PER_SITE", default_value = "2000000", value_parser = parse::whole::<u64>(1..=100_000_000_000))]
    pub llm_daily_tokens_per_site: u64,
    /// Seconds between runs of the housekeeping job (expired tokens and
    /// sessions, old events, delivered webhooks).
    #[arg(long, env = "LANTERN_PRUNE_EVERY_SECS", default_value = "3600", value_parser = parse::whole::<u64>(1..=86_400))]
    pub prune_every_secs: u64,
    /// Days live events are kept for `Last-Event-ID` resumes.
    #[arg(long, env = "LANTERN_EVENTS_KEEP_DAYS", default_value = "7", value_parser = parse::whole::<u32>(0..=3650))]
    pub events_keep_days: u32,
    /// Days delivered webhook deliveries stay in the delivery log (failed
    /// ones stay until their endpoint is deleted).
    #[arg(long, env = "LANTERN_DELIVERIES_KEEP_DAYS", default_value = "30", value_parser = parse::whole::<u32>(0..=3650))]
    pub deliveries_keep_days: u32,
    /// Write a backup into `LANTERN_BACKUP_DIR` this often while serving
    /// (`24h`, `30m`, `7d` …); unset: no scheduled backups.
    #[arg(long, env = "LANTERN_BACKUP_EVERY", requires = "backup_dir", value_parser = parse::interval)]
    pub backup_every: Option<Duration>,
    /// Where scheduled backups go (timestamped files, written atomically,
    /// owner-only).
    #[arg(long, env = "LANTERN_BACKUP_DIR", value_parser = parse::path)]
    pub backup_dir: Option<PathBuf>,
    /// Scheduled backups kept; older ones in the folder are removed.
    #[arg(long, env = "LANTERN_BACKUP_KEEP", default_value = "7", value_parser = parse::whole::<usize>(1..=10_000))]
    pub backup_keep: usize,
    /// Whether scheduled backups include the attachment files (turn off
    /// when the store is a bucket backed up on its own, e.g. versioned S3).
    #[arg(long, env = "LANTERN_BACKUP_ATTACHMENTS", default_value = "true", action = clap::ArgAction::Set, value_parser = parse::boolean)]
    pub backup_attachments: bool,
    /// Event streams one visitor may hold open on one instance.
    #[arg(long, env = "LANTERN_MAX_STREAMS_PER_VISITOR", default_value = "10", value_parser = parse::whole::<u32>(1..=1_000_000))]
    pub max_streams_per_visitor: u32,
    /// Event streams one client address (IPv6: its /64) may hold open on
    /// one instance; raise it for a benchmark from one address.
    #[arg(long, env = "LANTERN_MAX_STREAMS_PER_IP", default_value = "200", value_parser = parse::whole::<u32>(1..=1_000_000))]
    pub max_streams_per_ip: u32,
    /// Longest time to a response head (streams then go on).
    #[arg(long, env = "LANTERN_REQUEST_TIMEOUT_SECS", default_value = "60", value_parser = parse::whole::<u64>(1..=3600))]
    pub request_timeout_secs: u64,
    /// How long in-flight requests may finish after SIGTERM.
    #[arg(long, env = "LANTERN_SHUTDOWN_GRACE_SECS", default_value = "20", value_parser = parse::whole::<u64>(0..=600))]
    pub shutdown_grace_secs: u64,
    /// First webhook retry wait; each further retry doubles it.
    #[arg(long, env = "LANTERN_WEBHOOK_RETRY_BASE_MS", default_value = "1000", value_parser = parse::whole::<u64>(1..=3_600_000))]
    pub webhook_retry_base_ms: u64,
    /// Allow webhook receivers on loopback and private networks (off: a
    /// site's admin could otherwise make the server call into the
    /// operator's own network).
    #[arg(long, env = "LANTERN_WEBHOOK_ALLOW_PRIVATE", default_value = "false", action = clap::ArgAction::Set, value_parser = parse::boolean)]
    pub webhook_allow_private: bool,
    /// Files shared in conversations: where they are stored, how large.
    #[command(flatten)]
    pub attachments: AttachmentSettings,
    /// Allow the server's own requests — webhook deliveries and knowledge
    /// imports from URLs — to loopback and private networks (the older
    /// `LANTERN_WEBHOOK_ALLOW_PRIVATE` still allows it too).
    #[arg(long, env = "LANTERN_ALLOW_PRIVATE_URLS", default_value = "false", action = clap::ArgAction::Set, value_parser = parse::boolean)]
    pub allow_private_urls: bool,
    /// The LLM that writes answers; `None` (no `LANTERN_LLM_*` set) answers
    /// from the knowledge base alone.
    #[command(flatten)]
    pub llm: Option<LlmSettings>,
    /// Embeddings for hybrid retrieval; off unless `LANTERN_EMBEDDINGS_URL`
    /// is set.
    #[command(flatten)]
    pub embeddings: EmbeddingSettings,
}

/// Which wire protocol the LLM speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmProvider {
    /// OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, llama.cpp).
    OpenAi,
    /// Anthropic messages.
    Anthropic,
}

/// The LLM provider's settings. Setting any `LANTERN_LLM_*` variable asks
/// for an LLM, which then needs the provider, base URL and model.
#[derive(Debug, Clone, Args)]
pub struct LlmSettings {
    /// `openai` (any OpenAI-compatible server) or `anthropic`.
    #[arg(long = "llm-provider", required = false, env = "LANTERN_LLM_PROVIDER", requires_all = ["base_url", "model"], value_parser = parse::llm_provider)]
    pub provider: LlmProvider,
    /// OpenAI-compatible: the URL `/chat/completions` is appended to (e.g.
    /// `https://api.openai.com/v1`); Anthropic: the one `/v1/messages` is
    /// appended to (`https://api.anthropic.com`).
    #[arg(long = "llm-base-url", required = false, env = "LANTERN_LLM_BASE_URL", requires = "provider", value_parser = parse::llm_base_url)]
    pub base_url: SecretUrl,
    /// API key (optional for local servers); never logged.
    #[arg(long = "llm-api-key", env = "LANTERN_LLM_API_KEY", requires = "provider", value_parser = parse::secret)]
    pub api_key: Option<Secret>,
    /// The model name.
    #[arg(long = "llm-model", required = false, env = "LANTERN_LLM_MODEL", requires = "provider", value_parser = parse::text)]
    pub model: String,
    /// From sending the request to the first byte of the answer (seconds).
    #[arg(long = "llm-timeout-secs", env = "LANTERN_LLM_TIMEOUT_SECS", default_value = "30", requires = "provider", value_parser = parse::seconds(1..=600))]
    pub first_byte_timeout: Duration,
    /// `max_tokens` sent with every request: the longest answer paid for.
    #[arg(long = "llm-max-tokens", env = "LANTERN_LLM_MAX_TOKENS", default_value = "1024", requires = "provider", value_parser = parse::whole::<u32>(1..=200_000))]
    pub max_tokens: u32,
    /// Provider calls in flight at once, across all sites.
    #[arg(long = "llm-concurrency", env = "LANTERN_LLM_CONCURRENCY", default_value = "8", requires = "provider", value_parser = parse::whole::<usize>(1..=10_000))]
    pub concurrency: usize,
    /// How long an answer waits for a free call before it is written from
    /// the knowledge base alone (milliseconds).
    #[arg(long = "llm-queue-timeout-ms", env = "LANTERN_LLM_QUEUE_TIMEOUT_MS", default_value = "3000", requires = "provider", value_parser = parse::millis(0..=600_000))]
    pub queue_timeout: Duration,
    /// Connecting to the provider.
    #[arg(skip = Duration::from_secs(5))]
    pub connect_timeout: Duration,
    /// Longest silence between two chunks of a streaming answer.
    #[arg(skip = Duration::from_secs(20))]
    pub idle_timeout: Duration,
    /// A 429's `retry-after` is honoured once when at most this long.
    #[arg(skip = Duration::from_secs(3))]
    pub max_retry_wait: Duration,
}

impl LlmSettings {
    /// Settings with every other value at its default.
    ///
    /// # Panics
    /// When `base_url` is not an `http(s)://` URL (a programming error: the
    /// environment goes through [`Settings::from_lookup`]).
    pub fn new(provider: LlmProvider, base_url: &str, api_key: Option<&str>, model: &str) -> Self {
        let provider = match provider {
            LlmProvider::OpenAi => "openai",
            LlmProvider::Anthropic => "anthropic",
        };
        let settings = from_lookup::<Settings>(|k| match k {
            "LANTERN_LLM_PROVIDER" => Some(provider.to_string()),
            "LANTERN_LLM_BASE_URL" => Some(base_url.to_string()),
            "LANTERN_LLM_API_KEY" => api_key.map(str::to_string),
            "LANTERN_LLM_MODEL" => Some(model.to_string()),
            _ => None,
        });
        settings
            .expect("valid LLM settings")
            .llm
            .expect("a provider is set")
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
    pub variable: String,
    pub problem: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_lookup(|_| None).expect("the declared defaults are valid")
    }
}

impl Settings {
    /// Whether the server's own requests (webhooks, URL imports) may go to
    /// loopback and private networks: one switch, under either name.
    pub fn allow_private(&self) -> bool {
        self.allow_private_urls || self.webhook_allow_private
    }

    /// The keys for secrets at rest, when one is set (validated at parse).
    pub fn sealer(&self) -> Option<std::sync::Arc<crate::sealing::Sealer>> {
        let current = self.secrets_key.as_ref()?;
        let old: Vec<String> = self.secrets_old_keys.iter().map(|k| k.expose().to_string()).collect();
        crate::sealing::Sealer::new(current.expose(), &old)
            .ok()
            .map(std::sync::Arc::new)
    }

    /// Defaults overridden by the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Defaults, then the settings file (when given), then the environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, SettingsError> {
        let from_file = match file {
            Some(path) => crate::settings_file::load(path, &Self::variables())?,
            None => Default::default(),
        };
        Self::layered(|k| std::env::var(k).ok(), &from_file)
    }

    /// The environment (`env`) over the file's values over the defaults.
    pub fn layered(
        env: impl Fn(&str) -> Option<String>,
        file: &std::collections::HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        Self::from_lookup(|k| {
            env(k)
                .filter(|v| !v.trim().is_empty())
                .or_else(|| file.get(k).cloned())
        })
    }

    /// Defaults overridden by whatever `lookup` returns for each variable
    /// (testable without touching the process environment). Blank values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        from_lookup(lookup)
    }

    /// Every variable a setting is read from, in declaration order.
    pub fn variables() -> Vec<String> {
        declared::<Settings>()
            .get_arguments()
            .filter_map(variable)
            .map(str::to_string)
            .collect()
    }
}

/// The clap command holding `T`'s declarations.
fn declared<T: Args>() -> Command {
    T::augment_args(
        Command::new("lantern")
            .no_binary_name(true)
            .disable_help_flag(true)
            .disable_version_flag(true),
    )
}

fn variable(arg: &Arg) -> Option<&str> {
    arg.get_env().and_then(|v| v.to_str())
}

/// Asks `lookup` for each declared variable and lets clap parse and validate
/// the answers as `--flag=value` arguments. Clap's own reading of the
/// environment is switched off, so `lookup` is the only source (it layers
/// the environment over the file).
fn from_lookup<T: Args + FromArgMatches>(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<T, SettingsError> {
    let declared = declared::<T>();
    let mut argv = Vec::new();
    for arg in declared.get_arguments() {
        let (Some(var), Some(long)) = (variable(arg), arg.get_long()) else {
            continue;
        };
        if let Some(value) = lookup(var).filter(|v| !v.trim().is_empty()) {
            argv.push(format!("--{long}={value}"));
        }
    }
    let command = declared.clone().mut_args(|a| a.env(None));
    command
        .try_get_matches_from(argv)
        .and_then(|matches| T::from_arg_matches(&matches))
        .map_err(|e| explain(&declared, &e))
}

/// Turns clap's error into the sentence naming the variable.
fn explain(declared: &Command, e: &clap::Error) -> SettingsError {
    // Arguments print as in clap's messages (`--addr <ADDR>`) once built.
    let mut declared = declared.clone();
    declared.build();
    let shown: Vec<&str> = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => vec![s.as_str()],
        Some(ContextValue::Strings(v)) => v.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    let named: Vec<&str> = shown
        .iter()
        .filter_map(|s| declared.get_arguments().find(|a| a.to_string() == *s))
        .filter_map(variable)
        .collect();
    // Missing LLM settings: without a provider the others mean nothing, so
    // name the provider first.
    let (variable, problem) = match e.kind() {
        clap::error::ErrorKind::MissingRequiredArgument
            if named.contains(&"LANTERN_LLM_PROVIDER") =>
        {
            (
                "LANTERN_LLM_PROVIDER",
                "is required when another LANTERN_LLM_* variable is set".to_string(),
            )
        }
        clap::error::ErrorKind::MissingRequiredArgument
            if named.contains(&"LANTERN_EMBEDDINGS_MODEL") =>
        {
            (
                "LANTERN_EMBEDDINGS_MODEL",
                "is required when LANTERN_EMBEDDINGS_URL is set".to_string(),
            )
        }
        clap::error::ErrorKind::MissingRequiredArgument => (
            named.first().copied().unwrap_or("a setting"),
            "is required when LANTERN_LLM_PROVIDER is set".to_string(),
        ),
        _ => (
            named.first().copied().unwrap_or("a setting"),
            std::error::Error::source(e)
                .map(ToString::to_string)
                .unwrap_or_else(|| format!("is not valid ({})", e.kind())),
        ),
    };
    let variable = variable.to_string();
    SettingsError { variable, problem }
}

#[cfg(test)]
mod tests;
