//! The optional settings file (`lantern --config FILE`, TOML). Its keys are
//! the environment variables' names in lower case without `LANTERN_`
//! (`addr`, `database_url`, `llm_provider`, …); the environment wins over the
//! file, the file over the defaults. Unknown keys are refused, so a typo
//! cannot silently leave a default in place.

use std::{collections::HashMap, path::Path};

use crate::settings::SettingsError;

/// Every variable the settings read.
pub const VARIABLES: &[&str] = &[
    "LANTERN_ADDR",
    "DATABASE_URL",
    "REDIS_URL",
    "LANTERN_REDIS_PREFIX",
    "LANTERN_WIDGET_DIR",
    "LANTERN_CONSOLE_DIR",
    "LANTERN_LOG",
    "LANTERN_LOG_FORMAT",
    "LANTERN_TRUSTED_PROXIES",
    "LANTERN_RATE_LIMIT_IP",
    "LANTERN_RATE_LIMIT_VISITOR",
    "LANTERN_REQUEST_TIMEOUT_SECS",
    "LANTERN_SHUTDOWN_GRACE_SECS",
    "LANTERN_WEBHOOK_RETRY_BASE_MS",
    "LANTERN_WEBHOOK_ALLOW_PRIVATE",
    "LANTERN_LLM_PROVIDER",
    "LANTERN_LLM_BASE_URL",
    "LANTERN_LLM_API_KEY",
    "LANTERN_LLM_MODEL",
    "LANTERN_LLM_TIMEOUT_SECS",
];

/// The file key of a variable: `LANTERN_ADDR` → `addr`.
pub fn key_for(variable: &str) -> String {
    variable
        .strip_prefix("LANTERN_")
        .unwrap_or(variable)
        .to_ascii_lowercase()
}

/// Reads `path` into variable → value.
pub fn load(path: &Path) -> Result<HashMap<String, String>, SettingsError> {
    let problem = |p: String| SettingsError {
        variable: "--config",
        problem: p,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| problem(format!("file {} cannot be read: {e}", path.display())))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| problem(format!("file {} is not valid TOML: {e}", path.display())))?;
    let mut out = HashMap::new();
    for (key, value) in table {
        let Some(variable) = VARIABLES.iter().find(|v| key_for(v) == key) else {
            return Err(problem(format!(
                "file {} has an unknown setting {key:?}",
                path.display()
            )));
        };
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            other => return Err(problem(format!("setting {key:?} cannot be {other}"))),
        };
        out.insert(variable.to_string(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_known_keys_and_refuses_unknown_ones() {
        let dir = std::env::temp_dir().join(format!("lantern-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let good = dir.join("good.toml");
        std::fs::write(&good, "addr = \"0.0.0.0:9000\"\nrate_limit_ip = 50\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n")
            .expect("write");
        let map = load(&good).expect("valid file");
        assert_eq!(map["LANTERN_ADDR"], "0.0.0.0:9000");
        assert_eq!(map["LANTERN_RATE_LIMIT_IP"], "50");
        assert_eq!(map["LANTERN_TRUSTED_PROXIES"], "10.0.0.0/8,::1");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "adress = \"x\"\n").expect("write");
        let err = load(&bad).expect_err("unknown key");
        assert!(err.to_string().contains("adress"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
