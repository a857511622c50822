//! The tabs across the top of a project's pages.
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ProjectTab {
    Proxies,
    Products,
    Subscriptions,
    Certificates,
    Members,
}

#[component]
pub fn ProjectTabs(project: String, active: ProjectTab) -> impl IntoView {
    let tab = |tab: ProjectTab, href: String, label: &'static str| {
        let current = (tab == active).then_some("page");
        view! { <a href=href aria-current=current>{label}</a> }
    };
    view! {
        <nav class="tabs-nav" aria-label="Project">
            {tab(ProjectTab::Proxies, format!("/projects/{project}"), "API proxies")}
            {tab(ProjectTab::Products, format!("/projects/{project}/products"), "Products")}
            {tab(ProjectTab::Subscriptions, format!("/projects/{project}/subscriptions"), "Subscriptions")}
            {tab(ProjectTab::Certificates, format!("/projects/{project}/certificates"), "Certificates")}
            {tab(ProjectTab::Members, format!("/projects/{project}/members"), "Members")}
        </nav>
    }
}
