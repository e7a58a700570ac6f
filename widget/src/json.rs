//! JSON in and out. In the browser the parsing is `JSON.parse` /
//! `JSON.stringify` with serde-wasm-bindgen walking the result: serde_json's
//! own parser and formatter would otherwise be compiled into the wasm that
//! every visitor downloads. Native builds (unit tests) use serde_json.

use serde::{Serialize, de::DeserializeOwned};

/// Decodes `text` as a `T`; `None` when it is not valid JSON or not a `T`.
#[cfg(target_arch = "wasm32")]
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// Encodes `value` as JSON text.
#[cfg(target_arch = "wasm32")]
pub fn stringify<T: Serialize>(value: &T) -> Option<String> {
    let js = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&js).ok()?.as_string()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn stringify<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}
