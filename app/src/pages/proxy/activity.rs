//! Activity: every change to the proxy and its endpoints, who made it and when, newest first.
use super::use_proxy_params;
use crate::api::proxies::list_activity;
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
    }
}
