//! A site's team: members and their roles, invites, and accepting one.
//! Owners (or the site's admin key) manage the team; the last owner cannot
//! be removed or demoted.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::HeaderMap,
    response::IntoResponse,
    routing::{patch, post},
};
use http::StatusCode;
use lantern_shared::{
    accounts::{
        AcceptInvite, CreateInvite, Invite, Member, MemberList, MemberRole, PendingInvite,
        PendingInviteList, SessionInfo, UpdateMember,
    },
    routes,
};
use tower_sessions::Session;

use super::{AppState, extract::ApiJson, session::check_csrf};
use crate::{
    accounts::{self, password},
    auth::{self, Caller},
    db::{self, rfc3339},
    error::ApiError,
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_MEMBERS, axum::routing::get(list))
        .route(routes::SITE_MEMBER, patch(update).delete(remove))
        .route(routes::SITE_INVITES, post(invite).get(invites))
        .route(routes::INVITE_ACCEPT, post(accept))
}

/// The site id, if `caller` may administer it (admin key or owner).
pub(super) fn owner_of(caller: &Caller, site_id: &str) -> Result<(), ApiError> {
    match caller.admin_site() {
        Some(own) if own == site_id => Ok(()),
        Some(_) => Err(ApiError::Forbidden("this key belongs to another site".into())),
        None if matches!(caller, Caller::Member { .. }) => Err(ApiError::Forbidden(
            "this needs an owner of the site; agents work the inbox only".into(),
        )),
        None => Err(ApiError::Forbidden(
            "this route needs the site's admin key or an owner's session".into(),
        )),
    }
}

fn member(m: db::MemberRow) -> Option<Member> {
    Some(Member {
        role: MemberRole::parse(&m.role)?,
        created_at: rfc3339(m.created_at),
        user_id: m.user_id,
        email: m.email,
        name: m.name,
    })
}

#[utoipa::path(get, path = "/api/v1/sites/{site_id}/members", tag = "people", params(("site_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MemberList), (status = 401, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<MemberList>, ApiError> {
    owner_of(&caller, &site_id)?;
    let items = state.db.members(&site_id).await?.into_iter().filter_map(member).collect();
    Ok(Json(MemberList { items }))
}

#[utoipa::path(patch, path = "/api/v1/sites/{site_id}/members/{user_id}", tag = "people",
    params(("site_id" = String, Path), ("user_id" = String, Path)), request_body = UpdateMember,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Member), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody),
        (status = 409, body = lantern_shared::ErrorBody, description = "the last owner cannot be demoted")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((site_id, user_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<UpdateMember>,
) -> Result<Json<Member>, ApiError> {
    owner_of(&caller, &site_id)?;
    state
        .db
        .change_member(&site_id, &user_id, Some(req.role.as_str()))
        .await
        .map_err(not_a_member)?;
    let updated = state
        .db
        .members(&site_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .and_then(member)
        .ok_or_else(|| ApiError::not_found("member"))?;
    Ok(Json(updated))
}

/// Removes a member: their session stops reaching the site at once (every
/// request checks the membership).
#[utoipa::path(delete, path = "/api/v1/sites/{site_id}/members/{user_id}", tag = "people",
    params(("site_id" = String, Path), ("user_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody),
        (status = 409, body = lantern_shared::ErrorBody, description = "the last owner cannot be removed")))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((site_id, user_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    owner_of(&caller, &site_id)?;
    state
        .db
        .change_member(&site_id, &user_id, None)
        .await
        .map_err(not_a_member)?;
    // Their inbox streams end now, on every instance.
    state.chat.hub.publish(crate::events::LiveEvent::new(
        crate::events::site_channel(&site_id),
        None,
        crate::events::REVOKED,
        serde_json::json!({"user_id": user_id}),
    ));
    Ok(StatusCode::NO_CONTENT)
}

fn not_a_member(e: db::Error) -> ApiError {
    match e {
        db::Error::NotFound => ApiError::not_found("member"),
        e => e.into(),
    }
}

/// This server's address as the request reached it, for links.
pub(super) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// The site's pending invites (the links themselves were shown once).
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/invites", tag = "people", params(("site_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PendingInviteList), (status = 401, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn invites(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<PendingInviteList>, ApiError> {
    owner_of(&caller, &site_id)?;
    let items = state
        .db
        .pending_invites(&site_id)
        .await?
        .into_iter()
        .filter_map(|(email, role, expires_at, created_at)| {
            Some(PendingInvite {
                email,
                role: MemberRole::parse(&role)?,
                expires_at: rfc3339(expires_at),
                created_at: rfc3339(created_at),
            })
        })
        .collect();
    Ok(Json(PendingInviteList { items }))
}

/// Invites a person by email with a role: a single-use link, valid 7 days.
#[utoipa::path(post, path = "/api/v1/sites/{site_id}/invites", tag = "people", params(("site_id" = String, Path)),
    request_body = CreateInvite, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Invite), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(site_id): Path<String>,
    ApiJson(req): ApiJson<CreateInvite>,
) -> Result<impl IntoResponse, ApiError> {
    owner_of(&caller, &site_id)?;
    if !accounts::valid_email(&req.email) {
        return Err(ApiError::field("email", "is not an email address"));
    }
    if let Some(user) = state.db.user_by_email(&req.email).await?
        && state.db.role_on(&user.id, &site_id).await?.is_some()
    {
        return Err(ApiError::Conflict("this person is already a member of the site".into()));
    }
    let token = auth::new_secret(accounts::INVITE_PREFIX);
    let expires = chrono::Utc::now() + accounts::INVITE_TTL;
    let invite_url = format!("{}#invite={token}", accounts::console_url(&base_url(&headers)));
    state
        .db
        .create_invite(
            &site_id,
            &req.email,
            req.role.as_str(),
            &auth::hash_secret(&token),
            expires,
            &invite_url,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Invite {
            invite_url,
            expires_at: rfc3339(expires),
        }),
    ))
}

/// Accepts an invite: creates the account (or, for an email that has one,
/// checks its password), adds the membership and signs in.
#[utoipa::path(post, path = "/api/v1/invites/accept", tag = "people", request_body = AcceptInvite,
    responses((status = 200, body = SessionInfo, description = "signed in; sets the session cookie"),
        (status = 400, body = lantern_shared::ErrorBody, description = "weak password, bad name"),
        (status = 401, body = lantern_shared::ErrorBody, description = "unknown, used or expired invite; wrong password of an existing account"),
        (status = 403, body = lantern_shared::ErrorBody), (status = 409, body = lantern_shared::ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    ApiJson(req): ApiJson<AcceptInvite>,
) -> Result<Json<SessionInfo>, ApiError> {
    check_csrf(&headers)?;
    let bad_invite = || ApiError::Unauthorized("the invite is unknown, used or expired".into());
    let token_hash = auth::hash_secret(&req.token);
    let grant = state.db.pending_invite(&token_hash).await?.ok_or_else(bad_invite)?;
    let name = validate::text("name", &req.name, 100)?;
    let user = match state.db.user_by_email(&grant.email).await? {
        // An existing account joins with its own password, unchanged: an
        // invite must not let its holder take over someone's account.
        Some(user) => {
            if !password::verify(&req.password, user.password_hash.as_deref()).await {
                return Err(ApiError::Unauthorized(
                    "this email already has an account; enter its password".into(),
                ));
            }
            user
        }
        None => {
            if let Some(why) = password::weakness(&req.password) {
                return Err(ApiError::field("password", why));
            }
            let hash = password::hash(&req.password).await?;
            state.db.create_user(&grant.email, &name, Some(&hash)).await?
        }
    };
    state
        .db
        .accept_invite(&token_hash, &user.id)
        .await
        .map_err(|e| match e {
            db::Error::NotFound => bad_invite(),
            e => e.into(),
        })?;
    super::session::start_session(&session, &user).await?;
    Ok(Json(accounts::session_info(&state.db, &user).await?))
}
