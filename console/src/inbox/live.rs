//! The inbox's live side: the site's event stream (`EventSource`, which
//! resumes with `Last-Event-ID` by itself), browser notifications and a
//! short sound for a new hand-over or a visitor's message in one's own
//! conversations, and the unread count in the tab title.

use lantern_shared::{
    api::{Conversation, ConversationStatus, Message, Role},
    inbox::{Presence, Typing, kind},
};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};

use super::{Inbox, thread};

/// Opens the site stream for as long as the inbox is shown.
pub fn follow(inbox: Inbox) {
    let url = format!("/api/v1/sites/{}/events", inbox.site.get_value());
    let Ok(source) = web_sys::EventSource::new(&url) else {
        inbox
            .error
            .set(Some("Live updates are unavailable in this browser.".into()));
        return;
    };
    let listen = |name: &str, f: Box<dyn Fn(String)>| {
        let cb = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(data) = ev.data().as_string() {
                f(data);
            }
        });
        let _ = source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        // Lives as long as the page: the source is closed on cleanup.
        cb.forget();
    };
    listen(
        kind::CONVERSATION_CREATED,
        Box::new(move |d| {
            if let Ok(c) = serde_json::from_str::<Conversation>(&d) {
                inbox.upsert(c);
            }
        }),
    );
    listen(
        kind::CONVERSATION_UPDATED,
        Box::new(move |d| {
            if let Ok(c) = serde_json::from_str::<Conversation>(&d) {
                let was = inbox.conv(&c.id).map(|o| o.status);
                if c.status == ConversationStatus::Handoff
                    && was != Some(ConversationStatus::Handoff)
                {
                    alert(inbox, "A visitor asks for a human", &c.id);
                }
                inbox.upsert(c);
            }
        }),
    );
    listen(
        kind::MESSAGE_CREATED,
        Box::new(move |d| {
            if let Ok(m) = serde_json::from_str::<Message>(&d) {
                on_message(inbox, m);
            }
        }),
    );
    listen(
        kind::TYPING,
        Box::new(move |d| {
            if let Ok(t) = serde_json::from_str::<Typing>(&d)
                && t.from == "visitor"
            {
                let id = t.conversation_id.clone();
                inbox.typing_draft.set(t.draft.filter(|_| t.typing));
                inbox.typing.set(t.typing.then_some(t.conversation_id));
                // The widget says only "typing": it stops showing after a pause.
                set_timeout(
                    move || {
                        if inbox.typing.get_untracked().as_deref() == Some(id.as_str()) {
                            inbox.typing.set(None);
                        }
                    },
                    std::time::Duration::from_secs(6),
                );
            }
        }),
    );
    listen(
        kind::PRESENCE,
        Box::new(move |d| {
            if let Ok(p) = serde_json::from_str::<Presence>(&d) {
                inbox.online.set(p.online);
            }
        }),
    );
    let source = StoredValue::new_local(source);
    on_cleanup(move || source.with_value(|s| s.close()));
}

fn on_message(inbox: Inbox, m: Message) {
    let id = m.conversation_id.clone();
    if m.role == Role::User && inbox.typing.get_untracked().as_deref() == Some(id.as_str()) {
        inbox.typing.set(None);
    }
    let shown = inbox.open.get_untracked().as_deref() == Some(id.as_str());
    let from_visitor = m.role == Role::User;
    if shown {
        thread::add(inbox, m);
        if from_visitor && visible() {
            thread::mark_read(inbox, id.clone());
        }
    }
    if !from_visitor {
        return;
    }
    if !(shown && visible()) {
        inbox.convs.update(|all| {
            if let Some(c) = all.iter_mut().find(|c| c.id == id) {
                c.unread += 1;
            }
        });
    }
    let me = inbox.me.get_value();
    let mine = inbox
        .conv(&id)
        .is_some_and(|c| c.assignee_id.as_deref() == Some(me.as_str()));
    if mine && !(shown && visible()) {
        alert(inbox, "New message from a visitor", &id);
    }
}

/// Whether the tab is in front.
fn visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// A notification (when allowed) and a short sound.
fn alert(_inbox: Inbox, title: &str, conversation_id: &str) {
    beep();
    if web_sys::Notification::permission() == web_sys::NotificationPermission::Granted {
        let opts = web_sys::NotificationOptions::new();
        opts.set_tag(conversation_id);
        opts.set_body("Open the Lantern inbox to answer.");
        let _ = web_sys::Notification::new_with_options(title, &opts);
    }
}

/// A 150 ms tone (browsers allow sound once the page was interacted with).
fn beep() {
    let Ok(ctx) = web_sys::AudioContext::new() else {
        return;
    };
    let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
        return;
    };
    osc.frequency().set_value(880.0);
    gain.gain().set_value(0.08);
    let _ = osc.connect_with_audio_node(&gain);
    let _ = gain.connect_with_audio_node(&ctx.destination());
    let t = ctx.current_time();
    let _ = osc.start();
    let _ = osc.stop_with_when(t + 0.15);
}

/// Keeps the tab title's unread count.
pub fn title(inbox: Inbox) {
    Effect::new(move |_| {
        let unread: i64 = inbox.convs.with(|all| all.iter().map(|c| c.unread).sum());
        if let Some(d) = web_sys::window().and_then(|w| w.document()) {
            d.set_title(&if unread > 0 {
                format!("({unread}) Inbox · Lantern")
            } else {
                "Inbox · Lantern".to_string()
            });
        }
    });
    on_cleanup(|| {
        if let Some(d) = web_sys::window().and_then(|w| w.document()) {
            d.set_title("Lantern console");
        }
    });
}

/// Asks for permission to show notifications (a click is required).
#[component]
pub fn NotifyButton() -> impl IntoView {
    let state = RwSignal::new(web_sys::Notification::permission());
    move || {
        (state.get() == web_sys::NotificationPermission::Default).then(|| {
            view! {
                <button type="button" class="secondary" on:click=move |_| {
                    if let Ok(p) = web_sys::Notification::request_permission() {
                        let done = Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(move |_| {
                            state.set(web_sys::Notification::permission());
                        });
                        let _ = p.then(&done);
                        done.forget();
                    }
                }>"Turn on notifications"</button>
            }
        })
    }
}
