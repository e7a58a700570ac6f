//! The API suite: the real server over HTTP, each test on a fresh SQLite file
//! and on a fresh Postgres database.

mod health;
