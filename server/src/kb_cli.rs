//! `lantern kb …`: importing files into a site's knowledge base (with a
//! progress bar and a summary) and evaluating retrieval against a list of
//! questions with known answering documents.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    knowledge::{
        KnowledgeBase,
        embed::{self, Embeddings},
        import,
    },
    seed,
    settings::Settings,
    startup,
};

/// Imports `paths` into `site_id`; prints a summary.
pub async fn import(settings: Settings, site_id: &str, paths: &[PathBuf]) -> anyhow::Result<()> {
    let db = startup::open_db(&settings).await?;
    let knowledge = KnowledgeBase::new(db.clone());
    let site = db.site(site_id).await?.ok_or_else(|| {
        anyhow::anyhow!("no site with id {site_id:?} (see `lantern site create`)")
    })?;
    let language = site
        .languages
        .first()
        .cloned()
        .unwrap_or_else(|| "en".into());
    let (files, mut skipped) = import::collect(paths);
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut imported = 0usize;
    let mut passages = 0i64;
    for path in files {
        bar.set_message(path.display().to_string());
        let outcome = match import::read(&path) {
            Ok(doc) => knowledge
                .add(&site.id, &language, doc)
                .await
                .map_err(|e| e.to_string()),
            Err(reason) => Err(reason),
        };
        match outcome {
            Ok(doc) => {
                imported += 1;
                passages += doc.passages;
            }
            Err(reason) => skipped.push(import::Skipped { path, reason }),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "imported {imported} document(s), {passages} passage(s) into site {}",
        site.id
    );
    if !skipped.is_empty() {
        println!("skipped {}:", skipped.len());
        for s in &skipped {
            println!("  {}: {}", s.path.display(), s.reason);
        }
    }
    let mut touched = embed_now(&settings, &db).await?;
    if imported > 0 {
        touched.insert(site.id.clone());
        // A running server vacuums after its own imports only. The import
        // stands whatever comes of it (autovacuum gets there in the end).
        if let Err(e) = db.tidy_postings().await {
            eprintln!("could not vacuum the postings: {e}");
        }
    }
    if !touched.is_empty() {
        // Running servers cache searches under the site's knowledge
        // generation (in Redis when they share one): move it on so none
        // serves results from before the import or the new vectors.
        let redis = settings
            .redis_url
            .as_ref()
            .and_then(|url| crate::redis_link::RedisLink::start(url.expose(), &settings.redis_prefix));
        let cache = crate::kvcache::KvCache::new(redis);
        for site_id in touched {
            cache.bump(&format!("kb:{site_id}")).await;
        }
    }
    Ok(())
}

/// With embeddings configured, embeds every passage (of any site) that has
/// no vector from the model yet, with a progress bar; a provider failure is
/// reported, not fatal: the server's worker embeds the rest. Returns the
/// sites whose passages got vectors.
async fn embed_now(
    settings: &Settings,
    db: &crate::db::Db,
) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let mut touched = std::collections::BTreeSet::new();
    let Some(config) = settings.embeddings.config() else {
        return Ok(touched);
    };
    let embeddings = Embeddings::new(config)?;
    let missing = db.unembedded_count(embeddings.model()).await?;
    if missing == 0 {
        return Ok(touched);
    }
    let bar = ProgressBar::new(missing as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} passages embedded")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut done = 0;
    let outcome = embed::worker::embed_missing(db, &embeddings, |n, sites| {
        done = n;
        touched.extend(sites.iter().cloned());
        bar.set_position(n as u64);
    })
    .await;
    bar.finish_and_clear();
    match outcome {
        Ok(n) => println!("embedded {n} passage(s) with {}", embeddings.model()),
        Err(e) => println!(
            "embedded {done} of {missing} passage(s), then stopped: {e}; a running server embeds the rest"
        ),
    }
    Ok(touched)
}

#[derive(serde::Deserialize)]
struct Case {
    question: String,
    /// Title (or url) of the document that answers it.
    document: String,
}

/// Runs the questions of `file` against `site_id` in the configured
/// database, or — without a site — against the demo knowledge base loaded
/// into a throwaway SQLite file. Prints top-1 and top-3 hit rates.
pub async fn eval(settings: Settings, file: &PathBuf, site_id: Option<&str>) -> anyhow::Result<()> {
    let cases: Vec<Case> = serde_json::from_str(&std::fs::read_to_string(file)?).map_err(|e| {
        anyhow::anyhow!("{}: expected [{{question, document}}]: {e}", file.display())
    })?;
    let scratch =
        std::env::temp_dir().join(format!("lantern-eval-{}.db", uuid::Uuid::new_v4().simple()));
    let (knowledge, site): (KnowledgeBase, String) = match site_id {
        Some(id) => (
            KnowledgeBase::new(startup::open_db(&settings).await?),
            id.to_string(),
        ),
        None => {
            let settings = Settings {
                database_url: format!("sqlite://{}", scratch.display()).into(),
                ..settings
            };
            let db = startup::open_db(&settings).await?;
            let knowledge = KnowledgeBase::new(db.clone());
            seed::ensure_demo_site(&db, &knowledge).await?;
            (knowledge, seed::DEMO_SITE_ID.to_string())
        }
    };
    let (mut top1, mut top3) = (0usize, 0usize);
    let mut misses = Vec::new();
    for case in &cases {
        let results = knowledge.search(&site, &case.question, "en", 3).await?;
        let rank = results.iter().position(|r| {
            r.title == case.document || r.url.as_deref() == Some(case.document.as_str())
        });
        match rank {
            Some(0) => {
                top1 += 1;
                top3 += 1;
            }
            Some(_) => top3 += 1,
            None => {}
        }
        if rank != Some(0) {
            let got: Vec<&str> = results.iter().map(|r| r.title.as_str()).collect();
            misses.push(format!(
                "  {} {:?}\n      want {:?}, got {:?}",
                if rank.is_some() { "top3" } else { "MISS" },
                case.question,
                case.document,
                got
            ));
        }
    }
    let _ = std::fs::remove_file(&scratch);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
    }
    let n = cases.len().max(1) as f64;
    println!("questions: {}", cases.len());
    println!(
        "top-1: {top1}/{} = {:.1}%",
        cases.len(),
        100.0 * top1 as f64 / n
    );
    println!(
        "top-3: {top3}/{} = {:.1}%",
        cases.len(),
        100.0 * top3 as f64 / n
    );
    if !misses.is_empty() {
        println!("not first:");
        for m in misses {
            println!("{m}");
        }
    }
    Ok(())
}
