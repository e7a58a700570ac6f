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
    /// `indexing` (a URL import is fetching it), `ready` or `failed`.
    #[serde(default = "ready")]
    pub state: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where it came from: `api`, `upload`, `url`, `paste` or `cli`.
    #[serde(default)]
    pub source: String,
    /// The URL source that imported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// Searched; a disabled document is kept but never answers.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Bytes of its text.
    #[serde(default)]
    pub size: i64,
    /// How many replies cited it.
    #[serde(default)]
    pub cited: i64,
}

fn ready() -> String {
    "ready".into()
}

fn yes() -> bool {
    true
}

/// `PATCH /api/v1/knowledge/documents/{id}` and `…/passages/{pid}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetEnabled {
    /// Searched or not.
    pub enabled: bool,
}

/// One passage of a document, as search sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PassageView {
    pub id: i64,
    /// 0-based order in the document.
    pub position: i64,
    /// The document title and headings above the text, joined by ` › `.
    pub heading: String,
    pub text: String,
    pub enabled: bool,
}

/// `GET /api/v1/knowledge/documents/{id}/passages`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Passages {
    pub items: Vec<PassageView>,
}

/// One file of an upload: the document made of it, or why none was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct UploadItem {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /api/v1/knowledge/uploads` → 202.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct UploadResult {
    /// One per `file` part, in order.
    pub items: Vec<UploadItem>,
}

/// What a URL source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// One page.
    Page,
    /// A sitemap (or sitemap index) of pages on the same host.
    Sitemap,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Page => "page",
            SourceKind::Sitemap => "sitemap",
        }
    }
}

/// `POST /api/v1/knowledge/sources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSource {
    /// `http(s)://`, at most 2,000 characters.
    #[cfg_attr(feature = "server", schema(max_length = 2000))]
    pub url: String,
    pub kind: SourceKind,
}

/// `POST /api/v1/knowledge/sources` and `…/{id}/sync` → 202.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SourceAccepted {
    pub id: String,
    /// `queued`, `running`, `ready` or `failed`.
    pub state: String,
}

/// A URL source and its import's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Source {
    pub id: String,
    pub url: String,
    pub kind: SourceKind,
    /// `queued`, `running`, `ready` or `failed`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Pages found to import, imported (or unchanged), and failed.
    pub pages_total: i64,
    pub pages_done: i64,
    pub pages_failed: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<String>,
}

/// `GET /api/v1/knowledge/sources`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Sources {
    pub items: Vec<Source>,
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
