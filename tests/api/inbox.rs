//! The operator inbox: assigning, private notes, authors, waiting time,
//! unread counts, search, snooze and its wake-up, canned responses, the
//! members' site stream (resume, typing, removal), reopening by reply —
//! on both backends — and the site stream across two instances.

use std::time::Duration;

use lantern_tests::{Backend, TestApp, on_both_backends, people::Browser, sse::SseReader};
use reqwest::Method;
use serde_json::{Value, json};

use crate::assert_envelope;

const WAIT: Duration = Duration::from_secs(10);

async fn body(res: reqwest::Response) -> Value {
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert!(status.is_success(), "{status}: {v}");
    v
}

/// The one conversation with `id` in a list page.
fn find<'a>(page: &'a Value, id: &str) -> Option<&'a Value> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == id)
}

/// A site with an owner (Olive) and an agent (Sam), both signed in, and a
/// visitor's conversation handed to a human with one question waiting.
struct Inbox<'a> {
    site: lantern_tests::app::SiteKeys,
    owner: Browser<'a>,
    owner_id: String,
    agent: Browser<'a>,
    agent_id: String,
    visitor: String,
    conv: String,
}

async fn inbox(app: &TestApp) -> Inbox<'_> {
    let site = app.site().await;
    let owner_id = app.person("olive@a.example", &site.id, "owner").await.id;
    let agent_id = app.person("sam@a.example", &site.id, "agent").await.id;
    let owner = app.signed_in("olive@a.example").await;
    let agent = app.signed_in("sam@a.example").await;
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation_id(&visitor).await;
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv}/handoff"),
            &visitor,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv}/messages"),
            &visitor,
            &json!({"content": "My parcel never came"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    Inbox {
        site,
        owner,
        owner_id,
        agent,
        agent_id,
        visitor,
        conv,
    }
}

/// Notes stay with members; a member's reply carries their name, claims
/// the hand-over (the visitor reads "NAME joined" first) and ends the wait;
/// unread counts are per member; assign, filters and search.
async fn assign_notes_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Inbox {
        site,
        mut owner,
        owner_id,
        mut agent,
        agent_id,
        visitor,
        conv,
        ..
    } = inbox(&app).await;
    let messages = format!("/api/v1/conversations/{conv}/messages");

    // Waiting, unassigned, unread for both members.
    let page = body(agent.get("/api/v1/conversations?status=handoff").await).await;
    let c = find(&page, &conv).expect("listed").clone();
    assert!(
        c["waiting_since"].as_str().is_some_and(|t| t.contains('T')),
        "{c}"
    );
    assert!(c["assignee_id"].is_null(), "{c}");
    assert_eq!(c["snoozed_until"], Value::Null);
    assert_eq!(c["unread"], 1, "{c}");
    let page = body(owner.get("/api/v1/conversations?assignee=none").await).await;
    assert_eq!(find(&page, &conv).expect("unassigned")["unread"], 1);

    // A private note: members and admin keys see it, the visitor never.
    let note = body(
        agent
            .post(
                &messages,
                json!({"content": "VIP customer, be kind", "internal": true}),
            )
            .await,
    )
    .await;
    assert_eq!(note["message"]["internal"], true);
    assert_eq!(note["message"]["role"], "agent");
    assert_eq!(note["message"]["author"]["id"], agent_id.as_str());
    assert!(note["reply"].is_null());
    let seen_by_visitor = body(app.get_auth(&messages, &visitor).await).await;
    assert!(
        !seen_by_visitor.to_string().contains("VIP customer"),
        "{seen_by_visitor}"
    );
    let seen_by_key = body(app.get_auth(&messages, &site.admin_key).await).await;
    assert!(seen_by_key.to_string().contains("VIP customer"));
    // The visitor's thumbs on the welcome show to the team only.
    let welcome = seen_by_visitor["items"][0]["id"]
        .as_str()
        .expect("welcome")
        .to_string();
    let res = app
        .post_json(
            &format!("/api/v1/messages/{welcome}/feedback"),
            &visitor,
            &json!({"rating": "down"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let team_view = body(agent.get(&messages).await).await;
    assert_eq!(team_view["items"][0]["rating"], "down");
    let visitor_view = body(app.get_auth(&messages, &visitor).await).await;
    assert!(
        visitor_view["items"][0].get("rating").is_none(),
        "{visitor_view}"
    );
    let mut from_start = SseReader::new(
        app.get_auth(
            &format!("/api/v1/conversations/{conv}/events?after=0"),
            &visitor,
        )
        .await,
    );
    let mut replayed = Vec::new();
    while let Some(e) = from_start.next(Duration::from_millis(500)).await {
        replayed.push(e);
    }
    assert!(!replayed.is_empty(), "the history replays");
    assert!(
        !format!("{replayed:?}").contains("VIP customer"),
        "no note in the visitor's stream: {replayed:?}"
    );
    // A visitor cannot write notes, nor post as an agent.
    assert_envelope(
        app.post_json(
            &messages,
            &visitor,
            &json!({"content": "x", "internal": true}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // A note's client id does not hand the note to a visitor repeating it.
    body(
        agent
            .post(
                &messages,
                json!({"content": "secret", "internal": true, "client_message_id": "n-1"}),
            )
            .await,
    )
    .await;
    assert_envelope(
        app.post_json(
            &messages,
            &visitor,
            &json!({"content": "hi", "client_message_id": "n-1"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;

    // The agent replies: named, assigned, no longer waiting, and read.
    let reply = body(
        agent
            .post(&messages, json!({"content": "Hello, Sam here."}))
            .await,
    )
    .await;
    assert_eq!(reply["message"]["role"], "agent");
    assert_eq!(reply["message"]["author"]["id"], agent_id.as_str());
    assert_eq!(reply["message"]["author"]["name"], "Test person");
    let fetched = body(agent.get(&format!("/api/v1/conversations/{conv}")).await).await;
    assert_eq!(fetched["assignee_id"], agent_id.as_str());
    let as_visitor = body(
        app.get_auth(&format!("/api/v1/conversations/{conv}"), &visitor)
            .await,
    )
    .await;
    assert!(
        as_visitor["assignee_id"].is_null(),
        "visitors are not told who: {as_visitor}"
    );
    assert!(fetched["waiting_since"].is_null(), "{fetched}");
    let transcript = body(app.get_auth(&messages, &visitor).await).await;
    let items = transcript["items"].as_array().expect("items");
    let joined = items
        .iter()
        .position(|m| {
            m["role"] == "system" && m["content"] == "Test person joined the conversation"
        })
        .expect("the visitor reads who joined");
    let answered = items
        .iter()
        .position(|m| m["content"] == "Hello, Sam here.")
        .expect("the reply");
    assert!(joined < answered, "joined before the reply");
    assert_eq!(items[answered]["author"]["name"], "Test person");

    // Unread: the agent read what they answered; the owner has not.
    let page = body(agent.get("/api/v1/conversations").await).await;
    assert_eq!(find(&page, &conv).expect("listed")["unread"], 0);
    let page = body(owner.get("/api/v1/conversations").await).await;
    assert_eq!(find(&page, &conv).expect("listed")["unread"], 1);
    body(
        app.post_json(
            &messages,
            &visitor,
            &json!({"content": "Thanks! Order 4417"}),
        )
        .await,
    )
    .await;
    let page = body(agent.get("/api/v1/conversations").await).await;
    let c = find(&page, &conv).expect("listed").clone();
    assert_eq!(c["unread"], 1);
    assert!(
        c["waiting_since"].is_string(),
        "the visitor waits again: {c}"
    );
    let res = agent
        .post(&format!("/api/v1/conversations/{conv}/read"), json!({}))
        .await;
    assert_eq!(res.status(), 204);
    let page = body(agent.get("/api/v1/conversations").await).await;
    assert_eq!(find(&page, &conv).expect("listed")["unread"], 0);
    assert_eq!(
        find(&body(owner.get("/api/v1/conversations").await).await, &conv).expect("listed")["unread"],
        2
    );

    // Assign to the owner; the filters follow.
    let assigned = body(
        agent
            .post(
                &format!("/api/v1/conversations/{conv}/assign"),
                json!({"user_id": owner_id}),
            )
            .await,
    )
    .await;
    assert_eq!(assigned["assignee_id"], owner_id.as_str());
    assert!(
        find(
            &body(owner.get("/api/v1/conversations?assignee=me").await).await,
            &conv
        )
        .is_some()
    );
    assert!(
        find(
            &body(agent.get("/api/v1/conversations?assignee=me").await).await,
            &conv
        )
        .is_none()
    );
    assert!(
        find(
            &body(agent.get("/api/v1/conversations?assignee=none").await).await,
            &conv
        )
        .is_none()
    );
    assert!(
        find(
            &body(
                agent
                    .get(&format!("/api/v1/conversations?assignee={owner_id}"))
                    .await
            )
            .await,
            &conv
        )
        .is_some()
    );
    assert_envelope(
        agent
            .post(
                &format!("/api/v1/conversations/{conv}/assign"),
                json!({"user_id": "00000000-0000-0000-0000-000000000000"}),
            )
            .await,
        400,
        "validation_failed",
    )
    .await;
    assert_envelope(
        app.get_auth("/api/v1/conversations?assignee=me", &site.admin_key)
            .await,
        400,
        "validation_failed",
    )
    .await;

    // Search over message text (notes included for members).
    for (q, hit) in [
        ("parcel", true),
        ("ORDER 44", true),
        ("vip", true),
        ("zebra", false),
        ("100%", false),
    ] {
        let page = body(
            agent
                .get(&format!("/api/v1/conversations?q={}", urlencode(q)))
                .await,
        )
        .await;
        assert_eq!(find(&page, &conv).is_some(), hit, "q={q}");
    }
    let mine = body(app.get_auth("/api/v1/conversations?q=vip", &visitor).await).await;
    assert!(
        find(&mine, &conv).is_none(),
        "a visitor's search skips notes"
    );

    // Close, then reply: the reply reopens it as a hand-over, and says so.
    body(
        agent
            .post(&format!("/api/v1/conversations/{conv}/close"), json!({}))
            .await,
    )
    .await;
    assert_envelope(
        app.post_json(&messages, &visitor, &json!({"content": "one more thing"}))
            .await,
        409,
        "conflict",
    )
    .await;
    let reopened = body(
        agent
            .post(&messages, json!({"content": "Following up"}))
            .await,
    )
    .await;
    assert_eq!(reopened["reopened"], true);
    let fetched = body(agent.get(&format!("/api/v1/conversations/{conv}")).await).await;
    assert_eq!(fetched["status"], "handoff");

    // Hand back to the bot: open and unassigned.
    let released = body(
        agent
            .post(&format!("/api/v1/conversations/{conv}/release"), json!({}))
            .await,
    )
    .await;
    assert_eq!(released["status"], "open");
    assert!(released["assignee_id"].is_null());

    // Another site's key and members see nothing of it.
    let other = app.site().await;
    app.person("x@b.example", &other.id, "agent").await;
    let mut stranger = app.signed_in("x@b.example").await;
    for path in ["assign", "release", "snooze", "typing", "read", "messages"] {
        let url = format!("/api/v1/conversations/{conv}/{path}");
        let payload = match path {
            "assign" => json!({"user_id": null}),
            "snooze" => json!({"until": null}),
            "typing" => json!({"typing": true}),
            "messages" => json!({"content": "hi"}),
            _ => json!({}),
        };
        assert_envelope(stranger.post(&url, payload.clone()).await, 404, "not_found").await;
        assert_envelope(
            app.post_json(&url, &other.admin_key, &payload).await,
            404,
            "not_found",
        )
        .await;
    }

    // A removed agent loses the inbox at once.
    let res = owner
        .send(
            Method::DELETE,
            &format!("/api/v1/sites/{}/members/{agent_id}", site.id),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_envelope(
        agent
            .post(
                &format!("/api/v1/conversations/{conv}/assign"),
                json!({"user_id": null}),
            )
            .await,
        403,
        "forbidden",
    )
    .await;
}
on_both_backends!(inbox_assign_notes_unread, super::assign_notes_unread);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Snoozed until later; a visitor's message wakes it. Bad times refused.
async fn snooze(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Inbox {
        mut agent,
        visitor,
        conv,
        ..
    } = inbox(&app).await;
    let url = format!("/api/v1/conversations/{conv}/snooze");
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let snoozed = body(agent.post(&url, json!({"until": later})).await).await;
    assert!(snoozed["snoozed_until"].is_string(), "{snoozed}");
    for bad in ["yesterday", "2001-01-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
        assert_envelope(
            agent.post(&url, json!({"until": bad})).await,
            400,
            "validation_failed",
        )
        .await;
    }
    body(
        app.post_json(
            &format!("/api/v1/conversations/{conv}/messages"),
            &visitor,
            &json!({"content": "Still there?"}),
        )
        .await,
    )
    .await;
    let woken = body(agent.get(&format!("/api/v1/conversations/{conv}")).await).await;
    assert!(
        woken["snoozed_until"].is_null(),
        "a visitor's message wakes it: {woken}"
    );
    // Snooze, then wake by hand.
    body(agent.post(&url, json!({"until": later})).await).await;
    let awake = body(agent.post(&url, json!({"until": null})).await).await;
    assert!(awake["snoozed_until"].is_null());
    // Visitors cannot snooze.
    assert_envelope(
        app.post_json(&url, &visitor, &json!({"until": null})).await,
        403,
        "forbidden",
    )
    .await;
}
on_both_backends!(inbox_snooze, super::snooze);

/// Owners define canned responses, members read them; bounded sizes,
/// unique shortcuts, other sites' ids are missing.
async fn canned(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Inbox {
        site,
        mut owner,
        mut agent,
        ..
    } = inbox(&app).await;
    let base = format!("/api/v1/sites/{}/canned-responses", site.id);
    let created = owner
        .post(
            &base,
            json!({"shortcut": "refund", "content": "Refunds take **5 days**."}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created = body(created).await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["shortcut"], "refund");
    let listed = body(agent.get(&base).await).await;
    assert_eq!(listed["items"][0]["content"], "Refunds take **5 days**.");
    assert_envelope(
        agent
            .post(&base, json!({"shortcut": "x", "content": "y"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_envelope(
        owner
            .post(&base, json!({"shortcut": "refund", "content": "again"}))
            .await,
        409,
        "conflict",
    )
    .await;
    for (shortcut, content) in [
        ("Has Space", "x"),
        ("", "x"),
        (&"a".repeat(33)[..], "x"),
        ("ok", ""),
        ("ok", &"x".repeat(4001)[..]),
    ] {
        assert_envelope(
            owner
                .post(&base, json!({"shortcut": shortcut, "content": content}))
                .await,
            400,
            "validation_failed",
        )
        .await;
    }
    let one = format!("{base}/{id}");
    let patched = body(
        owner
            .send(
                Method::PATCH,
                &one,
                Some(json!({"content": "Refunds take 3 days."})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (patched["shortcut"].as_str(), patched["content"].as_str()),
        (Some("refund"), Some("Refunds take 3 days."))
    );
    // Another site's owner cannot reach it.
    let other = app.site().await;
    let other_base = format!("/api/v1/sites/{}/canned-responses", other.id);
    let res = app
        .client
        .delete(app.url(&format!("{other_base}/{id}")))
        .bearer_auth(&other.admin_key)
        .send()
        .await
        .expect("sent");
    assert_envelope(res, 404, "not_found").await;
    assert_eq!(owner.send(Method::DELETE, &one, None).await.status(), 204);
    assert_envelope(
        owner.send(Method::DELETE, &one, None).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(body(agent.get(&base).await).await["items"], json!([]));
}
on_both_backends!(inbox_canned, super::canned);

/// Waits for the next event named `kind` (skipping others).
async fn next_kind(reader: &mut SseReader, kind: &str) -> lantern_tests::sse::SseEvent {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let e = reader
            .next(left)
            .await
            .unwrap_or_else(|| panic!("no {kind} event in time"));
        if e.event == kind {
            return e;
        }
    }
}

/// The members' site stream: new conversations, messages (notes too),
/// updates, visitor typing, presence; `Last-Event-ID` resumes; the visitor
/// stream gets the agent's typing; a removed agent's stream ends at once.
async fn site_stream(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Inbox {
        site,
        mut owner,
        mut agent,
        agent_id,
        ..
    } = inbox(&app).await;
    let stream_path = format!("/api/v1/sites/{}/events", site.id);
    let presence_path = format!("/api/v1/sites/{}/presence", site.id);
    let team = body(app.get(&presence_path).await).await;
    assert_eq!(
        team,
        json!({"agents_online": false}),
        "nobody has the inbox open yet"
    );
    let res = agent.get(&stream_path).await;
    assert_eq!(res.status(), 200);
    let mut live = SseReader::new(res);
    let presence = next_kind(&mut live, "presence").await;
    assert!(
        presence.data["online"]
            .as_array()
            .expect("online")
            .iter()
            .any(|u| u == agent_id.as_str())
    );

    // A new visitor's conversation and question arrive live.
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation_id(&visitor).await;
    let created = next_kind(&mut live, "conversation.created").await;
    assert_eq!(created.data["id"], conv.as_str());
    let first_id: i64 = created.id.expect("durable").parse().expect("numeric");
    assert_eq!(
        body(app.get(&presence_path).await).await["agents_online"],
        true
    );

    // The visitor leaves an email: kept, and a note for the team only.
    let contact = format!("/api/v1/conversations/{conv}/contact");
    assert_envelope(
        app.post_json(&contact, &visitor, &json!({"email": "not an email"}))
            .await,
        400,
        "validation_failed",
    )
    .await;
    let res = app
        .post_json(&contact, &visitor, &json!({"email": "vi@example.com"}))
        .await;
    assert_eq!(res.status(), 204);
    let left = loop {
        // (After the welcome message.)
        let e = next_kind(&mut live, "message.created").await;
        if e.data["role"] == "system" {
            break e;
        }
    };
    assert_eq!(left.data["internal"], true);
    assert!(
        left.data["content"]
            .as_str()
            .unwrap_or_default()
            .contains("vi@example.com")
    );
    let own = body(
        app.get_auth(&format!("/api/v1/conversations/{conv}/messages"), &visitor)
            .await,
    )
    .await;
    assert!(!own.to_string().contains("vi@example.com"), "{own}");
    assert_envelope(
        agent.post(&contact, json!({"email": "a@b.example"})).await,
        403,
        "forbidden",
    )
    .await;
    let messages = format!("/api/v1/conversations/{conv}/messages");
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv}/typing"),
            &visitor,
            &json!({"typing": true}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let typing = next_kind(&mut live, "typing").await;
    assert_eq!(typing.data["from"], "visitor");
    assert_eq!(typing.data["conversation_id"], conv.as_str());
    assert!(typing.id.is_none(), "typing is not stored");
    body(
        app.post_json(&messages, &visitor, &json!({"content": "I need a human"}))
            .await,
    )
    .await;
    let question = next_kind(&mut live, "message.created").await;
    assert_eq!(question.data["content"], "I need a human");

    // The agent types: the visitor's stream shows it; then a note.
    let mut visitor_live = SseReader::new(
        app.get_auth(&format!("/api/v1/conversations/{conv}/events"), &visitor)
            .await,
    );
    let res = agent
        .post(
            &format!("/api/v1/conversations/{conv}/typing"),
            json!({"typing": true}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let typing = next_kind(&mut visitor_live, "typing").await;
    assert_eq!(
        (
            typing.data["from"].as_str(),
            typing.data["typing"].as_bool()
        ),
        (Some("agent"), Some(true))
    );
    assert_eq!(typing.data["name"], "Test person");
    body(
        owner
            .post(
                &messages,
                json!({"content": "Watch this one", "internal": true}),
            )
            .await,
    )
    .await;
    let note = loop {
        let e = next_kind(&mut live, "message.created").await;
        if e.data["internal"] == true {
            break e;
        }
    };
    assert_eq!(note.data["content"], "Watch this one");
    let last: i64 = note.id.expect("durable").parse().expect("numeric");
    drop(live);

    // Missed while away: an assignment; resumed with Last-Event-ID.
    body(
        agent
            .post(
                &format!("/api/v1/conversations/{conv}/assign"),
                json!({"user_id": agent_id}),
            )
            .await,
    )
    .await;
    let res = agent
        .send_with(
            Method::GET,
            &stream_path,
            None,
            &[("last-event-id", last.to_string())],
        )
        .await;
    let mut resumed = SseReader::new(res);
    let updated = next_kind(&mut resumed, "conversation.updated").await;
    assert_eq!(updated.data["assignee_id"], agent_id.as_str());
    assert!(
        updated
            .id
            .expect("durable")
            .parse::<i64>()
            .expect("numeric")
            > last
    );
    // And from the start (the first event is replayed too).
    let res = agent
        .send_with(
            Method::GET,
            &stream_path,
            None,
            &[("last-event-id", (first_id - 1).to_string())],
        )
        .await;
    let mut replay = SseReader::new(res);
    let again = next_kind(&mut replay, "conversation.created").await;
    assert_eq!(again.id.as_deref(), Some(first_id.to_string().as_str()));
    drop(replay);

    // The agent is removed: their stream ends at once; a new one is refused.
    let res = owner
        .send(
            Method::DELETE,
            &format!("/api/v1/sites/{}/members/{agent_id}", site.id),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        while resumed.next(Duration::from_secs(3)).await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the removed agent's stream ended");
    assert_envelope(agent.get(&stream_path).await, 403, "forbidden").await;
    // Visitors have no site stream.
    assert_envelope(app.get_auth(&stream_path, &visitor).await, 403, "forbidden").await;
}
on_both_backends!(inbox_site_stream, super::site_stream);

/// Two instances on one Postgres, sharing Redis: a visitor writing through
/// B reaches the agent streaming from A, and the agent's typing through A
/// reaches the visitor streaming from B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_stream_across_instances() {
    let (a, b) = TestApp::pair_sharing_redis(lantern_tests::backend::redis_url()).await;
    let site = a.site().await;
    a.person("sam@a.example", &site.id, "agent").await;
    let mut agent_a = a.signed_in("sam@a.example").await;
    let mut agent_b = agent_a.on(&b);
    let mut live = SseReader::new(
        agent_a
            .get(&format!("/api/v1/sites/{}/events", site.id))
            .await,
    );
    next_kind(&mut live, "presence").await;
    // Presence is shared: a colleague streaming from B sees both online,
    // and so does the agent on A.
    let kim = b.person("kim@a.example", &site.id, "agent").await.id;
    let sam = a
        .db()
        .await
        .user_by_email("sam@a.example")
        .await
        .expect("lookup")
        .expect("sam")
        .id;
    let mut kim_b = b.signed_in("kim@a.example").await;
    let mut kim_live = SseReader::new(
        kim_b
            .get(&format!("/api/v1/sites/{}/events", site.id))
            .await,
    );
    let both = |e: &lantern_tests::sse::SseEvent| {
        let online = e.data["online"].as_array().cloned().unwrap_or_default();
        online.iter().any(|u| u == kim.as_str()) && online.iter().any(|u| u == sam.as_str())
    };
    assert!(
        both(&next_kind(&mut kim_live, "presence").await),
        "both online, seen from B"
    );
    assert!(
        both(&next_kind(&mut live, "presence").await),
        "both online, seen from A"
    );

    let visitor = b.visitor(&site.id).await;
    let conv = b.conversation_id(&visitor).await;
    assert_eq!(
        next_kind(&mut live, "conversation.created").await.data["id"],
        conv.as_str()
    );
    b.post_json(
        &format!("/api/v1/conversations/{conv}/handoff"),
        &visitor,
        &json!({}),
    )
    .await;
    let started = std::time::Instant::now();
    body(
        b.post_json(
            &format!("/api/v1/conversations/{conv}/messages"),
            &visitor,
            &json!({"content": "Through B"}),
        )
        .await,
    )
    .await;
    // (After the welcome message and the hand-over's update.)
    loop {
        let seen = next_kind(&mut live, "message.created").await;
        if seen.data["content"] == "Through B" {
            break;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let mut visitor_b = SseReader::new(
        b.get_auth(&format!("/api/v1/conversations/{conv}/events"), &visitor)
            .await,
    );
    let res = agent_a
        .post(
            &format!("/api/v1/conversations/{conv}/typing"),
            json!({"typing": true}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        next_kind(&mut visitor_b, "typing").await.data["from"],
        "agent"
    );
    // The same session works on B (sessions live in Redis).
    let reply = body(
        agent_b
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                json!({"content": "Hi from Sam"}),
            )
            .await,
    )
    .await;
    assert_eq!(reply["message"]["author"]["name"], "Test person");
    let mut got = Vec::new();
    while got.len() < 2 {
        let e = next_kind(&mut visitor_b, "message.created").await;
        got.push(e.data["content"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(got, ["Test person joined the conversation", "Hi from Sam"]);
}

/// Webhooks follow the inbox: assignment, an agent's reply, close; a note
/// reaches `message.created` marked `internal`, and is no agent reply.
async fn webhooks(backend: Backend) {
    use axum::{Router, body::Bytes, extract::State, routing::post};
    use std::sync::{Arc, Mutex};

    let app = TestApp::spawn_with(backend, |s| s.webhook_allow_private = true).await;
    let Inbox {
        site,
        mut agent,
        agent_id,
        conv,
        ..
    } = inbox(&app).await;
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let receiver = Router::new()
        .route(
            "/hook",
            post(
                |State(seen): State<Arc<Mutex<Vec<Value>>>>, body: Bytes| async move {
                    let v: Value = serde_json::from_slice(&body).expect("json body");
                    seen.lock().expect("lock").push(v);
                    "ok"
                },
            ),
        )
        .with_state(seen.clone());
    let url = format!("{}/hook", lantern_tests::serve(receiver).await);
    let events = [
        "conversation.assigned",
        "conversation.agent_replied",
        "conversation.closed",
        "message.created",
    ];
    let res = app
        .post_json(
            &format!("/api/v1/sites/{}/webhooks", site.id),
            &site.admin_key,
            &json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let messages = format!("/api/v1/conversations/{conv}/messages");
    body(
        agent
            .post(&messages, json!({"content": "On it", "internal": true}))
            .await,
    )
    .await;
    body(
        agent
            .post(&messages, json!({"content": "Hello from Sam"}))
            .await,
    )
    .await;
    body(
        agent
            .post(&format!("/api/v1/conversations/{conv}/close"), json!({}))
            .await,
    )
    .await;

    let deadline = tokio::time::Instant::now() + WAIT;
    let wanted = |all: &[Value]| {
        [
            "conversation.assigned",
            "conversation.agent_replied",
            "conversation.closed",
        ]
        .iter()
        .all(|t| all.iter().any(|v| v["type"] == *t))
            && all
                .iter()
                .any(|v| v["type"] == "message.created" && v["data"]["internal"] == true)
    };
    loop {
        if wanted(&seen.lock().expect("lock")) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            seen.lock().expect("lock")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = seen.lock().expect("lock").clone();
    let assigned = all
        .iter()
        .find(|v| v["type"] == "conversation.assigned")
        .expect("assigned");
    assert_eq!(assigned["data"]["assignee_id"], agent_id.as_str());
    let replies: Vec<&Value> = all
        .iter()
        .filter(|v| v["type"] == "conversation.agent_replied")
        .collect();
    assert_eq!(replies.len(), 1, "the note is no reply: {replies:?}");
    assert_eq!(replies[0]["data"]["content"], "Hello from Sam");
    assert_eq!(replies[0]["data"]["author"]["id"], agent_id.as_str());
    let closed = all
        .iter()
        .find(|v| v["type"] == "conversation.closed")
        .expect("closed");
    assert_eq!(closed["data"]["status"], "closed");
}
on_both_backends!(inbox_webhooks, super::webhooks);
