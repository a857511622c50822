//! One subscription: who it is, its product and keys' beginnings, and its requests per day by
//! outcome as a chart drawn on the server (SVG, readable without JavaScript) with the same
//! numbers in a table beneath it.
use crate::api::consumers::{client_cas, get_subscription, subscription_usage, BindClientCertificate};
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use services::model::{Certificate, Subscription, SubscriptionState, SubscriptionUsage, UsageDay};

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
    let bind = ServerAction::<BindClientCertificate>::new();
    refresh_flash_on(bind.version());
    let subscription = Resource::new(move || (project(), id(), bind.version().get()), |(p, i, _)| get_subscription(p, i));
    let cas = Resource::new(project, client_cas);
    let usage = Resource::new(move || (project(), id(), days()), |(p, i, d)| subscription_usage(p, i, d));
    view! {
        <Title text="Subscription · Gatehouse"/>
        <Suspense fallback=|| view! { <p>"Loading the subscription…"</p> }>
            {move || Suspend::new(async move {
                let p = project();
                match (subscription.await, usage.await, cas.await) {
                    (Ok(sub), Ok(usage), Ok(cas)) => view! {
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
                        <ClientCertificateCard project=p.clone() sub=sub.clone() cas bind/>
                    }.into_any(),
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What the subscription's client certificate is, and the form that changes it.
#[component]
fn ClientCertificateCard(project: String, sub: Subscription, cas: Vec<Certificate>, bind: ServerAction<BindClientCertificate>) -> impl IntoView {
    let bound = match &sub.client_certificate {
        Some(b) if b.fingerprint.is_some() => format!("One certificate, SHA-256 {}.", b.fingerprint.clone().unwrap_or_default()),
        Some(b) => format!("Any certificate issued by the trusted client CA {}.", b.ca.as_ref().map_or(String::new(), |c| c.name.clone())),
        None => "None: only the subscription's keys call as it.".to_string(),
    };
    let fingerprint = sub.client_certificate.as_ref().and_then(|b| b.fingerprint.clone()).unwrap_or_default();
    let chosen = sub.client_certificate.as_ref().and_then(|b| b.ca.as_ref().map(|c| c.id));
    let cancelled = sub.state == SubscriptionState::Cancelled;
    let value = bind.value();
    let no_cas = cas.is_empty();
    let options = cas
        .into_iter()
        .map(|c| view! { <option value=c.id.to_string() selected=chosen == Some(c.id)>{format!("{} (expires {})", c.name, c.not_after.date())}</option> })
        .collect_view();
    view! {
        <section class="card" data-testid="client-certificate">
            <h2>"Client certificate"</h2>
            <p data-testid="client-certificate-bound">{bound}</p>
            <p class="muted">"On proxies whose Access accepts a client certificate, a caller presenting this certificate calls as this subscription, with no key. Bind one certificate by its SHA-256 fingerprint, or every certificate a trusted client CA issues; leave both empty to unbind."</p>
            {if cancelled {
                view! { <p class="muted">"Cancelled subscriptions cannot be bound."</p> }.into_any()
            } else { view! {
                <ActionForm action=bind attr:class="form form-grid" attr:data-testid="bind-form">
                    <FormError value fields=&["client_certificate_fingerprint", "client_ca"]/>
                    <input type="hidden" name="project" value=project.clone()/>
                    <input type="hidden" name="id" value=sub.id.to_string()/>
                    <div class="field field-wide">
                        <label for="bind-fingerprint">"Certificate fingerprint (SHA-256)"</label>
                        <input id="bind-fingerprint" name="fingerprint" maxlength="200" value=fingerprint.clone() placeholder="AB:CD:…" autocomplete="off" spellcheck="false"/>
                        <FieldError value field="client_certificate_fingerprint"/>
                    </div>
                    <div class="field field-wide">
                        <label for="bind-ca">"Or a trusted client CA"</label>
                        <select id="bind-ca" name="client_ca">
                            <option value="" selected=chosen.is_none()>"None"</option>
                            {options}
                        </select>
                        <FieldError value field="client_ca"/>
                        {no_cas.then(|| view! { <span class="hint">"No trusted client CA yet: add one on the project's Certificates page (kind: Trusted client CA)."</span> })}
                    </div>
                    <div class="actions">
                        <button type="submit" class="button primary" disabled=bind.pending()>"Save client certificate"</button>
                    </div>
                </ActionForm>
            }.into_any() }}
        </section>
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
