//! `POST /api/v1/sites`: a signed-in owner (of any site) creates a site and
//! becomes its first owner.

use axum::{
    Json, Router,
    extract::State,
    http::HeaderMap,
    response::IntoResponse,
    routing::post,
};
use http::StatusCode;
use lantern_shared::{
    accounts::{CreateSite, CreatedSite},
    routes,
};

use super::{
    AppState,
    extract::ApiJson,
    session::{SignedIn, check_csrf},
};
use crate::{error::ApiError, seed, validate};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::SITES, post(create))
}

#[utoipa::path(post, path = "/api/v1/sites", tag = "people", request_body = CreateSite,
    security(("session" = [])),
    responses((status = 201, body = CreatedSite, description = "the admin key is shown only this once"),
        (status = 400, body = lantern_shared::ErrorBody), (status = 401, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    me: SignedIn,
    ApiJson(req): ApiJson<CreateSite>,
) -> Result<impl IntoResponse, ApiError> {
    check_csrf(&headers)?;
    // Agents work an inbox; opening new sites on this server is for people
    // who already run one.
    let owns_a_site = state
        .db
        .memberships(&me.user.id)
        .await?
        .iter()
        .any(|m| m.role == "owner");
    if !owns_a_site {
        return Err(ApiError::Forbidden(
            "only an owner of a site may create another one".into(),
        ));
    }
    let name = validate::text("name", &req.name, 100)?;
    if req.allowed_origins.len() > 50 {
        return Err(ApiError::field("allowed_origins", "at most 50 origins"));
    }
    let origins = req
        .allowed_origins
        .iter()
        .map(|o| {
            validate::origin(o).filter(|o| o != "*").ok_or_else(|| {
                ApiError::field(
                    "allowed_origins",
                    format!("{o:?} is not an origin such as https://www.example.com"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (site, key) = seed::create_site(&state.db, &seed::new_site_id(), &name, origins).await?;
    state.db.add_member(&me.user.id, &site.id, "owner").await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSite {
            site_id: site.id,
            name: site.name,
            admin_key: key,
        }),
    ))
}
