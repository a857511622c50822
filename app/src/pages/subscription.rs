//! One subscription: who it is, its product and keys' beginnings, and its requests per day by
//! outcome as a chart drawn on the server (SVG, readable without JavaScript) with the same
//! numbers in a table beneath it.
use crate::api::consumers::{get_subscription, subscription_usage};
use crate::components::format_time;
use crate::components::forms::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use services::model::{SubscriptionUsage, UsageDay};

/// The outcomes as the chart stacks them, bottom up, with their colours.
const SERIES: [(&str, &str); 4] = [("allowed", "#2f7d4a"), ("rate limited", "#d08a1e"), ("quota", "#b3431f"), ("refused", "#6b6b6b")];

fn counts(d: &UsageDay) -> [u64; 4] {
    [d.allowed, d.rate_limited, d.quota, d.refused]
}

#[component]
pub fn SubscriptionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let project = move || params.read().get("project").unwrap_or_default();
    let id = move || params.read().get("id").and_then(|i| i.parse::<i32>().ok()).unwrap_or(0);
    let days = move || query.read().get("days").and_then(|d| d.parse::<u32>().ok()).unwrap_or(30);
    let subscription = Resource::new(move || (project(), id()), |(p, i)| get_subscription(p, i));
    let usage = Resource::new(move || (project(), id(), days()), |(p, i, d)| subscription_usage(p, i, d));
    view! {
        <Title text="Subscription · Gatehouse"/>
        <Suspense fallback=|| view! { <p>"Loading the subscription…"</p> }>
            {move || Suspend::new(async move {
                let p = project();
                match (subscription.await, usage.await) {
                    (Ok(sub), Ok(usage)) => view! {
                        <div class="page-header">
                            <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "<a href=format!("/projects/{p}")>{p.clone()}</a>" / "<a href=format!("/projects/{p}/subscriptions")>"Subscriptions"</a></p>
                            <h1>{sub.name.clone()}</h1>
                            <p class="muted">{format!("{} · {} · since {}", sub.product.name, sub.state.as_str(), format_time(&sub.created_at))}</p>
                        </div>
                        <section class="card">
                            <h2>"Requests per day"</h2>
                            <nav class="filter-bar" aria-label="Range">
                                {[7u32, 30, 90].map(|n| view! {
                                    <a href=format!("/projects/{p}/subscriptions/{}?days={n}", sub.id) aria-current=(days() == n).then_some("page")>{format!("{n} days")}</a>
                                }).collect_view()}
                            </nav>
                            <UsageChart usage=usage.clone()/>
                            <UsageTable usage/>
                        </section>
                    }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Stacked bars, one per day, drawn in a fixed 720 × 220 box.
#[component]
fn UsageChart(usage: SubscriptionUsage) -> impl IntoView {
    let (width, height, bottom) = (720.0_f64, 220.0_f64, 200.0_f64);
    let peak = usage.days.iter().map(|d| counts(d).iter().sum::<u64>()).max().unwrap_or(0).max(1) as f64;
    let slot = width / usage.days.len().max(1) as f64;
    let bars = usage
        .days
        .iter()
        .enumerate()
        .flat_map(|(i, day)| {
            let x = i as f64 * slot + slot * 0.15;
            let mut y = bottom;
            let total: u64 = counts(day).iter().sum();
            counts(day)
                .into_iter()
                .zip(SERIES)
                .filter(|(n, _)| *n > 0)
                .map(|(n, (label, colour))| {
                    let h = n as f64 / peak * (bottom - 10.0);
                    y -= h;
                    view! {
                        <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{:.1}", slot * 0.7) height=format!("{h:.1}") fill=colour>
                            <title>{format!("{}: {n} {label} of {total}", day.day)}</title>
                        </rect>
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect_view();
    let first = usage.days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = usage.days.last().map(|d| d.day.clone()).unwrap_or_default();
    let label = format!("Requests per day from {first} to {last}, at most {peak} a day");
    view! {
        <figure class="usage-chart" data-testid="usage-chart">
            <svg viewBox=format!("0 0 {width} {height}") role="img" aria-label=label>
                <line x1="0" y1=bottom x2=width y2=bottom stroke="#999"/>
                {bars}
                <text x="0" y="216" font-size="11">{first}</text>
                <text x=width y="216" font-size="11" text-anchor="end">{last}</text>
                <text x="0" y="10" font-size="11">{format!("{peak}")}</text>
            </svg>
            <figcaption class="legend">
                {SERIES.map(|(label, colour)| view! { <span><span class="swatch" style=format!("background:{colour}")></span>{label}</span> }).collect_view()}
            </figcaption>
        </figure>
    }
}

/// The chart's numbers, days with any request only, newest first.
#[component]
fn UsageTable(usage: SubscriptionUsage) -> impl IntoView {
    let busy: Vec<UsageDay> = usage.days.into_iter().rev().filter(|d| counts(d).iter().any(|n| *n > 0)).collect();
    if busy.is_empty() {
        return view! { <p class="muted" data-testid="usage-empty">"No requests with this subscription's keys in this range yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="usage-table">
            <thead><tr><th>"Day (UTC)"</th><th>"Allowed"</th><th>"Rate limited"</th><th>"Quota"</th><th>"Refused"</th></tr></thead>
            <tbody>
                {busy.into_iter().map(|d| view! {
                    <tr><td>{d.day.clone()}</td><td>{d.allowed}</td><td>{d.rate_limited}</td><td>{d.quota}</td><td>{d.refused}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
