//! The caches of callers, sites and conversations (`server/src/db/cached.rs`):
//! every change is seen at once, by the instance that made it and — through
//! Redis — by the others, although each request after the first is served
//! from memory. And what the caches save: database round trips per exchange.

use lantern_tests::{
    Backend, TestApp, app::ALLOWED_ORIGIN, backend::redis_url, on_both_backends,
    people::same_origin_headers, pgproxy::CountingProxy,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::assert_envelope;

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.expect("request sent")
}

async fn json(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

/// Each change is made on `a` after `b` has the thing cached, and `b` must
/// see it on the very next request. With `a` and `b` the same instance,
/// local invalidation is what is tested.
async fn story(a: &TestApp, b: &TestApp) {
    let site = a.site().await;
    let site_path = format!("/api/v1/sites/{}", site.id);

    // A revoked admin key stops at once.
    let created = json(
        send(
            a,
            Method::POST,
            &format!("{site_path}/keys"),
            &site.admin_key,
            Some(json!({"label": "doomed"})),
        )
        .await,
    )
    .await;
    let (key, key_id) = (
        created["key"].as_str().expect("key"),
        created["id"].as_str().expect("id"),
    );
    for _ in 0..2 {
        assert_eq!(b.get_auth("/api/v1/conversations", key).await.status(), 200);
    }
    let res = send(
        a,
        Method::DELETE,
        &format!("{site_path}/keys/{key_id}"),
        &site.admin_key,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_envelope(
        b.get_auth("/api/v1/conversations", key).await,
        401,
        "unauthorized",
    )
    .await;

    // A site's settings: the widget config and the answers' bot name.
    let config = format!("{site_path}/config");
    assert_eq!(json(b.get(&config).await).await["bot_name"], "Lantern");
    let res = send(
        a,
        Method::PATCH,
        &site_path,
        &site.admin_key,
        Some(json!({"bot_name": "Changed on A"})),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(b.get(&config).await).await["bot_name"], "Changed on A");
    // Origins too: a browser on a dropped origin is refused at once.
    let visitor = a.visitor(&site.id).await;
    let conversations = |app: &TestApp| {
        app.client
            .get(app.url("/api/v1/conversations"))
            .bearer_auth(&visitor)
            .header("origin", ALLOWED_ORIGIN)
    };
    assert_eq!(conversations(b).send().await.expect("sent").status(), 200);
    let res = send(
        a,
        Method::PATCH,
        &site_path,
        &site.admin_key,
        Some(json!({"allowed_origins": ["https://other.example"]})),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_envelope(
        conversations(b).send().await.expect("sent"),
        403,
        "forbidden",
    )
    .await;
    let res = send(
        a,
        Method::PATCH,
        &site_path,
        &site.admin_key,
        Some(json!({"allowed_origins": [ALLOWED_ORIGIN]})),
    )
    .await;
    assert_eq!(res.status(), 200);

    // A deleted conversation is gone for its visitor on every instance.
    let id = a.conversation_id(&visitor).await;
    let messages = format!("/api/v1/conversations/{id}/messages");
    let res = b
        .post_json(&messages, &visitor, &json!({"content": "hello"}))
        .await;
    assert_eq!(res.status(), 201);
    let res = send(
        a,
        Method::DELETE,
        &format!("/api/v1/conversations/{id}"),
        &site.admin_key,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_envelope(
        b.post_json(&messages, &visitor, &json!({"content": "again"}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_envelope(
        b.get_auth(&format!("/api/v1/conversations/{id}"), &visitor)
            .await,
        404,
        "not_found",
    )
    .await;

    // A closed conversation refuses its visitor at once (status is cached).
    let id = a.conversation_id(&visitor).await;
    let messages = format!("/api/v1/conversations/{id}/messages");
    assert_eq!(
        b.post_json(&messages, &visitor, &json!({"content": "one"}))
            .await
            .status(),
        201
    );
    let res = a
        .post_json(
            &format!("/api/v1/conversations/{id}/close"),
            &site.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_envelope(
        b.post_json(&messages, &visitor, &json!({"content": "two"}))
            .await,
        409,
        "conflict",
    )
    .await;

    // An erased visitor's token stops at once.
    let visitor_id = a.conversation(&visitor).await["visitor_id"]
        .as_str()
        .expect("visitor id")
        .to_string();
    assert_eq!(
        b.get_auth("/api/v1/conversations", &visitor).await.status(),
        200
    );
    let res = send(
        a,
        Method::DELETE,
        &format!("/api/v1/visitors/{visitor_id}"),
        &site.admin_key,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_envelope(
        b.get_auth("/api/v1/conversations", &visitor).await,
        401,
        "unauthorized",
    )
    .await;

    // A removed member's session stops reaching the site at once (the
    // site named, as the console does, so the cached role is what counts).
    let email = format!("agent-{}@example.com", uuid::Uuid::new_v4().simple());
    let agent = a.person(&email, &site.id, "agent").await;
    let on_a = a.signed_in(&email).await;
    let mut on_b = on_a.on(b);
    let mut headers = same_origin_headers(b);
    headers.push(("x-lantern-site", site.id.clone()));
    for _ in 0..2 {
        let res = on_b
            .send_with(Method::GET, "/api/v1/conversations", None, &headers)
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = send(
        a,
        Method::DELETE,
        &format!("{site_path}/members/{}", agent.id),
        &site.admin_key,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    let res = on_b
        .send_with(Method::GET, "/api/v1/conversations", None, &headers)
        .await;
    assert_envelope(res, 403, "forbidden").await;

    // "Sign out everywhere" on A ends the person's other sessions on B.
    let owner_email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
    a.person(&owner_email, &site.id, "owner").await;
    let mut owner_a = a.signed_in(&owner_email).await;
    let mut second = a.signed_in(&owner_email).await.on(b);
    for _ in 0..2 {
        let res = second
            .send_with(Method::GET, "/api/v1/conversations", None, &headers)
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = owner_a
        .send(Method::DELETE, "/api/v1/session?everywhere=true", None)
        .await;
    assert_eq!(res.status(), 204);
    let res = second
        .send_with(Method::GET, "/api/v1/conversations", None, &headers)
        .await;
    assert_envelope(res, 401, "unauthorized").await;

    // A rotated admin key: the old one stops at once.
    assert_eq!(
        b.get_auth("/api/v1/conversations", &site.admin_key)
            .await
            .status(),
        200
    );
    let res = send(
        a,
        Method::POST,
        &format!("{site_path}/admin-key"),
        &site.admin_key,
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_envelope(
        b.get_auth("/api/v1/conversations", &site.admin_key).await,
        401,
        "unauthorized",
    )
    .await;
}

async fn one_instance(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    story(&app, &app).await;
}
on_both_backends!(cache_changes_apply_at_once, super::one_instance);

fn prefix() -> String {
    format!("lantern-test-{}", uuid::Uuid::new_v4().simple())
}

/// Two instances on one Postgres database sharing Redis: each change made
/// on A is seen on B's next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_changes_cross_instances() {
    let (p, redis) = (prefix(), redis_url());
    let (p1, r1) = (p.clone(), redis.clone());
    let a = TestApp::spawn_with(Backend::Postgres, move |s| {
        s.redis_url = Some(r1.into());
        s.redis_prefix = p1;
    })
    .await;
    let b = TestApp::spawn_sharing(&a, move |s| {
        s.redis_url = Some(redis.into());
        s.redis_prefix = p;
    })
    .await;
    a.wait_for_redis().await;
    b.wait_for_redis().await;
    story(&a, &b).await;
}

/// Database round trips of one visitor exchange (a widget's post: bearer
/// token and `Origin`), counted by a proxy in front of Postgres, with the
/// caches off and on. Prints the figures; asserts only that the caches
/// take the caller, site and conversation reads off the exchange.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_round_trips_per_exchange() {
    const EXCHANGES: u64 = 20;
    let db = Backend::Postgres.fresh_database().await;
    let proxy = CountingProxy::start(upstream()).await;
    let (head, name) = db.url.rsplit_once('/').expect("a database name");
    let (server, _) = head.rsplit_once(['@', '/']).expect("a host");
    let sep = if head.contains('@') { '@' } else { '/' };
    let proxied = format!(
        "{server}{sep}127.0.0.1:{}/{name}?sslmode=disable",
        proxy.port
    );
    let mut per = Vec::new();
    for ttl in [0, 60] {
        let app = TestApp::spawn_on(&proxied, |s| {
            s.cache_ttl = std::time::Duration::from_secs(ttl)
        })
        .await;
        let site = app.site().await;
        let visitor = app.visitor(&site.id).await;
        let id = app.conversation_id(&visitor).await;
        let post = |n: u64| {
            app.client
                .post(app.url(&format!("/api/v1/conversations/{id}/messages")))
                .bearer_auth(&visitor)
                .header("origin", ALLOWED_ORIGIN)
                .json(&json!({"content": format!("question number {n} about shipping")}))
                .send()
        };
        // One exchange first, so the caches are warm where they are on.
        assert_eq!(post(0).await.expect("sent").status(), 201);
        let before = proxy.counters.snapshot();
        for n in 1..=EXCHANGES {
            assert_eq!(post(n).await.expect("sent").status(), 201);
        }
        let c = proxy.counters.snapshot() - before;
        let (trips, statements) = (
            c.round_trips as f64 / EXCHANGES as f64,
            c.statements as f64 / EXCHANGES as f64,
        );
        println!(
            "LANTERN_CACHE_TTL_SECS={ttl}: {trips:.1} round trips, {statements:.1} statements, {:.2} commits per exchange ({EXCHANGES} exchanges, Postgres, debug build)",
            c.commits as f64 / EXCHANGES as f64
        );
        per.push(statements);
    }
    // Token, site (origin check and answer) and conversation: at least
    // three statements fewer.
    assert!(
        per[1] + 3.0 <= per[0],
        "statements per exchange, off then on: {per:?}"
    );
}

fn upstream() -> String {
    let server = lantern_tests::backend::postgres_server_url();
    let (base, _) = server.rsplit_once('/').expect("URL has a database path");
    base.rsplit(['@', '/'])
        .next()
        .expect("host:port")
        .to_string()
}
