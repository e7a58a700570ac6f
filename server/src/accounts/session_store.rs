//! tower-sessions' `SessionStore` over Lantern's own storage: the database
//! (both backends) or, when `REDIS_URL` is set, Redis — so every instance
//! sees every session. Ids are stored only as SHA-256 hashes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

use crate::{auth::hash_secret, db::Db, redis_link::RedisLink};

/// Where sessions live.
#[derive(Clone)]
pub enum Store {
    Db(Db),
    Redis(RedisLink),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Store::Db(_) => "SessionStore(database)",
            Store::Redis(_) => "SessionStore(redis)",
        })
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn key(id: &Id) -> String {
    hash_secret(&id.to_string())
}

fn expiry(record: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

fn encode(record: &Record) -> session_store::Result<serde_json::Value> {
    serde_json::to_value(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

fn decode(id: &Id, data: serde_json::Value, expires: i64) -> session_store::Result<Record> {
    let data = serde_json::from_value(data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
    let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires)
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
    Ok(Record {
        id: *id,
        data,
        expiry_date,
    })
}

impl Store {
    async fn redis(link: &RedisLink) -> session_store::Result<redis::aio::ConnectionManager> {
        link.connection()
            .await
            .ok_or_else(|| backend("Redis is not connected"))
    }

    /// Writes a record; with `only_new`, fails (false) if the id exists.
    async fn put(&self, record: &Record, only_new: bool) -> session_store::Result<bool> {
        let data = encode(record)?;
        let expires_at = expiry(record);
        match self {
            Store::Db(db) => {
                if only_new {
                    db.insert_session(&key(&record.id), &data, expires_at)
                        .await
                        .map_err(backend)
                } else {
                    db.save_session(&key(&record.id), &data, expires_at)
                        .await
                        .map(|()| true)
                        .map_err(backend)
                }
            }
            Store::Redis(link) => {
                let mut conn = Self::redis(link).await?;
                let ttl_ms = (expires_at - Utc::now()).num_milliseconds().max(1) as u64;
                let value = serde_json::json!({"data": data, "exp": expires_at.timestamp()});
                let mut opts = redis::SetOptions::default()
                    .with_expiration(redis::SetExpiry::PX(ttl_ms));
                if only_new {
                    opts = opts.conditional_set(redis::ExistenceCheck::NX);
                }
                let done: Option<String> = conn
                    .set_options(link.key(&format!("session:{}", key(&record.id))), value.to_string(), opts)
                    .await
                    .map_err(backend)?;
                Ok(done.is_some())
            }
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128 random bits collide practically never; still, never overwrite.
        while !self.put(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.put(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Store::Db(db) => {
                let Some(data) = db.session(&key(id)).await.map_err(backend)? else {
                    return Ok(None);
                };
                // The row's expiry is authoritative; the record's only
                // matters to tower-sessions for the cookie, which it resets.
                let exp = (Utc::now() + chrono::Duration::seconds(1)).timestamp();
                decode(id, data, exp).map(Some)
            }
            Store::Redis(link) => {
                let mut conn = Self::redis(link).await?;
                let raw: Option<String> = conn
                    .get(link.key(&format!("session:{}", key(id))))
                    .await
                    .map_err(backend)?;
                let Some(raw) = raw else { return Ok(None) };
                let mut v: serde_json::Value = serde_json::from_str(&raw)
                    .map_err(|e| session_store::Error::Decode(e.to_string()))?;
                let exp = v["exp"].as_i64().unwrap_or_default();
                decode(id, v["data"].take(), exp).map(Some)
            }
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Store::Db(db) => db.delete_session(&key(id)).await.map_err(backend),
            Store::Redis(link) => {
                let mut conn = Self::redis(link).await?;
                let _: () = conn
                    .del(link.key(&format!("session:{}", key(id))))
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }
    }
}
