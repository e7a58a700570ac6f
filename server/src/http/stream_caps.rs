//! Caps on open event streams per visitor and per client IP (issue: one
//! client must not hold the server's memory with thousands of idle
//! streams). Counts are per instance; a stream's [`Slot`] gives its place
//! back when the stream ends, however it ends.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::{error::ApiError, ratelimit::Decision};

/// Open streams by key (`v:{visitor}` or `ip:{address}`).
#[derive(Clone, Default)]
pub struct StreamCaps {
    open: Arc<Mutex<HashMap<String, u32>>>,
}

/// Places taken by one stream; given back on drop.
pub struct Slot {
    caps: StreamCaps,
    keys: Vec<String>,
}

impl StreamCaps {
    /// Takes a place under every `(key, cap)`, or none of them: 429 naming
    /// the cap that is full.
    pub fn take(&self, wanted: &[(String, u32)]) -> Result<Slot, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((key, cap)) = wanted
            .iter()
            .find(|(key, cap)| open.get(key).copied().unwrap_or(0) >= *cap)
        {
            let scope = if key.starts_with("v:") {
                "streams_visitor"
            } else {
                "streams_ip"
            };
            tracing::info!(%key, cap, "event stream refused: cap reached");
            crate::stats::rate_limited(scope);
            return Err(ApiError::RateLimited(Decision {
                allowed: false,
                limit: *cap,
                remaining: 0,
                reset_secs: 5,
            }));
        }
        for (key, _) in wanted {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        Ok(Slot {
            caps: self.clone(),
            keys: wanted.iter().map(|(k, _)| k.clone()).collect(),
        })
    }

    /// Keys with open streams (tests, diagnostics).
    pub fn tracked(&self) -> usize {
        self.open.lock().map(|m| m.len()).unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    // Keys of closed streams go, so the map stays as small
                    // as the set of clients streaming now.
                    open.remove(key);
                }
            }
        }
    }
}

/// The caps a new stream counts against: its reader's (`reader` is
/// `v:{visitor}` or `v:u:{member}`), and its address's.
pub fn stream_keys(
    state: &super::AppState,
    reader: Option<String>,
    parts: &http::request::Parts,
) -> Vec<(String, u32)> {
    let mut keys: Vec<(String, u32)> = reader
        .map(|r| (r, state.settings.max_streams_per_visitor))
        .into_iter()
        .collect();
    if let Some(ip) = state.client_ip(&parts.extensions, &parts.headers) {
        keys.push((
            format!("ip:{}", super::client_ip::rate_key(ip)),
            state.settings.max_streams_per_ip,
        ));
    }
    keys
}

/// Where a resumed stream starts: after `Last-Event-ID`, else after
/// `?after=`; `None` for a stream that starts now.
pub fn resume_after(headers: &http::HeaderMap, after: Option<i64>) -> Result<Option<i64>, ApiError> {
    let header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::field("Last-Event-ID", "must be an event id"))
        })
        .transpose()?;
    Ok(header.or(after).map(|n| n.max(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_places_come_back() {
        let caps = StreamCaps::default();
        let want = |v: &str| vec![(format!("v:{v}"), 2), ("ip:1.2.3.4".to_string(), 3)];
        let a = caps.take(&want("a")).expect("first");
        let b = caps.take(&want("a")).expect("second");
        assert!(caps.take(&want("a")).is_err(), "visitor cap");
        let c = caps.take(&want("b")).expect("other visitor, same address");
        assert!(caps.take(&want("c")).is_err(), "address cap");
        drop((a, b, c));
        assert_eq!(caps.tracked(), 0, "nothing left behind");
        assert!(caps.take(&want("a")).is_ok());
    }
}
