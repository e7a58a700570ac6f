//! Who may do what, CORS, identity verification, rate limits, client IPs.

use lantern_server::auth;
use lantern_tests::{Backend, TestApp, app::ALLOWED_ORIGIN, identity, on_both_backends};
use serde_json::{Value, json};

use crate::assert_envelope;

#[derive(Clone, Copy, Debug)]
enum Who {
    Owner,
    OtherVisitor,
    Admin,
    OtherAdmin,
    Nobody,
    Expired,
    WrongOrigin,
}
const EVERYONE: [Who; 7] = [
    Who::Owner,
    Who::OtherVisitor,
    Who::Admin,
    Who::OtherAdmin,
    Who::Nobody,
    Who::Expired,
    Who::WrongOrigin,
];

/// Every authenticated route against every kind of caller.
async fn matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let other_site = app.site().await;
    let owner = app.visitor(&site.id).await;
    let other = app.visitor(&site.id).await;
    let expired = format!("{}expired", auth::VISITOR_TOKEN_PREFIX);
    let store = lantern_server::db::Db::connect(&app.database_url)
        .await
        .expect("store");
    store
        .issue_visitor(
            &site.id,
            None,
            &auth::hash_secret(&expired),
            chrono::Utc::now() - chrono::Duration::hours(1),
            None,
            None,
        )
        .await
        .expect("expired token");
    let conv = app.conversation(&owner).await;
    let c = conv["id"].as_str().expect("id").to_string();
    let m = conv["messages"][0]["id"]
        .as_str()
        .expect("welcome")
        .to_string();
    let s = site.id.clone();

    // (method, path, body, expected statuses in EVERYONE's order)
    let routes: Vec<(&str, String, Value, [u16; 7])> = vec![
        (
            "POST",
            "/api/v1/conversations".into(),
            json!({}),
            [201, 201, 201, 201, 401, 401, 403],
        ),
        (
            "GET",
            "/api/v1/conversations".into(),
            json!(null),
            [200, 200, 200, 200, 401, 401, 403],
        ),
        (
            "GET",
            format!("/api/v1/conversations/{c}"),
            json!(null),
            [200, 404, 200, 404, 401, 401, 403],
        ),
        (
            "GET",
            format!("/api/v1/conversations/{c}/messages"),
            json!(null),
            [200, 404, 200, 404, 401, 401, 403],
        ),
        (
            "POST",
            format!("/api/v1/conversations/{c}/messages"),
            json!({"content": "hi"}),
            [201, 404, 201, 404, 401, 401, 403],
        ),
        (
            "GET",
            format!("/api/v1/conversations/{c}/events"),
            json!(null),
            [200, 404, 200, 404, 401, 401, 403],
        ),
        (
            "POST",
            format!("/api/v1/messages/{m}/feedback"),
            json!({"rating": "up"}),
            [201, 404, 201, 404, 401, 401, 403],
        ),
        (
            "POST",
            format!("/api/v1/conversations/{c}/handoff"),
            json!({}),
            [200, 404, 200, 404, 401, 401, 403],
        ),
        (
            "GET",
            format!("/api/v1/sites/{s}"),
            json!(null),
            [403, 403, 200, 403, 401, 401, 403],
        ),
        (
            "PATCH",
            format!("/api/v1/sites/{s}"),
            json!({}),
            [403, 403, 200, 403, 401, 401, 403],
        ),
        (
            "POST",
            "/api/v1/visitors/refresh".into(),
            json!({}),
            [201, 201, 403, 403, 401, 401, 403],
        ),
        (
            "POST",
            format!("/api/v1/conversations/{c}/close"),
            json!({}),
            [200, 404, 200, 404, 401, 401, 403],
        ),
    ];
    let mut table = String::from(
        "\nroute | owner | other visitor | admin | other admin | none | expired | wrong origin\n",
    );
    let mut wrong = Vec::new();
    for (method, path, body, expected) in &routes {
        let mut row = format!("{method} {path}");
        for (who, want) in EVERYONE.iter().zip(expected) {
            let mut req = app
                .client
                .request(method.parse().expect("method"), app.url(path));
            req = match who {
                Who::Owner => req.bearer_auth(&owner),
                Who::OtherVisitor => req.bearer_auth(&other),
                Who::Admin => req.bearer_auth(&site.admin_key),
                Who::OtherAdmin => req.bearer_auth(&other_site.admin_key),
                Who::Nobody => req,
                Who::Expired => req.bearer_auth(&expired),
                Who::WrongOrigin => req
                    .bearer_auth(&owner)
                    .header("origin", "https://evil.example"),
            };
            if !body.is_null() {
                req = req.json(body);
            }
            let res = req.send().await.expect("sent");
            let got = res.status().as_u16();
            row.push_str(&format!(" | {got}"));
            if got != *want {
                wrong.push(format!(
                    "{method} {path} as {who:?}: got {got}, want {want}"
                ));
            }
            if got >= 400 {
                let env: Value = res.json().await.expect("envelope");
                assert!(
                    env["request_id"].as_str().is_some_and(|r| !r.is_empty()),
                    "{env}"
                );
            }
        }
        table.push_str(&row);
        table.push('\n');
    }
    println!("{table}");
    assert!(wrong.is_empty(), "{wrong:#?}\n{table}");
}
on_both_backends!(authorization_matrix, super::matrix);

/// Preflights: a site-scoped route answers from that site's origins; a
/// token route (a preflight carries no token, so no site) reflects any
/// well-formed origin, and the token's site refuses the real request.
async fn cors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let preflight = |path: String, origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url(&path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allow_origin = |res: &reqwest::Response| {
        res.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().expect("ascii").to_string())
    };
    let ok = preflight("/api/v1/conversations".into(), ALLOWED_ORIGIN)
        .await
        .expect("sent");
    assert!(ok.status().is_success());
    assert_eq!(ok.headers()["access-control-allow-origin"], ALLOWED_ORIGIN);
    let allowed_headers = ok.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_lowercase();
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );
    let visitors = format!("/api/v1/sites/{}/visitors", site.id);
    let ok = preflight(visitors.clone(), ALLOWED_ORIGIN)
        .await
        .expect("sent");
    assert_eq!(allow_origin(&ok).as_deref(), Some(ALLOWED_ORIGIN));
    let refused = preflight(visitors, "https://evil.example")
        .await
        .expect("sent");
    assert_eq!(allow_origin(&refused), None);
    // Not the form a browser sends: refused before any lookup.
    let refused = preflight("/api/v1/conversations".into(), "https://EVIL.example/x")
        .await
        .expect("sent");
    assert_eq!(allow_origin(&refused), None);
    // The real request from a foreign origin: a readable 403 from the
    // token's own site.
    let visitor = app.visitor(&site.id).await;
    let res = app
        .client
        .get(app.url("/api/v1/conversations"))
        .bearer_auth(&visitor)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 403);
}
on_both_backends!(cors_preflights, super::cors);

/// One tenant allowing every origin (`*`) opens its own routes only.
async fn cors_per_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let open = app.site().await;
    let closed = app.site().await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/sites/{}", open.id)))
        .bearer_auth(&open.admin_key)
        .json(&json!({"allowed_origins": ["*"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let origin_for = |site: String| {
        let req = app
            .client
            .request(
                reqwest::Method::OPTIONS,
                app.url(&format!("/api/v1/sites/{site}/visitors")),
            )
            .header("origin", "https://anyone.example")
            .header("access-control-request-method", "POST");
        async move {
            let res = req.send().await.expect("sent");
            res.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().expect("ascii").to_string())
        }
    };
    assert_eq!(
        origin_for(open.id.clone()).await.as_deref(),
        Some("https://anyone.example")
    );
    assert_eq!(
        origin_for(closed.id.clone()).await,
        None,
        "another tenant's * must not open this one"
    );
}
on_both_backends!(cors_is_per_tenant, super::cors_per_tenant);

/// Identity verification: a right hash is accepted, a wrong or missing one refused.
async fn identity(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let secret = identity::new_secret(&app, &site.id, &site.admin_key).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/sites/{}", site.id)))
        .bearer_auth(&site.admin_key)
        .json(&json!({"identity_required": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let sign = |user: &str| identity::sign(&secret, user);
    let ask = |body: Value| identity::identify(&app, &site.id, body);

    let first: Value = ask(json!({"user_id": "u-42", "user_hash": sign("u-42")}))
        .await
        .json()
        .await
        .expect("json");
    let token = first["token"].as_str().expect("token").to_string();
    assert_envelope(
        ask(json!({"user_id": "u-42", "user_hash": sign("u-43")})).await,
        401,
        "unauthorized",
    )
    .await;
    assert_envelope(ask(json!({"user_id": "u-42"})).await, 401, "unauthorized").await;
    assert_envelope(ask(json!({})).await, 401, "unauthorized").await;

    // The same verified user on another device sees the same conversations.
    let conv = app.conversation(&token).await;
    let second: Value = ask(json!({"user_id": "u-42", "user_hash": sign("u-42")}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["visitor_id"], second["visitor_id"]);
    let listed: Value = app
        .get_auth(
            "/api/v1/conversations",
            second["token"].as_str().expect("token"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["id"], conv["id"]);
}
on_both_backends!(identity_verification, super::identity);

/// Rotating the admin key revokes the old one at once.
async fn rotation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let issued: Value = app
        .post_json(
            &format!("/api/v1/sites/{}/admin-key", site.id),
            &site.admin_key,
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    let new_key = issued["secret"].as_str().expect("key");
    assert!(new_key.starts_with("lk_") && new_key.len() >= 46);
    assert_envelope(
        app.get_auth("/api/v1/conversations", &site.admin_key).await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(
        app.get_auth("/api/v1/conversations", new_key)
            .await
            .status(),
        200
    );
}
on_both_backends!(admin_key_rotation, super::rotation);
