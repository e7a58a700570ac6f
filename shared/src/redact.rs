//! `Debug` for types that carry a password, a token or a key: the secret
//! fields print as `***`, so a `{:?}` in a log line or a panic message
//! cannot leak them. A derive would print them, and a hand-written impl per
//! type would drift from its fields; this macro names each field once.

/// `redacted_debug!(Type { shown, fields } hides { secret, fields })`.
/// Every field must be listed: the destructuring fails to compile when a
/// field is added to the type and not to its list.
#[macro_export]
macro_rules! redacted_debug {
    ($ty:ident { $($shown:ident),* $(,)? } hides { $($hidden:ident),+ $(,)? }) => {
        impl ::core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let $ty { $($shown,)* $($hidden,)+ } = self;
                let mut out = f.debug_struct(stringify!($ty));
                $(out.field(stringify!($shown), $shown);)*
                $(
                    let _ = $hidden;
                    out.field(stringify!($hidden), &format_args!("***"));
                )+
                out.finish()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::{accounts::*, api::*};

    const MARK: &str = "s3cr3t-MARK";

    #[test]
    fn no_secret_reaches_debug() {
        let m = || MARK.to_string();
        let shown = [
            format!(
                "{:?}",
                SignIn {
                    email: Some("a@b.c".into()),
                    password: Some(m()),
                    link_token: Some(m())
                }
            ),
            format!(
                "{:?}",
                UpdateMe {
                    name: None,
                    email: None,
                    password: Some(m()),
                    current_password: Some(m())
                }
            ),
            format!(
                "{:?}",
                AcceptInvite {
                    token: m(),
                    name: "Ann".into(),
                    password: m()
                }
            ),
            format!(
                "{:?}",
                CreatedApiKey {
                    id: "k".into(),
                    label: "l".into(),
                    created_at: "t".into(),
                    last_used_at: None,
                    key: m()
                }
            ),
            format!(
                "{:?}",
                CreatedSite {
                    site_id: "s".into(),
                    name: "n".into(),
                    admin_key: m()
                }
            ),
            format!(
                "{:?}",
                CreateVisitor {
                    user_id: Some("u".into()),
                    user_hash: Some(m()),
                    name: None,
                    email: None,
                    attributes: None,
                }
            ),
            format!(
                "{:?}",
                VisitorToken {
                    visitor_id: "v".into(),
                    token: m(),
                    expires_at: "t".into()
                }
            ),
            format!(
                "{:?}",
                IssuedSecret {
                    site_id: "s".into(),
                    kind: "identity".into(),
                    secret: m()
                }
            ),
            format!(
                "{:?}",
                Webhook {
                    id: "w".into(),
                    url: "https://x".into(),
                    events: vec![],
                    secret: Some(m()),
                    created_at: "t".into()
                }
            ),
        ];
        for s in &shown {
            assert!(!s.contains(MARK), "{s}");
            assert!(s.contains("***"), "{s}");
        }
        assert!(
            shown[0].contains("a@b.c"),
            "other fields still print: {}",
            shown[0]
        );
    }
}
