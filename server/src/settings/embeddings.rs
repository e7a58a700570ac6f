//! Hybrid retrieval's embeddings provider: any server speaking OpenAI's
//! `POST /v1/embeddings` (OpenAI, Ollama, vLLM, llama.cpp,
//! text-embeddings-inference). Off unless `LANTERN_EMBEDDINGS_URL` is set;
//! then passages are embedded at import and searches fuse full-text and
//! vector rankings (see `knowledge::embed`).

use std::time::Duration;

use clap::Args;

use super::{Secret, SecretUrl, parse};

#[derive(Debug, Clone, Args)]
pub struct EmbeddingSettings {
    /// The URL `/embeddings` is appended to, as for `LANTERN_LLM_BASE_URL`
    /// (e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1`).
    /// Unset: full-text search only.
    #[arg(long = "embeddings-url", env = "LANTERN_EMBEDDINGS_URL", requires = "embeddings_model", value_parser = parse::llm_base_url)]
    pub embeddings_url: Option<SecretUrl>,
    /// The embedding model's name; vectors are stored with it, so a new
    /// name re-embeds every passage.
    #[arg(long = "embeddings-model", env = "LANTERN_EMBEDDINGS_MODEL", value_parser = parse::text)]
    pub embeddings_model: Option<String>,
    /// API key (optional for local servers); never logged.
    #[arg(long = "embeddings-api-key", env = "LANTERN_EMBEDDINGS_API_KEY", value_parser = parse::secret)]
    pub embeddings_api_key: Option<Secret>,
    /// How long a search waits for its question's vector before it ranks by
    /// full text alone (milliseconds).
    #[arg(long = "embeddings-query-timeout-ms", env = "LANTERN_EMBEDDINGS_QUERY_TIMEOUT_MS", default_value = "1500", value_parser = parse::millis(10..=60_000))]
    pub embeddings_query_timeout: Duration,
    /// One batch request at import, from sending to the whole answer.
    #[arg(skip = Duration::from_secs(60))]
    pub embeddings_batch_timeout: Duration,
    /// Connecting to the provider.
    #[arg(skip = Duration::from_secs(5))]
    pub embeddings_connect_timeout: Duration,
    /// Passages per request (OpenAI accepts up to 2048 inputs; local
    /// servers are happier with fewer).
    #[arg(skip = 64usize)]
    pub embeddings_batch_size: usize,
    /// Characters of a passage sent (heading and body): small models read
    /// 512 tokens at most, and a longer input is an error on some servers.
    #[arg(skip = 2000usize)]
    pub embeddings_max_chars: usize,
}

/// What the embeddings client needs, when embeddings are on.
#[derive(Debug, Clone)]
pub struct EmbeddingConfig {
    pub url: SecretUrl,
    pub model: String,
    pub api_key: Option<Secret>,
    pub query_timeout: Duration,
    pub batch_timeout: Duration,
    pub connect_timeout: Duration,
    pub batch_size: usize,
    pub max_chars: usize,
}

impl EmbeddingSettings {
    /// The provider's settings; `None` when `LANTERN_EMBEDDINGS_URL` is unset.
    pub fn config(&self) -> Option<EmbeddingConfig> {
        let url = self.embeddings_url.clone()?;
        Some(EmbeddingConfig {
            url,
            // Parsing requires the model whenever the URL is set.
            model: self.embeddings_model.clone().unwrap_or_default(),
            api_key: self.embeddings_api_key.clone(),
            query_timeout: self.embeddings_query_timeout,
            batch_timeout: self.embeddings_batch_timeout,
            connect_timeout: self.embeddings_connect_timeout,
            batch_size: self.embeddings_batch_size.max(1),
            max_chars: self.embeddings_max_chars.max(1),
        })
    }
}
