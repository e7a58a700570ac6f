//! The caller a session cookie stands for: a member acting on one site.

use axum::http::request::Parts;
use http::Method;
use lantern_shared::{accounts::MemberRole, routes};

use super::{
    AppState,
    session::{check_csrf, signed_in},
};
use crate::{auth::Caller, error::ApiError};

/// The header (or, for `EventSource`, the `site_id` query parameter) that
/// names the site a member acts on where the path does not.
pub const SITE_HEADER: &str = "x-lantern-site";

/// The caller a session cookie stands for: the signed-in member on the site
/// the request is about. `None` without a live session. Cookie-authenticated
/// writes must pass [`check_csrf`]; a site the person does not belong to is
/// 403 (membership comes from the cache, which a removal clears on every
/// instance, so a removed member is shut out at once).
pub async fn member_caller(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let Some(me) = signed_in(parts, state).await? else {
        return Ok(None);
    };
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        check_csrf(&parts.headers)?;
    }
    let named = routes::site_of(parts.uri.path())
        .map(str::to_string)
        .or_else(|| {
            parts
                .headers
                .get(SITE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .or_else(|| {
            parts.uri.query().and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("site_id=").map(str::to_string))
            })
        });
    let (site_id, role) = match named {
        Some(site_id) => {
            let role = state.db.role_on_cached(&me.user.id, &site_id).await?;
            (site_id, role)
        }
        None => {
            let mut all = state.db.memberships(&me.user.id).await?;
            if all.len() > 1 {
                return Err(ApiError::Validation {
                    message: "you belong to several sites: name one with the X-Lantern-Site header".into(),
                    details: Vec::new(),
                });
            }
            match all.pop() {
                Some(m) => (m.site_id, Some(m.role)),
                None => (String::new(), None),
            }
        }
    };
    let role = role
        .as_deref()
        .and_then(MemberRole::parse)
        .ok_or_else(|| ApiError::Forbidden("you are not a member of this site".into()))?;
    Ok(Some(Caller::Member {
        site_id,
        user_id: me.user.id,
        role,
    }))
}
