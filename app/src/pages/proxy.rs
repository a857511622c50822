//! One API proxy: a header with its status per environment, and the left navigation of seed
//! 004 (Overview · Develop → Endpoints, Policies · Deploy · Test · Activity) around the page.
mod activity;
mod deploy;
mod endpoints;
pub(crate) mod overview;
mod policies;
mod test_page;

pub use activity::ActivityPage;
pub use deploy::DeployPage;
pub use endpoints::EndpointsPage;
pub use overview::OverviewPage;
pub use policies::PoliciesPage;
pub use test_page::TestPage;

use crate::api::proxies::get_proxy;
use crate::components::deployment_badge::DeploymentBadge;
use crate::components::forms::LoadError;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_params_map;

/// Bumped by a page after it changed the proxy, so the header shows the change.
#[derive(Clone, Copy)]
pub struct ProxyRefresh(pub RwSignal<usize>);

/// The proxy's project and key (id or slug) from the URL.
pub fn use_proxy_params() -> (impl Fn() -> String + Copy + Send + Sync + 'static, impl Fn() -> String + Copy + Send + Sync + 'static) {
    let params = use_params_map();
    (move || params.read().get("project").unwrap_or_default(), move || params.read().get("proxy").unwrap_or_default())
}

#[component]
pub fn ProxyLayout() -> impl IntoView {
    let (project, proxy) = use_proxy_params();
    let refresh = RwSignal::new(0usize);
    provide_context(ProxyRefresh(refresh));
    // Created here, before the page's own resources, in the same order on server and browser.
    // Read again whenever a page bumps `ProxyRefresh` (an edit, a save, a deploy).
    let header = Resource::new(move || (project(), proxy(), refresh.get()), |(p, x, _)| get_proxy(p, x));
    let base = move || format!("/projects/{}/proxies/{}", project(), proxy());
    // A Transition, not a Suspense: when the header is read again after an action, the old
    // header stays until the new one arrives instead of blinking to "Loading…" (which also
    // moved the page under the pointer).
    view! {
        <Transition fallback=|| view! { <div class="page-header"><p>"Loading API proxy…"</p></div> }>
            {move || Suspend::new(async move {
                match header.await {
                    Ok(p) => view! {
                        <div class="page-header">
                            <p class="breadcrumbs">
                                <a href="/projects">"Projects"</a>" / "<a href=format!("/projects/{}", project())>{project()}</a>" / API proxies"
                            </p>
                            <h1><span>{p.name.clone()}</span>" "<span class="muted">{p.version.clone()}</span></h1>
                            <p class="proxy-meta">
                                <code>{p.context_path.clone()}</code>
                                {p.environments.into_iter().map(|e| view! {
                                    <span class="env-status" data-testid=format!("env-status-{}", e.environment)>{e.environment_name}": "<DeploymentBadge state=e.state/></span>
                                }).collect_view()}
                            </p>
                            {(!p.warnings.is_empty()).then(|| view! {
                                <ul class="warning-list" data-testid="proxy-warnings">{p.warnings.iter().map(|w| view! { <li>"⚠ "{w.clone()}</li> }).collect_view()}</ul>
                            })}
                        </div>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <div class="proxy-body">
            <nav class="proxy-nav" aria-label="API proxy">
                <A href=move || base() exact=true>"Overview"</A>
                <p class="nav-heading">"Develop"</p>
                <A href=move || format!("{}/endpoints", base())>"Endpoints"</A>
                <A href=move || format!("{}/policies", base())>"Policies"</A>
                <A href=move || format!("{}/deploy", base())>"Deploy"</A>
                <A href=move || format!("{}/test", base())>"Test"</A>
                <A href=move || format!("{}/activity", base())>"Activity"</A>
            </nav>
            <div class="proxy-content">
                <Outlet/>
            </div>
        </div>
    }
}
