//! Typed calls to Lantern's `/api/v1` routes. Every write carries
//! `X-Lantern-Request: 1` (the server's CSRF rule for cookie sessions) and
//! the site being worked on; every failure becomes the envelope's message.

use gloo_net::http::{Method, RequestBuilder, Response};
use lantern_shared::ErrorBody;
use serde::{Serialize, de::DeserializeOwned};

/// A failure as the person reads it, and its HTTP status (0: no answer).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Failure>;

fn offline(e: impl std::fmt::Display) -> Failure {
    Failure {
        status: 0,
        message: format!("The server could not be reached ({e})."),
    }
}

async fn failure(res: Response) -> Failure {
    let status = res.status();
    let message = match res.json::<ErrorBody>().await {
        Ok(body) => body.message,
        Err(_) => format!("The server answered {status}."),
    };
    Failure { status, message }
}

fn request(method: Method, path: &str, site: Option<&str>) -> RequestBuilder {
    let mut req = RequestBuilder::new(path)
        .method(method)
        .header("x-lantern-request", "1")
        .header("accept", "application/json");
    if let Some(site) = site {
        req = req.header("x-lantern-site", site);
    }
    req
}

async fn send(
    method: Method,
    path: &str,
    site: Option<&str>,
    body: Option<&impl Serialize>,
) -> Result<Response> {
    let req = request(method, path, site);
    let req = match body {
        Some(b) => req.json(b).map_err(offline)?,
        None => req.build().map_err(offline)?,
    };
    let res = req.send().await.map_err(offline)?;
    if res.ok() {
        Ok(res)
    } else {
        Err(failure(res).await)
    }
}

/// `GET path` as `T`.
pub async fn get<T: DeserializeOwned>(path: &str, site: Option<&str>) -> Result<T> {
    let res = send(Method::GET, path, site, None::<&()>).await?;
    res.json().await.map_err(offline)
}

/// `method path` with a JSON body, answered with `T`.
pub async fn call<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    site: Option<&str>,
    body: &B,
) -> Result<T> {
    let res = send(method, path, site, Some(body)).await?;
    res.json().await.map_err(offline)
}

/// `method path` (no body), answered with nothing worth reading (204).
pub async fn act(method: Method, path: &str, site: Option<&str>) -> Result<()> {
    send(method, path, site, None::<&()>).await.map(|_| ())
}

/// Uploads `file` to conversation `conversation` (multipart, the part
/// `file`): the attachment to send with a message.
pub async fn upload_attachment(
    conversation: &str,
    site: &str,
    file: &web_sys::File,
) -> Result<lantern_shared::api::Attachment> {
    let form = web_sys::FormData::new().map_err(|_| offline("no FormData"))?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| offline("the file cannot be read"))?;
    let path = format!("/api/v1/conversations/{conversation}/attachments");
    upload(&path, Some(site), form).await
}

/// An attachment's URL for an `<img>` or a link, which carry the session
/// cookie but no header: the site goes in the query.
pub fn attachment_url(url: &str, site: &str) -> String {
    format!("{url}?site_id={site}")
}

/// `/api/v1/sites/{site}{rest}`
pub fn site_path(site: &str, rest: &str) -> String {
    format!("/api/v1/sites/{site}{rest}")
}

/// `POST path` with a multipart body (the browser sets its boundary),
/// answered with `T`.
pub async fn upload<T: DeserializeOwned>(
    path: &str,
    site: Option<&str>,
    form: web_sys::FormData,
) -> Result<T> {
    let req = request(Method::POST, path, site)
        .body(wasm_bindgen::JsValue::from(form))
        .map_err(offline)?;
    let res = req.send().await.map_err(offline)?;
    if !res.ok() {
        return Err(failure(res).await);
    }
    res.json().await.map_err(offline)
}

/// The text of `GET path` (CSV exports).
pub async fn text(path: &str, site: Option<&str>) -> Result<String> {
    let res = send(Method::GET, path, site, None::<&()>).await?;
    res.text().await.map_err(offline)
}
