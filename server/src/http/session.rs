//! Signing in and out: `POST`/`DELETE /api/v1/session`, `GET`/`PATCH
//! /api/v1/me`. A wrong email and a wrong password get the same 401 after the
//! same work (an Argon2 verification either way); attempts are limited per
//! account and per client IP.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, request::Parts},
    response::IntoResponse,
    routing::{get, post},
};
use http::StatusCode;
use lantern_shared::{
    accounts::{SessionInfo, SignIn, UpdateMe},
    routes,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    AppState,
    extract::{ApiJson, ApiQuery},
};
use crate::{
    accounts::{self, SESSION_KEY, SessionUser, password},
    auth,
    db::User,
    error::ApiError,
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SESSION, post(sign_in).delete(sign_out))
        .route(routes::ME, get(me).patch(update_me))
}

/// The same answer for every wrong credential.
fn wrong_credentials() -> ApiError {
    ApiError::Unauthorized("the email or password is wrong, or the link has expired".into())
}

/// Cookie-authenticated writes must come from our own pages: the custom
/// header (which no cross-site form can send and no cross-site fetch can send
/// without a preflight we refuse) and, when the browser says where the
/// request comes from, the same origin.
pub fn check_csrf(headers: &HeaderMap) -> Result<(), ApiError> {
    let refuse = |why: &str| Err(ApiError::Forbidden(why.into()));
    if headers
        .get(routes::REQUEST_HEADER)
        .is_none_or(|v| v.as_bytes() != b"1")
    {
        return refuse("cookie-authenticated changes need the header `X-Lantern-Request: 1`");
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return refuse("cookie-authenticated changes must come from this server's own pages");
        }
    } else if super::security::foreign_origin(headers).is_some() {
        return refuse("cookie-authenticated changes must come from this server's own pages");
    }
    Ok(())
}

/// A signed-in person (session cookie), for routes about the person rather
/// than a site.
pub struct SignedIn {
    pub user: User,
    pub session: Session,
}

impl axum::extract::FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        signed_in(parts, state)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("sign in first".into()))
    }
}

/// The session's user, if the request carries a live session. Refreshes the
/// session (its idle expiry) at most once a minute.
pub async fn signed_in(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, ApiError> {
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return Ok(None);
    };
    let stored: Option<SessionUser> = session.get(SESSION_KEY).await.map_err(session_error)?;
    let Some(mut stored) = stored else {
        return Ok(None);
    };
    // Cached: "sign out everywhere" and profile changes clear it.
    let user = state.db.user_cached(&stored.user_id).await?;
    let Some(user) = user.filter(|u| u.session_epoch == stored.epoch) else {
        // Signed out everywhere, or the user is gone: this session is over.
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    };
    let now = accounts::minute_now();
    if stored.seen_minute != now {
        stored.seen_minute = now;
        session
            .insert(SESSION_KEY, &stored)
            .await
            .map_err(session_error)?;
    }
    Ok(Some(SignedIn { user, session }))
}

fn session_error(e: tower_sessions::session::Error) -> ApiError {
    ApiError::Unavailable(format!("the session store is unavailable ({e}); retry shortly"))
}

/// Starts a session for `user` under a fresh id (no fixation).
pub(super) async fn start_session(session: &Session, user: &User) -> Result<(), ApiError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(
            SESSION_KEY,
            SessionUser {
                user_id: user.id.clone(),
                epoch: user.session_epoch,
                seen_minute: accounts::minute_now(),
            },
        )
        .await
        .map_err(session_error)
}

/// Counts one sign-in attempt against the IP and (when known) the account.
async fn limit(state: &AppState, parts_ip: Option<std::net::IpAddr>, account: Option<&str>) -> Result<(), ApiError> {
    if let Some(ip) = parts_ip {
        let d = state
            .limiter
            .check(&format!("signin:ip:{ip}"), accounts::SIGN_IN_PER_IP)
            .await;
        if !d.allowed {
            crate::stats::rate_limited("sign_in");
            return Err(ApiError::RateLimited(d));
        }
    }
    if let Some(account) = account {
        let d = state
            .limiter
            .check(&format!("signin:acct:{account}"), accounts::SIGN_IN_PER_ACCOUNT)
            .await;
        if !d.allowed {
            crate::stats::rate_limited("sign_in");
            return Err(ApiError::RateLimited(d));
        }
    }
    Ok(())
}

/// Signs in with a password or a one-time link; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "people", request_body = SignIn,
    responses((status = 200, body = SessionInfo, description = "signed in; sets the session cookie"),
        (status = 400, body = lantern_shared::ErrorBody), (status = 401, body = lantern_shared::ErrorBody, description = "any wrong credential"),
        (status = 403, body = lantern_shared::ErrorBody, description = "not from this server's pages"),
        (status = 429, body = lantern_shared::ErrorBody)))]
pub async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    request: axum::extract::Request,
) -> Result<Json<SessionInfo>, ApiError> {
    let (parts, body) = request.into_parts();
    check_csrf(&parts.headers)?;
    let ip = state.client_ip(&parts.extensions, &parts.headers);
    let request = axum::extract::Request::from_parts(parts, body);
    let ApiJson(req) = <ApiJson<SignIn> as axum::extract::FromRequest<AppState>>::from_request(
        request, &state,
    )
    .await?;
    let user = match (&req.email, &req.password, &req.link_token) {
        (Some(email), Some(pw), None) => {
            if email.len() > 254 || pw.len() > 1024 {
                return Err(wrong_credentials());
            }
            let account = crate::db::email_key(email);
            limit(&state, ip, Some(&account)).await?;
            let user = state.db.user_by_email(email).await?;
            let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
            // Unknown email or no password yet: the same verification work
            // against a dummy hash, then the same answer.
            let ok = password::verify(pw, hash).await;
            user.filter(|_| ok).ok_or_else(wrong_credentials)?
        }
        (None, None, Some(token)) => {
            limit(&state, ip, None).await?;
            let user_id = state
                .db
                .use_sign_in_link(&auth::hash_secret(token))
                .await?
                .ok_or_else(wrong_credentials)?;
            state.db.user(&user_id).await?.ok_or_else(wrong_credentials)?
        }
        _ => {
            return Err(ApiError::Validation {
                message: "send {email, password} or {link_token}".into(),
                details: Vec::new(),
            });
        }
    };
    start_session(&session, &user).await?;
    Ok(Json(accounts::session_info(&state.db, &user).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SignOutQuery {
    /// `true` ends every session of this user, on every device.
    #[serde(default)]
    everywhere: bool,
}

/// Signs out (this session, or every session of the user).
#[utoipa::path(delete, path = "/api/v1/session", tag = "people", params(SignOutQuery),
    responses((status = 204, description = "signed out"), (status = 401, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SignOutQuery>,
    me: SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    check_csrf(&headers)?;
    if q.everywhere {
        state.db.bump_session_epoch(&me.user.id).await?;
    }
    me.session.flush().await.map_err(session_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user with their memberships.
#[utoipa::path(get, path = "/api/v1/me", tag = "people",
    responses((status = 200, body = SessionInfo), (status = 401, body = lantern_shared::ErrorBody)))]
pub async fn me(State(state): State<AppState>, me: SignedIn) -> Result<Json<SessionInfo>, ApiError> {
    Ok(Json(accounts::session_info(&state.db, &me.user).await?))
}

/// Changes the signed-in user's name, email or password. A new password
/// needs the current one once a password is set; it ends every other session.
#[utoipa::path(patch, path = "/api/v1/me", tag = "people", request_body = UpdateMe,
    responses((status = 200, body = SessionInfo), (status = 400, body = lantern_shared::ErrorBody),
        (status = 401, body = lantern_shared::ErrorBody), (status = 403, body = lantern_shared::ErrorBody),
        (status = 409, body = lantern_shared::ErrorBody, description = "email taken")))]
pub async fn update_me(
    State(state): State<AppState>,
    headers: HeaderMap,
    me: SignedIn,
    ApiJson(req): ApiJson<UpdateMe>,
) -> Result<Json<SessionInfo>, ApiError> {
    check_csrf(&headers)?;
    let name = req
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 100))
        .transpose()?;
    if let Some(email) = &req.email
        && !accounts::valid_email(email)
    {
        return Err(ApiError::field("email", "is not an email address"));
    }
    let mut hash = None;
    if let Some(pw) = &req.password {
        if let Some(why) = password::weakness(pw) {
            return Err(ApiError::field("password", why));
        }
        if me.user.password_hash.is_some() {
            let current = req.current_password.as_deref().unwrap_or_default();
            if !password::verify(current, me.user.password_hash.as_deref()).await {
                return Err(ApiError::field("current_password", "is wrong"));
            }
        }
        hash = Some(password::hash(pw).await?);
    }
    state
        .db
        .update_user(&me.user.id, name.as_deref(), req.email.as_deref(), hash.as_deref())
        .await?;
    let mut user = state.db.user(&me.user.id).await?.ok_or_else(|| ApiError::not_found("user"))?;
    if hash.is_some() {
        // Other devices signed in with the old password are signed out; this
        // one continues under a fresh id in the new epoch.
        state.db.bump_session_epoch(&user.id).await?;
        user.session_epoch += 1;
        start_session(&me.session, &user).await?;
    }
    Ok(Json(accounts::session_info(&state.db, &user).await?))
}
