//! Knowledge-base bodies of REST API v1: documents (admin) and search (public).

use serde::{Deserialize, Serialize};

/// How a document's body is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    #[default]
    Markdown,
    Text,
    Html,
}

impl DocumentFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Markdown => "markdown",
            DocumentFormat::Text => "text",
            DocumentFormat::Html => "html",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "markdown" => Some(DocumentFormat::Markdown),
            "text" => Some(DocumentFormat::Text),
            "html" => Some(DocumentFormat::Html),
            _ => None,
        }
    }
}

/// `POST /api/v1/knowledge/documents`. A document with the `url` of an
/// existing one replaces it (same id kept out: the old one is deleted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateDocument {
    /// Not blank; at most 200 characters.
    #[cfg_attr(
        feature = "server",
        schema(
            pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$",
            max_length = 200
        )
    )]
    pub title: String,
    /// Not blank.
    #[cfg_attr(
        feature = "server",
        schema(
            pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
        )
    )]
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// BCP 47 tag; the site's first language when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "server",
        schema(pattern = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", max_length = 35)
    )]
    pub language: Option<String>,
    /// `markdown` (default), `text` or `html`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<DocumentFormat>,
}

/// A stored document (without its body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Document {
    pub id: String,
    pub site_id: String,
    pub title: String,
    pub url: Option<String>,
    pub language: String,
    pub format: DocumentFormat,
    /// How many passages the body was split into for search.
    pub passages: i64,
    /// Set when this document replaced an earlier one with the same url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One search hit: the best passage of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SearchResult {
    pub document_id: String,
    pub title: String,
    pub url: Option<String>,
    /// The passage's heading path inside the document, e.g. `Install › Requirements`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub section: String,
    /// HTML: escaped text with the matched words in `<mark>…</mark>`.
    pub snippet: String,
    /// Higher is better; comparable within one response only.
    pub score: f64,
}

/// `GET /api/v1/sites/{site_id}/knowledge/search`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SearchResponse {
    pub results: Vec<SearchResult>,
}

/// `POST /api/v1/knowledge/answers`: the answer an owner wants given to a
/// question (and to questions close enough to it), ahead of retrieval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCuratedAnswer {
    /// ≤ 500 characters.
    pub question: String,
    /// Markdown, ≤ 4,000 characters.
    pub answer: String,
    /// BCP 47 tag of the question; the site's first language when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A stored curated answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CuratedAnswer {
    pub id: String,
    pub question: String,
    pub answer: String,
    pub language: String,
    pub created_at: String,
}

/// `GET /api/v1/knowledge/answers`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CuratedAnswers {
    pub items: Vec<CuratedAnswer>,
}
