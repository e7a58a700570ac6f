//! Rate limits: per visitor and per IP, in process and shared through Redis.

use lantern_tests::{Backend, TestApp, backend::redis_url};
use serde_json::json;

use crate::assert_envelope;

fn unique_prefix() -> String {
    format!("lantern-test-{}", uuid::Uuid::new_v4().simple())
}

async fn api_get(app: &TestApp, headers: &[(&str, String)]) -> reqwest::Response {
    let mut req = app.client.get(app.url("/api/v1/sites/demo/config"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await.expect("sent")
}

#[tokio::test]
async fn visitor_budget_refuses_with_retry_after_and_stores_nothing() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.rate_limit_visitor = 3).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await; // 1
    let path = format!("/api/v1/conversations/{id}/messages");
    for i in 0..2 {
        let res = app
            .post_json(&path, &visitor, &json!({"content": format!("m{i}")}))
            .await; // 2, 3
        assert_eq!(res.status(), 201);
    }
    let res = app
        .post_json(&path, &visitor, &json!({"content": "one too many"}))
        .await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    assert_eq!(res.headers()["ratelimit-limit"], "3");
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    assert_envelope(res, 429, "rate_limited").await;
    let page: serde_json::Value = app
        .get_auth(&format!("{path}?limit=100"), &visitor)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|m| m["content"] != "one too many"),
        "a refused message is not stored"
    );
    // Another visitor has its own budget.
    let other = app.visitor(&site.id).await;
    assert_eq!(
        app.post_json("/api/v1/conversations", &other, &json!({}))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn ip_budget_ignores_forwarded_headers_from_untrusted_peers() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.rate_limit_ip = 5).await;
    for i in 0..5 {
        let res = api_get(&app, &[("x-forwarded-for", format!("198.51.100.{i}"))]).await;
        assert_eq!(res.status(), 200, "request {i}");
        assert!(res.headers().contains_key("ratelimit-remaining"));
    }
    // Claiming yet another address from an untrusted peer changes nothing.
    let res = api_get(
        &app,
        &[
            ("x-forwarded-for", "203.0.113.77".into()),
            ("cf-connecting-ip", "203.0.113.78".into()),
        ],
    )
    .await;
    assert_envelope(res, 429, "rate_limited").await;
    // Non-API paths are not counted.
    assert_eq!(app.get("/health/live").await.status(), 200);
}

#[tokio::test]
async fn trusted_proxies_forward_the_client_ip() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.rate_limit_ip = 2;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
        s.trusted_proxies_cloudflare = true;
    })
    .await;
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        for _ in 0..2 {
            let res = api_get(&app, &[("cf-connecting-ip", client.into())]).await;
            assert_eq!(res.status(), 200, "{client} has its own budget");
        }
    }
    assert_envelope(
        api_get(&app, &[("cf-connecting-ip", "198.51.100.1".into())]).await,
        429,
        "rate_limited",
    )
    .await;
}

/// Behind proxies that are not Cloudflare's, `CF-Connecting-IP` is whatever
/// the client wrote: it is ignored and `X-Forwarded-For` counts.
#[tokio::test]
async fn cf_connecting_ip_is_believed_only_behind_cloudflare() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.rate_limit_ip = 2;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
    })
    .await;
    for forged in ["198.51.100.1", "198.51.100.2"] {
        let res = api_get(&app, &[("cf-connecting-ip", forged.into())]).await;
        assert_eq!(res.status(), 200);
    }
    assert_envelope(
        api_get(&app, &[("cf-connecting-ip", "198.51.100.3".into())]).await,
        429,
        "rate_limited",
    )
    .await;
    // X-Forwarded-For from the trusted proxy still names the client.
    let res = api_get(&app, &[("x-forwarded-for", "198.51.100.9".into())]).await;
    assert_eq!(res.status(), 200);
}

/// IPv6 clients are counted per /64: rotating the low 64 bits gets no
/// fresh budget.
#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.rate_limit_ip = 2;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
    })
    .await;
    for client in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
        let res = api_get(&app, &[("x-forwarded-for", client.into())]).await;
        assert_eq!(res.status(), 200, "{client}");
    }
    assert_envelope(
        api_get(&app, &[("x-forwarded-for", "2001:db8:1:2:ffff::3".into())]).await,
        429,
        "rate_limited",
    )
    .await;
    let res = api_get(&app, &[("x-forwarded-for", "2001:db8:1:3::1".into())]).await;
    assert_eq!(res.status(), 200, "another /64 has its own budget");
}

#[tokio::test]
async fn two_instances_share_one_budget_through_redis() {
    let prefix = unique_prefix();
    let configure = |s: &mut lantern_server::settings::Settings| {
        s.rate_limit_ip = 6;
        s.redis_url = Some(redis_url().into());
        s.redis_prefix = prefix.clone();
    };
    let a = TestApp::spawn_with(Backend::Sqlite, configure).await;
    let b = TestApp::spawn_with(Backend::Sqlite, configure).await;
    a.wait_for_redis().await;
    b.wait_for_redis().await;
    for app in [&a, &b, &a, &b, &a, &b] {
        assert_eq!(api_get(app, &[]).await.status(), 200);
    }
    assert_envelope(api_get(&a, &[]).await, 429, "rate_limited").await;
    assert_envelope(api_get(&b, &[]).await, 429, "rate_limited").await;
    // The budget lives in Redis, under the configured prefix.
    let client = redis::Client::open(redis_url()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let count: i64 = redis::cmd("GET")
        .arg(format!("{prefix}:rl:ip:127.0.0.1"))
        .query_async(&mut conn)
        .await
        .expect("GET");
    // 6 allowed + 2 refused, plus the 2 readiness probes are not API calls.
    assert_eq!(count, 8);
}

/// Mints a visitor for `site_id` from a browser at `ip` (believed through
/// the trusted proxy), or with the admin key when `admin_key` is given.
async fn new_visitor(
    app: &TestApp,
    site_id: &str,
    ip: &str,
    admin_key: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/sites/{site_id}/visitors")))
        .header("x-forwarded-for", ip)
        .json(&json!({}));
    req = match admin_key {
        Some(key) => req.bearer_auth(key),
        None => req.header("origin", lantern_tests::app::ALLOWED_ORIGIN),
    };
    req.send().await.expect("sent")
}

/// Each visitor has its own message budget, so minting visitors is limited
/// per client address (an IPv6 /64 counts as one) and per site; a site's
/// own servers (admin key) are not.
#[tokio::test]
async fn new_visitors_are_limited_per_address_and_per_site() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
        s.rate_limit_new_visitors_ip = 2;
        s.rate_limit_new_visitors_site = 5;
    })
    .await;
    let site = app.site().await;
    for ip in ["2001:db8:1:1::1", "2001:db8:1:1::2"] {
        assert_eq!(new_visitor(&app, &site.id, ip, None).await.status(), 201);
    }
    // A third address of the same /64: refused, with a retry time.
    let res = new_visitor(&app, &site.id, "2001:db8:1:1::3", None).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_envelope(res, 429, "rate_limited").await;
    // The site's own server is not limited this way.
    let res = new_visitor(&app, &site.id, "2001:db8:1:1::3", Some(&site.admin_key)).await;
    assert_eq!(res.status(), 201);
    // Other addresses go on until the site's budget (5) is spent.
    for ip in ["198.51.100.1", "198.51.100.1", "198.51.100.2"] {
        assert_eq!(
            new_visitor(&app, &site.id, ip, None).await.status(),
            201,
            "{ip}"
        );
    }
    let res = new_visitor(&app, &site.id, "198.51.100.3", None).await;
    assert_envelope(res, 429, "rate_limited").await;
    // Another site has a budget of its own.
    let other = app.site().await;
    assert_eq!(
        new_visitor(&app, &other.id, "198.51.100.4", None)
            .await
            .status(),
        201
    );
}
