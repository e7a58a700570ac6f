//! Identity verification as a site's own server does it: an identity
//! secret, a `user_hash` signed with it, and a visitor asked for with it.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::{TestApp, app::ALLOWED_ORIGIN};

/// `hex(HMAC-SHA256(secret, message))`.
pub fn sign(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A new identity secret for `site_id`, issued with the admin `key`.
pub async fn new_secret(app: &TestApp, site_id: &str, key: &str) -> String {
    let issued: Value = app
        .post_json(
            &format!("/api/v1/sites/{site_id}/identity-secret"),
            key,
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    issued["secret"].as_str().expect("secret").to_string()
}

/// Asks for a visitor of `site_id` from an allowed origin with `body`
/// (`{user_id, user_hash}` or anything else under test).
pub async fn identify(app: &TestApp, site_id: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/sites/{site_id}/visitors")))
        .header("origin", ALLOWED_ORIGIN)
        .json(&body)
        .send()
        .await
        .expect("sent")
}
