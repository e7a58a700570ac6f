//! Pass-through to the origin: method, headers and body unchanged, the
//! response body streamed back as it arrives (SSE included) — the worker
//! never reads a passed-through body.

use worker::{Fetch, Request, Response, Url, web_sys};

use super::settings::EdgeSettings;

/// The origin's URL for the path and query of `url`.
pub fn origin_url(settings: &EdgeSettings, url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}{}?{q}", settings.origin, url.path()),
        None => format!("{}{}", settings.origin, url.path()),
    }
}

/// Sends `req` to the origin as a reverse proxy would and returns its
/// response as is (status, headers, streaming body).
pub async fn forward(req: &Request, settings: &EdgeSettings) -> worker::Result<Response> {
    let url = req.url()?;
    let inner = req.inner();
    let headers = web_sys::Headers::new_with_headers(&inner.headers())?;
    add_forwarding(&headers, &url)?;
    let init = web_sys::RequestInit::new();
    init.set_method(&inner.method());
    init.set_headers(&headers);
    if let Some(body) = inner.body() {
        init.set_body(&body);
    }
    // Redirects are the client's business.
    init.set_redirect(web_sys::RequestRedirect::Manual);
    let out = web_sys::Request::new_with_str_and_init(&origin_url(settings, &url), &init)?;
    Fetch::Request(out.into()).send().await
}

/// `X-Forwarded-For` (the client address appended), `X-Forwarded-Proto`,
/// `X-Forwarded-Host`; `CF-Connecting-IP` is kept as Cloudflare set it. The
/// `Host` header is dropped so the origin sees its own.
fn add_forwarding(headers: &web_sys::Headers, url: &Url) -> worker::Result<()> {
    if let Some(ip) = headers.get("cf-connecting-ip")? {
        let xff = match headers.get("x-forwarded-for")? {
            Some(prev) if !prev.trim().is_empty() => format!("{prev}, {ip}"),
            _ => ip,
        };
        headers.set("x-forwarded-for", &xff)?;
    }
    headers.set("x-forwarded-proto", url.scheme())?;
    if let Some(host) = headers.get("host")? {
        headers.set("x-forwarded-host", &host)?;
    }
    headers.delete("host")?;
    Ok(())
}

/// A copy of `resp` (same status and streaming body) whose headers `edit`
/// may change — responses from `fetch` and the cache have immutable headers.
pub fn rebuild(
    resp: Response,
    edit: impl FnOnce(&web_sys::Headers) -> worker::Result<()>,
) -> worker::Result<Response> {
    let raw: web_sys::Response = resp.into();
    let headers = web_sys::Headers::new_with_headers(&raw.headers())?;
    edit(&headers)?;
    let init = web_sys::ResponseInit::new();
    init.set_status(raw.status());
    init.set_status_text(&raw.status_text());
    init.set_headers(&headers);
    let out = web_sys::Response::new_with_opt_readable_stream_and_init(raw.body().as_ref(), &init)?;
    Ok(out.into())
}
