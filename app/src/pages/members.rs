//! A project's members and their roles.
use crate::api::projects::{get_project, list_members, AddMember, RemoveMember, SetMemberRole};
use crate::components::confirm::ConfirmSubmit;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{FieldError, FormError, LoadError};
use crate::components::project_tabs::{ProjectTab, ProjectTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use services::model::{Member, Project, Role};

#[component]
pub fn MembersPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("project").unwrap_or_default();
    let add = ServerAction::<AddMember>::new();
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    for version in [add.version(), set_role.version(), remove.version()] {
        refresh_flash_on(version);
    }
    let changes = move || (add.version().get(), set_role.version().get(), remove.version().get());
    let project = Resource::new(key, get_project);
    let members = Resource::new(move || (key(), changes()), |(key, _)| list_members(key));

    view! {
        <Suspense fallback=|| view! { <p>"Loading project…"</p> }>
            {move || Suspend::new(async move {
                let project = match project.await {
                    Ok(p) => p,
                    Err(e) => return view! { <LoadError error=e/> }.into_any(),
                };
                let members = members.await;
                view! {
                    <Title text=format!("Members · {} · Gatehouse", project.name)/>
                    <div class="page-header">
                        <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "<a href=format!("/projects/{}", project.slug)>{project.name.clone()}</a></p>
                        <h1>"Members"</h1>
                        <p class="muted"><code>{project.slug.clone()}</code>" · created "{format_time(&project.created_at)}</p>
                    </div>
                    <ProjectTabs project=project.slug.clone() active=ProjectTab::Members/>
                    <section class="card">
                        <h2>"Members"</h2>
                        <p class="muted">"Owners manage members; publishers change proxies and certificates; viewers only look."</p>
                        <FormError value=set_role.value()/>
                        <FormError value=remove.value()/>
                        {match members {
                            Ok(list) => view! { <MemberTable project=project.clone() members=list set_role remove/> }.into_any(),
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }}
                        {is_owner(&project).then(|| view! { <AddMemberForm project=project.slug.clone() add/> })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

fn is_owner(project: &Project) -> bool {
    // Admins who are not members get `None`; the service lets them manage members too.
    matches!(project.role, Some(Role::Owner) | None)
}

#[component]
fn MemberTable(project: Project, members: Vec<Member>, set_role: ServerAction<SetMemberRole>, remove: ServerAction<RemoveMember>) -> impl IntoView {
    let manage = is_owner(&project);
    let rows = members
        .into_iter()
        .map(|m| {
            let slug = project.slug.clone();
            let slug2 = project.slug.clone();
            let question = format!("Remove {} from {}? They lose access at once.", m.email, project.name);
            view! {
                <tr>
                    <td>{m.name.clone()}</td>
                    <td>{m.email.clone()}</td>
                    <td>
                        {if manage {
                            view! {
                                <ActionForm action=set_role attr:class="inline-form">
                                    <input type="hidden" name="project" value=slug/>
                                    <input type="hidden" name="user_id" value=m.user_id/>
                                    <label class="visually-hidden" for=format!("role-{}", m.user_id)>"Role"</label>
                                    <select name="role" id=format!("role-{}", m.user_id)>
                                        {Role::ALL.iter().map(|r| view! {
                                            <option value=r.as_str() selected=*r == m.role>{r.as_str()}</option>
                                        }).collect_view()}
                                    </select>
                                    <button type="submit" class="button small">"Change"</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <span class=format!("badge role-{}", m.role.as_str())>{m.role.as_str()}</span> }.into_any()
                        }}
                    </td>
                    <td>
                        {manage.then(|| view! {
                            <ActionForm action=remove attr:class="inline-form">
                                <input type="hidden" name="project" value=slug2/>
                                <input type="hidden" name="user_id" value=m.user_id/>
                                <ConfirmSubmit label="Remove" question confirm="Yes, remove"/>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-testid="member-list">
            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn AddMemberForm(project: String, add: ServerAction<AddMember>) -> impl IntoView {
    let value = add.value();
    view! {
        <h3>"Add a member"</h3>
        <ActionForm action=add attr:class="form form-grid">
            <FormError value fields=&["email", "role"]/>
            <input type="hidden" name="project" value=project/>
            <div class="field">
                <label for="member-email">"Email"</label>
                <input id="member-email" type="email" name="email" required/>
                <FieldError value field="email"/>
            </div>
            <div class="field">
                <label for="member-role">"Role"</label>
                <select id="member-role" name="role">
                    <option value="viewer">"viewer"</option>
                    <option value="publisher" selected>"publisher"</option>
                    <option value="owner">"owner"</option>
                </select>
                <FieldError value field="role"/>
            </div>
            <div class="actions">
                <button type="submit" class="button primary">"Add member"</button>
            </div>
        </ActionForm>
    }
}
