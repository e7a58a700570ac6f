//! Snoozing the open conversation: in 1 hour, in 4 hours, tomorrow at
//! 9:00, next Monday at 9:00 (the member's own clock), or at a date and
//! time they pick; and waking it early. The server takes `{until}`.

use leptos::prelude::*;

use super::{Inbox, time_ms};

/// The choices, by the value of their `<option>`.
const CHOICES: [(&str, &str); 5] = [
    ("1h", "For 1 hour"),
    ("4h", "For 4 hours"),
    ("tomorrow", "Until tomorrow 9:00"),
    ("week", "Until next week (Mon 9:00)"),
    ("custom", "Until…"),
];

/// When `choice` ends, in ms since the epoch (local calendar for days).
pub fn until(choice: &str, now: f64) -> Option<f64> {
    const HOUR: f64 = 3_600_000.0;
    let day_at_nine = |days_ahead: u32| {
        let d = js_sys::Date::new(&now.into());
        d.set_date(d.get_date() + days_ahead);
        d.set_hours(9);
        d.set_minutes(0);
        d.set_seconds(0);
        d.set_milliseconds(0);
        d.get_time()
    };
    match choice {
        "1h" => Some(now + HOUR),
        "4h" => Some(now + 4.0 * HOUR),
        "tomorrow" => Some(day_at_nine(1)),
        "week" => {
            // Days until the next Monday (a Monday counts a whole week).
            let today = js_sys::Date::new(&now.into()).get_day();
            let ahead = match (8 - today) % 7 {
                0 => 7,
                n => n,
            };
            Some(day_at_nine(ahead))
        }
        _ => None,
    }
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`, the member's time) in ms.
fn local_input(value: &str) -> Option<f64> {
    let t = js_sys::Date::new(&value.into()).get_time();
    (!value.is_empty() && !t.is_nan()).then_some(t)
}

fn iso(ms: f64) -> String {
    String::from(js_sys::Date::new(&ms.into()).to_iso_string())
}

#[component]
pub fn Snooze(id: StoredValue<String>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let custom = RwSignal::new(false);
    let when = RwSignal::new(String::new());
    let snoozed = move || {
        inbox
            .conv(&id.get_value())
            .and_then(|c| c.snoozed_until)
            .filter(|t| time_ms(t) > inbox.now.get())
    };
    let snooze = move |ms: f64| {
        custom.set(false);
        inbox.act(
            id.get_value(),
            "snooze",
            serde_json::json!({"until": iso(ms)}),
        );
    };
    let pick = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        if v == "custom" {
            custom.set(true);
        } else if let Some(ms) = until(&v, js_sys::Date::now()) {
            snooze(ms);
        }
        // Back to the label, so the same choice can be made again.
        if let Some(el) = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok())
        {
            el.set_value("");
        }
    };
    view! {
        <span class="snooze">
            <label>
                <span class="visually-hidden">"Snooze"</span>
                <select name="snooze" on:change=pick>
                    <option value="" selected=true>"Snooze…"</option>
                    {CHOICES.iter().map(|(v, label)| view! { <option value=*v>{*label}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || custom.get()>
                <form class="snooze-custom" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    match local_input(&when.get_untracked()) {
                        Some(ms) if ms > js_sys::Date::now() => snooze(ms),
                        _ => inbox.error.set(Some("Pick a time in the future.".into())),
                    }
                }>
                    <label><span class="visually-hidden">"Snooze until"</span>
                        <input type="datetime-local" name="snooze_until" required bind:value=when/></label>
                    <button type="submit" class="secondary">"Snooze"</button>
                </form>
            </Show>
            {move || snoozed().map(|t| {
                let shown = super::visitor::format_time(time_ms(&t), &[("weekday", "short"), ("day", "numeric"),
                    ("month", "short"), ("hour", "2-digit"), ("minute", "2-digit")]).unwrap_or(t);
                view! {
                    <span class="hint snoozed">{format!("Snoozed until {shown}")}</span>
                    <button type="button" class="link" on:click=move |_| inbox.act(id.get_value(), "snooze", serde_json::json!({"until": null}))>"Wake now"</button>
                }
            })}
        </span>
    }
}
