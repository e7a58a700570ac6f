//! The insights chart, drawn by hand in SVG: one stacked bar per day
//! (answered, not answered, handed over), with the same figures in a table
//! for screen readers and for anyone who prefers numbers.

use lantern_shared::insights::InsightDay;
use leptos::prelude::*;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
const SERIES: [(&str, &str); 3] = [
    ("answered", "Answered"),
    ("unanswered", "Not answered"),
    ("handoffs", "Handed over"),
];

fn value(d: &InsightDay, key: &str) -> i64 {
    match key {
        "answered" => d.answered,
        "unanswered" => d.unanswered,
        _ => d.handoffs,
    }
}

#[component]
pub fn DayChart(days: Vec<InsightDay>) -> impl IntoView {
    let max = days
        .iter()
        .map(|d| SERIES.iter().map(|(k, _)| value(d, k)).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = days.len().max(1) as f64;
    let slot = WIDTH / n;
    let bar = (slot * 0.7).max(1.0);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = i as f64 * slot + (slot - bar) / 2.0;
            let mut y = HEIGHT;
            let parts = SERIES
                .iter()
                .map(|(key, label)| {
                    let h = value(d, key) as f64 / max * (HEIGHT - 10.0);
                    y -= h;
                    view! {
                        <rect class=format!("bar {key}") x=format!("{x:.1}") y=format!("{y:.1}")
                            width=format!("{bar:.1}") height=format!("{h:.1}")>
                            <title>{format!("{}: {} {}", d.date, value(d, key), label.to_lowercase())}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! { <g class="day" data-date=d.date.clone()>{parts}</g> }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {}", HEIGHT + 2.0) width="100%" role="img"
                aria-label="Replies per day: answered, not answered and handed over (the table below has the figures)">
                <line x1="0" y1=HEIGHT.to_string() x2=WIDTH.to_string() y2=HEIGHT.to_string() class="axis"/>
                {bars}
            </svg>
            <figcaption class="legend">
                {SERIES.iter().map(|(k, l)| view! { <span class=format!("key {k}")>{*l}</span> }).collect_view()}
                {format!(" — highest day: {max}")}
            </figcaption>
        </figure>
    }
}

/// The figures of every day, as a table.
#[component]
pub fn DayTable(days: Vec<InsightDay>, totals: InsightDay) -> impl IntoView {
    let row = |d: InsightDay, total: bool| {
        let median = d
            .median_first_response_seconds
            .map(|s| format!("{s} s"))
            .unwrap_or_else(|| "—".into());
        view! {
            <tr class:total=total>
                <th scope="row">{if total { "Total".to_string() } else { d.date.clone() }}</th>
                <td>{d.conversations}</td><td>{d.messages}</td><td>{d.answered}</td>
                <td>{d.unanswered}</td><td>{d.handoffs}</td><td>{d.thumbs_up}</td>
                <td>{d.thumbs_down}</td><td>{median}</td>
            </tr>
        }
    };
    view! {
        <table class="list figures">
            <caption>"Figures per day (UTC)"</caption>
            <thead><tr>
                <th scope="col">"Day"</th><th scope="col">"Conversations"</th><th scope="col">"Messages"</th>
                <th scope="col">"Answered"</th><th scope="col">"Not answered"</th><th scope="col">"Handed over"</th>
                <th scope="col">"👍"</th><th scope="col">"👎"</th><th scope="col">"Median first human reply"</th>
            </tr></thead>
            <tbody>
                {days.into_iter().rev().map(|d| row(d, false)).collect_view()}
                {row(totals, true)}
            </tbody>
        </table>
    }
}
