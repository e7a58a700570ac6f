//! Importing a URL source in the background: one page, or every page of a
//! sitemap on the source's own host (robots.txt honoured, bounded in pages
//! and bytes). Each page is stored whole, with its passages, in one
//! transaction — or marked failed with the reason — so nothing is ever
//! half-indexed; progress is written as pages finish. A sync of a known
//! source re-indexes only pages whose text changed, and deletes the pages
//! that left the sitemap or are gone (404/410).

use std::collections::HashSet;

use lantern_shared::knowledge::{CreateDocument, DocumentFormat};
use reqwest::Url;

use super::{
    KnowledgeBase, MAX_DOCUMENT_BYTES,
    analysis::query_language,
    fetch::{FetchError, Fetcher, Robots},
    html, import, prepare, sitemap,
};
use crate::db::{Db, Site, SourceRow, content_hash};

/// Most pages one source imports.
pub const MAX_PAGES: usize = 500;
/// Most sitemaps of a sitemap index read.
const MAX_SITEMAPS: usize = 20;
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
const MAX_SITEMAP_BYTES: usize = 10 * 1024 * 1024;

/// Runs imports; cheap to clone.
#[derive(Clone)]
pub struct Importer {
    pub db: Db,
    pub knowledge: KnowledgeBase,
    pub cache: crate::kvcache::KvCache,
    pub fetcher: Fetcher,
}

/// The outcome of one page.
enum PageOutcome {
    Stored,
    Unchanged,
    Gone,
    Failed,
}

impl Importer {
    /// Imports `source` (already claimed: `running`) in the background.
    pub fn spawn(&self, site: Site, source: SourceRow) {
        let me = self.clone();
        tokio::spawn(async move {
            let outcome = me.sync(&site, &source).await;
            if let Err(e) = &outcome {
                tracing::warn!(source_id = %source.id, error = %e, "URL import failed");
            }
            if let Err(e) = me.db.finish_source(&source.id, outcome.err().as_deref()).await {
                tracing::error!(source_id = %source.id, error = %e, "cannot record the end of an import");
            }
            me.cache.bump(&format!("kb:{}", site.id)).await;
        });
    }

    async fn sync(&self, site: &Site, source: &SourceRow) -> Result<(), String> {
        let start = self
            .fetcher
            .check(&source.url)
            .map_err(|e| format!("the URL {e}"))?;
        let robots = self.fetcher.robots(&start).await?;
        let pages = match source.kind.as_str() {
            "sitemap" => self.sitemap_pages(&start, &robots).await?,
            _ if robots.allowed(&start) => vec![start.clone()],
            _ => return Err("robots.txt does not allow Lantern to read this page".into()),
        };
        let language = site.languages.first().map_or("en", String::as_str);
        let urls: Vec<String> = pages.iter().map(|u| u.to_string()).collect();
        self.db
            .placeholder_documents(&site.id, &source.id, language, &urls)
            .await
            .map_err(|e| format!("cannot record the pages: {e}"))?;
        let total = pages.len() as i64;
        let (mut done, mut failed) = (0, 0);
        self.progress(source, total, done, failed).await;
        let known = self
            .db
            .source_documents(&source.id)
            .await
            .map_err(|e| format!("cannot read the stored pages: {e}"))?;
        let mut keep: HashSet<String> = HashSet::new();
        for page in &pages {
            match self.page(site, source, page, &known).await {
                PageOutcome::Stored | PageOutcome::Unchanged => {
                    keep.insert(page.to_string());
                    done += 1;
                }
                PageOutcome::Gone => failed += 1,
                PageOutcome::Failed => {
                    // The last good text stays until the page is gone.
                    keep.insert(page.to_string());
                    failed += 1;
                }
            }
            self.progress(source, total, done, failed).await;
        }
        // Pages that left the sitemap, or answer 404/410, are deleted.
        for (url, (id, _, _)) in self
            .db
            .source_documents(&source.id)
            .await
            .map_err(|e| format!("cannot read the stored pages: {e}"))?
        {
            if !keep.contains(&url) {
                let _ = self.db.delete_document(&site.id, &id).await;
            }
        }
        if done == 0 && total > 0 {
            return Err(format!("none of the {total} pages could be imported"));
        }
        Ok(())
    }

    async fn progress(&self, source: &SourceRow, total: i64, done: i64, failed: i64) {
        if let Err(e) = self.db.source_progress(&source.id, total, done, failed).await {
            tracing::warn!(source_id = %source.id, error = %e, "cannot record import progress");
        }
    }

    /// The pages a sitemap (or a sitemap index, one level deep) lists on
    /// the sitemap's own host that robots.txt lets Lantern read, at most
    /// [`MAX_PAGES`]; others are skipped.
    async fn sitemap_pages(&self, at: &Url, robots: &Robots) -> Result<Vec<Url>, String> {
        let first = self.read_sitemap(at).await?;
        let mut maps = vec![first];
        if maps[0].index {
            let children: Vec<String> = maps[0].locations.iter().take(MAX_SITEMAPS).cloned().collect();
            maps.clear();
            for loc in children {
                match Url::parse(&loc) {
                    Ok(u) if same_site(at, &u) => maps.push(self.read_sitemap(&u).await?),
                    _ => tracing::info!(sitemap = %loc, "skipped: not on the sitemap's host"),
                }
            }
        }
        let mut pages: Vec<Url> = Vec::new();
        for loc in maps.into_iter().filter(|m| !m.index).flat_map(|m| m.locations) {
            let Ok(mut url) = Url::parse(&loc) else { continue };
            url.set_fragment(None);
            if !same_site(at, &url) || !robots.allowed(&url) || pages.contains(&url) {
                continue;
            }
            pages.push(url);
            if pages.len() == MAX_PAGES {
                break;
            }
        }
        if pages.is_empty() {
            return Err("the sitemap lists no page on its own host that may be read".into());
        }
        Ok(pages)
    }

    async fn read_sitemap(&self, at: &Url) -> Result<sitemap::Sitemap, String> {
        let f = self
            .fetcher
            .get(at, MAX_SITEMAP_BYTES)
            .await
            .map_err(|e| format!("the sitemap {e}"))?;
        sitemap::parse(&f.body, MAX_PAGES).map_err(|e| format!("the sitemap {e}"))
    }

    async fn page(
        &self,
        site: &Site,
        source: &SourceRow,
        url: &Url,
        known: &std::collections::HashMap<String, (String, Option<String>, String)>,
    ) -> PageOutcome {
        let fail = |reason: String| async move {
            let _ = self
                .db
                .page_failed(&site.id, &source.id, url.as_str(), &reason)
                .await;
            PageOutcome::Failed
        };
        let fetched = match self.fetcher.get(url, MAX_PAGE_BYTES).await {
            Ok(f) => f,
            Err(FetchError::Gone) => return PageOutcome::Gone,
            Err(e) => return fail(format!("the page {e}")).await,
        };
        let mut req = match page_document(url, &fetched.media_type, &fetched.body) {
            Ok(r) => r,
            Err(e) => return fail(format!("the page {e}")).await,
        };
        let fallback = site.languages.first().map_or("en", String::as_str);
        // The site's language the page is written in, else its first.
        let sample: String = req.body.chars().take(2_000).collect();
        let detected = query_language(&sample, None, fallback);
        req.language = Some(if site.languages.contains(&detected) {
            detected
        } else {
            fallback.to_string()
        });
        let doc = match prepare(&site.id, fallback, req, "url", Some(source.id.as_str())) {
            Ok(d) => d,
            Err(e) => return fail(e.to_string()).await,
        };
        let unchanged = known.get(url.as_str()).is_some_and(|(_, hash, state)| {
            state == "ready" && hash.as_deref() == Some(&content_hash(&doc.body))
        });
        if unchanged {
            return PageOutcome::Unchanged;
        }
        match self.knowledge.store(doc).await {
            Ok(_) => PageOutcome::Stored,
            Err(e) => fail(e.to_string()).await,
        }
    }
}

/// Same scheme, host and port.
fn same_site(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A fetched page as a document: HTML without its boilerplate, or plain
/// text; anything else is refused. Text past the document limit is cut.
fn page_document(url: &Url, media_type: &str, body: &[u8]) -> Result<CreateDocument, String> {
    let text = String::from_utf8_lossy(body);
    let (title, mut body, format) = match media_type {
        "text/html" | "application/xhtml+xml" | "" => (
            import::html_title(&text),
            html::page_to_markdown(&text),
            DocumentFormat::Markdown,
        ),
        "text/plain" | "text/markdown" => (None, text.into_owned(), DocumentFormat::Markdown),
        other => return Err(format!("is not a web page (type {other})")),
    };
    body.retain(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    if body.len() > MAX_DOCUMENT_BYTES {
        let mut end = MAX_DOCUMENT_BYTES;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    if body.trim().is_empty() {
        return Err("holds no text".into());
    }
    let title: String = title
        .unwrap_or_else(|| url.path().trim_matches('/').replace(['-', '_', '/'], " "))
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let title = if title.trim().is_empty() {
        url.host_str().unwrap_or("page").to_string()
    } else {
        title
    };
    Ok(CreateDocument {
        title,
        body,
        url: Some(url.to_string()),
        language: None,
        format: Some(format),
    })
}
