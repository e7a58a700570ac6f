//! Public site endpoints: the widget's configuration and visitor tokens.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{delete, get, post},
};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use lantern_shared::{
    api::{CreateVisitor, SiteConfig, Theme, VisitorToken},
    cache, routes,
};
use sha2::Sha256;

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, MaybeCaller},
    security,
};
use crate::{
    auth::{self, Caller},
    error::ApiError,
    db::{Site, rfc3339},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_CONFIG, get(config))
        .route(routes::SITE_VISITORS, post(create_visitor))
        .route(routes::VISITOR_REFRESH, post(refresh_visitor))
        .route(routes::VISITOR_TOKENS, delete(revoke_visitor_tokens))
}

/// `files`: whether the site takes visitors' attachments (a policy kept
/// apart from the site row, see `db::attachments`).
pub fn public_config(site: &Site, files: bool) -> SiteConfig {
    SiteConfig {
        site_id: site.id.clone(),
        name: site.name.clone(),
        bot_name: site.bot_name.clone(),
        welcome_message: site.welcome_message.clone(),
        languages: site.languages.clone(),
        theme: Theme {
            color: site.theme_color.clone(),
        },
        allowed_origins: site.allowed_origins.clone(),
        typing_preview: site.typing_preview,
        attachments_enabled: files,
    }
}

/// What the config cache holds for a site: its public config and the
/// per-language welcomes it is localised from.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedConfig {
    config: SiteConfig,
    welcomes: std::collections::BTreeMap<String, String>,
}

/// Other parameters are ignored, as they always were here: pages and
/// caches add their own (cache busters), and the edge normalises them.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigQuery {
    /// The visitor's language (BCP 47): `welcome_message` is given in it
    /// when the site has one for it.
    #[param(pattern = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", max_length = 35)]
    lang: Option<String>,
}

/// The widget's boot configuration. Public and cacheable.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/config", tag = "sites",
    params(("site_id" = String, Path), ConfigQuery),
    responses((status = 200, body = SiteConfig), (status = 400, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn config(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
    ApiQuery(q): ApiQuery<ConfigQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let policy = cache::SITE_CONFIG.header_value();
    let header_value = HeaderValue::from_str(&policy).map_err(|e| ApiError::Internal(e.into()))?;
    let lang = match &q.lang {
        Some(l) => Some(crate::validate::language("lang", l)?),
        None => None,
    };
    let key = format!("config:{site_id}");
    let cached = state
        .cache
        .get(&key)
        .await
        .and_then(|json| serde_json::from_str::<CachedConfig>(&json).ok());
    let mut cached = match cached {
        Some(c) => c,
        None => {
            let site = state.chat.site(&site_id).await?;
            let files = state.db.attachment_policy(&site.id).await?;
            let c = CachedConfig {
                config: public_config(&site, files.attachments_enabled),
                welcomes: site.welcome_messages.clone(),
            };
            let json = serde_json::to_string(&c).map_err(|e| ApiError::Internal(e.into()))?;
            let ttl = std::time::Duration::from_secs(u64::from(cache::SITE_CONFIG.s_maxage));
            state.cache.put(&key, &json, ttl).await;
            c
        }
    };
    if let Some(lang) = lang {
        let primary = lang.split('-').next().unwrap_or(&lang);
        if let Some(w) = cached
            .welcomes
            .get(&lang)
            .or_else(|| cached.welcomes.get(primary))
        {
            cached.config.welcome_message = w.clone();
        }
    }
    let body = serde_json::to_string(&cached.config).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        [
            (header::CACHE_CONTROL, header_value),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ],
        body,
    ))
}

/// Issues a visitor token. Browsers must come from one of the site's allowed
/// origins (or the Lantern server's own pages); callers without an `Origin`
/// (servers) must hold the site's admin key. An anonymous visitor who
/// identifies (verified `user_id`) while sending their current token as
/// `Authorization: Bearer` brings their conversations and memories to the
/// signed-in user's visitor; their old token dies. A signed-in user's token
/// never hands their conversations to another user.
#[utoipa::path(post, path = "/api/v1/sites/{site_id}/visitors", tag = "sites",
    params(("site_id" = String, Path)), request_body = CreateVisitor,
    responses((status = 201, body = VisitorToken), (status = 403, body = lantern_shared::ErrorBody),
        (status = 429, description = "too many new visitors from this address or for this site", body = lantern_shared::ErrorBody)))]
pub async fn create_visitor(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
    MaybeCaller(caller): MaybeCaller,
    extensions: http::Extensions,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateVisitor>,
) -> Result<impl IntoResponse, ApiError> {
    let site = state.chat.site(&site_id).await?;
    let is_site_admin =
        caller.as_ref().and_then(Caller::admin_site) == Some(site.id.as_str());
    if !is_site_admin {
        check_origin(&site, &headers)?;
        let ip = state.client_ip(&extensions, &headers);
        super::limits::new_visitor(&state, &site.id, ip).await?;
    }
    let user_id = verified_user(&site, &req)?;
    // Checked whether kept or not, so a bad profile is a 400 either way.
    let profile = verified_profile(&req)?;
    let token = auth::new_secret(auth::VISITOR_TOKEN_PREFIX);
    let expires_at = chrono::Utc::now() + auth::VISITOR_TOKEN_TTL;
    let visitor = state.db.issue_visitor(
            &site.id,
            user_id.as_deref(),
            &auth::hash_secret(&token),
            expires_at,
            crate::validate::profile::user_agent(&headers).as_deref(),
            // Only a verified identity may tell who the visitor is.
            user_id.is_some().then_some(&profile),
        )
        .await?;
    // An anonymous visitor of this site who identifies (their token sent
    // with the call) brings their conversations along.
    if let (Some(Caller::Visitor { site_id, visitor_id }), Some(_)) = (&caller, &user_id)
        && *site_id == site.id
        && state.db.merge_into(&site.id, visitor_id, &visitor.id).await? > 0
    {
        // Their streams end; the widget comes back with the new token.
        crate::privacy::end_streams_of(&state.db, &state.chat.hub, visitor_id, &visitor.id).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(VisitorToken {
            visitor_id: visitor.id,
            token,
            expires_at: rfc3339(expires_at),
        }),
    ))
}

/// Exchanges a valid visitor token for a fresh one (same visitor, new
/// expiry); the presented token stops working after a short grace (the
/// page's other tabs still hold it). The widget calls it before its token
/// runs out.
#[utoipa::path(post, path = "/api/v1/visitors/refresh", tag = "sites", security(("bearer" = [])),
    responses((status = 201, body = VisitorToken), (status = 401, body = lantern_shared::ErrorBody)))]
pub async fn refresh_visitor(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let Caller::Visitor { visitor_id, .. } = caller else {
        return Err(ApiError::Forbidden(
            "only a visitor token can be refreshed".into(),
        ));
    };
    // The caller came from this header (refresh is not an event stream).
    let presented = super::extract::bearer_header(&headers).unwrap_or_default();
    let token = auth::new_secret(auth::VISITOR_TOKEN_PREFIX);
    let expires_at = chrono::Utc::now() + auth::VISITOR_TOKEN_TTL;
    state
        .db
        .rotate_visitor_token(
            &visitor_id,
            &auth::hash_secret(&presented),
            &auth::hash_secret(&token),
            expires_at,
            chrono::Duration::seconds(i64::from(state.settings.visitor_token_grace_secs)),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VisitorToken {
            visitor_id,
            token,
            expires_at: rfc3339(expires_at),
        }),
    ))
}

/// Ends every token of one visitor at once (a leaked token, a device
/// reported lost), and the streams they hold open: the widget then starts
/// over as a new visitor.
#[utoipa::path(delete, path = "/api/v1/visitors/{visitor_id}/tokens", tag = "sites",
    params(("visitor_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "the visitor's tokens are revoked"),
        (status = 401, body = lantern_shared::ErrorBody), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn revoke_visitor_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(visitor_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let site_id = caller
        .admin_site()
        .ok_or_else(|| ApiError::Forbidden("an admin key or an owner's session is required".into()))?;
    let visitor_id = crate::validate::client_id("visitor_id", &visitor_id)?;
    let revoked = match state.db.revoke_visitor_tokens(site_id, &visitor_id).await {
        Err(crate::db::Error::NotFound) => return Err(ApiError::not_found("visitor")),
        other => other?,
    };
    crate::privacy::end_visitor_streams(&state.db, &state.chat.hub, &visitor_id).await?;
    tracing::info!(site_id, visitor_id, revoked, "visitor tokens revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Allows an `Origin` listed by the site (or `*`), or the server's own origin.
fn check_origin(site: &Site, headers: &HeaderMap) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_none_or(|o| o == "null") {
        return Err(ApiError::Forbidden(
            "an Origin header is required (servers use the site's admin key instead)".into(),
        ));
    }
    match security::foreign_origin(headers) {
        Some(o) if !security::site_allows(site, o) => Err(ApiError::Forbidden(format!(
            "origin {o} is not allowed for this site"
        ))),
        _ => Ok(()),
    }
}

/// The name, email and attributes of a create-visitor request, bounded
/// (empty strings count as absent).
fn verified_profile(req: &CreateVisitor) -> Result<crate::db::VerifiedProfile, ApiError> {
    use crate::validate::profile;
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    Ok(crate::db::VerifiedProfile {
        name: req.name.as_deref().map(|n| profile::name("name", n)).transpose()?.and_then(non_empty),
        email: req.email.as_deref().map(|e| profile::email("email", e)).transpose()?.and_then(non_empty),
        attributes: req.attributes.as_ref().map(profile::attributes).transpose()?,
    })
}

/// The verified user id, if the request carries a valid identity.
fn verified_user(site: &Site, req: &CreateVisitor) -> Result<Option<String>, ApiError> {
    let Some(user_id) = &req.user_id else {
        if site.identity_required {
            return Err(ApiError::Unauthorized(
                "this site requires a verified user_id and user_hash".into(),
            ));
        }
        return Ok(None);
    };
    let user_id = crate::validate::client_id("user_id", user_id)?;
    let Some(secret) = &site.identity_secret else {
        return Err(ApiError::field(
            "user_id",
            "this site has no identity verification set up",
        ));
    };
    let hash = req
        .user_hash
        .as_deref()
        .ok_or_else(|| ApiError::Unauthorized("user_hash is required with user_id".into()))?;
    // `HEX` never expires; `UNIX_SECONDS.HEX` signs `user_id.UNIX_SECONDS`
    // and stops verifying at that time, so a hash copied out of a page
    // cannot be replayed for ever.
    let (expires, hex_part) = match hash.split_once('.') {
        Some((t, h)) => {
            let t: i64 = t
                .parse()
                .map_err(|_| ApiError::Unauthorized("user_hash is not valid".into()))?;
            if t <= chrono::Utc::now().timestamp() {
                return Err(ApiError::Unauthorized("user_hash has expired".into()));
            }
            (Some(t), h)
        }
        None => (None, hash),
    };
    let given = hex::decode(hex_part)
        .map_err(|_| ApiError::Unauthorized("user_hash is not valid".into()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| ApiError::Internal(e.into()))?;
    mac.update(user_id.as_bytes());
    if let Some(t) = expires {
        mac.update(format!(".{t}").as_bytes());
    }
    // verify_slice compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| ApiError::Unauthorized("user_hash is not valid".into()))?;
    Ok(Some(user_id))
}
