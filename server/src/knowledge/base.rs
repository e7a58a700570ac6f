//! The knowledge base's domain API: validated documents in, ranked passages
//! and snippets out.

use lantern_shared::knowledge::{CreateDocument, Document, SearchResult};

use std::sync::Arc;

use super::{
    analysis::{self, Analyzer},
    embed::{self, Embeddings},
    snippet,
    split::{self, Passage},
};
use crate::{
    db::{Db, DocumentRecord, NewDocument, PassageHit, PassageIndex, rfc3339},
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
    /// Set when `LANTERN_EMBEDDINGS_URL` is: hybrid retrieval.
    embeddings: Option<Arc<Embeddings>>,
}

/// Passages indexed again per transaction at start-up.
const REINDEX_BATCH: i64 = 500;

/// What retrieval found for a question.
#[derive(Debug, Clone, Default)]
pub struct Retrieved {
    /// The question's analysed terms.
    pub terms: Vec<String>,
    /// The language the question was analysed in.
    pub language: String,
    /// Best first.
    pub hits: Vec<PassageHit>,
}

impl Retrieved {
    /// Share of the question's terms present in the best passage (its
    /// heading included): the engine's confidence, the same on both backends.
    /// With embeddings, the passage's cosine similarity to the question
    /// when that is higher: a paraphrase ("money reimbursed?" for a refunds
    /// page) shares no word with its answer, and is confident only this way.
    /// Both are on a 0–1 scale, held to the site's one threshold.
    pub fn confidence(&self) -> f64 {
        self.hits.first().map_or(0.0, |h| {
            coverage(&self.terms, h).max(f64::from(h.similarity.unwrap_or(0.0)))
        })
    }
}

/// Share of `terms` found among the analysed terms of `hit`.
pub fn coverage(terms: &[String], hit: &PassageHit) -> f64 {
    if terms.is_empty() {
        return 0.0;
    }
    let found = Analyzer::new(&hit.language).term_set(&format!("{} {}", hit.heading, hit.body));
    terms.iter().filter(|t| found.contains(*t)).count() as f64 / terms.len() as f64
}

/// For a follow-up the conversation picks the document, the message's own
/// words the passage: the best document's passage holding most of `terms`
/// ("how much does it cost?" → its price section) goes first.
fn own_passage_first(hits: &mut [PassageHit], terms: &[String]) {
    let Some(top) = hits.first().map(|h| h.document_id.clone()) else {
        return;
    };
    let mut best = (0, coverage(terms, &hits[0]));
    for (i, h) in hits.iter().enumerate().skip(1) {
        if h.document_id == top {
            let c = coverage(terms, h);
            if c > best.1 {
                best = (i, c);
            }
        }
    }
    hits[..=best.0].rotate_right(1);
}

/// The index entries of `passages` analysed in `language`.
fn index_of(passages: &[Passage], language: &str) -> Vec<PassageIndex> {
    let a = Analyzer::new(language);
    passages
        .iter()
        .map(|p| PassageIndex {
            heading: a.index_text(&p.heading),
            body: a.index_text(&p.body),
        })
        .collect()
}

impl KnowledgeBase {
    pub fn new(db: Db) -> Self {
        KnowledgeBase {
            db,
            embeddings: None,
        }
    }

    /// This knowledge base with hybrid retrieval through `embeddings`
    /// (`None`: full text only).
    pub fn with_embeddings(mut self, embeddings: Option<Arc<Embeddings>>) -> Self {
        self.embeddings = embeddings;
        self
    }

    pub fn embeddings(&self) -> Option<&Arc<Embeddings>> {
        self.embeddings.as_ref()
    }

    /// Passages were stored: the embedding worker has work.
    fn stored(&self) {
        if let Some(e) = &self.embeddings {
            e.wake();
        }
    }

    /// Validates, splits and stores a document; `default_language` applies
    /// when the request names none.
    pub async fn add(
        &self,
        site_id: &str,
        default_language: &str,
        req: CreateDocument,
    ) -> Result<Document, ApiError> {
        self.add_from(site_id, default_language, req, "api", None)
            .await
    }

    /// [`Self::add`] for a document from `source` (`upload`, `url`,
    /// `paste`, `cli`), made by the URL source `source_id`.
    pub async fn add_from(
        &self,
        site_id: &str,
        default_language: &str,
        req: CreateDocument,
        source: &str,
        source_id: Option<&str>,
    ) -> Result<Document, ApiError> {
        self.store(prepare(site_id, default_language, req, source, source_id)?)
            .await
    }

    /// Splits, indexes and stores a prepared document (see [`prepare`]).
    pub async fn store(&self, doc: NewDocument) -> Result<Document, ApiError> {
        let passages = split::split(&doc.title, &doc.body, doc.format);
        if passages.is_empty() {
            return Err(ApiError::field("body", "contains no text to index"));
        }
        let index = index_of(&passages, &doc.language);
        let config = analysis::config(&doc.language);
        let (record, replaced) = self
            .db
            .put_document(&doc, &passages, &index, &config)
            .await?;
        tracing::info!(document_id = %record.id, passages = passages.len(), replaced = ?replaced, "document indexed");
        self.stored();
        Ok(to_api(record, replaced))
    }

    /// Stores already-split passages (imports and the demo seed use [`Self::add`];
    /// benchmarks load synthetic passages this way).
    pub async fn put(&self, doc: &NewDocument, passages: &[Passage]) -> Result<Document, ApiError> {
        let index = index_of(passages, &doc.language);
        let config = analysis::config(&doc.language);
        let (record, replaced) = self
            .db
            .put_document(doc, passages, &index, &config)
            .await?;
        self.stored();
        Ok(to_api(record, replaced))
    }

    pub async fn list(
        &self,
        site_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Document>, ApiError> {
        let rows = self.db.list_documents(site_id, before, limit).await?;
        let cited = self.db.citation_counts(site_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut d = to_api(r, None);
                d.cited = cited.get(&d.id).copied().unwrap_or(0);
                d
            })
            .collect())
    }

    pub async fn delete(&self, site_id: &str, id: &str) -> Result<(), ApiError> {
        let id = validate::id("document", id)?;
        if self.db.delete_document(site_id, id).await? {
            Ok(())
        } else {
            Err(ApiError::not_found("document"))
        }
    }

    /// The site's curated answer closest to `text`, if close enough.
    pub async fn curated(
        &self,
        site_id: &str,
        text: &str,
        language: &str,
    ) -> Result<Option<crate::db::CuratedRow>, ApiError> {
        super::curated::find(&self.db, site_id, text, language).await
    }

    /// Indexes again every passage indexed by an older analysis (after an
    /// upgrade whose migration emptied or outdated the index), in batches.
    /// Returns how many were indexed.
    pub async fn reindex(&self) -> anyhow::Result<usize> {
        let mut done = 0;
        loop {
            let stale = self
                .db
                .stale_passages(analysis::VERSION, REINDEX_BATCH)
                .await?;
            if stale.is_empty() {
                break;
            }
            let items: Vec<(i64, PassageIndex, String)> = stale
                .iter()
                .map(|p| {
                    let a = Analyzer::new(&p.language);
                    let index = PassageIndex {
                        heading: a.index_text(&p.heading),
                        body: a.index_text(&p.body),
                    };
                    (p.id, index, analysis::config(&p.language))
                })
                .collect();
            self.db.reindex_passages(&items).await?;
            done += items.len();
        }
        if done > 0 {
            tracing::info!(passages = done, "knowledge base indexed again");
        }
        Ok(done)
    }

    /// The passages best matching `text`, analysed in `language` (the
    /// conversation's; detected from the text when empty), best first.
    pub async fn retrieve(
        &self,
        site_id: &str,
        text: &str,
        language: &str,
        limit: i64,
    ) -> Result<Retrieved, ApiError> {
        self.retrieve_in_context(site_id, text, language, &[], limit)
            .await
    }

    /// Like [`Self::retrieve`], with `context` (earlier turns, from
    /// `followup::context`) searched too: its terms join the message's own,
    /// which count twice unless the message points back ("that", "it"):
    /// BM25 sums over query terms, so a repeated term weighs double.
    /// `Retrieved::terms` stays the message's own terms.
    pub async fn retrieve_in_context(
        &self,
        site_id: &str,
        text: &str,
        language: &str,
        context: &[String],
        limit: i64,
    ) -> Result<Retrieved, ApiError> {
        let given = (!language.is_empty()).then_some(language);
        let language = analysis::query_language(text, given, "en");
        let a = Analyzer::new(&language);
        let terms = a.query_terms(text);
        let mut search = terms.clone();
        if !context.is_empty() {
            // "And what about X?" is about X: its own terms count twice.
            // "Can you explain that?" is about what came before: once.
            if !super::followup::points_back(text, &language) {
                search.extend(terms.iter().cloned());
            }
            for c in context {
                for t in a.query_terms(c) {
                    if !search.contains(&t) && search.len() < 2 * analysis::MAX_QUERY_TERMS {
                        search.push(t);
                    }
                }
            }
        }
        let mut hits = self.db.search_passages(site_id, &search, limit).await?;
        if let Some(e) = &self.embeddings {
            hits = self.hybrid(e, site_id, text, context, hits, limit).await?;
        }
        if !context.is_empty() {
            own_passage_first(&mut hits, &terms);
        }
        Ok(Retrieved {
            terms,
            language,
            hits,
        })
    }

    /// The full-text `hits` fused with the passages nearest to the question
    /// (with the follow-up's `context` before it); `hits` unchanged when
    /// the question cannot be embedded.
    async fn hybrid(
        &self,
        embeddings: &Embeddings,
        site_id: &str,
        text: &str,
        context: &[String],
        hits: Vec<PassageHit>,
        limit: i64,
    ) -> Result<Vec<PassageHit>, ApiError> {
        let question = if context.is_empty() {
            text.to_string()
        } else {
            format!("{}\n{text}", context.join("\n"))
        };
        let limit = limit.max(0) as usize;
        let Some(nearest) = embeddings
            .nearest(&self.db, site_id, &question, limit)
            .await
        else {
            return Ok(hits);
        };
        let only_near: Vec<i64> = nearest
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !hits.iter().any(|h| h.passage_id == *id))
            .collect();
        let found = self.db.passages_by_id(site_id, &only_near).await?;
        Ok(embed::fuse(hits, &nearest, found, limit))
    }

    /// Public search: the best passage of each matching document.
    pub async fn search(
        &self,
        site_id: &str,
        q: &str,
        language: &str,
        limit: usize,
    ) -> Result<Vec<SearchResult>, ApiError> {
        self.search_in_context(site_id, q, language, &[], limit)
            .await
    }

    /// Like [`Self::search`], with a follow-up's context (see
    /// [`Self::retrieve_in_context`]).
    pub async fn search_in_context(
        &self,
        site_id: &str,
        q: &str,
        language: &str,
        context: &[String],
        limit: usize,
    ) -> Result<Vec<SearchResult>, ApiError> {
        let found = self
            .retrieve_in_context(site_id, q, language, context, CANDIDATES)
            .await?;
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
                snippet: snippet::snippet(&hit.body, &found.terms, &Analyzer::new(&hit.language)),
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

/// A request made into the document to store, validated, from `source`
/// (`api`, `upload`, `url`, `paste`, `cli`) and the URL source `source_id`.
pub fn prepare(
    site_id: &str,
    default_language: &str,
    req: CreateDocument,
    source: &str,
    source_id: Option<&str>,
) -> Result<NewDocument, ApiError> {
    let mut doc = validated(site_id, default_language, req)?;
    doc.source = source.to_string();
    doc.source_id = source_id.map(str::to_string);
    Ok(doc)
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
        source: "api".into(),
        source_id: None,
    })
}

/// The API shape of a stored document (`cited` is filled in by listings).
pub fn to_api(r: DocumentRecord, replaced: Option<String>) -> Document {
    Document {
        state: r.state,
        error: r.error,
        source: r.source,
        source_id: r.source_id,
        enabled: r.enabled,
        size: r.size,
        cited: 0,
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
