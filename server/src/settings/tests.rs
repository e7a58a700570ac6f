//! The settings' declarations at work: defaults, layering, validation
//! sentences and what `Debug` may show.

use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
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
    assert_eq!(s.database_url.expose(), "sqlite://lantern.db");
    assert!(s.redis_url.is_none());
    assert_eq!(s.redis_prefix, "lantern");
    assert_eq!(s.widget_dir, PathBuf::from("widget/dist"));
    assert_eq!(s.log_filter, "info");
    assert_eq!(s.log_format, LogFormat::Human);
    assert!(s.trusted_proxies.is_empty());
    assert!(!s.trusted_proxies_cloudflare);
    assert_eq!(s.rate_limit_ip, 600);
    assert_eq!(s.rate_limit_visitor, 30);
    assert_eq!(s.request_timeout_secs, 60);
    assert_eq!(s.shutdown_grace_secs, 20);
    assert_eq!(s.webhook_retry_base_ms, 1000);
    assert!(!s.webhook_allow_private);
    assert!(!s.allow_private());
    assert!(s.llm.is_none());
}

#[test]
fn values_are_read_and_typed() {
    let s = Settings::from_lookup(env(&[
        ("LANTERN_ADDR", "0.0.0.0:9000"),
        ("LANTERN_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ("LANTERN_TRUSTED_PROXIES_CLOUDFLARE", "yes"),
        ("LANTERN_LOG_FORMAT", "json"),
        ("LANTERN_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("LANTERN_RATE_LIMIT_IP", " 50 "),
        ("LANTERN_REDIS_PREFIX", ""),
    ]))
    .expect("valid");
    assert_eq!(s.addr.port(), 9000);
    assert_eq!(s.trusted_proxies.len(), 2);
    assert!(s.trusted_proxies_cloudflare);
    assert_eq!(s.log_format, LogFormat::Json);
    assert!(s.webhook_allow_private);
    assert!(s.allow_private(), "the webhook-only name still opens the one switch");
    assert_eq!(s.rate_limit_ip, 50);
    assert_eq!(s.redis_prefix, "lantern", "blank counts as unset");
}

#[test]
fn the_environment_wins_over_the_file_and_the_file_over_defaults() {
    let file: HashMap<String, String> = [
        ("LANTERN_ADDR", "0.0.0.0:9000"),
        ("LANTERN_RATE_LIMIT_IP", "50"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let s = Settings::layered(env(&[("LANTERN_ADDR", "127.0.0.1:7000")]), &file).expect("valid");
    assert_eq!(s.addr.to_string(), "127.0.0.1:7000", "environment first");
    assert_eq!(s.rate_limit_ip, 50, "then the file");
    assert_eq!(s.rate_limit_visitor, 30, "then the default");
}

#[test]
fn a_bad_value_names_its_variable_in_one_sentence() {
    for (var, value, says) in [
        ("LANTERN_ADDR", "nowhere", "must be a socket address"),
        ("DATABASE_URL", "mysql://x", "must start with sqlite:"),
        ("REDIS_URL", "http://x", "must start with redis://"),
        ("LANTERN_REDIS_PREFIX", "a b", "without spaces"),
        ("LANTERN_LOG_FORMAT", "xml", "\"json\" or \"human\""),
        ("LANTERN_TRUSTED_PROXIES", "10.0.0.0/8,nope", "IPs or CIDRs"),
        ("LANTERN_TRUSTED_PROXIES_CLOUDFLARE", "maybe", "true or false"),
        ("LANTERN_RATE_LIMIT_IP", "lots", "from 1 to 1000000"),
        ("LANTERN_RATE_LIMIT_VISITOR", "0", "from 1 to 100000"),
        ("LANTERN_REQUEST_TIMEOUT_SECS", "9999", "from 1 to 3600"),
        ("LANTERN_SHUTDOWN_GRACE_SECS", "-1", "from 0 to 600"),
        ("LANTERN_WEBHOOK_RETRY_BASE_MS", "0", "from 1 to 3600000"),
        ("LANTERN_WEBHOOK_ALLOW_PRIVATE", "perhaps", "true or false"),
    ] {
        let err = Settings::from_lookup(env(&[(var, value)])).expect_err(var);
        assert_eq!(err.variable, var);
        let sentence = err.to_string();
        assert!(sentence.starts_with(&format!("{var} ")), "{sentence}");
        assert!(sentence.contains(says), "{sentence}");
        assert_eq!(sentence.lines().count(), 1, "{sentence}");
    }
}

#[test]
fn llm_settings_are_validated_and_the_key_hidden() {
    let err = Settings::from_lookup(env(&[("LANTERN_LLM_PROVIDER", "openai")]))
        .expect_err("needs a base URL");
    assert_eq!(err.variable, "LANTERN_LLM_BASE_URL");
    assert_eq!(
        err.to_string(),
        "LANTERN_LLM_BASE_URL is required when LANTERN_LLM_PROVIDER is set"
    );
    let err = Settings::from_lookup(env(&[("LANTERN_LLM_PROVIDER", "gpt")]))
        .expect_err("unknown provider");
    assert_eq!(err.variable, "LANTERN_LLM_PROVIDER");
    let err = Settings::from_lookup(env(&[
        ("LANTERN_LLM_PROVIDER", "anthropic"),
        ("LANTERN_LLM_BASE_URL", "https://api.anthropic.com"),
    ]))
    .expect_err("needs a model");
    assert_eq!(err.variable, "LANTERN_LLM_MODEL");
    let err = Settings::from_lookup(env(&[("LANTERN_LLM_MODEL", "llama3")]))
        .expect_err("a model without a provider is a mistake, not ignored");
    assert_eq!(err.variable, "LANTERN_LLM_PROVIDER");
    let err = Settings::from_lookup(env(&[
        ("LANTERN_LLM_PROVIDER", "openai"),
        ("LANTERN_LLM_BASE_URL", "ftp://u:pw9@x"),
        ("LANTERN_LLM_MODEL", "m"),
    ]))
    .expect_err("not http");
    assert!(!err.to_string().contains("pw9"), "{err}");
    let s = Settings::from_lookup(env(&[
        ("LANTERN_LLM_PROVIDER", "openai"),
        ("LANTERN_LLM_BASE_URL", "http://127.0.0.1:11434/v1/"),
        ("LANTERN_LLM_MODEL", "llama3"),
        ("LANTERN_LLM_API_KEY", "sk-topsecret"),
    ]))
    .expect("valid");
    let llm = s.llm.as_ref().expect("configured");
    assert_eq!(llm.base_url.expose(), "http://127.0.0.1:11434/v1");
    assert_eq!(llm.first_byte_timeout, Duration::from_secs(30));
    assert_eq!(llm.max_tokens, 1024);
    assert_eq!(llm.api_key.as_ref().map(Secret::expose), Some("sk-topsecret"));
    assert!(!format!("{s:?}").contains("topsecret"));
}

#[test]
fn debug_output_hides_passwords() {
    let s = Settings::from_lookup(env(&[
        ("DATABASE_URL", "postgres://app:hunter2@db/lantern"),
        ("REDIS_URL", "redis://cache:6379/0?password=sekrit"),
        ("LANTERN_LLM_PROVIDER", "openai"),
        ("LANTERN_LLM_BASE_URL", "https://u:llmpw@llm.example/v1"),
        ("LANTERN_LLM_MODEL", "m"),
    ]))
    .expect("valid");
    let shown = format!("{s:?}");
    for secret in ["hunter2", "sekrit", "llmpw"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

/// `Debug` is derived, so no setting can be left out of the start-up line.
#[test]
fn debug_output_lists_every_setting() {
    let s = Settings::from_lookup(env(&[
        ("LANTERN_LLM_PROVIDER", "openai"),
        ("LANTERN_LLM_BASE_URL", "https://llm.example/v1"),
        ("LANTERN_LLM_MODEL", "m"),
    ]))
    .expect("valid");
    let shown = format!("{s:?}");
    for arg in declared::<Settings>().get_arguments() {
        let id = arg.get_id().as_str();
        assert!(shown.contains(&format!("{id}: ")), "{id} missing: {shown}");
    }
}

#[test]
fn every_variable_is_declared_once() {
    let vars = Settings::variables();
    let mut unique = vars.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), vars.len(), "{vars:?}");
    assert!(vars.iter().any(|v| v == "LANTERN_LLM_API_KEY"));
}

#[test]
fn embeddings_are_off_until_a_url_is_set_and_then_need_a_model() {
    let s = Settings::from_lookup(env(&[("LANTERN_EMBEDDINGS_MODEL", "m")])).expect("valid");
    assert!(s.embeddings.config().is_none(), "no URL: full text only");
    let err = Settings::from_lookup(env(&[("LANTERN_EMBEDDINGS_URL", "http://127.0.0.1:9/v1")]))
        .expect_err("a URL without a model");
    assert_eq!(err.variable, "LANTERN_EMBEDDINGS_MODEL");
    assert!(err.problem.contains("LANTERN_EMBEDDINGS_URL"), "{err}");
    let err = Settings::from_lookup(env(&[
        ("LANTERN_EMBEDDINGS_URL", "localhost:11434"),
        ("LANTERN_EMBEDDINGS_MODEL", "m"),
    ]))
    .expect_err("not http");
    assert_eq!(err.variable, "LANTERN_EMBEDDINGS_URL");
    let s = Settings::from_lookup(env(&[
        ("LANTERN_EMBEDDINGS_URL", "http://127.0.0.1:11434/v1/"),
        ("LANTERN_EMBEDDINGS_MODEL", "nomic-embed-text"),
        ("LANTERN_EMBEDDINGS_API_KEY", "sk-embedsecret"),
    ]))
    .expect("valid");
    let c = s.embeddings.config().expect("on");
    assert_eq!(c.url.expose(), "http://127.0.0.1:11434/v1");
    assert_eq!(c.model, "nomic-embed-text");
    assert_eq!(c.api_key.as_ref().map(Secret::expose), Some("sk-embedsecret"));
    assert_eq!(c.query_timeout, Duration::from_millis(1500));
    assert!(!format!("{s:?}").contains("embedsecret"));
}
