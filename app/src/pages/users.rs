//! Admin → Users: every account, create one, grant or take admin rights, delete.
use crate::api::users::{list_users, CreateUser, DeleteUser, SetAdmin};
use crate::components::confirm::ConfirmSubmit;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{FieldError, FormError, LoadError};
use crate::components::pagination::Pagination;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.read().get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64);
    let create = ServerAction::<CreateUser>::new();
    let set_admin = ServerAction::<SetAdmin>::new();
    let delete = ServerAction::<DeleteUser>::new();
    for version in [create.version(), set_admin.version(), delete.version()] {
        refresh_flash_on(version);
    }
    let users = Resource::new(move || (page(), create.version().get(), set_admin.version().get(), delete.version().get()), |(page, ..)| list_users(page));
    let value = create.value();

    view! {
        <Title text="Users · Gatehouse"/>
        <div class="page-header">
            <h1>"Users"</h1>
            <p class="muted">"Everyone who can sign in. Administrators see every project and manage users."</p>
        </div>
        <FormError value=set_admin.value()/>
        <FormError value=delete.value()/>
        <Suspense fallback=|| view! { <p>"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! {
                        <table class="table" data-testid="user-list">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Administrator"</th><th>"Since"</th><th></th></tr></thead>
                            <tbody>
                                {list.items.clone().into_iter().map(|u| {
                                    let question = format!("Delete {}? They lose access to every project.", u.email);
                                    view! {
                                        <tr>
                                            <td>{u.name.clone()}</td>
                                            <td>{u.email.clone()}</td>
                                            <td>
                                                <ActionForm action=set_admin attr:class="inline-form">
                                                    <input type="hidden" name="user_id" value=u.id/>
                                                    <input type="hidden" name="is_admin" value=(!u.is_admin).to_string()/>
                                                    {if u.is_admin { "yes " } else { "no " }}
                                                    <button type="submit" class="button small">
                                                        {if u.is_admin { "Remove admin" } else { "Make admin" }}
                                                    </button>
                                                </ActionForm>
                                            </td>
                                            <td>{format_time(&u.created_at)}</td>
                                            <td>
                                                <ActionForm action=delete attr:class="inline-form">
                                                    <input type="hidden" name="user_id" value=u.id/>
                                                    <ConfirmSubmit label="Delete" question confirm="Yes, delete"/>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pagination page=list.page page_count=list.page_count() total=list.total
                            href=|p| format!("/admin/users?page={p}")/>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <section class="card">
            <h2>"Create a user"</h2>
            <ActionForm action=create attr:class="form form-grid">
                <FormError value fields=&["email", "name", "password"]/>
                <div class="field">
                    <label for="user-name">"Name"</label>
                    <input id="user-name" name="name" required/>
                    <FieldError value field="name"/>
                </div>
                <div class="field">
                    <label for="user-email">"Email"</label>
                    <input id="user-email" type="email" name="email" required/>
                    <FieldError value field="email"/>
                </div>
                <div class="field">
                    <label for="user-password">"Initial password"</label>
                    <input id="user-password" type="password" name="password" minlength="10" autocomplete="new-password" required/>
                    <FieldError value field="password"/>
                </div>
                <div class="field checkbox">
                    <input id="user-admin" type="checkbox" name="is_admin"/>
                    <label for="user-admin">"Administrator"</label>
                </div>
                <div class="actions">
                    <button type="submit" class="button primary">"Create user"</button>
                </div>
            </ActionForm>
        </section>
    }
}
