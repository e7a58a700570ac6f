//! Fresh databases for tests.
//!
//! Postgres comes from `TEST_DATABASE_URL` (a server URL whose database we
//! may create others beside), defaulting to the local server on its standard
//! port. `scripts/test.sh` sets it, starting a throwaway server when none is
//! reachable; a missing server fails the Postgres tests loudly rather than
//! skipping them.

use sqlx::{Connection, PgConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The admin URL of the Postgres test server.
pub fn postgres_server_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_string())
}

/// The Redis URL tests should use.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

/// A database nobody else uses, and the URL to reach it.
pub struct FreshDatabase {
    pub url: String,
    // Keeps the SQLite file's folder alive for the test's duration.
    _dir: Option<TempDir>,
}

impl Backend {
    pub async fn fresh_database(self) -> FreshDatabase {
        let unique = format!("lantern_test_{}", uuid::Uuid::new_v4().simple());
        match self {
            Backend::Sqlite => {
                let dir = TempDir::new(&unique);
                let url = format!("sqlite://{}/lantern.db", dir.0.display());
                FreshDatabase {
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let server = postgres_server_url();
                let mut conn = PgConnection::connect(&server).await.unwrap_or_else(|e| {
                    panic!(
                        "Postgres tests need a server: cannot connect to {server} ({e}). \
                         Run scripts/test.sh, which starts one, or set TEST_DATABASE_URL."
                    )
                });
                sqlx::query(&format!("CREATE DATABASE {unique}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let (base, _) = server.rsplit_once('/').expect("URL has a database path");
                FreshDatabase {
                    url: format!("{base}/{unique}"),
                    _dir: None,
                }
            }
        }
    }
}

/// A temporary folder removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first column, as text, of the rows `sql` returns with `$1` bound to
/// `arg`, read straight from the database at `url`: what the server stored.
pub async fn raw_text(url: &str, sql: &str, arg: &str) -> Vec<String> {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut c = PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql)
            .bind(arg)
            .fetch_all(&mut c)
            .await
            .expect("query")
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql)
            .bind(arg)
            .fetch_all(&mut c)
            .await
            .expect("query")
    }
}

/// How many rows `table` of the database at `url` holds.
pub async fn raw_count(url: &str, table: &str) -> i64 {
    use sqlx::Connection;
    let sql = format!("SELECT COUNT(*) FROM {table}");
    if url.starts_with("postgres") {
        let mut c = PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(&sql)
            .fetch_one(&mut c)
            .await
            .expect("count")
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(&sql)
            .fetch_one(&mut c)
            .await
            .expect("count")
    }
}

/// Every `table.column` of the database at `url` with a value whose text
/// contains `marker`: a scan of the whole database, whatever tables later
/// changes add (SQLite's internal and full-text shadow tables included).
pub async fn raw_mentions(url: &str, marker: &str) -> Vec<String> {
    use sqlx::{Connection, Row};
    let pattern = format!("%{marker}%");
    let mut found = Vec::new();
    if url.starts_with("postgres") {
        let mut c = PgConnection::connect(url).await.expect("connect");
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public'",
        )
        .fetch_all(&mut c)
        .await
        .expect("columns");
        for (table, column) in columns {
            let sql = format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE $1"
            );
            let n: i64 = sqlx::query_scalar(&sql)
                .bind(&pattern)
                .fetch_one(&mut c)
                .await
                .expect("scan");
            if n > 0 {
                found.push(format!("{table}.{column}"));
            }
        }
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(&mut c)
                .await
                .expect("tables");
        for table in tables {
            let columns = sqlx::query(&format!("PRAGMA table_info(\"{table}\")"))
                .fetch_all(&mut c)
                .await
                .expect("columns");
            for column in columns {
                let column: String = column.get("name");
                let sql = format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE $1"
                );
                let n: i64 = sqlx::query_scalar(&sql)
                    .bind(&pattern)
                    .fetch_one(&mut c)
                    .await
                    .expect("scan");
                if n > 0 {
                    found.push(format!("{table}.{column}"));
                }
            }
        }
    }
    found
}

/// Runs one statement with `$1` bound to `arg` straight on the database at
/// `url` (tests that move stored times into the past).
pub async fn raw_exec(url: &str, sql: &str, arg: &str) {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut c = PgConnection::connect(url).await.expect("connect");
        sqlx::query(sql)
            .bind(arg)
            .execute(&mut c)
            .await
            .expect("exec");
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query(sql)
            .bind(arg)
            .execute(&mut c)
            .await
            .expect("exec");
    }
}
