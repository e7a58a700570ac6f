//! Site stream resume on Postgres: ids come from one global sequence, so
//! two writers of one site could commit out of id order, and a reader
//! resuming between the two commits would skip the lower id for ever.
//! Writer A takes an id and holds its transaction open; writer B, later,
//! commits; a member's stream then reads and resumes after what it saw.
//! It must end up with both events. (SQLite's single writer hands out ids
//! in commit order; nothing to test there.)

use std::{collections::BTreeSet, time::Duration};

use lantern_tests::{Backend, TestApp, sse::SseReader};
use sqlx::{Connection, PgConnection};

const INSERT: &str = "INSERT INTO site_events (site_id, kind, data, created_at) \
     VALUES ($1, 'conversation.updated', '{}', now()) RETURNING id";

/// The durable ids a site stream resumed after `after` sends within `wait`.
async fn ids_after(
    app: &TestApp,
    site_id: &str,
    key: &str,
    after: i64,
    wait: Duration,
) -> Vec<i64> {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/sites/{site_id}/events")))
        .bearer_auth(key)
        .header("last-event-id", after.to_string())
        .send()
        .await
        .expect("stream");
    assert_eq!(res.status(), 200);
    let mut reader = SseReader::new(res);
    let deadline = tokio::time::Instant::now() + wait;
    let mut ids = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            break;
        }
        match reader.next(left).await {
            Some(e) => ids.extend(e.id.and_then(|i| i.parse::<i64>().ok())),
            None => break,
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_never_skips_an_id_committed_late() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let site = app.site().await;
    let start = ids_after(
        &app,
        &site.id,
        &site.admin_key,
        0,
        Duration::from_millis(300),
    )
    .await
    .into_iter()
    .max()
    .unwrap_or(0);

    let mut a = PgConnection::connect(&app.database_url)
        .await
        .expect("connect a");
    let mut tx_a = a.begin().await.expect("begin a");
    let (id_a,): (i64,) = sqlx::query_as(INSERT)
        .bind(&site.id)
        .fetch_one(&mut *tx_a)
        .await
        .expect("insert a");

    let url = app.database_url.clone();
    let site_id = site.id.clone();
    let b = tokio::spawn(async move {
        let mut b = PgConnection::connect(&url).await.expect("connect b");
        let (id,): (i64,) = sqlx::query_as(INSERT)
            .bind(&site_id)
            .fetch_one(&mut b)
            .await
            .expect("insert b");
        id
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A member's stream reads now, and later resumes after what it saw.
    let mut seen: BTreeSet<i64> = ids_after(
        &app,
        &site.id,
        &site.admin_key,
        start,
        Duration::from_millis(700),
    )
    .await
    .into_iter()
    .collect();
    let resume = seen.iter().max().copied().unwrap_or(start);
    tx_a.commit().await.expect("commit a");
    let id_b = tokio::time::timeout(Duration::from_secs(10), b)
        .await
        .expect("b commits once a has")
        .expect("b");
    seen.extend(
        ids_after(
            &app,
            &site.id,
            &site.admin_key,
            resume,
            Duration::from_millis(700),
        )
        .await,
    );
    assert!(
        seen.contains(&id_a) && seen.contains(&id_b),
        "a = {id_a}, b = {id_b}, the stream saw {seen:?} (resumed after {resume})"
    );
}
