//! People in tests: members created straight in the database (as `lantern
//! user create` does), and a cookie-carrying "browser" that speaks to the
//! server the way the console does (session cookie, `X-Lantern-Request`,
//! same-origin fetch metadata).

use lantern_server::{accounts::password, db::Db};
use reqwest::{Method, Response};
use serde_json::Value;

use crate::TestApp;

/// The password every test member gets.
pub const PASSWORD: &str = "lantern test passphrase";

/// A member created for a test.
pub struct Person {
    pub id: String,
    pub email: String,
}

impl TestApp {
    /// Opens the app's database directly (setup that has no HTTP route).
    pub async fn db(&self) -> Db {
        Db::connect(&self.database_url)
            .await
            .expect("open the database")
    }

    /// A user with [`PASSWORD`] and `role` (`owner`/`agent`) on `site_id`.
    pub async fn person(&self, email: &str, site_id: &str, role: &str) -> Person {
        let db = self.db().await;
        let hash = password::hash(PASSWORD).await.expect("hash");
        let user = match db.user_by_email(email).await.expect("lookup") {
            Some(u) => u,
            None => db
                .create_user(email, "Test person", Some(&hash))
                .await
                .expect("create user"),
        };
        db.add_member(&user.id, site_id, role)
            .await
            .expect("add member");
        Person {
            id: user.id,
            email: email.to_string(),
        }
    }

    /// A browser with no session yet.
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookie: None,
        }
    }

    /// A browser signed in as `email` with [`PASSWORD`].
    pub async fn signed_in(&self, email: &str) -> Browser<'_> {
        let mut b = self.browser();
        let res = b
            .send(
                Method::POST,
                "/api/v1/session",
                Some(serde_json::json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(res.status(), 200, "sign-in of {email}");
        b
    }
}

/// Cookie jar of one: the session cookie.
pub struct Browser<'a> {
    app: &'a TestApp,
    /// `NAME=VALUE` of the session cookie, as last set.
    pub cookie: Option<String>,
}

/// What a page of this server sends with every write.
pub fn same_origin_headers(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("x-lantern-request", "1".into()),
        ("sec-fetch-site", "same-origin".into()),
        ("origin", app.base.clone()),
    ]
}

impl Browser<'_> {
    /// A request as the console makes it.
    pub async fn send(&mut self, method: Method, path: &str, body: Option<Value>) -> Response {
        let headers = same_origin_headers(self.app);
        self.send_with(method, path, body, &headers).await
    }

    /// A request with exactly `headers` besides the cookie.
    pub async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, String)],
    ) -> Response {
        let mut req = self.app.client.request(method, self.app.url(path));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request sent");
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().expect("ascii cookie");
            let pair = set.split(';').next().unwrap_or_default().trim();
            if pair.starts_with("__Host-lantern_session=") {
                let removed = set.to_ascii_lowercase().contains("max-age=0") || pair.ends_with('=');
                self.cookie = (!removed).then(|| pair.to_string());
            }
        }
        res
    }

    /// The same session, speaking to another instance (shared sessions).
    pub fn on<'b>(&self, app: &'b TestApp) -> Browser<'b> {
        Browser {
            app,
            cookie: self.cookie.clone(),
        }
    }

    /// A JSON request as the console makes it.
    pub async fn post(&mut self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }
}
