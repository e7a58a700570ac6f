//! Webhook and identity secrets are sealed at rest; `lantern secrets
//! rotate` re-seals them with a new key; a server without the key that
//! sealed them refuses to start, saying why.

use lantern_server::{db::Db, sealing::Sealer, settings::Secret};
use lantern_tests::{
    Backend, TestApp,
    app::TEST_SECRETS_KEY,
    backend::raw_text,
    identity::{identify, new_secret, sign},
    on_both_backends,
};
use serde_json::{Value, json};

/// The stored values of the two secret columns.
async fn stored(database_url: &str, site_id: &str) -> (String, String) {
    let one = |mut v: Vec<String>| v.pop().expect("a row");
    let site = raw_text(
        database_url,
        "SELECT identity_secret FROM sites WHERE id = $1",
        site_id,
    )
    .await;
    let hook = raw_text(
        database_url,
        "SELECT secret FROM webhook_endpoints WHERE site_id = $1",
        site_id,
    )
    .await;
    (one(site), one(hook))
}

/// The status of asking for user `u-1` verified with `secret`.
async fn identify_status(app: &TestApp, site_id: &str, secret: &str) -> u16 {
    let body = json!({"user_id": "u-1", "user_hash": sign(secret, "u-1")});
    identify(app, site_id, body).await.status().as_u16()
}

async fn sealed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.webhook_allow_private = true).await;
    let site = app.site().await;
    let identity = new_secret(&app, &site.id, &site.admin_key).await;
    let hook: Value = app
        .post_json(
            &format!("/api/v1/sites/{}/webhooks", site.id),
            &site.admin_key,
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["conversation.created"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let hook_secret = hook["secret"].as_str().expect("secret").to_string();
    let (a, b) = stored(&app.database_url, &site.id).await;
    for (value, secret) in [(&a, &identity), (&b, &hook_secret)] {
        assert!(value.starts_with("enc:v1:"), "{value}");
        assert!(
            !value.contains(secret.as_str()),
            "stored in the clear: {value}"
        );
    }
    assert_eq!(
        identify_status(&app, &site.id, &identity).await,
        201,
        "the sealed secret verifies"
    );

    // Rotation: a new key, the old one kept only to open what it sealed.
    let new_key = Sealer::new_key();
    let db = Db::connect(&app.database_url)
        .await
        .expect("open")
        .with_sealer(Some(std::sync::Arc::new(
            Sealer::new(&new_key, &[TEST_SECRETS_KEY.to_string()]).expect("keys"),
        )));
    assert!(db.reseal_secrets().await.expect("resealed") >= 2);
    assert_eq!(
        db.reseal_secrets().await.expect("again"),
        0,
        "nothing left to re-seal"
    );
    let (a2, b2) = stored(&app.database_url, &site.id).await;
    assert!(a2 != a && b2 != b && a2.starts_with("enc:v1:"));
    let rotated = TestApp::spawn_sharing(&app, |s| {
        s.secrets_key = Some(Secret::new(new_key.as_str()))
    })
    .await;
    assert_eq!(
        identify_status(&rotated, &site.id, &identity).await,
        201,
        "opens with the new key alone"
    );

    // A server with only the retired key stops at start-up, saying why.
    let mut settings = lantern_server::settings::Settings {
        database_url: app.database_url.clone().into(),
        secrets_key: Some(Secret::new(TEST_SECRETS_KEY)),
        ..Default::default()
    };
    settings.demo = false;
    let err = lantern_server::startup::build(settings)
        .await
        .expect_err("refused");
    assert!(
        format!("{err:#}").contains("LANTERN_SECRETS_KEY"),
        "{err:#}"
    );
}
on_both_backends!(secrets_are_sealed_at_rest_and_rotate, super::sealed);
