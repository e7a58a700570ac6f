//! Calls to the Lantern API with `window.fetch` (no HTTP crate: every byte
//! of the widget is downloaded by every visitor), and the error cases the
//! panel tells the visitor about.

use std::future::Future;
use std::pin::Pin;

use crate::codec::{FromJson, ToJson};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

/// A boxed future. Async code is the bulk of the widget's wasm: boxing the
/// shared steps (send, token, …) keeps one copy of each instead of one
/// inlined into every caller.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Why a call failed, as far as the visitor needs to know.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer (offline, server down, CORS).
    Offline,
    /// 429; seconds from `Retry-After`.
    RateLimited(u32),
    /// Any other non-2xx status. The envelope's message is for
    /// integrators; the visitor sees one of the panel's own sentences.
    Status(u16),
    /// A 2xx body that did not decode.
    Invalid,
}

/// A request: method, URL, bearer token, JSON body, and whether an SSE
/// stream is acceptable instead of JSON.
pub struct Call<'a> {
    pub method: &'a str,
    pub url: String,
    pub token: Option<&'a str>,
    pub body: Option<String>,
    pub sse: bool,
    pub last_event_id: Option<&'a str>,
    pub signal: Option<&'a web_sys::AbortSignal>,
}

impl<'a> Call<'a> {
    pub fn new(method: &'a str, url: String, token: Option<&'a str>) -> Self {
        Call {
            method,
            url,
            token,
            body: None,
            sse: false,
            last_event_id: None,
            signal: None,
        }
    }

    pub fn json(mut self, body: &impl ToJson) -> Self {
        self.body = Some(body.to_json());
        self
    }

    /// Sends the request; a non-2xx answer becomes an [`ApiError`].
    pub fn send(self) -> Fut<'a, Result<Response, ApiError>> {
        Box::pin(self.send_inner())
    }

    async fn send_inner(self) -> Result<Response, ApiError> {
        let headers = Headers::new().map_err(|_| ApiError::Invalid)?;
        let accept = if self.sse {
            "text/event-stream"
        } else {
            "application/json"
        };
        let _ = headers.set("Accept", accept);
        if let Some(t) = self.token {
            let _ = headers.set("Authorization", &format!("Bearer {t}"));
        }
        if let Some(id) = self.last_event_id {
            let _ = headers.set("Last-Event-ID", id);
        }
        let init = RequestInit::new();
        init.set_method(self.method);
        if let Some(body) = &self.body {
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&JsValue::from_str(body));
        }
        init.set_headers(&headers);
        if let Some(s) = self.signal {
            init.set_signal(Some(s));
        }
        let window = web_sys::window().ok_or(ApiError::Offline)?;
        let resp: Response = JsFuture::from(window.fetch_with_str_and_init(&self.url, &init))
            .await
            .map_err(|_| ApiError::Offline)?
            .unchecked_into();
        if resp.ok() {
            return Ok(resp);
        }
        let status = resp.status();
        if status == 429 {
            let secs = resp
                .headers()
                .get("Retry-After")
                .ok()
                .flatten()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(5);
            return Err(ApiError::RateLimited(secs));
        }
        Err(ApiError::Status(status))
    }

    /// Sends and decodes a JSON answer.
    pub async fn fetch_json<T: FromJson>(self) -> Result<T, ApiError> {
        decode(&self.send().await?).await
    }
}

/// Decodes a JSON response body.
pub async fn decode<T: FromJson>(resp: &Response) -> Result<T, ApiError> {
    let body = text(resp).await?;
    crate::codec::decode(&body).ok_or(ApiError::Invalid)
}

/// A response body as text (boxed: one copy for every decoded type).
pub fn text(resp: &Response) -> Fut<'_, Result<String, ApiError>> {
    Box::pin(async move {
        let promise = resp.text().map_err(|_| ApiError::Invalid)?;
        let v = JsFuture::from(promise)
            .await
            .map_err(|_| ApiError::Offline)?;
        v.as_string().ok_or(ApiError::Invalid)
    })
}

/// Whether the answer is an SSE stream (the server may always answer JSON).
pub fn is_event_stream(resp: &Response) -> bool {
    resp.headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .is_some_and(|t| t.starts_with("text/event-stream"))
}

/// Reads a response body chunk by chunk, calling `each` with the bytes;
/// `each` returns `false` to stop early. Ends with `Err` when the
/// connection breaks.
pub async fn read_body(resp: &Response, mut each: impl FnMut(&[u8]) -> bool) -> Result<(), ()> {
    let body = resp.body().ok_or(())?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(|_| ())?;
        let done = js_sys::Reflect::get(&step, &"done".into()).map_err(|_| ())?;
        if done.is_truthy() {
            return Ok(());
        }
        let value = js_sys::Reflect::get(&step, &"value".into()).map_err(|_| ())?;
        let bytes = js_sys::Uint8Array::new(&value).to_vec();
        if !each(&bytes) {
            let _ = reader.cancel();
            return Ok(());
        }
    }
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
