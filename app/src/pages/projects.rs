//! The project list: filter, pages, and the form to create one.
use crate::api::projects::{list_projects, CreateProject};
use crate::api::settings::may_create_projects;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{EmptyState, FieldError, FormError, LoadError};
use crate::components::pagination::Pagination;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || query.read().get("q").unwrap_or_default();
    let page = move || query.read().get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64);
    let create = ServerAction::<CreateProject>::new();
    refresh_flash_on(create.version());
    let projects = Resource::new(move || (filter(), page(), create.version().get()), |(filter, page, _)| list_projects(filter, page));
    let may_create = Resource::new(|| (), |_| may_create_projects());

    view! {
        <Title text="Projects · Gatehouse"/>
        <div class="page-header">
            <h1>"Projects"</h1>
            <p class="muted">"A project holds API proxies, certificates and the people who work on them."</p>
        </div>
        <form method="get" action="/projects" class="filter-bar" role="search">
            <label for="q" class="visually-hidden">"Filter projects"</label>
            <input id="q" type="search" name="q" placeholder="Filter by name or slug" value=filter/>
            <button type="submit" class="button">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading projects…"</p> }>
            {move || Suspend::new(async move {
                match projects.await {
                    Ok(list) if list.items.is_empty() && filter().is_empty() => view! {
                        <EmptyState title="No projects yet">
                            <p>"Create your first project below (or ask an administrator for one), then add API proxies to it."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <EmptyState title="Nothing matches this filter">
                            <p><a href="/projects">"Clear the filter"</a></p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => {
                        let q = filter();
                        let href = move |p: u64| format!("/projects?q={}&page={p}", urlencode(&q));
                        view! {
                            <table class="table" data-testid="project-list">
                                <thead><tr><th>"Name"</th><th>"Slug"</th><th>"Your role"</th><th>"Members"</th><th>"Created"</th></tr></thead>
                                <tbody>
                                    {list.items.iter().map(|p| {
                                        let href = format!("/projects/{}", p.slug);
                                        let role = p.role.map_or("admin", |r| r.as_str());
                                        view! {
                                            <tr>
                                                <td><a href=href>{p.name.clone()}</a></td>
                                                <td><code>{p.slug.clone()}</code></td>
                                                <td><span class=format!("badge role-{role}")>{role}</span></td>
                                                <td>{p.member_count}</td>
                                                <td>{format_time(&p.created_at)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pagination page=list.page page_count=list.page_count() total=list.total href/>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match may_create.await {
                    Ok(true) => view! { <CreateProjectForm create/> }.into_any(),
                    Ok(false) => view! {
                        <p class="hint" data-testid="no-project-creation">"Only administrators create projects here: ask one to create a project and add you to it."</p>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CreateProjectForm(create: ServerAction<CreateProject>) -> impl IntoView {
    let value = create.value();
    let name = RwSignal::new(String::new());
    // With JavaScript the slug field shows what will be derived; without it the server derives it.
    let derived = move || services::slug::derive(&name.get());
    view! {
        <section class="card">
            <h2>"Create a project"</h2>
            <ActionForm action=create attr:class="form form-grid">
                <FormError value fields=&["name", "slug", "description"]/>
                <div class="field">
                    <label for="project-name">"Name"</label>
                    <input id="project-name" name="name" required maxlength="100"
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <FieldError value field="name"/>
                </div>
                <div class="field">
                    <label for="project-slug">"Slug"</label>
                    <input id="project-slug" name="slug" maxlength="48" pattern="[a-z0-9-]*"
                        placeholder=move || { let d = derived(); if d.is_empty() { "derived from the name".to_string() } else { d } }
                        aria-describedby="slug-hint"/>
                    <p class="hint" id="slug-hint">"Used in URLs. Leave empty to derive it from the name."</p>
                    <FieldError value field="slug"/>
                </div>
                <div class="field field-wide">
                    <label for="project-description">"Description"</label>
                    <textarea id="project-description" name="description" rows="2" maxlength="1000"></textarea>
                    <FieldError value field="description"/>
                </div>
                <div class="actions">
                    <button type="submit" class="button primary" disabled=create.pending()>"Create project"</button>
                </div>
            </ActionForm>
        </section>
    }
}

pub(crate) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
