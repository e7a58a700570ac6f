//! The search skips a candidate's lookups when even the best score its
//! commoner terms could add would leave it below the limit'th best
//! (`ranking_sql`'s `bound`). That must never change the top: the best `k`
//! passages of any search are the first `k` of a longer one. The data makes
//! the commoner terms reorder what the rarer ones chose (their counts vary
//! from passage to passage), so a bound that forgot them would fail here.
//! Turned-off passages and documents are left out before the limit.

use lantern_server::{
    db::{Db, PassageHit},
    knowledge::analysis::Analyzer,
};
use lantern_tests::{Backend, TestApp, app::SiteKeys, stats::Lcg};
use serde_json::json;

/// Words and the share of sections holding each (1 in N), from common to
/// rare; each present word occurs 1–4 times.
const WORDS: [(&str, usize); 5] = [
    ("printer", 1),
    ("network", 2),
    ("paper", 3),
    ("toner", 6),
    ("zephyr", 40),
];

const FILLER: [&str; 6] = ["the", "device", "office", "morning", "blue", "shelf"];

/// A document of `sections` sections, each a passage of its own.
fn document(rng: &mut Lcg, n: usize, sections: usize) -> serde_json::Value {
    let mut body = String::new();
    for s in 0..sections {
        body.push_str(&format!("## Part {s}\n\n"));
        for (word, one_in) in WORDS {
            if rng.below(one_in) == 0 {
                for _ in 0..=rng.below(4) {
                    body.push_str(word);
                    body.push(' ');
                }
            }
        }
        for _ in 0..rng.below(30) {
            body.push_str(FILLER[rng.below(FILLER.len())]);
            body.push(' ');
        }
        body.push_str(".\n\n");
    }
    json!({"title": format!("Handbook {n}"), "url": format!("/handbook/{n}"), "body": body})
}

fn ids(hits: &[PassageHit]) -> Vec<i64> {
    hits.iter().map(|h| h.passage_id).collect()
}

async fn top_is_a_prefix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let mut rng = Lcg(7);
    for n in 0..6 {
        let res = app
            .post_json(
                "/api/v1/knowledge/documents",
                &site.admin_key,
                &document(&mut rng, n, 400),
            )
            .await;
        assert_eq!(res.status(), 201, "import {n}");
    }
    let db = Db::connect(&app.database_url).await.expect("database");
    assert!(db.passage_count(&site.id).await.expect("count") >= 2_000);
    let analyzer = Analyzer::new("en");
    for question in [
        "zephyr toner paper network printer",
        "toner for the network printer",
        "printer network",
        "zephyr printer printer",
    ] {
        let terms = analyzer.query_terms(question);
        let all = db
            .search_passages(&site.id, &terms, 40)
            .await
            .expect("search");
        assert_eq!(all.len(), 40, "{question}: a full page of results");
        for k in [1, 2, 3, 5, 8, 13] {
            let top = db
                .search_passages(&site.id, &terms, k)
                .await
                .expect("search");
            assert_eq!(
                ids(&top),
                ids(&all[..k as usize]),
                "{question}: the best {k} are not the first {k} of the best 40"
            );
            for (a, b) in top.iter().zip(&all) {
                assert!((a.score - b.score).abs() < 1e-9, "{question}: scores");
            }
        }
    }
    let terms = analyzer.query_terms("zephyr toner paper network printer");
    turned_off_are_left_out(&app, &db, &site, &terms).await;
}

/// Turning off a passage, then a whole document, takes them out of the
/// results and leaves the rest in order (a full page still).
async fn turned_off_are_left_out(app: &TestApp, db: &Db, site: &SiteKeys, terms: &[String]) {
    let best_40 = || async {
        db.search_passages(&site.id, terms, 40)
            .await
            .expect("search")
    };
    let turn_off = |path: String| async move {
        let off = json!({"enabled": false});
        let res = app.patch_json(&path, &site.admin_key, &off).await;
        assert_eq!(res.status(), 200, "{path}");
    };
    let before = best_40().await;
    let first = &before[0];
    turn_off(format!(
        "/api/v1/knowledge/documents/{}/passages/{}",
        first.document_id, first.passage_id
    ))
    .await;
    let after = best_40().await;
    assert_eq!(after.len(), 40);
    assert_eq!(
        ids(&after[..39]),
        ids(&before[1..]),
        "the passage turned off"
    );

    let doc = after[0].document_id.clone();
    turn_off(format!("/api/v1/knowledge/documents/{doc}")).await;
    let last = best_40().await;
    assert_eq!(last.len(), 40);
    assert!(
        last.iter().all(|h| h.document_id != doc),
        "the document turned off"
    );
    let kept: Vec<i64> = after
        .iter()
        .filter(|h| h.document_id != doc)
        .map(|h| h.passage_id)
        .collect();
    assert_eq!(ids(&last[..kept.len()]), kept, "the rest in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_pruned_search_keeps_the_top() {
    top_is_a_prefix(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_pruned_search_keeps_the_top() {
    top_is_a_prefix(Backend::Postgres).await;
}

/// Postgres: a few seconds after an import the postings are vacuumed and
/// analysed by the server itself (`knowledge::upkeep`), so the
/// search's index-only scans skip the heap even where autovacuum is off.
/// `last_vacuum` is a manual vacuum's (autovacuum sets `last_autovacuum`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_search_tables_are_vacuumed_after_an_import() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let site = app.site().await;
    let res = app
        .post_json(
            "/api/v1/knowledge/documents",
            &site.admin_key,
            &document(&mut Lcg(3), 0, 20),
        )
        .await;
    assert_eq!(res.status(), 201);
    let pool = sqlx::PgPool::connect(&app.database_url)
        .await
        .expect("Postgres");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let tidy: Vec<(bool, bool)> = sqlx::query_as(
            "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL \
             FROM pg_stat_user_tables WHERE relname = 'knowledge_postings'",
        )
        .fetch_all(&pool)
        .await
        .expect("statistics");
        if tidy == [(true, true)] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not vacuumed and analysed 30 s after the import: {tidy:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
