//! The console shell every signed-in page lives in: a header with the project switcher and
//! the user menu, a left navigation, the flash message, then the page.
use super::flash::{FlashBanner, FlashRefresh};
use crate::api::projects::list_projects;
use crate::api::session::{current_user, take_flash, SignOut};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;
use services::model::User;

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let refresh = RwSignal::new(0usize);
    provide_context(FlashRefresh(refresh));
    let location = use_location();
    let me = Resource::new(|| (), |_| current_user());
    let flash = Resource::new(
        move || (location.pathname.get(), location.search.get(), refresh.get()),
        |_| take_flash(),
    );

    view! {
        <div class="console">
            <Suspense fallback=|| view! { <header class="topbar"></header> }>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(user)) => view! { <TopBar user refresh/> }.into_any(),
                        // Signed out (or the account was deleted): off to the sign-in page.
                        Ok(None) => view! { <Redirect path="/signin"/> }.into_any(),
                        Err(e) => view! { <header class="topbar"><p role="alert">{e.to_string()}</p></header> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="console-body">
                <SideNav me/>
                <main class="content" id="main">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            view! { <FlashBanner message=flash.await.ok().flatten()/> }
                        })}
                    </Suspense>
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

#[component]
fn TopBar(user: User, refresh: RwSignal<usize>) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let projects = Resource::new(move || refresh.get(), |_| list_projects(String::new(), 1));
    view! {
        <header class="topbar">
            <a class="brand" href="/projects">
                <span class="brand-mark" aria-hidden="true">"⛩"</span>
                "Gatehouse"
            </a>
            <details class="menu project-switcher">
                <summary>"Projects ▾"</summary>
                <div class="menu-panel">
                    <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match projects.await {
                                Ok(page) if page.items.is_empty() => {
                                    view! { <p class="muted">"No projects yet."</p> }.into_any()
                                }
                                Ok(page) => {
                                    page.items
                                        .into_iter()
                                        .map(|p| {
                                            let href = format!("/projects/{}", p.slug);
                                            view! { <a href=href>{p.name}</a> }
                                        })
                                        .collect_view()
                                        .into_any()
                                }
                                Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Suspense>
                    <a class="menu-all" href="/projects">"All projects"</a>
                </div>
            </details>
            <details class="menu user-menu">
                <summary data-testid="user-menu">{user.name.clone()}" ▾"</summary>
                <div class="menu-panel menu-right">
                    <p class="muted">{user.email.clone()}</p>
                    <a href="/tokens">"API tokens"</a>
                    <ActionForm action=sign_out>
                        <button type="submit" class="link-button">"Sign out"</button>
                    </ActionForm>
                </div>
            </details>
        </header>
    }
}

#[component]
fn SideNav(me: Resource<Result<Option<User>, crate::AppError>>) -> impl IntoView {
    view! {
        <nav class="sidenav" aria-label="Console">
            <A href="/projects">"Projects"</A>
            <A href="/tokens">"API tokens"</A>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let is_admin = matches!(me.await, Ok(Some(ref u)) if u.is_admin);
                    is_admin.then(|| view! {
                        <p class="nav-heading">"Admin"</p>
                        <A href="/admin/users">"Users"</A>
                    })
                })}
            </Suspense>
        </nav>
    }
}
