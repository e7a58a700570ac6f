//! The reads every request repeats, served from memory: who a token stands
//! for, a site's settings, a conversation's owner and status, a person's
//! account and membership. Each cached read names the scopes it depends on
//! ([`Scope`]); every write in this folder that changes one of them calls
//! [`Db::invalidate`] after it commits, which marks the scopes here and,
//! with Redis, on every other instance ([`crate::cache::relay`]). A TTL
//! (`LANTERN_CACHE_TTL_SECS`, 60 s by default) bounds what a lost
//! invalidation can cost; 0 turns the caches off.
//!
//! Only found rows are cached: a token that does not resolve is asked again
//! every time, so a key made on another instance works at once.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use chrono::Utc;
use lantern_shared::api::ConversationStatus;

use super::{ConversationRecord, Db, Result, Site, User, read};
use crate::cache::{Cache, Marks, Scope, relay::Relay};

/// Entries per cache; past it the oldest-looking go (see [`Cache::put`]).
const CAPACITY: usize = 20_000;

/// Whom a token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOwner {
    Admin { site_id: String },
    Visitor { site_id: String, visitor_id: String },
}

/// What authorisation and a post need of a conversation: whose it is and
/// its status (which changes only through [`Db::set_status`] and a reply
/// that reopens it, both of which invalidate it).
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationFacts {
    pub id: String,
    pub site_id: String,
    pub visitor_id: Option<String>,
    pub status: ConversationStatus,
    pub language: String,
}

impl From<&ConversationRecord> for ConversationFacts {
    fn from(c: &ConversationRecord) -> ConversationFacts {
        ConversationFacts {
            id: c.id.clone(),
            site_id: c.site_id.clone(),
            visitor_id: c.visitor_id.clone(),
            status: c.status,
            language: c.language.clone(),
        }
    }
}

pub(super) struct DbCache {
    pub(super) marks: Marks,
    /// Invalidations also go to `cache_announcements` ([`super::announce`]).
    pub(super) announce: std::sync::atomic::AtomicBool,
    relay: OnceLock<Relay>,
    tokens: Cache<String, TokenOwner>,
    sites: Cache<String, Site>,
    conversations: Cache<String, ConversationFacts>,
    users: Cache<String, User>,
    roles: Cache<(String, String), String>,
}

impl DbCache {
    pub(super) fn new(ttl: Duration) -> DbCache {
        let marks = Marks::new(ttl);
        DbCache {
            tokens: Cache::new(marks.clone(), CAPACITY),
            sites: Cache::new(marks.clone(), CAPACITY),
            conversations: Cache::new(marks.clone(), CAPACITY),
            users: Cache::new(marks.clone(), CAPACITY),
            roles: Cache::new(marks.clone(), CAPACITY),
            relay: OnceLock::new(),
            announce: Default::default(),
            marks,
        }
    }
}

impl std::fmt::Debug for DbCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbCache")
            .field("enabled", &self.marks.enabled())
            .field("relayed", &self.relay.get().is_some())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// This handle with caches that keep entries for `ttl` (zero: none).
    /// Call before the handle is cloned: clones share one cache.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Db {
        self.cache = Arc::new(DbCache::new(ttl));
        self
    }

    /// Sends this instance's invalidations to the others through Redis and
    /// applies theirs. Until the subscription is up, nothing is served
    /// from the caches.
    pub fn relay_invalidations(&self, link: crate::redis_link::RedisLink) {
        let _ = self
            .cache
            .relay
            .set(Relay::start(link, self.cache.marks.clone()));
    }

    /// Drops cached entries under `scopes`, here and on every instance.
    /// Called after the change is committed.
    pub(crate) async fn invalidate(&self, scopes: &[Scope]) {
        if scopes.is_empty() {
            return;
        }
        self.cache.marks.mark(scopes);
        if let Some(relay) = self.cache.relay.get() {
            relay.publish(scopes).await;
        }
        self.announce(scopes).await;
    }

    /// Whom an admin key or visitor token (by its hash) stands for; `None`
    /// for one that is unknown, revoked or expired. `fresh` tells whether
    /// the database was asked (the caller records a key's use then).
    pub async fn token_owner(&self, hash: &str, admin: bool) -> Result<(Option<TokenOwner>, bool)> {
        let c = &self.cache;
        if let Some(owner) = c.tokens.get(&hash.to_string()) {
            return Ok((Some(owner), false));
        }
        let started = c.tokens.read_started();
        if admin {
            let Some(site) = self.site_by_admin_key(hash).await? else {
                return Ok((None, true));
            };
            let site_id = site.id.clone();
            let scopes = vec![Scope::Token(hash.into()), Scope::Site(site_id.clone())];
            c.sites.put(
                site_id.clone(),
                site,
                started,
                None,
                vec![Scope::Site(site_id.clone())],
            );
            let owner = TokenOwner::Admin { site_id };
            c.tokens
                .put(hash.into(), owner.clone(), started, None, scopes);
            return Ok((Some(owner), true));
        }
        let row: Option<(String, String, chrono::DateTime<Utc>)> = read!(self, p => sqlx::query_as(
            "SELECT v.id, v.site_id, t.expires_at FROM visitor_tokens t \
             JOIN visitors v ON v.id = t.visitor_id WHERE t.token_hash = $1 AND t.expires_at > $2",
        )
        .bind(hash)
        .bind(Utc::now())
        .fetch_optional(p)
        .await)?;
        let Some((visitor_id, site_id, expires_at)) = row else {
            return Ok((None, true));
        };
        // The token's own end, if it comes before the TTL's.
        let left = (expires_at - Utc::now()).to_std().unwrap_or_default();
        let scopes = vec![
            Scope::Token(hash.into()),
            Scope::Site(site_id.clone()),
            Scope::Visitor(visitor_id.clone()),
        ];
        let owner = TokenOwner::Visitor {
            site_id,
            visitor_id,
        };
        c.tokens.put(
            hash.into(),
            owner.clone(),
            started,
            Some(Instant::now() + left),
            scopes,
        );
        Ok((Some(owner), true))
    }

    /// [`Db::site`], from the cache when it can.
    pub async fn site_cached(&self, id: &str) -> Result<Option<Site>> {
        let scopes = |_: &Site| vec![Scope::Site(id.into())];
        self.cache
            .sites
            .get_or_load(id.into(), scopes, self.site(id))
            .await
    }

    /// Owner, status and language of a conversation, from the cache when it
    /// can (the full row, which changes with every message, is
    /// [`Db::conversation`]).
    pub async fn conversation_facts(&self, id: &str) -> Result<Option<ConversationFacts>> {
        let scopes = |f: &ConversationFacts| {
            let mut scopes = vec![
                Scope::Conversation(f.id.clone()),
                Scope::Site(f.site_id.clone()),
            ];
            scopes.extend(f.visitor_id.clone().map(Scope::Visitor));
            scopes
        };
        let load = async {
            let row = self.conversation(id).await?;
            Ok(row.map(|r| ConversationFacts::from(&r)))
        };
        self.cache
            .conversations
            .get_or_load(id.into(), scopes, load)
            .await
    }

    /// [`Db::user`], from the cache when it can.
    pub async fn user_cached(&self, id: &str) -> Result<Option<User>> {
        let scopes = |_: &User| vec![Scope::User(id.into())];
        self.cache
            .users
            .get_or_load(id.into(), scopes, self.user(id))
            .await
    }

    /// [`Db::role_on`], from the cache when it can.
    pub async fn role_on_cached(&self, user_id: &str, site_id: &str) -> Result<Option<String>> {
        let scopes = |_: &String| vec![Scope::User(user_id.into()), Scope::Site(site_id.into())];
        let key = (user_id.to_string(), site_id.to_string());
        self.cache
            .roles
            .get_or_load(key, scopes, self.role_on(user_id, site_id))
            .await
    }
}
