//! A site's administration by its admin key: settings, key rotation, the
//! identity-verification secret.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{get, post},
};
use http::StatusCode;
use lantern_shared::{
    api::{IssuedSecret, SiteSettings, Theme, UpdateSite},
    routes,
};

use super::{AppState, extract::ApiJson};
use crate::{
    auth::{self, Caller},
    error::ApiError,
    db::{AttachmentPolicy, Site},
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE, get(read).patch(update))
        .route(routes::SITE_ADMIN_KEY, post(rotate_admin_key))
        .route(routes::SITE_IDENTITY_SECRET, post(rotate_identity_secret))
}

/// The site, if `caller` is its admin (admin key or owner). Everyone else
/// gets 403 (the site id is public anyway, through the widget tag).
pub(super) async fn own_site(
    state: &AppState,
    caller: &Caller,
    site_id: &str,
) -> Result<Site, ApiError> {
    super::team::owner_of(caller, site_id)?;
    // Read fresh, not from the site cache: settings are read, changed and
    // written back whole, and must start from the stored row.
    state
        .db
        .site(site_id)
        .await?
        .ok_or_else(|| ApiError::not_found("site"))
}

fn settings(site: Site, files: AttachmentPolicy) -> SiteSettings {
    SiteSettings {
        attachments_enabled: files.attachments_enabled,
        attachments_max_bytes: u64::try_from(files.attachments_max_bytes).unwrap_or(0),
        identity_secret_set: site.identity_secret.is_some(),
        site_id: site.id,
        name: site.name,
        bot_name: site.bot_name,
        welcome_message: site.welcome_message,
        welcome_messages: site.welcome_messages,
        position: site.position,
        languages: site.languages,
        theme: Theme {
            color: site.theme_color,
        },
        allowed_origins: site.allowed_origins,
        identity_required: site.identity_required,
        answer_threshold: site
            .answer_threshold
            .unwrap_or(crate::engine::extractive::CONFIDENCE),
        typing_preview: site.typing_preview,
    }
}

#[utoipa::path(get, path = "/api/v1/sites/{site_id}", tag = "sites", params(("site_id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = SiteSettings), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<SiteSettings>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let files = state.db.attachment_policy(&site.id).await?;
    Ok(Json(settings(site, files)))
}

#[utoipa::path(patch, path = "/api/v1/sites/{site_id}", tag = "sites", params(("site_id" = String, Path)),
    request_body = UpdateSite, security(("bearer" = [])),
    responses((status = 200, body = SiteSettings), (status = 400, body = lantern_shared::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiJson(req): ApiJson<UpdateSite>,
) -> Result<Json<SiteSettings>, ApiError> {
    let mut site = own_site(&state, &caller, &site_id).await?;
    let was_required = site.identity_required;
    if let Some(v) = &req.name {
        site.name = validate::text("name", v, 100)?;
    }
    if let Some(v) = &req.bot_name {
        site.bot_name = validate::text("bot_name", v, 60)?;
    }
    if let Some(v) = &req.welcome_message {
        site.welcome_message = validate::text("welcome_message", v, 1000)?;
    }
    if let Some(v) = &req.welcome_messages {
        site.welcome_messages = welcome_messages(v)?;
    }
    if let Some(v) = &req.position {
        if v != "right" && v != "left" {
            return Err(ApiError::field("position", "must be \"right\" or \"left\""));
        }
        site.position = v.clone();
    }
    if let Some(v) = &req.languages {
        if v.is_empty() || v.len() > 20 {
            return Err(ApiError::field("languages", "must list 1–20 language tags"));
        }
        site.languages = v
            .iter()
            .map(|l| validate::language("languages", l))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = &req.theme_color {
        site.theme_color = validate::color("theme_color", v)?;
    }
    if let Some(v) = &req.allowed_origins {
        if v.len() > 50 {
            return Err(ApiError::field("allowed_origins", "at most 50 origins"));
        }
        site.allowed_origins = v
            .iter()
            .map(|o| {
                validate::origin(o).ok_or_else(|| {
                    ApiError::field(
                        "allowed_origins",
                        format!("{o:?} is not an origin such as https://www.example.com"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = req.identity_required {
        if v && site.identity_secret.is_none() {
            return Err(ApiError::field(
                "identity_required",
                "create an identity secret first (POST …/identity-secret)",
            ));
        }
        site.identity_required = v;
    }
    if let Some(v) = req.answer_threshold {
        if !(0.0..=1.0).contains(&v) {
            return Err(ApiError::field("answer_threshold", "must be between 0 and 1"));
        }
        site.answer_threshold = Some(v);
    }
    if let Some(v) = req.typing_preview {
        site.typing_preview = v;
    }
    let mut files = state.db.attachment_policy(&site.id).await?;
    if let Some(v) = req.attachments_enabled {
        files.attachments_enabled = v;
    }
    if let Some(v) = req.attachments_max_bytes {
        let cap = state.settings.attachments.max_bytes;
        if !(1..=cap).contains(&v) {
            return Err(ApiError::field(
                "attachments_max_bytes",
                format!("must be between 1 and {cap} (this server's LANTERN_ATTACHMENTS_MAX_BYTES)"),
            ));
        }
        files.attachments_max_bytes = v as i64;
    }
    let now_required = !was_required && site.identity_required;
    state.db.update_site(&site).await?;
    state.db.set_attachment_policy(&site.id, files).await?;
    if now_required {
        // Anonymous visitors' tokens were issued under the old rule.
        state.db.revoke_site_visitor_tokens(&site.id, false).await?;
    }
    // Every instance serves the new config from now on.
    state.cache.invalidate(&format!("config:{}", site.id)).await;
    Ok(Json(settings(site, files)))
}

/// Validated per-language welcomes: language tags as keys, at most 20, each
/// text 1000 characters at most; an empty text drops that language.
fn welcome_messages(
    given: &std::collections::BTreeMap<String, String>,
) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    if given.len() > 20 {
        return Err(ApiError::field("welcome_messages", "at most 20 languages"));
    }
    let mut out = std::collections::BTreeMap::new();
    for (tag, text) in given {
        let tag = validate::language("welcome_messages", tag)?;
        if text.trim().is_empty() {
            continue;
        }
        let field = format!("welcome_messages.{tag}");
        out.insert(tag, validate::text(&field, text, 1000)?);
    }
    Ok(out)
}

/// Issues a new admin key and revokes the old ones at once.
#[utoipa::path(post, path = "/api/v1/sites/{site_id}/admin-key", tag = "sites", params(("site_id" = String, Path)),
    security(("bearer" = [])), responses((status = 201, body = IssuedSecret)))]
pub async fn rotate_admin_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let key = auth::new_secret(auth::ADMIN_KEY_PREFIX);
    state.db.rotate_admin_key(&site.id, &auth::hash_secret(&key))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedSecret {
            site_id: site.id,
            kind: "admin_key".into(),
            secret: key,
        }),
    ))
}

/// Issues a new identity-verification secret (the old one stops verifying).
#[utoipa::path(post, path = "/api/v1/sites/{site_id}/identity-secret", tag = "sites", params(("site_id" = String, Path)),
    security(("bearer" = [])), responses((status = 201, body = IssuedSecret)))]
pub async fn rotate_identity_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let secret = auth::new_secret("lis_");
    state.db.set_identity_secret(&site.id, &secret)
        .await?;
    // Visitors verified with the old secret start over: whoever holds the
    // old secret could have minted them.
    state.db.revoke_site_visitor_tokens(&site.id, true).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedSecret {
            site_id: site.id,
            kind: "identity_secret".into(),
            secret,
        }),
    ))
}
