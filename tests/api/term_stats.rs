//! Both backends keep each passage's postings (its terms' occurrences and
//! its length) and each site's term statistics (how many passages hold each
//! term, the site's passage count and length); the search reads them
//! instead of the passages. Postgres's triggers derive all of it from the
//! passages' tsvectors (migrations 0015, 0016); on SQLite the server writes
//! the postings and triggers keep the counts (0015). After every kind of write — imports side by side, a document
//! replaced by one with the same URL, a passage and a document turned off,
//! a document deleted — they must equal what the passages say.

use futures::future::join_all;
use lantern_tests::{Backend, TestApp};
use serde_json::json;
use sqlx::{PgPool, SqlitePool};

/// The database under test, read directly.
enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Pool {
    async fn check(&self, when: &str) {
        match self {
            Pool::Postgres(pool) => assert_stats_true(pool, when).await,
            Pool::Sqlite(pool) => assert_sqlite_stats_true(pool, when).await,
        }
    }

    async fn scalar(&self, sql: &str, site: &str) -> i64 {
        match self {
            Pool::Postgres(p) => sqlx::query_scalar(sql).bind(site).fetch_one(p).await,
            Pool::Sqlite(p) => sqlx::query_scalar(sql).bind(site).fetch_one(p).await,
        }
        .expect("scalar")
    }
}

/// SQLite has no tsvector to recount from: the postings must cover every
/// passage and nothing else, add up to each passage's length, and the
/// counts must equal what the postings and passages say.
async fn assert_sqlite_stats_true(pool: &SqlitePool, when: &str) {
    let kept: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT site_id, term, df FROM knowledge_terms ORDER BY 1, 2")
            .fetch_all(pool)
            .await
            .expect("terms");
    let counted: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT site_id, term, COUNT(*) FROM knowledge_postings GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .expect("counted terms");
    assert_eq!(kept, counted, "{when}: term counts");
    let sizes: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT site_id, passages, tokens FROM knowledge_sizes ORDER BY 1")
            .fetch_all(pool)
            .await
            .expect("sizes");
    let counted: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT site_id, COUNT(*), SUM(tokens) FROM passages GROUP BY 1 ORDER BY 1")
            .fetch_all(pool)
            .await
            .expect("counted sizes");
    assert_eq!(sizes, counted, "{when}: site sizes");
    // Each passage's postings: its site, its length, occurrences summing
    // to that length (every analysed term is a posting's).
    let wrong: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT p.id, p.tokens, COALESCE(SUM(k.heading_tf + k.body_tf), 0) FROM passages p \
         LEFT JOIN knowledge_postings k ON k.passage_id = p.id \
         AND k.site_id = p.site_id AND k.tokens = p.tokens \
         GROUP BY p.id HAVING p.tokens <> COALESCE(SUM(k.heading_tf + k.body_tf), 0) \
         OR COUNT(k.passage_id) = 0",
    )
    .fetch_all(pool)
    .await
    .expect("passages");
    assert_eq!(
        wrong,
        vec![],
        "{when}: passages whose postings do not add up"
    );
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM knowledge_postings k \
         WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.id = k.passage_id)",
    )
    .fetch_one(pool)
    .await
    .expect("orphans");
    assert_eq!(orphans, 0, "{when}: postings of passages that are gone");
}

/// (site, term, count) rows kept by the triggers, and the same counted from
/// the passages; then (site, passages, tokens) both ways.
async fn assert_stats_true(pool: &PgPool, when: &str) {
    let kept: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT site_id, term, df FROM knowledge_terms ORDER BY 1, 2")
            .fetch_all(pool)
            .await
            .expect("terms");
    let counted: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT p.site_id, u.lexeme, CAST(COUNT(*) AS INTEGER) \
         FROM passages p, unnest(p.tsv) AS u GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .expect("counted terms");
    assert!(
        !counted.is_empty() || when == "at the end",
        "{when}: no passages"
    );
    assert_eq!(kept, counted, "{when}: term counts");
    let sizes: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT site_id, passages, tokens FROM knowledge_sizes ORDER BY 1")
            .fetch_all(pool)
            .await
            .expect("sizes");
    let counted: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT site_id, COUNT(*), CAST(SUM(tokens) AS BIGINT) FROM passages GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("counted sizes");
    assert_eq!(sizes, counted, "{when}: site sizes");
    // Postings: heading (weight A) and body (B) occurrences and the length.
    let postings = "SELECT site_id, term, passage_id, CAST(heading_tf AS INTEGER), \
                    CAST(body_tf AS INTEGER), tokens FROM knowledge_postings ORDER BY 1, 2, 3";
    let kept: Vec<(String, String, i64, i32, i32, i32)> = sqlx::query_as(postings)
        .fetch_all(pool)
        .await
        .expect("postings");
    let counted: Vec<(String, String, i64, i32, i32, i32)> = sqlx::query_as(
        "SELECT p.site_id, u.lexeme, p.id, cardinality(array_positions(u.weights, 'A')), \
         cardinality(array_positions(u.weights, 'B')), p.tokens \
         FROM passages p, unnest(p.tsv) AS u ORDER BY 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .expect("counted postings");
    assert_eq!(kept.len(), counted.len(), "{when}: posting count");
    assert!(kept == counted, "{when}: postings differ from the passages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_term_statistics_follow_every_write() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let pool = Pool::Postgres(PgPool::connect(&app.database_url).await.expect("Postgres"));
    statistics_follow_every_write(&app, &pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_term_statistics_follow_every_write() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let pool = Pool::Sqlite(
        SqlitePool::connect(&app.database_url)
            .await
            .expect("SQLite"),
    );
    statistics_follow_every_write(&app, &pool).await;
}

async fn statistics_follow_every_write(app: &TestApp, pool: &Pool) {
    let (one, two) = (app.site().await, app.site().await);

    // Sixteen documents at once into one site (they share common words,
    // whose counts every import updates) and two into the other.
    let docs: Vec<serde_json::Value> = (0..16)
        .map(|i| {
            json!({"title": format!("Printer {i}"), "url": format!("/printers/{i}"),
                "body": format!("## Setup\n\nConnect printer model {i} to the network and print a test page.\n\n\
                    ## Paper\n\nLoad paper in tray {i}; the printer reports a jam when the paper is wet.")})
        })
        .collect();
    let posts = docs
        .iter()
        .map(|d| app.post_json("/api/v1/knowledge/documents", &one.admin_key, d));
    for res in join_all(posts).await {
        assert_eq!(res.status(), 201, "imported side by side");
    }
    for (url, body) in [
        ("/returns", "Returns are free within thirty days."),
        ("/shipping", "Shipping takes three days; returns ship free."),
    ] {
        let res = app
            .post_json(
                "/api/v1/knowledge/documents",
                &two.admin_key,
                &json!({"title": url, "url": url, "body": body}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    pool.check("after the imports").await;

    // Every document replaced at once (each transaction takes away its old
    // terms and adds its new ones, in two statements), three times over:
    // none may fail on a deadlock between them.
    for round in 0..3 {
        let docs: Vec<serde_json::Value> = (0..16)
            .map(|i| {
                json!({"title": format!("Printer {i}"), "url": format!("/printers/{i}"),
                    "body": format!("## Paper\n\nLoad paper in tray {i}; the printer reports a jam when the paper is wet.\n\n\
                        ## Zoning {round}\n\nAlpha beta gamma model {i} {round} network.")})
            })
            .collect();
        let posts = docs
            .iter()
            .map(|d| app.post_json("/api/v1/knowledge/documents", &one.admin_key, d));
        for res in join_all(posts).await {
            assert_eq!(res.status(), 201, "replaced side by side");
        }
    }
    pool.check("after replacements side by side").await;

    // The same URL again replaces the document and its passages.
    let res = app
        .post_json(
            "/api/v1/knowledge/documents",
            &one.admin_key,
            &json!({"title": "Printer 3", "url": "/printers/3",
                "body": "Firmware updates for model 3 are installed from the settings menu."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let doc = res.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    pool.check("after a replacement").await;

    // Turning a document and a passage off changes no statistics (they
    // stay counted, as the site's size does).
    let off = json!({"enabled": false});
    let path = format!("/api/v1/knowledge/documents/{doc}");
    let res = app.patch_json(&path, &one.admin_key, &off).await;
    assert_eq!(res.status(), 200);
    let passages: serde_json::Value = app
        .get_auth(&format!("{path}/passages"), &one.admin_key)
        .await
        .json()
        .await
        .expect("json");
    let pid = passages["items"][0]["id"].as_i64().expect("passage id");
    let res = app
        .patch_json(&format!("{path}/passages/{pid}"), &one.admin_key, &off)
        .await;
    assert_eq!(res.status(), 200);
    pool.check("after turning things off").await;

    // The search still finds by the rare term, and not the disabled one.
    let found = crate::retrieval::search(app, &one.id, "paper jam tray 7", None).await;
    assert_eq!(found["results"][0]["url"], "/printers/7", "{found}");

    // Deleting documents takes their terms with them; a site with none
    // left has no rows.
    for d in app
        .get_auth("/api/v1/knowledge/documents", &two.admin_key)
        .await
        .json::<serde_json::Value>()
        .await
        .expect("json")["items"]
        .as_array()
        .expect("items")
    {
        let id = d["id"].as_str().expect("id");
        let res = app
            .client
            .delete(app.url(&format!("/api/v1/knowledge/documents/{id}")))
            .bearer_auth(&two.admin_key)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 204);
    }
    pool.check("after the deletions").await;
    let left = pool
        .scalar(
            "SELECT (SELECT COUNT(*) FROM knowledge_terms WHERE site_id = $1) \
             + (SELECT COUNT(*) FROM knowledge_sizes WHERE site_id = $1) \
             + (SELECT COUNT(*) FROM knowledge_postings WHERE site_id = $1)",
            &two.id,
        )
        .await;
    assert_eq!(left, 0, "an emptied site keeps no statistics");
}

/// A SQLite database from before migration 0015 has passages but no
/// postings; the migration leaves them with no `config`, and the server
/// indexes them again when it starts. Here: the state the migration
/// leaves, made from a current database, then a second instance started
/// on it.
#[tokio::test]
async fn sqlite_postings_are_written_again_at_start_up() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let site = app.site().await;
    for (url, body) in [
        (
            "/boiler",
            "Bleed the radiators before you restart the boiler.",
        ),
        (
            "/garden",
            "Prune the roses in late winter, before new growth.",
        ),
    ] {
        let doc = json!({"title": url, "url": url, "body": body});
        let res = app
            .post_json("/api/v1/knowledge/documents", &site.admin_key, &doc)
            .await;
        assert_eq!(res.status(), 201);
    }
    let pool = SqlitePool::connect(&app.database_url)
        .await
        .expect("SQLite");
    sqlx::query(
        "UPDATE passages SET tokens = 0; DELETE FROM knowledge_postings; \
         UPDATE passages SET config = '';",
    )
    .execute(&pool)
    .await
    .expect("the state migration 0015 leaves");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM knowledge_terms")
        .fetch_one(&pool)
        .await
        .expect("terms");
    assert_eq!(left, 0, "no postings, no term counts");

    let restarted = TestApp::spawn_sharing(&app, |_| {}).await;
    assert_sqlite_stats_true(&pool, "after the start-up").await;
    let found = crate::retrieval::search(&restarted, &site.id, "radiator boiler", None).await;
    assert_eq!(found["results"][0]["url"], "/boiler", "{found}");
}
