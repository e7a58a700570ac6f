//! Keys and tokens: admin keys (`lk_…`) and visitor tokens (`lv_…`) are 256
//! random bits, base64url, shown once and stored only as SHA-256 hashes (a
//! fast hash is right for random secrets: there is nothing to brute-force).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use lantern_shared::accounts::MemberRole;
use sha2::{Digest, Sha256};

pub const ADMIN_KEY_PREFIX: &str = "lk_";
pub const VISITOR_TOKEN_PREFIX: &str = "lv_";

/// Visitor tokens live this long; the widget asks for a new one after.
pub const VISITOR_TOKEN_TTL: chrono::Duration = chrono::Duration::days(30);

/// A fresh secret with `prefix`.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Holder of a site's admin key: everything on that site.
    Admin { site_id: String },
    /// A widget visitor: only its own conversations on its site.
    Visitor { site_id: String, visitor_id: String },
    /// A signed-in person (session cookie) acting on one site they belong
    /// to: an owner may do what an admin key may; an agent only the inbox.
    Member {
        site_id: String,
        user_id: String,
        role: MemberRole,
    },
}

impl Caller {
    pub fn site_id(&self) -> &str {
        match self {
            Caller::Admin { site_id } | Caller::Visitor { site_id, .. } | Caller::Member { site_id, .. } => {
                site_id
            }
        }
    }

    /// True for callers with full powers over their site: an admin key or
    /// an owner's session.
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Caller::Admin { .. }
                | Caller::Member {
                    role: MemberRole::Owner,
                    ..
                }
        )
    }

    /// True for callers who work the site's inbox: admins, owners, agents.
    pub fn is_staff(&self) -> bool {
        !matches!(self, Caller::Visitor { .. })
    }

    /// The site this caller administers (admin key or owner), if any.
    pub fn admin_site(&self) -> Option<&str> {
        self.is_admin().then(|| self.site_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = new_secret(ADMIN_KEY_PREFIX);
        let b = new_secret(ADMIN_KEY_PREFIX);
        assert!(a.starts_with("lk_") && a.len() == 3 + 43, "{a}");
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }
}
