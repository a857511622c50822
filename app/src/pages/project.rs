//! A project's home: the Proxy Listing pane, with each proxy's status per environment and its
//! warnings (certificates expiring, verification turned off).
use crate::api::projects::get_project;
use crate::api::proxies::list_proxies;
use crate::components::deployment_badge::DeploymentBadge;
use crate::components::forms::{EmptyState, LoadError};
use crate::components::pagination::Pagination;
use crate::components::project_tabs::{ProjectTab, ProjectTabs};
use crate::pages::projects::urlencode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use services::model::Proxy;

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || params.read().get("project").unwrap_or_default();
    let filter = move || query.read().get("q").unwrap_or_default();
    let page = move || query.read().get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64);
    let project = Resource::new(key, get_project);
    let proxies = Resource::new(move || (key(), filter(), page()), |(key, filter, page)| list_proxies(key, filter, page));

    view! {
        <Suspense fallback=|| view! { <p>"Loading project…"</p> }>
            {move || Suspend::new(async move {
                let project = match project.await {
                    Ok(p) => p,
                    Err(e) => return view! { <LoadError error=e/> }.into_any(),
                };
                let slug = project.slug.clone();
                let listing = match proxies.await {
                    Ok(list) if list.items.is_empty() && filter().is_empty() => view! {
                        <EmptyState title="No API proxies yet">
                            <p>"An API proxy publishes a backend through the gateway under a context path such as /weather/v1."</p>
                            <p><a class="button primary" href=format!("/projects/{slug}/new-proxy")>"Create API proxy"</a></p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <EmptyState title="No proxy matches this filter">
                            <p><a href=format!("/projects/{slug}")>"Clear the filter"</a></p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => {
                        let base = format!("/projects/{slug}?q={}", urlencode(&filter()));
                        let environments: Vec<String> = list.items[0].environments.iter().map(|e| e.environment_name.clone()).collect();
                        let rows = list.items.iter().map(|p| view! { <ProxyRow project=slug.clone() proxy=p.clone()/> }).collect_view();
                        view! {
                            <table class="table" data-testid="proxy-list">
                                <thead><tr>
                                    <th>"Name"</th><th>"Version"</th><th>"Context"</th>
                                    {environments.into_iter().map(|e| view! { <th>{e}</th> }).collect_view()}
                                    <th>"Warnings"</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <Pagination page=list.page page_count=list.page_count() total=list.total href=move |p| format!("{base}&page={p}")/>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                };
                view! {
                    <Title text=format!("{} · Gatehouse", project.name)/>
                    <div class="page-header">
                        <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "</p>
                        <h1>{project.name.clone()}</h1>
                        {(!project.description.is_empty()).then(|| view! { <p>{project.description.clone()}</p> })}
                    </div>
                    <ProjectTabs project=project.slug.clone() active=ProjectTab::Proxies/>
                    <div class="toolbar">
                        <form method="get" class="filter-bar" role="search">
                            <label for="proxy-filter" class="visually-hidden">"Filter API proxies"</label>
                            <input id="proxy-filter" type="search" name="q" placeholder="Name, context path or version" value=filter()/>
                            <button type="submit" class="button">"Filter"</button>
                        </form>
                        <a class="button primary" href=format!("/projects/{}/new-proxy", project.slug)>"Create API proxy"</a>
                    </div>
                    <h2 class="visually-hidden">"Proxy Listing"</h2>
                    {listing}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn ProxyRow(project: String, proxy: Proxy) -> impl IntoView {
    let href = format!("/projects/{project}/proxies/{}", proxy.slug);
    let warnings = if proxy.warnings.is_empty() {
        view! { <span class="muted">"none"</span> }.into_any()
    } else {
        view! { <ul class="warning-list">{proxy.warnings.iter().map(|w| view! { <li>"⚠ "{w.clone()}</li> }).collect_view()}</ul> }.into_any()
    };
    view! {
        <tr>
            <td><a href=href>{proxy.name.clone()}</a>" "<crate::pages::proxy::overview::LifecycleBadge lifecycle=proxy.lifecycle.lifecycle/></td>
            <td>{proxy.version.clone()}</td>
            <td><code>{proxy.context_path.clone()}</code></td>
            {proxy.environments.iter().map(|e| view! { <td><DeploymentBadge state=e.state.clone()/></td> }).collect_view()}
            <td>{warnings}</td>
        </tr>
    }
}
