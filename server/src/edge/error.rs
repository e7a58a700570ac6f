//! Request ids and the shared error envelope, as sent by the edge itself.

use lantern_shared::{ErrorBody, ErrorCode};
use worker::{Request, Response, js_sys};

/// The caller's `x-request-id`, else Cloudflare's `cf-ray`, else a new id.
pub fn request_id(req: &Request) -> String {
    for name in ["x-request-id", "cf-ray"] {
        if let Ok(Some(v)) = req.headers().get(name)
            && !v.is_empty()
            && v.len() <= 128
            && v.bytes().all(|b| b.is_ascii_graphic())
        {
            return v;
        }
    }
    let hi = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    let lo = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!("edge-{hi:08x}{lo:08x}")
}

/// A `{error, message, details, request_id, timestamp}` response.
pub fn envelope(code: ErrorCode, message: &str, request_id: &str) -> worker::Result<Response> {
    envelope_with(code, message, Vec::new(), request_id)
}

/// [`envelope`] with structured `details`.
pub fn envelope_with(
    code: ErrorCode,
    message: &str,
    details: Vec<serde_json::Value>,
    request_id: &str,
) -> worker::Result<Response> {
    let body = ErrorBody {
        error: code,
        message: message.into(),
        details,
        request_id: request_id.into(),
        timestamp: String::from(js_sys::Date::new_0().to_iso_string()),
    };
    let mut resp = Response::from_json(&body)?.with_status(code.status());
    let headers = resp.headers_mut();
    headers.set("x-request-id", request_id)?;
    headers.set("cache-control", "no-store")?;
    Ok(resp)
}
