//! `POST /api/v1/knowledge/uploads`: several files at once, each made into
//! a document (see `knowledge::extract` for the types) or refused with its
//! own reason, without failing the others. Bounded: the request body, the
//! files per request, each file's bytes, the time one file may take.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Multipart, State, multipart::MultipartRejection},
    routing::post,
};
use http::StatusCode;
use lantern_shared::{
    knowledge::{UploadItem, UploadResult},
    routes,
};
use tower_http::limit::RequestBodyLimitLayer;

use super::AppState;
use crate::{
    auth::Caller,
    db::content_hash,
    error::ApiError,
    knowledge::{analysis::query_language, extract, prepare},
};

/// Largest upload request.
pub const UPLOAD_REQUEST_BYTES: usize = 32 * 1024 * 1024;
/// Largest file in an upload.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Most files per upload.
pub const MAX_FILES: usize = 20;
/// Longest a file's text extraction may take.
const EXTRACT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::KNOWLEDGE_UPLOADS, post(upload))
        .layer(DefaultBodyLimit::max(UPLOAD_REQUEST_BYTES))
        .layer(RequestBodyLimitLayer::new(UPLOAD_REQUEST_BYTES))
}

/// A file as received: its name and bytes, or why it was not kept.
struct Received {
    name: String,
    bytes: Result<Vec<u8>, String>,
}

/// Imports the `file` parts of a multipart body (other parts are ignored):
/// `.md`, `.txt`, `.html`, `.pdf`, `.docx`, and FAQ `.csv` / `.json`
/// (question, answer: one document with a section per question). Each item
/// says the document made or why none was (unsupported type, over 10 MB,
/// unreadable, no text, identical to a stored document). At most 20 files
/// and 32 MB per request.
#[utoipa::path(post, path = "/api/v1/knowledge/uploads", tag = "knowledge",
    request_body(content_type = "multipart/form-data", content = String,
        description = "One or more parts named `file`, each with a file name"),
    security(("bearer" = []), ("session" = [])),
    responses((status = 202, body = UploadResult), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody), (status = 413, body = lantern_shared::ErrorBody),
        (status = 415, body = lantern_shared::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<UploadResult>), ApiError> {
    let site_id = super::knowledge::admin_site(&caller)?;
    let mut multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMediaType("send the files as multipart/form-data".into())
    })?;
    let files = receive(&mut multipart).await?;
    if files.is_empty() {
        return Err(ApiError::field(
            "file",
            "send one or more parts named `file`, each with a file name",
        ));
    }
    let site = state.chat.site(site_id).await?;
    let mut items = Vec::with_capacity(files.len());
    let mut added = false;
    for f in files {
        let outcome = match f.bytes {
            Ok(bytes) => import(&state, &site, &f.name, bytes).await,
            Err(e) => Err(e),
        };
        added |= outcome.is_ok();
        items.push(match outcome {
            Ok(id) => UploadItem {
                name: f.name,
                document_id: Some(id),
                error: None,
            },
            Err(e) => UploadItem {
                name: f.name,
                document_id: None,
                error: Some(e),
            },
        });
    }
    if added {
        state.cache.bump(&format!("kb:{}", site.id)).await;
    }
    Ok((StatusCode::ACCEPTED, Json(UploadResult { items })))
}

/// Reads every part; a file past the size or count limit is drained and
/// kept only as its error. A malformed body or one over the request limit
/// fails the whole request (nothing has been stored yet).
async fn receive(multipart: &mut Multipart) -> Result<Vec<Received>, ApiError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!(
                "an upload is at most {UPLOAD_REQUEST_BYTES} bytes in all"
            ))
        } else {
            ApiError::field("file", format!("the multipart body is malformed: {}", e.body_text()))
        }
    };
    let mut files = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        if field.name() != Some("file") {
            while field.chunk().await.map_err(broken)?.is_some() {}
            continue;
        }
        let name: String = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim())
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let mut problem = if name.is_empty() {
            Some("a file part needs a file name".to_string())
        } else if files.len() >= MAX_FILES {
            Some(format!("at most {MAX_FILES} files per upload"))
        } else if !extract::supported(&name) {
            Some(format!(
                "unsupported file type {:?} (use {})",
                extract::extension(&name),
                extract::ACCEPTED
            ))
        } else {
            None
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if problem.is_some() {
                continue;
            }
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                problem = Some(format!("is larger than the limit of {MAX_FILE_BYTES} bytes"));
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if problem.is_none() && bytes.is_empty() {
            problem = Some("is empty".into());
        }
        files.push(Received {
            name,
            bytes: problem.map_or(Ok(bytes), Err),
        });
    }
    Ok(files)
}

/// One file into a stored document: its id, or the reason it was refused.
async fn import(
    state: &AppState,
    site: &crate::db::Site,
    name: &str,
    bytes: Vec<u8>,
) -> Result<String, String> {
    let owned = name.to_string();
    // PDF extraction is CPU work that may hang on a hostile file: off the
    // runtime, and the request stops waiting after the timeout.
    let extracted = tokio::time::timeout(
        EXTRACT_TIMEOUT,
        tokio::task::spawn_blocking(move || extract::document(&owned, &bytes)),
    )
    .await
    .map_err(|_| "took too long to read".to_string())?
    .map_err(|_| "cannot be read".to_string())??;
    let fallback = site.languages.first().map_or("en", String::as_str);
    let mut req = extracted;
    if req.language.is_none() {
        // The site's language the text is written in, else its first.
        let sample: String = req.body.chars().take(2_000).collect();
        let detected = query_language(&sample, None, fallback);
        req.language = Some(if site.languages.contains(&detected) {
            detected
        } else {
            fallback.to_string()
        });
    }
    let doc = prepare(&site.id, fallback, req, "upload", None).map_err(|e| problem(&e))?;
    if let Some(same) = state
        .db
        .document_by_hash(&site.id, &content_hash(&doc.body))
        .await
        .map_err(|_| "cannot be stored now; try again".to_string())?
    {
        return Err(format!(
            "is identical to the document \u{201c}{}\u{201d} already in the knowledge base ({})",
            same.title, same.id
        ));
    }
    state
        .knowledge
        .store(doc)
        .await
        .map(|d| d.id)
        .map_err(|e| problem(&e))
}

/// A per-file reason from a validation failure (its message names the
/// field, which means little to someone who uploaded a file).
fn problem(e: &ApiError) -> String {
    match e {
        ApiError::Validation { message, .. } => message
            .strip_prefix("body: ")
            .map(|m| format!("its text {m}"))
            .unwrap_or_else(|| message.clone()),
        ApiError::Internal(_) | ApiError::Unavailable(_) => "cannot be stored now; try again".into(),
        other => other.to_string(),
    }
}
