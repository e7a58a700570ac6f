//! The real-text benchmark corpus made by `scripts/fetch-corpus.sh`: Debian's
//! English manual pages as documents and one rule-made question per page.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One document, in the shape `POST /api/v1/knowledge/documents` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Doc {
    pub title: String,
    pub body: String,
    pub url: String,
    pub language: String,
    pub format: String,
}

/// A visitor-style question and the URL of the document that answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub question: String,
    pub expected_url: String,
}

pub struct Corpus {
    pub docs: Vec<Doc>,
    pub questions: Vec<Question>,
}

/// The cache folder: `LANTERN_CORPUS_DIR`, else `target/corpus`.
pub fn dir() -> PathBuf {
    std::env::var_os("LANTERN_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/corpus"))
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read_lines<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
    let path = dir().join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

impl Corpus {
    /// Loads the corpus, running `scripts/fetch-corpus.sh` first (it does
    /// nothing when the cache is complete).
    pub fn load() -> Corpus {
        let status = std::process::Command::new("bash")
            .arg(root().join("scripts/fetch-corpus.sh"))
            .arg(dir())
            .status()
            .expect("bash runs");
        assert!(status.success(), "scripts/fetch-corpus.sh failed");
        Corpus {
            docs: read_lines("docs.jsonl"),
            questions: read_lines("questions.jsonl"),
        }
    }
}
