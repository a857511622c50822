//! Activity: every change to the proxy and its endpoints, who made it and when, newest first;
//! and the recent calls that failed at the backend, with what their callers were not told.
use super::use_proxy_params;
use crate::api::proxies::list_activity;
use crate::api::try_gateway::list_failed_calls;
use crate::components::format_time;
use crate::components::forms::{EmptyState, LoadError};
use crate::components::pagination::Pagination;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ActivityPage() -> impl IntoView {
    let (project, key) = use_proxy_params();
    let query = use_query_map();
    let page = move || query.read().get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64);
    let entries = Resource::new(move || (project(), key(), page()), |(p, k, page)| list_activity(p, k, page));
    let failed = Resource::new(move || (project(), key()), |(p, k)| list_failed_calls(p, k));
    view! {
        <Title text="Activity · Gatehouse"/>
        <section class="card">
            <h2>"Activity"</h2>
            <Suspense fallback=|| view! { <p>"Loading activity…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.items.is_empty() => view! {
                            <EmptyState title="Nothing recorded yet"><p>"Changes to this proxy appear here."</p></EmptyState>
                        }.into_any(),
                        Ok(list) => {
                            let base = format!("/projects/{}/proxies/{}/activity", project(), key());
                            let rows = list.items.iter().map(|a| view! {
                                <tr>
                                    <td class="nowrap">{format_time(&a.created_at)}</td>
                                    <td>{a.actor.clone()}</td>
                                    <td><code>{a.action.clone()}</code></td>
                                    <td>{a.summary.clone()}</td>
                                </tr>
                            }).collect_view();
                            view! {
                                <table class="table" data-testid="activity-list">
                                    <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Details"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                                <Pagination page=list.page page_count=list.page_count() total=list.total href=move |p| format!("{base}?page={p}")/>
                            }.into_any()
                        }
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card">
            <h2>"Recent failed calls"</h2>
            <p class="hint">"Callers are told the error's code and request id only; what happened, and the fix, is here. The gateway keeps the latest 1,000 since its start."</p>
            <Suspense fallback=|| view! { <p>"Loading failed calls…"</p> }>
                {move || Suspend::new(async move {
                    match failed.await {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No failed calls"><p>"Calls that fail at the backend appear here, with their request id."</p></EmptyState>
                        }.into_any(),
                        Ok(list) => {
                            let rows = list.into_iter().map(|f| view! {
                                <tr>
                                    <td class="nowrap">{format_time(&f.at)}</td>
                                    <td><code>{f.request_id}</code></td>
                                    <td>{format!("{} {} ({})", f.method, f.path, f.environment)}</td>
                                    <td><code>{f.code}</code></td>
                                    <td>{f.message}</td>
                                </tr>
                            }).collect_view();
                            view! {
                                <table class="table" data-testid="failed-calls">
                                    <thead><tr><th>"When"</th><th>"Request id"</th><th>"Call"</th><th>"Code"</th><th>"What happened"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            }.into_any()
                        }
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
