//! Getting a conversation to show: the site's config, a visitor token,
//! then the stored conversation's history or a new conversation.

use lantern_shared::api::{
    Conversation, CreateConversation, Message, Page, SiteConfig, VisitorToken,
};
use lantern_shared::routes;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::chat::{Chat, config, session};
use crate::config::{Identity, safe_color};
use crate::http::{ApiError, Call, Fut, sleep};
use crate::{hooks, store};

thread_local! {
    /// A token renewal is on its way (the widget runs on one thread).
    static RENEWING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A token this close (ms) to its expiry is not used any more.
const TOKEN_MARGIN_MS: f64 = 60_000.0;

/// A token this close (ms) to its expiry is exchanged for a fresh one
/// (`POST /visitors/refresh`): a week of the 30 days a token lives.
const REFRESH_WITHIN_MS: f64 = 7.0 * 86_400_000.0;

/// Keeps a new token in memory and in storage; returns it.
fn save(site: &str, user: &str, v: VisitorToken) -> String {
    store::set(site, store::TOKEN, &v.token);
    store::set(site, store::TOKEN_EXPIRES, &v.expires_at);
    store::set(site, store::USER, user);
    session(|s| s.token = Some(v.token.clone()));
    v.token
}

impl Chat {
    /// Makes sure config and a conversation are loaded; safe to call again
    /// (on open, on retry). Creates a conversation only while open.
    pub async fn ensure_ready(self) {
        if session(|s| s.busy) {
            return;
        }
        loop {
            session(|s| s.busy = true);
            if self.site.get_untracked().is_none() {
                self.load_config().await;
            }
            let result = self.restore_or_create().await;
            session(|s| s.busy = false);
            match result {
                Ok(()) => {
                    self.ready.set(self.conv().is_some());
                    if self.conv().is_some() {
                        self.notice.set(None);
                    }
                }
                Err(e) => {
                    self.notice.set(Some(self.describe(&e)));
                    return;
                }
            }
            // Opened while this ran, after it looked: the call the opening
            // made returned at once (busy), so create the conversation now.
            if self.conv().is_some() || !self.open.get_untracked() {
                return;
            }
        }
    }

    async fn load_config(self) {
        let mut path = routes::fill(routes::SITE_CONFIG, &self.site_id());
        // The welcome comes in the page's language when the site has one.
        let lang = config(|c| c.lang.clone());
        if (2..=35).contains(&lang.len())
            && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            path = format!("{path}?lang={lang}");
        }
        if let Ok(c) = Call::new("GET", self.url(&path), None)
            .fetch_json::<SiteConfig>()
            .await
        {
            if config(|m| m.color.is_none())
                && let Some(color) = safe_color(&c.theme.color)
            {
                hooks::call("color", color.into());
            }
            self.site.set(Some(c));
        }
    }

    async fn restore_or_create(self) -> Result<(), ApiError> {
        if self.conv().is_some() {
            return Ok(());
        }
        if let Some(conv) = store::get(&self.site_id(), store::CONVERSATION) {
            // Who the visitor is first: a refused sign-in must not cost
            // them the conversation (a 403 below would drop it).
            self.token().await?;
            session(|s| s.conv = Some(conv.clone()));
            match self.load_history(&conv).await {
                Ok(()) => {
                    self.start_live();
                    return Ok(());
                }
                // Gone, or another visitor's: start afresh.
                Err(ApiError::Status(401 | 403 | 404)) => {
                    store::remove(&self.site_id(), store::CONVERSATION);
                    session(|s| s.conv = None);
                }
                Err(e) => {
                    session(|s| s.conv = None);
                    return Err(e);
                }
            }
        }
        if self.open.get_untracked() {
            self.create_conversation().await?;
        }
        Ok(())
    }

    /// A valid visitor token: the one in memory or storage, else a new one.
    pub fn token(self) -> Fut<'static, Result<String, ApiError>> {
        Box::pin(self.token_inner())
    }

    async fn token_inner(self) -> Result<String, ApiError> {
        let site = self.site_id();
        let user = config(|c| c.who.user_id.clone()).unwrap_or_default();
        let stored_user = store::get(&site, store::USER).unwrap_or_default();
        let same_user = stored_user == user;
        // Storage first: another tab of this visitor may have renewed it.
        let stored = || same_user.then(|| store::get(&site, store::TOKEN)).flatten();
        let held = stored().or_else(|| session(|s| s.token.clone()));
        // Unknown expiry (NaN) counts as far off: the server has the last word.
        let left = store::get(&site, store::TOKEN_EXPIRES)
            .map_or(f64::NAN, |e| js_sys::Date::parse(&e) - js_sys::Date::now());
        if let Some(t) = held.filter(|_| left.is_nan() || left > TOKEN_MARGIN_MS) {
            if left.is_nan() || left > REFRESH_WITHIN_MS {
                session(|s| s.token = Some(t.clone()));
                return Ok(t);
            }
            // Close to expiry: renew it, so the visitor (and the open
            // conversation, which is theirs alone) outlives this token.
            // Once: callers that ask while a renewal is on its way (the
            // page's start and the background check, say) use the token
            // they have, which is still good.
            if RENEWING.with(|r| r.replace(true)) {
                session(|s| s.token = Some(t.clone()));
                return Ok(t);
            }
            let call = Call::new("POST", self.url(routes::VISITOR_REFRESH), Some(&t));
            let renewed = call.fetch_json::<VisitorToken>().await;
            RENEWING.with(|r| r.set(false));
            match renewed {
                Ok(v) => return Ok(save(&site, &user, v)),
                // Refused: another tab may have renewed it a moment ago
                // (then storage has that token); else it was revoked and
                // only a new visitor will do.
                Err(ApiError::Status(401 | 403)) => {
                    if let Some(other) = stored().filter(|o| *o != t) {
                        session(|s| s.token = Some(other.clone()));
                        return Ok(other);
                    }
                }
                // Offline, say: the token is still good for a while.
                Err(_) => return Ok(t),
            }
        }
        let body = config(|c| c.who.clone());
        let path = routes::fill(routes::SITE_VISITORS, &site);
        // An anonymous visitor who signs in brings their conversations
        // along: the server merges the visitor whose token this is.
        let merging = (stored_user.is_empty() && !user.is_empty())
            .then(|| store::get(&site, store::TOKEN))
            .flatten();
        let mut bearer = merging.as_deref();
        let v = loop {
            let asked = Call::new("POST", self.url(&path), bearer)
                .json(&body)
                .fetch_json::<VisitorToken>()
                .await;
            match asked {
                // The old token ran out or was revoked: sign in without it.
                Err(ApiError::Status(401)) if bearer.is_some() => bearer = None,
                other => break other?,
            }
        };
        Ok(save(&site, &user, v))
    }

    /// Renews the stored token in the background while the page stays open
    /// (a tab may stay open for weeks): every six hours, [`Chat::token`]
    /// exchanges it once it is in its last week.
    pub async fn keep_token_fresh(self) {
        loop {
            sleep(6 * 3_600_000).await;
            if session(|s| s.token.is_some()) {
                let _ = self.token().await;
            }
        }
    }

    /// The conversation language: the page's, when the site answers in it.
    fn language(self) -> Option<String> {
        let lang = config(|c| c.lang.clone());
        let primary = lang.split('-').next().unwrap_or_default().to_string();
        self.site.with_untracked(|s| {
            let langs = s.as_ref().map(|s| s.languages.clone()).unwrap_or_default();
            langs.into_iter().find(|l| *l == lang || *l == primary)
        })
    }

    fn create_conversation(self) -> Fut<'static, Result<String, ApiError>> {
        Box::pin(self.create_inner())
    }

    async fn create_inner(self) -> Result<String, ApiError> {
        let token = self.token().await?;
        let (page_url, referrer) = (
            hooks::page("location", "href"),
            hooks::page("document", "referrer"),
        );
        let body = CreateConversation {
            language: self.language(),
            // What the server would refuse is left out (an empty referrer,
            // a `file:` page, an address past the server's bound).
            page_url: page_url.filter(|u| u.starts_with("http") && u.len() <= 2048),
            referrer: referrer.filter(|u| u.starts_with("http") && u.len() <= 2048),
            time_zone: hooks::time_zone(),
            ..Default::default()
        };
        let c: Conversation = Call::new("POST", self.url(routes::CONVERSATIONS), Some(&token))
            .json(&body)
            .fetch_json()
            .await?;
        store::set(&self.site_id(), store::CONVERSATION, &c.id);
        session(|s| s.conv = Some(c.id.clone()));
        // The visitor's other tabs switch to it too.
        hooks::call("conv", c.id.as_str().into());
        self.status.set(Some(c.status));
        for m in c.messages.unwrap_or_default() {
            self.add(m, false);
        }
        self.start_live();
        Ok(c.id)
    }

    /// The current conversation, created when there is none.
    pub async fn ensure_conversation(self) -> Result<String, ApiError> {
        // A start-up under way may be creating it: wait rather than make two.
        while session(|s| s.busy) {
            sleep(50).await;
        }
        if let Some(c) = self.conv() {
            return Ok(c);
        }
        session(|s| s.busy = true);
        let created = self.create_conversation().await;
        session(|s| s.busy = false);
        self.ready.set(created.is_ok());
        created
    }

    /// Loads the stored history (the contract's pages of up to 100).
    async fn load_history(self, conv: &str) -> Result<(), ApiError> {
        self.fetch_after(conv.to_string(), 0, false).await
    }

    /// Adds messages after `seq` (history, or catching up after a reconnect).
    pub fn fetch_after(
        self,
        conv: String,
        after: i64,
        live: bool,
    ) -> Fut<'static, Result<(), ApiError>> {
        Box::pin(self.fetch_after_inner(conv, after, live))
    }

    async fn fetch_after_inner(
        self,
        conv: String,
        mut after: i64,
        live: bool,
    ) -> Result<(), ApiError> {
        let token = self.token().await?;
        let path = routes::fill(routes::CONVERSATION_MESSAGES, &conv);
        for _ in 0..20 {
            let url = self.url(&format!("{path}?after={after}&limit=100"));
            let page: Page<Message> = Call::new("GET", url, Some(&token)).fetch_json().await?;
            for m in page.items {
                after = after.max(m.seq);
                self.add(m, live);
            }
            // The cursor is the last seq of the page; `after` already is.
            if page.next_cursor.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// Visitor asked for a fresh conversation: close the old one for the
    /// site's agents, forget it, start another.
    pub fn new_conversation(self) {
        if let (Some(conv), Some(token)) = (self.conv(), session(|s| s.token.clone())) {
            let url = self.url(&routes::fill(routes::CONVERSATION_CLOSE, &conv));
            spawn_local(async move {
                let _ = Call::new("POST", url, Some(&token)).send().await;
            });
        }
        store::remove(&self.site_id(), store::CONVERSATION);
        self.clear();
        spawn_local(self.ensure_ready());
    }

    /// `Lantern.identify`: another signed-in user gets their own visitor.
    /// The same user with another hash (or profile) counts as new too: the
    /// first hash may have been refused. An anonymous visitor who signs in
    /// keeps their token and conversation in storage: the next token is
    /// asked for with it, and the server moves the conversation to the user.
    pub fn identify(self, who: Identity) {
        let before = config(|c| std::mem::replace(&mut c.who, who.clone()));
        if before == who {
            return;
        }
        // The stored token decides, not the identity asked for before
        // (that one may have been refused): an anonymous visitor's token and
        // conversation stay for the merge; anything else is another person's.
        let site = self.site_id();
        let anonymous = store::get(&site, store::USER)
            .unwrap_or_default()
            .is_empty();
        if !(anonymous && who.user_id.is_some()) {
            for k in [store::TOKEN, store::TOKEN_EXPIRES, store::CONVERSATION] {
                store::remove(&site, k);
            }
        }
        session(|s| s.token = None);
        self.clear();
        if self.open.get_untracked() {
            spawn_local(self.ensure_ready());
        }
    }

    /// Opens or closes the panel (called by the loader).
    pub fn set_open(self, open: bool) {
        self.open.set(open);
        if open {
            self.unread.set(0);
            if !self.ready.get_untracked() {
                spawn_local(self.ensure_ready());
            }
        }
    }
}
