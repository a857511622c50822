//! The console shell every signed-in page lives in: a header with the project switcher and
//! the user menu, a left navigation, the flash message, then the page.
use super::flash::{FlashBanner, FlashRefresh};
use crate::api::projects::list_projects;
use crate::api::session::{current_user, take_flash, SignOut};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;
use services::model::{Page, Project, User};

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let refresh = RwSignal::new(0usize);
    provide_context(FlashRefresh(refresh));
    let location = use_location();
    // Every resource is created here, synchronously and in this order, before any page's: the
    // browser matches the server's serialized resources by creation order, so a resource made
    // later (inside a Suspend) would receive another resource's data while hydrating.
    let me = Resource::new(|| (), |_| current_user());
    let flash = Resource::new(move || (location.pathname.get(), location.search.get(), refresh.get()), |_| take_flash());
    let projects = Resource::new(move || refresh.get(), |_| list_projects(String::new(), 1));
    // "true" once this page is hydrated (effects run only in the browser, after hydration):
    // the browser tests wait for it before checking that an action did not reload the page.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let hydrated_attr = move || if hydrated.get() { "true" } else { "false" };

    // Components rendered inside a `Suspend` create no resources or Suspense of their own:
    // their ids would be allocated at a different moment on the server than in the browser.
    view! {
        <div class="console" data-hydrated=hydrated_attr>
            <Suspense fallback=|| view! { <header class="topbar"></header> }>
                {move || Suspend::new(async move {
                    match (me.await, projects.await) {
                        (Ok(Some(user)), projects) => view! { <TopBar user projects/> }.into_any(),
                        // Signed out (or the account was deleted): off to the sign-in page.
                        (Ok(None), _) => view! { <Redirect path="/signin"/> }.into_any(),
                        (Err(e), _) => view! { <header class="topbar"><p role="alert">{e.to_string()}</p></header> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="console-body">
                <Suspense fallback=|| view! { <SideNav is_admin=false/> }>
                    {move || Suspend::new(async move {
                        let is_admin = matches!(me.await, Ok(Some(ref u)) if u.is_admin);
                        view! { <SideNav is_admin/> }
                    })}
                </Suspense>
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
fn TopBar(user: User, projects: Result<Page<Project>, crate::AppError>) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let switcher = match projects {
        Ok(page) if page.items.is_empty() => view! { <p class="muted">"No projects yet."</p> }.into_any(),
        Ok(page) => page
            .items
            .into_iter()
            .map(|p| {
                let href = format!("/projects/{}", p.slug);
                view! { <a href=href>{p.name}</a> }
            })
            .collect_view()
            .into_any(),
        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/projects">
                <img class="brand-mark" src="/logo.svg" alt="" width="28" height="28"/>
                "Gatehouse"
            </a>
            <details class="menu project-switcher">
                <summary>"Projects ▾"</summary>
                <div class="menu-panel">
                    {switcher}
                    <a class="menu-all" href="/projects">"All projects"</a>
                </div>
            </details>
            <details class="menu user-menu">
                <summary data-testid="user-menu">{format!("{} ▾", user.name)}</summary>
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
fn SideNav(is_admin: bool) -> impl IntoView {
    view! {
        <nav class="sidenav" aria-label="Console">
            <A href="/projects">"Projects"</A>
            <A href="/environments">"Environments"</A>
            <A href="/tokens">"API tokens"</A>
            {is_admin.then(|| view! {
                <p class="nav-heading">"Admin"</p>
                <A href="/admin/users">"Users"</A>
                <A href="/admin/settings">"Settings"</A>
            })}
        </nav>
    }
}
