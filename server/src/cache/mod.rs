//! Small in-process caches of what a request reads but rarely changes (who a
//! token stands for, a site's settings, who owns a conversation), with
//! invalidation that reaches every instance.
//!
//! Why not a general cache crate: what matters here is *scoped*
//! invalidation without a race. An entry remembers the [`Scope`]s it was
//! read under (a visitor's token: its token, its visitor and its site) and
//! the instant its database read *started*; an invalidation marks a scope
//! with the instant it happened. An entry is served only while it is
//! younger than the TTL and no scope of it was marked at or after its read
//! began — so a read that raced a write can never put the old row back,
//! and dropping "everything about visitor V" needs no scan of the entries.
//! Marks older than the TTL are forgotten: every entry read before them has
//! expired anyway. A bounded `HashMap` per cache is all the storage needs.
//!
//! This module knows nothing of the database or HTTP; `db` owns the caches
//! and marks scopes beside the SQL that changes them, and [`relay`] carries
//! the marks to other instances through Redis.

pub mod relay;

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// What an invalidation is about. Entries list the scopes they depend on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One admin key or visitor token, by its hash.
    Token(String),
    /// A site: its settings, its admin keys, its visitors' tokens.
    Site(String),
    /// A visitor: their tokens and their conversations.
    Visitor(String),
    /// One conversation's owner and status.
    Conversation(String),
    /// A person: their account row and their memberships.
    User(String),
    /// Everything (a relay that lost messages, a restored database).
    All,
}

impl Scope {
    /// The form sent to other instances.
    pub fn encode(&self) -> String {
        match self {
            Scope::Token(h) => format!("t:{h}"),
            Scope::Site(id) => format!("s:{id}"),
            Scope::Visitor(id) => format!("v:{id}"),
            Scope::Conversation(id) => format!("c:{id}"),
            Scope::User(id) => format!("u:{id}"),
            Scope::All => "*".into(),
        }
    }

    /// The inverse of [`Scope::encode`]; `None` for anything else.
    pub fn decode(s: &str) -> Option<Scope> {
        if s == "*" {
            return Some(Scope::All);
        }
        let (kind, id) = s.split_once(':')?;
        let id = id.to_string();
        Some(match kind {
            "t" => Scope::Token(id),
            "s" => Scope::Site(id),
            "v" => Scope::Visitor(id),
            "c" => Scope::Conversation(id),
            "u" => Scope::User(id),
            _ => return None,
        })
    }
}

/// When each scope was last invalidated; shared by all caches of a process.
#[derive(Clone)]
pub struct Marks {
    ttl: Duration,
    inner: Arc<Mutex<MarksInner>>,
    /// True while invalidations from other instances may be missed (the
    /// relay's subscription is down): nothing is served then.
    paused: Arc<AtomicBool>,
}

#[derive(Default)]
struct MarksInner {
    by_scope: HashMap<Scope, Instant>,
    all: Option<Instant>,
}

/// Past this many marks, those older than the TTL are dropped.
const MARKS_PRUNE_AT: usize = 4_096;

impl Marks {
    /// Marks that serve entries for `ttl`; a zero TTL turns caching off.
    pub fn new(ttl: Duration) -> Marks {
        Marks {
            ttl,
            inner: Arc::default(),
            paused: Arc::default(),
        }
    }

    /// Stops (or resumes) serving entries; see [`relay`].
    pub fn pause(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// Marks `scopes` as changed now.
    pub fn mark(&self, scopes: &[Scope]) {
        let now = Instant::now();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for scope in scopes {
            if *scope == Scope::All {
                inner.all = Some(now);
            } else {
                inner.by_scope.insert(scope.clone(), now);
            }
        }
        if inner.by_scope.len() > MARKS_PRUNE_AT {
            let ttl = self.ttl;
            inner
                .by_scope
                .retain(|_, at| now.duration_since(*at) <= ttl);
        }
    }

    /// True when an entry read from `read_at` on under `scopes` is still good.
    fn fresh(&self, read_at: Instant, scopes: &[Scope]) -> bool {
        if read_at.elapsed() >= self.ttl || self.paused.load(Ordering::SeqCst) {
            return false;
        }
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.all.is_some_and(|at| at >= read_at) {
            return false;
        }
        !scopes
            .iter()
            .any(|s| inner.by_scope.get(s).is_some_and(|at| *at >= read_at))
    }
}

struct Entry<V> {
    value: V,
    read_at: Instant,
    /// An earlier end than the TTL's (a visitor token's own expiry).
    until: Option<Instant>,
    scopes: Vec<Scope>,
}

/// One bounded cache of `K → V`.
pub struct Cache<K, V> {
    marks: Marks,
    capacity: usize,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    pub fn new(marks: Marks, capacity: usize) -> Cache<K, V> {
        Cache {
            marks,
            capacity,
            entries: Mutex::default(),
        }
    }

    /// The instant to pass to [`Cache::put`]: take it *before* the read.
    pub fn read_started(&self) -> Instant {
        Instant::now()
    }

    /// The value of `key`, if cached and still good.
    pub fn get(&self, key: &K) -> Option<V> {
        if !self.marks.enabled() {
            return None;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(key)?;
        let good = entry.until.is_none_or(|u| u > Instant::now())
            && self.marks.fresh(entry.read_at, &entry.scopes);
        if good {
            Some(entry.value.clone())
        } else {
            entries.remove(key);
            None
        }
    }

    /// `key`'s value from the cache, else from `load`; a value found is
    /// remembered under the scopes `scopes` gives for it.
    pub async fn get_or_load<E>(
        &self,
        key: K,
        scopes: impl FnOnce(&V) -> Vec<Scope>,
        load: impl Future<Output = Result<Option<V>, E>>,
    ) -> Result<Option<V>, E> {
        if let Some(v) = self.get(&key) {
            return Ok(Some(v));
        }
        let started = self.read_started();
        let found = load.await?;
        if let Some(v) = &found {
            self.put(key, v.clone(), started, None, scopes(v));
        }
        Ok(found)
    }

    /// Remembers `value`, read from `read_at` on, as long as none of
    /// `scopes` changes (and not past `until`).
    pub fn put(
        &self,
        key: K,
        value: V,
        read_at: Instant,
        until: Option<Instant>,
        scopes: Vec<Scope>,
    ) {
        if !self.marks.enabled() || !self.marks.fresh(read_at, &scopes) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            // Make room: first what has expired, then an arbitrary eighth
            // (a hash map's order is as good as random here).
            let ttl = self.marks.ttl;
            entries.retain(|_, e| e.read_at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                let drop: Vec<K> = entries
                    .keys()
                    .take(self.capacity / 8 + 1)
                    .cloned()
                    .collect();
                for k in drop {
                    entries.remove(&k);
                }
            }
        }
        entries.insert(
            key,
            Entry {
                value,
                read_at,
                until,
                scopes,
            },
        );
    }

    /// Entries held now (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> Cache<String, u32> {
        Cache::new(Marks::new(Duration::from_secs(60)), 4)
    }

    #[test]
    fn a_marked_scope_drops_its_entries_and_only_those() {
        let c = cache();
        let t = c.read_started();
        c.put("a".into(), 1, t, None, vec![Scope::Site("s1".into())]);
        c.put("b".into(), 2, t, None, vec![Scope::Site("s2".into())]);
        assert_eq!(c.get(&"a".into()), Some(1));
        c.marks.mark(&[Scope::Site("s1".into())]);
        assert_eq!(c.get(&"a".into()), None);
        assert_eq!(c.get(&"b".into()), Some(2));
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_kept() {
        let c = cache();
        let started = c.read_started();
        // The write lands (and is marked) while the read is under way.
        c.marks.mark(&[Scope::Token("h".into())]);
        c.put("k".into(), 1, started, None, vec![Scope::Token("h".into())]);
        assert_eq!(c.get(&"k".into()), None);
        let again = c.read_started();
        c.put("k".into(), 2, again, None, vec![Scope::Token("h".into())]);
        assert_eq!(c.get(&"k".into()), Some(2));
    }

    #[test]
    fn all_ttl_expiry_and_bounds() {
        let c = cache();
        let t = c.read_started();
        for i in 0..10u32 {
            c.put(i.to_string(), i, t, None, vec![]);
        }
        assert!(c.len() <= 4, "bounded: {}", c.len());
        c.put("x".into(), 9, t, Some(Instant::now()), vec![]);
        assert_eq!(c.get(&"x".into()), None, "past its own end");
        c.put("y".into(), 9, c.read_started(), None, vec![]);
        c.marks.mark(&[Scope::All]);
        assert_eq!(c.get(&"y".into()), None);
        let off: Cache<String, u32> = Cache::new(Marks::new(Duration::ZERO), 4);
        off.put("z".into(), 1, off.read_started(), None, vec![]);
        assert_eq!(off.get(&"z".into()), None, "a zero TTL caches nothing");
    }

    #[test]
    fn scopes_travel_as_text() {
        for s in [
            Scope::Token("ab".into()),
            Scope::Site("s".into()),
            Scope::Visitor("v".into()),
            Scope::Conversation("c".into()),
            Scope::User("u:1".into()),
            Scope::All,
        ] {
            assert_eq!(Scope::decode(&s.encode()), Some(s));
        }
        assert_eq!(Scope::decode("x:1"), None);
    }
}
