//! People who sign in: password hashing and policy, the cookie-session layer
//! and its store, one-time sign-in links and invites. The HTTP handlers are
//! in `http::session`, `http::team` and `http::keys`; SQL in `db::users`.

pub mod cli;
pub mod first_owner;
pub mod password;
pub mod session_store;

use chrono::{DateTime, Duration, Utc};
use lantern_shared::accounts::{MemberRole, MembershipInfo, SessionInfo, UserInfo};
use serde::{Deserialize, Serialize};
use tower_sessions::{
    Expiry, SessionManagerLayer,
    cookie::SameSite,
};

use crate::{
    auth,
    db::{self, Db, User},
};

/// The session cookie. `__Host-` makes browsers insist on Secure, Path=/ and
/// no Domain, so no sibling subdomain can plant or read it. Browsers treat
/// http://localhost and http://127.0.0.1 as secure contexts and accept it
/// there; on any other plain-http address the console cannot sign in (serve
/// it over https).
pub const COOKIE: &str = "__Host-lantern_session";
/// A session ends after this long without a request.
pub const IDLE_HOURS: i64 = 8;
/// One-time sign-in links and invites are valid this long.
pub const LINK_TTL: Duration = Duration::hours(24);
pub const INVITE_TTL: Duration = Duration::days(7);
/// Prefixes of the one-time tokens (256 random bits, stored hashed).
pub const LINK_PREFIX: &str = "ll_";
pub const INVITE_PREFIX: &str = "li_";
/// Sign-in attempts per minute per account and per client IP.
pub const SIGN_IN_PER_ACCOUNT: u32 = 10;
pub const SIGN_IN_PER_IP: u32 = 30;

/// What a session holds: who, in which epoch (see `User::session_epoch`),
/// and when it was last refreshed (minutes since the epoch), so a busy
/// session is written at most once a minute to push its idle expiry on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: String,
    pub epoch: i64,
    pub seen_minute: i64,
}

/// The key under which [`SessionUser`] is stored in the session.
pub const SESSION_KEY: &str = "member";

/// The session layer over `store`.
pub fn layer(store: session_store::Store) -> SessionManagerLayer<session_store::Store> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_secure(true)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(IDLE_HOURS)))
}

/// The current minute, for [`SessionUser::seen_minute`].
pub fn minute_now() -> i64 {
    Utc::now().timestamp() / 60
}

/// The signed-in user and their sites, as the API shows them.
pub async fn session_info(db: &Db, user: &User) -> Result<SessionInfo, db::Error> {
    let memberships = db
        .memberships(&user.id)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(MembershipInfo {
                role: MemberRole::parse(&m.role)?,
                site_id: m.site_id,
                site_name: m.site_name,
            })
        })
        .collect();
    Ok(SessionInfo {
        user: UserInfo {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
        },
        memberships,
        password_set: user.password_hash.is_some(),
    })
}

/// A new one-time sign-in link token for `user_id` (stored hashed).
pub async fn issue_sign_in_link(db: &Db, user_id: &str) -> Result<(String, DateTime<Utc>), db::Error> {
    let token = auth::new_secret(LINK_PREFIX);
    let expires = Utc::now() + LINK_TTL;
    db.create_sign_in_link(user_id, &auth::hash_secret(&token), expires)
        .await?;
    Ok((token, expires))
}

/// A plausible email address, bounded: something@something.tld, no spaces.
pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The console's address for `base` (scheme://host[:port]).
pub fn console_url(base: &str) -> String {
    format!("{}/console/", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_loosely() {
        assert!(valid_email("ann@example.com"));
        assert!(valid_email(" Ann@Example.COM "));
        assert!(!valid_email("ann"));
        assert!(!valid_email("ann@localhost"));
        assert!(!valid_email("a nn@example.com"));
    }
}
