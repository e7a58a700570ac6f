//! The knowledge base's domain API: validated documents in, ranked passages
//! and snippets out.

use lantern_shared::knowledge::{CreateDocument, Document, SearchResult};

use super::{
    query, snippet,
    split::{self, Passage},
};
use crate::{
    db::{Db, DocumentRecord, NewDocument, PassageHit, rfc3339},
    error::ApiError,
    validate,
};

/// Largest document body accepted, in bytes (the documents route allows
/// request bodies this large plus room for the JSON around it).
pub const MAX_DOCUMENT_BYTES: usize = 200 * 1024;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_URL_CHARS: usize = 2048;
/// Passages looked at per search before grouping by document.
const CANDIDATES: i64 = 40;

#[derive(Clone)]
pub struct KnowledgeBase {
    db: Db,
}

/// What retrieval found for a question.
#[derive(Debug, Clone, Default)]
pub struct Retrieved {
    pub terms: Vec<String>,
    /// Best first.
    pub hits: Vec<PassageHit>,
}

impl Retrieved {
    /// Share of the question's terms present in the best passage (its
    /// heading included): the engine's confidence, the same on both backends.
    pub fn confidence(&self) -> f64 {
        self.hits.first().map_or(0.0, |h| {
            query::coverage(&self.terms, &format!("{} {}", h.heading, h.body))
        })
    }
}

impl KnowledgeBase {
    pub fn new(db: Db) -> Self {
        KnowledgeBase { db }
    }

    /// Validates, splits and stores a document; `default_language` applies
    /// when the request names none.
    pub async fn add(
        &self,
        site_id: &str,
        default_language: &str,
        req: CreateDocument,
    ) -> Result<Document, ApiError> {
        let doc = validated(site_id, default_language, req)?;
        let passages = split::split(&doc.title, &doc.body, doc.format);
        if passages.is_empty() {
            return Err(ApiError::field("body", "contains no text to index"));
        }
        let (record, replaced) = self.db.put_document(&doc, &passages).await?;
        tracing::info!(document_id = %record.id, passages = passages.len(), replaced = ?replaced, "document indexed");
        Ok(to_api(record, replaced))
    }

    /// Stores already-split passages (imports and the demo seed use [`Self::add`];
    /// benchmarks load synthetic passages this way).
    pub async fn put(&self, doc: &NewDocument, passages: &[Passage]) -> Result<Document, ApiError> {
        let (record, replaced) = self.db.put_document(doc, passages).await?;
        Ok(to_api(record, replaced))
    }

    pub async fn list(
        &self,
        site_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Document>, ApiError> {
        let rows = self.db.list_documents(site_id, before, limit).await?;
        Ok(rows.into_iter().map(|r| to_api(r, None)).collect())
    }

    pub async fn delete(&self, site_id: &str, id: &str) -> Result<(), ApiError> {
        let id = validate::id("document", id)?;
        if self.db.delete_document(site_id, id).await? {
            Ok(())
        } else {
            Err(ApiError::not_found("document"))
        }
    }

    /// The passages best matching `text`, best first.
    pub async fn retrieve(
        &self,
        site_id: &str,
        text: &str,
        language: &str,
        limit: i64,
    ) -> Result<Retrieved, ApiError> {
        let terms = query::terms(text);
        let hits = self.db.search_passages(site_id, &terms, language, limit).await?;
        Ok(Retrieved { terms, hits })
    }

    /// Public search: the best passage of each matching document.
    pub async fn search(
        &self,
        site_id: &str,
        q: &str,
        language: &str,
        limit: usize,
    ) -> Result<Vec<SearchResult>, ApiError> {
        let found = self.retrieve(site_id, q, language, CANDIDATES).await?;
        let mut out: Vec<SearchResult> = Vec::new();
        for hit in found.hits {
            if out.iter().any(|r| r.document_id == hit.document_id) {
                continue;
            }
            let section = hit
                .heading
                .strip_prefix(&hit.title)
                .map(|s| s.trim_start_matches(" › ").to_string())
                .unwrap_or_default();
            out.push(SearchResult {
                snippet: snippet::snippet(&hit.body, &found.terms),
                document_id: hit.document_id,
                title: hit.title,
                url: hit.url,
                section,
                score: (hit.score * 1000.0).round() / 1000.0,
            });
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }
}

fn validated(
    site_id: &str,
    default_language: &str,
    req: CreateDocument,
) -> Result<NewDocument, ApiError> {
    let title = validate::text("title", &req.title, MAX_TITLE_CHARS)?;
    if req.body.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::field(
            "body",
            format!(
                "is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                req.body.len()
            ),
        ));
    }
    let body = validate::text("body", &req.body, usize::MAX)?;
    let url = match req.url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) => {
            let ok = u.chars().count() <= MAX_URL_CHARS
                && !u.chars().any(char::is_whitespace)
                && (u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'));
            if !ok {
                return Err(ApiError::field(
                    "url",
                    format!(
                        "must be an http(s) URL or a path starting with /, at most {MAX_URL_CHARS} characters"
                    ),
                ));
            }
            Some(u.to_string())
        }
    };
    let language = match &req.language {
        Some(l) => validate::language("language", l)?,
        None => default_language.to_string(),
    };
    Ok(NewDocument {
        site_id: site_id.to_string(),
        title,
        url,
        language,
        format: req.format.unwrap_or_default(),
        body,
    })
}

fn to_api(r: DocumentRecord, replaced: Option<String>) -> Document {
    Document {
        id: r.id,
        site_id: r.site_id,
        title: r.title,
        url: r.url,
        language: r.language,
        format: r.format,
        passages: r.passage_count,
        replaced,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}
