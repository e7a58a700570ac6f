//! People: sign-in and sessions, roles per site, CSRF on cookie writes,
//! invites, the last-owner rule, one-time links, admin keys — and the bad
//! input of each (an envelope error and nothing changed).

use lantern_tests::{Backend, TestApp, on_both_backends, people::PASSWORD};
use reqwest::Method;
use serde_json::{Value, json};

use crate::assert_envelope;

async fn body(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

/// Password sign-in, the cookie's attributes, rotation, sign-out (here and
/// everywhere), and wrong credentials that all look the same.
async fn sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    app.person("Ann@Example.com", &site.id, "owner").await;

    let mut b = app.browser();
    let wrong_pw = b
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "ann@example.com", "password": "not the password"})),
        )
        .await;
    let wrong_pw = assert_envelope(wrong_pw, 401, "unauthorized").await;
    let unknown = b
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "nobody@example.com", "password": PASSWORD})),
        )
        .await;
    let unknown = assert_envelope(unknown, 401, "unauthorized").await;
    assert_eq!(
        wrong_pw["message"], unknown["message"],
        "no hint whether the email exists"
    );
    assert!(b.cookie.is_none(), "no session for a failed sign-in");
    assert_envelope(
        b.send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "ann@example.com"})),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;

    // Email compared case-insensitively.
    let res = b
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "ANN@example.COM", "password": PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .expect("a cookie")
        .to_str()
        .expect("ascii")
        .to_string();
    for attr in [
        "__Host-lantern_session=",
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
    ] {
        assert!(set_cookie.contains(attr), "{attr} in {set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    let info = body(res).await;
    assert_eq!(info["user"]["email"], "Ann@Example.com");
    assert_eq!(
        info["memberships"],
        json!([{"site_id": site.id, "role": "owner", "site_name": "Test site"}])
    );
    let first = b.cookie.clone().expect("cookie kept");
    assert_eq!(
        body(b.get("/api/v1/me").await).await["user"]["email"],
        "Ann@Example.com"
    );

    // Signing in again rotates the id; the old one is dead.
    let res = b
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "ann@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let second = b.cookie.clone().expect("cookie");
    assert_ne!(first, second, "the session id changes at sign-in");
    let mut stale = app.browser();
    stale.cookie = Some(first);
    assert_envelope(stale.get("/api/v1/me").await, 401, "unauthorized").await;

    // Sign out here: this cookie stops working.
    let res = b.send(Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(res.status(), 204);
    let mut old = app.browser();
    old.cookie = Some(second);
    assert_envelope(old.get("/api/v1/me").await, 401, "unauthorized").await;

    // Sign out everywhere: another device's session ends too.
    let mut laptop = app.signed_in("ann@example.com").await;
    let mut phone = app.signed_in("ann@example.com").await;
    assert_eq!(phone.get("/api/v1/me").await.status(), 200);
    let res = laptop
        .send(Method::DELETE, "/api/v1/session?everywhere=true", None)
        .await;
    assert_eq!(res.status(), 204);
    assert_envelope(phone.get("/api/v1/me").await, 401, "unauthorized").await;
    assert_envelope(app.get("/api/v1/me").await, 401, "unauthorized").await;
}
on_both_backends!(accounts_sessions, super::sessions);

/// Agents are refused on every owner route; a member of one site is refused
/// on another; owners act like the site's admin key.
async fn roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    let b = app.site().await;
    app.person("owner@a.example", &a.id, "owner").await;
    app.person("agent@a.example", &a.id, "agent").await;
    let other = app.person("owner@b.example", &b.id, "owner").await;

    let mut owner = app.signed_in("owner@a.example").await;
    let mut agent = app.signed_in("agent@a.example").await;

    let site = format!("/api/v1/sites/{}", a.id);
    let owner_routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, site.clone(), None),
        (
            Method::PATCH,
            site.clone(),
            Some(json!({"bot_name": "Agent was here"})),
        ),
        (Method::POST, format!("{site}/admin-key"), None),
        (Method::POST, format!("{site}/identity-secret"), None),
        (Method::GET, format!("{site}/keys"), None),
        (
            Method::POST,
            format!("{site}/keys"),
            Some(json!({"label": "x"})),
        ),
        (Method::GET, format!("{site}/members"), None),
        (
            Method::PATCH,
            format!("{site}/members/{}", other.id),
            Some(json!({"role": "owner"})),
        ),
        (
            Method::POST,
            format!("{site}/invites"),
            Some(json!({"email": "x@example.com", "role": "owner"})),
        ),
        (Method::GET, format!("{site}/webhooks"), None),
        (
            Method::POST,
            format!("{site}/webhooks"),
            Some(json!({"url": "https://hooks.example/x", "events": ["message.created"]})),
        ),
        (Method::GET, "/api/v1/knowledge/documents".into(), None),
        (
            Method::POST,
            "/api/v1/knowledge/documents".into(),
            Some(json!({"title": "t", "body": "b"})),
        ),
    ];
    for (method, path, req) in &owner_routes {
        let res = agent.send(method.clone(), path, req.clone()).await;
        assert_eq!(res.status(), 403, "{method} {path}");
        assert_envelope(res, 403, "forbidden").await;
    }
    // Nothing the agent tried took effect.
    let settings = body(owner.get(&site).await).await;
    assert_eq!(settings["bot_name"], "Lantern");
    assert_eq!(
        body(owner.get(&format!("{site}/members")).await).await["items"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // The inbox is the agent's.
    assert_eq!(agent.get("/api/v1/conversations").await.status(), 200);
    // Public routes ignore the cookie: the widget in the same browser (the
    // console's preview, the demo page) is served as any visitor.
    let origin = [("origin", lantern_tests::app::ALLOWED_ORIGIN.to_string())];
    for path in [
        format!("{site}/visitors"),
        format!("/api/v1/sites/{}/visitors", b.id),
    ] {
        let res = agent
            .send_with(Method::POST, &path, Some(json!({})), &origin)
            .await;
        assert_eq!(res.status(), 201, "{path}");
    }

    // The owner may do what the admin key may, on their own site only.
    let res = owner
        .send(Method::PATCH, &site, Some(json!({"bot_name": "Owl"})))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["bot_name"], "Owl");
    for path in [
        format!("/api/v1/sites/{}", b.id),
        format!("/api/v1/sites/{}/members", b.id),
        format!("/api/v1/sites/{}/keys", b.id),
    ] {
        assert_envelope(owner.get(&path).await, 403, "forbidden").await;
    }
    assert_envelope(
        owner
            .send(
                Method::PATCH,
                &format!("/api/v1/sites/{}", b.id),
                Some(json!({"bot_name": "x"})),
            )
            .await,
        403,
        "forbidden",
    )
    .await;
    // Nor can an admin key of site B manage site A's team.
    let res = app.get_auth(&format!("{site}/members"), &b.admin_key).await;
    assert_envelope(res, 403, "forbidden").await;
    // The admin key of A can.
    assert_eq!(
        app.get_auth(&format!("{site}/members"), &a.admin_key)
            .await
            .status(),
        200
    );
}
on_both_backends!(accounts_roles, super::roles);

/// A removed member's session is shut out at once; the last owner stays.
async fn removal_and_last_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    let first = app.person("first@a.example", &a.id, "owner").await;
    let agent = app.person("agent@a.example", &a.id, "agent").await;
    let mut owner = app.signed_in("first@a.example").await;
    let mut agent_b = app.signed_in("agent@a.example").await;
    let members = format!("/api/v1/sites/{}/members", a.id);

    // The last owner can neither demote nor remove themself.
    let res = owner
        .send(
            Method::PATCH,
            &format!("{members}/{}", first.id),
            Some(json!({"role": "agent"})),
        )
        .await;
    assert_envelope(res, 409, "conflict").await;
    let res = owner
        .send(Method::DELETE, &format!("{members}/{}", first.id), None)
        .await;
    assert_envelope(res, 409, "conflict").await;
    let list = body(owner.get(&members).await).await;
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["user_id"] == first.id.as_str() && m["role"] == "owner")
    );
    assert_envelope(
        owner
            .send(
                Method::PATCH,
                &format!("{members}/{}", agent.id),
                Some(json!({"role": "boss"})),
            )
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_envelope(
        owner
            .send(Method::DELETE, &format!("{members}/nobody"), None)
            .await,
        404,
        "not_found",
    )
    .await;

    // Removing the agent ends their access at once.
    assert_eq!(agent_b.get("/api/v1/conversations").await.status(), 200);
    let res = owner
        .send(Method::DELETE, &format!("{members}/{}", agent.id), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_envelope(agent_b.get("/api/v1/conversations").await, 403, "forbidden").await;
    assert_eq!(
        body(agent_b.get("/api/v1/me").await).await["memberships"],
        json!([])
    );

    // With a second owner, the first may step down.
    let second = app.person("second@a.example", &a.id, "owner").await;
    let res = owner
        .send(
            Method::PATCH,
            &format!("{members}/{}", first.id),
            Some(json!({"role": "agent"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["role"], "agent");
    assert_envelope(owner.get(&members).await, 403, "forbidden").await;
    let mut second_b = app.signed_in("second@a.example").await;
    assert_envelope(
        second_b
            .send(Method::DELETE, &format!("{members}/{}", second.id), None)
            .await,
        409,
        "conflict",
    )
    .await;
}
on_both_backends!(accounts_removal, super::removal_and_last_owner);

/// Cookie writes need the custom header and a same-origin request; reads
/// and bearer-key writes do not.
async fn csrf(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    app.person("owner@a.example", &a.id, "owner").await;
    let mut owner = app.signed_in("owner@a.example").await;
    let site = format!("/api/v1/sites/{}", a.id);
    let change = Some(json!({"bot_name": "Forged"}));

    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![
            ("sec-fetch-site", "same-origin".into()),
            ("origin", app.base.clone()),
        ],
        vec![
            ("x-lantern-request", "1".into()),
            ("sec-fetch-site", "cross-site".into()),
            ("origin", "https://evil.example".into()),
        ],
        vec![
            ("x-lantern-request", "1".into()),
            ("sec-fetch-site", "same-site".into()),
        ],
        vec![
            ("x-lantern-request", "1".into()),
            ("origin", "https://evil.example".into()),
        ],
        vec![("x-lantern-request", "0".into())],
    ];
    for headers in &cases {
        let res = owner
            .send_with(Method::PATCH, &site, change.clone(), headers)
            .await;
        assert_envelope(res, 403, "forbidden").await;
        let res = owner
            .send_with(
                Method::POST,
                &format!("{site}/keys"),
                Some(json!({"label": "forged"})),
                headers,
            )
            .await;
        assert_envelope(res, 403, "forbidden").await;
        let res = owner
            .send_with(Method::DELETE, "/api/v1/session", None, headers)
            .await;
        assert_envelope(res, 403, "forbidden").await;
    }
    // Sign-in itself (login CSRF) is held to the same rule.
    let mut fresh = app.browser();
    let res = fresh
        .send_with(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "owner@a.example", "password": PASSWORD})),
            &[],
        )
        .await;
    assert_envelope(res, 403, "forbidden").await;
    // Nothing changed, and the session still works.
    let settings = body(owner.get(&site).await).await;
    assert_eq!(settings["bot_name"], "Lantern");
    assert_eq!(
        body(owner.get(&format!("{site}/keys")).await).await["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Reads need no header; a same-origin write with it passes.
    assert_eq!(
        owner
            .send_with(Method::GET, &site, None, &[])
            .await
            .status(),
        200
    );
    assert_eq!(owner.send(Method::PATCH, &site, change).await.status(), 200);
    // Bearer keys are unchanged: no header needed.
    let res = app
        .client
        .patch(app.url(&site))
        .bearer_auth(&a.admin_key)
        .json(&json!({"bot_name": "Key"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
}
on_both_backends!(accounts_csrf, super::csrf);

/// Invites: create, accept (weak password refused, nothing spent), reuse
/// refused; an existing account joins with its own password only.
async fn invites(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    let b = app.site().await;
    app.person("owner@a.example", &a.id, "owner").await;
    app.person("bob@b.example", &b.id, "owner").await;
    let mut owner = app.signed_in("owner@a.example").await;
    let invites = format!("/api/v1/sites/{}/invites", a.id);

    for bad in [
        json!({"email": "not-an-email", "role": "agent"}),
        json!({"email": "x@example.com", "role": "admin"}),
        json!({"email": "x@example.com"}),
    ] {
        assert_envelope(
            owner.send(Method::POST, &invites, Some(bad)).await,
            400,
            "validation_failed",
        )
        .await;
    }
    assert_envelope(
        owner
            .send(
                Method::POST,
                &invites,
                Some(json!({"email": "OWNER@a.example", "role": "agent"})),
            )
            .await,
        409,
        "conflict",
    )
    .await;

    let res = owner
        .send(
            Method::POST,
            &invites,
            Some(json!({"email": "Cleo@Example.com", "role": "agent"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invite = body(res).await;
    let url = invite["invite_url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/console/#invite=li_", app.base)),
        "{url}"
    );
    assert!(
        invite["expires_at"]
            .as_str()
            .is_some_and(|t| t.contains('T'))
    );
    let token = url.split("#invite=").nth(1).expect("token").to_string();

    let mut cleo = app.browser();
    for (pw, problem) in [("short", "12"), ("password1234", "common")] {
        let res = cleo
            .send(
                Method::POST,
                "/api/v1/invites/accept",
                Some(json!({"token": token, "name": "Cleo", "password": pw})),
            )
            .await;
        let err = assert_envelope(res, 400, "validation_failed").await;
        assert!(
            err["message"].as_str().is_some_and(|m| m.contains(problem)),
            "{err}"
        );
    }
    assert!(
        app.db()
            .await
            .user_by_email("cleo@example.com")
            .await
            .expect("db")
            .is_none(),
        "no account yet"
    );
    let res = cleo
        .send(
            Method::POST,
            "/api/v1/invites/accept",
            Some(json!({"token": token, "name": "Cleo", "password": "a long enough passphrase"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let info = body(res).await;
    assert_eq!(info["user"]["name"], "Cleo");
    assert_eq!(info["memberships"][0]["role"], "agent");
    assert_eq!(cleo.get("/api/v1/conversations").await.status(), 200);
    // Single use.
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/invites/accept",
            Some(json!({"token": token, "name": "Eve", "password": "another long passphrase"})),
        )
        .await;
    assert_envelope(res, 401, "unauthorized").await;
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/invites/accept",
            Some(
                json!({"token": "li_forged", "name": "Eve", "password": "another long passphrase"}),
            ),
        )
        .await;
    assert_envelope(res, 401, "unauthorized").await;

    // Bob already has an account (on site B): the invite does not let its
    // holder set his password.
    let res = owner
        .send(
            Method::POST,
            &invites,
            Some(json!({"email": "bob@b.example", "role": "owner"})),
        )
        .await;
    let token = body(res).await["invite_url"]
        .as_str()
        .expect("url")
        .split("#invite=")
        .nth(1)
        .expect("t")
        .to_string();
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/invites/accept",
            Some(json!({"token": token, "name": "Bob", "password": "attacker's new passphrase"})),
        )
        .await;
    assert_envelope(res, 401, "unauthorized").await;
    assert_eq!(
        body(app.signed_in("bob@b.example").await.get("/api/v1/me").await).await["memberships"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/invites/accept",
            Some(json!({"token": token, "name": "Bob", "password": PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        body(res).await["memberships"].as_array().map(Vec::len),
        Some(2)
    );

    // The team lists everyone.
    let list = body(owner.get(&format!("/api/v1/sites/{}/members", a.id)).await).await;
    let emails: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        ["owner@a.example", "Cleo@Example.com", "bob@b.example"]
    );
}
on_both_backends!(accounts_invites, super::invites);

/// One-time sign-in links: once, and not after they expire; a first owner
/// without a password sets one (weak refused, email taken refused).
async fn links_and_profile(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    app.person("taken@example.com", &a.id, "agent").await;
    let db = app.db().await;
    let user = db
        .create_user("first@example.com", "First", None)
        .await
        .expect("user");
    db.add_member(&user.id, &a.id, "owner")
        .await
        .expect("member");
    let (token, _) = lantern_server::accounts::issue_sign_in_link(&db, &user.id)
        .await
        .expect("link");

    // No password yet: password sign-in fails like any wrong password.
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "first@example.com", "password": PASSWORD})),
        )
        .await;
    assert_envelope(res, 401, "unauthorized").await;

    let mut b = app.browser();
    let res = b
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"link_token": token})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["password_set"], false);
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"link_token": token})),
        )
        .await;
    assert_envelope(res, 401, "unauthorized").await;

    let expired = "ll_expired-token";
    db.create_sign_in_link(
        &user.id,
        &lantern_server::auth::hash_secret(expired),
        chrono::Utc::now() - chrono::Duration::minutes(1),
    )
    .await
    .expect("link");
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"link_token": expired})),
        )
        .await;
    assert_envelope(res, 401, "unauthorized").await;

    // Profile: weak password, taken email (any case): refused, nothing changed.
    assert_envelope(
        b.send(
            Method::PATCH,
            "/api/v1/me",
            Some(json!({"password": "qwerty123456"})),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    assert_envelope(
        b.send(
            Method::PATCH,
            "/api/v1/me",
            Some(json!({"email": "TAKEN@example.com"})),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert_envelope(
        b.send(Method::PATCH, "/api/v1/me", Some(json!({"email": "nope"})))
            .await,
        400,
        "validation_failed",
    )
    .await;
    let me = body(b.get("/api/v1/me").await).await;
    assert_eq!(me["user"]["email"], "first@example.com");
    assert_eq!(me["password_set"], false);
    let res = b
        .send(Method::PATCH, "/api/v1/me", Some(json!({"email": "me@example.com", "name": "Me", "password": "my own long passphrase"})))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["password_set"], true);
    assert_eq!(
        b.get("/api/v1/me").await.status(),
        200,
        "this session continues"
    );
    // Changing it again needs the current one.
    assert_envelope(
        b.send(
            Method::PATCH,
            "/api/v1/me",
            Some(json!({"password": "yet another passphrase"})),
        )
        .await,
        400,
        "validation_failed",
    )
    .await;
    let res = app
        .browser()
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "ME@example.com", "password": "my own long passphrase"})),
        )
        .await;
    assert_eq!(res.status(), 200);

    // A duplicate email is refused by the database too.
    let dup = db.create_user("Taken@Example.com", "Dup", None).await;
    assert!(matches!(dup, Err(lantern_server::db::Error::Conflict(_))));
}
on_both_backends!(accounts_links, super::links_and_profile);

/// Admin keys: created with a label (shown once), listed with last use,
/// revoked one at a time.
async fn keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    app.person("owner@a.example", &a.id, "owner").await;
    let mut owner = app.signed_in("owner@a.example").await;
    let keys = format!("/api/v1/sites/{}/keys", a.id);

    assert_envelope(
        owner
            .send(Method::POST, &keys, Some(json!({"label": " "})))
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_envelope(
        owner
            .send(Method::POST, &keys, Some(json!({"label": "x".repeat(101)})))
            .await,
        400,
        "validation_failed",
    )
    .await;
    let res = owner
        .send(Method::POST, &keys, Some(json!({"label": "CRM sync"})))
        .await;
    assert_eq!(res.status(), 201);
    let created = body(res).await;
    let key = created["key"].as_str().expect("key").to_string();
    assert!(key.starts_with("lk_"));
    assert_eq!(
        app.get_auth(&format!("/api/v1/sites/{}", a.id), &key)
            .await
            .status(),
        200
    );

    let list = body(owner.get(&keys).await).await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{list}");
    let mine = items
        .iter()
        .find(|k| k["id"] == created["id"])
        .expect("listed");
    assert_eq!(mine["label"], "CRM sync");
    assert!(mine["last_used_at"].as_str().is_some(), "{mine}");
    assert!(
        mine.get("key").is_none() && !list.to_string().contains(&key),
        "never listed"
    );

    let res = owner
        .send(
            Method::DELETE,
            &format!("{keys}/{}", created["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_envelope(
        app.get_auth(&format!("/api/v1/sites/{}", a.id), &key).await,
        401,
        "unauthorized",
    )
    .await;
    assert_envelope(
        owner
            .send(
                Method::DELETE,
                &format!("{keys}/{}", created["id"].as_str().expect("id")),
                None,
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get_auth(&format!("/api/v1/sites/{}", a.id), &a.admin_key)
            .await
            .status(),
        200,
        "the other key still works"
    );
}
on_both_backends!(accounts_keys, super::keys);

/// Sign-in attempts are limited per account.
async fn sign_in_limits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    app.person("ann@example.com", &a.id, "owner").await;
    let mut b = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let res = b
            .send(
                Method::POST,
                "/api/v1/session",
                Some(json!({"email": "ann@example.com", "password": "wrong wrong wrong"})),
            )
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(statuses[10], 429);
    // Even the right password waits for the window.
    let res = b
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": "ann@example.com", "password": PASSWORD})),
        )
        .await;
    assert_envelope(res, 429, "rate_limited").await;
}
on_both_backends!(accounts_sign_in_limits, super::sign_in_limits);

/// Every people route is in the OpenAPI document, with its error statuses.
async fn documented(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = body(app.get("/openapi.json").await).await;
    let paths = &doc["paths"];
    for (path, method, statuses) in [
        ("/api/v1/session", "post", &["200", "401", "403", "429"][..]),
        ("/api/v1/session", "delete", &["204", "401"][..]),
        ("/api/v1/me", "get", &["200", "401"][..]),
        ("/api/v1/me", "patch", &["200", "400", "409"][..]),
        (
            "/api/v1/sites/{site_id}/members",
            "get",
            &["200", "403"][..],
        ),
        (
            "/api/v1/sites/{site_id}/members/{user_id}",
            "patch",
            &["200", "409"][..],
        ),
        (
            "/api/v1/sites/{site_id}/members/{user_id}",
            "delete",
            &["204", "409"][..],
        ),
        (
            "/api/v1/sites/{site_id}/invites",
            "post",
            &["201", "400", "403"][..],
        ),
        ("/api/v1/invites/accept", "post", &["200", "400", "401"][..]),
        ("/api/v1/sites/{site_id}/keys", "get", &["200", "403"][..]),
        ("/api/v1/sites/{site_id}/keys", "post", &["201", "400"][..]),
        (
            "/api/v1/sites/{site_id}/keys/{id}",
            "delete",
            &["204", "404"][..],
        ),
    ] {
        let op = &paths[path][method];
        assert!(op.is_object(), "{method} {path} is documented");
        for s in statuses {
            assert!(
                op["responses"][*s].is_object(),
                "{method} {path} documents {s}"
            );
        }
    }
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
}
on_both_backends!(accounts_documented, super::documented);

/// With Redis, sessions live there: a session made on one instance works on
/// another, and signing out on either ends it on both.
async fn shared_sessions(backend: Backend) {
    let prefix = format!("lantern-test-{}", uuid::Uuid::new_v4().simple());
    let (p1, p2) = (prefix.clone(), prefix.clone());
    let redis = lantern_tests::backend::redis_url();
    let r1 = redis.clone();
    let a = TestApp::spawn_with(backend, move |s| {
        s.redis_url = Some(r1.into());
        s.redis_prefix = p1;
    })
    .await;
    let b = TestApp::spawn_sharing(&a, move |s| {
        s.redis_url = Some(redis.into());
        s.redis_prefix = p2;
    })
    .await;
    a.wait_for_redis().await;
    b.wait_for_redis().await;
    let site = a.site().await;
    a.person("ann@example.com", &site.id, "owner").await;

    let on_a = a.signed_in("ann@example.com").await;
    let mut conn = redis::Client::open(lantern_tests::backend::redis_url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:session:*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    assert_eq!(keys.len(), 1, "the session is in Redis: {keys:?}");
    let mut on_b = b.browser();
    on_b.cookie = on_a.cookie.clone();
    assert_eq!(
        on_b.get("/api/v1/me").await.status(),
        200,
        "instance B knows A's session"
    );
    assert_eq!(
        on_b.send(Method::DELETE, "/api/v1/session", None)
            .await
            .status(),
        204
    );
    let mut again_a = a.browser();
    again_a.cookie = on_a.cookie.clone();
    assert_envelope(again_a.get("/api/v1/me").await, 401, "unauthorized").await;
}
on_both_backends!(accounts_shared_sessions, super::shared_sessions);

/// A signed-in person creates a site and becomes its owner; bad input and
/// cross-site or anonymous attempts change nothing.
async fn new_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.site().await;
    let b = app.site().await;
    app.person("agent@a.example", &a.id, "agent").await;
    let mut only_agent = app.signed_in("agent@a.example").await;
    // An agent and nothing more may not open sites on the server.
    assert_envelope(
        only_agent
            .send(Method::POST, "/api/v1/sites", Some(json!({"name": "Mine"})))
            .await,
        403,
        "forbidden",
    )
    .await;
    // Someone who owns a site (b) and is an agent on another (a) may.
    app.person("owner@b.example", &b.id, "owner").await;
    app.person("owner@b.example", &a.id, "agent").await;
    let mut agent = app.signed_in("owner@b.example").await;

    assert_envelope(
        app.client
            .post(app.url("/api/v1/sites"))
            .json(&json!({"name": "Mine"}))
            .send()
            .await
            .expect("sent"),
        401,
        "unauthorized",
    )
    .await;
    assert_envelope(
        agent
            .send_with(
                Method::POST,
                "/api/v1/sites",
                Some(json!({"name": "Mine"})),
                &[],
            )
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_envelope(
        agent
            .send(Method::POST, "/api/v1/sites", Some(json!({"name": " "})))
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_envelope(
        agent
            .send(
                Method::POST,
                "/api/v1/sites",
                Some(json!({"name": "Mine", "allowed_origins": ["not an origin"]})),
            )
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(
        body(agent.get("/api/v1/me").await).await["memberships"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let res = agent
        .send(
            Method::POST,
            "/api/v1/sites",
            Some(json!({"name": "Mine", "allowed_origins": ["https://mine.example"]})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created = body(res).await;
    let id = created["site_id"].as_str().expect("id").to_string();
    assert!(
        created["admin_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("lk_"))
    );
    let me = body(agent.get("/api/v1/me").await).await;
    assert!(
        me["memberships"]
            .as_array()
            .expect("list")
            .iter()
            .any(|m| m["site_id"] == id.as_str() && m["role"] == "owner")
    );
    // Owner there, still only an agent on site a.
    assert_eq!(
        agent.get(&format!("/api/v1/sites/{id}")).await.status(),
        200
    );
    assert_envelope(
        agent.get(&format!("/api/v1/sites/{}", a.id)).await,
        403,
        "forbidden",
    )
    .await;
}
on_both_backends!(accounts_new_site, super::new_site);
