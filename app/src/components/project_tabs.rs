//! The tabs across the top of a project's pages.
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ProjectTab {
    Overview,
    Certificates,
}

#[component]
pub fn ProjectTabs(project: String, active: ProjectTab) -> impl IntoView {
    let tab = |tab: ProjectTab, href: String, label: &'static str| {
        let current = (tab == active).then_some("page");
        view! { <a href=href aria-current=current>{label}</a> }
    };
    view! {
        <nav class="tabs-nav" aria-label="Project">
            {tab(ProjectTab::Overview, format!("/projects/{project}"), "Overview")}
            {tab(ProjectTab::Certificates, format!("/projects/{project}/certificates"), "Certificates")}
        </nav>
    }
}
