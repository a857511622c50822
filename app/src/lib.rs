//! The Gatehouse console: Leptos pages, components and the server functions behind them.
//! Compiled twice: with `ssr` into the server binary, with `hydrate` to wasm for the browser.
//! Every form posts a real HTML form (ActionForm), so the console works before hydration.
pub mod api;
pub mod components;
pub mod error;
pub mod file_routes;
pub mod pages;
#[cfg(feature = "ssr")]
mod state;

#[cfg(feature = "ssr")]
pub use api::guard::store_flash;
pub use error::AppError;
#[cfg(feature = "ssr")]
pub use state::AppState;

use components::layout::ConsoleLayout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::*;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Served from the site root (cargo-leptos copies public/ there). The ICO is for
                // browsers that ask for /favicon.ico or cannot use an SVG icon; `sizes` keeps
                // Chromium from preferring it over the SVG.
                <link rel="icon" href="/favicon.ico" sizes="32x32"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every route renders completely on the server before it is sent, so pages work without
    // JavaScript and a signed-out visitor is redirected before anything streams.
    view! {
        <Stylesheet id="leptos" href="/pkg/gatehouse.css"/>
        <Title text="Gatehouse"/>
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("/") view=|| view! { <Redirect path="/projects"/> } ssr=SsrMode::Async/>
                    <Route path=path!("/projects") view=ProjectsPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project") view=ProjectPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project/members") view=MembersPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project/new-proxy") view=NewProxyPage ssr=SsrMode::Async/>
                    <ParentRoute path=path!("/projects/:project/proxies/:proxy") view=ProxyLayout ssr=SsrMode::Async>
                        <Route path=path!("") view=OverviewPage ssr=SsrMode::Async/>
                        <Route path=path!("/endpoints") view=EndpointsPage ssr=SsrMode::Async/>
                        <Route path=path!("/policies") view=PoliciesPage ssr=SsrMode::Async/>
                        <Route path=path!("/deploy") view=DeployPage ssr=SsrMode::Async/>
                        <Route path=path!("/test") view=TestPage ssr=SsrMode::Async/>
                        <Route path=path!("/activity") view=ActivityPage ssr=SsrMode::Async/>
                    </ParentRoute>
                    <Route path=path!("/projects/:project/certificates") view=CertificatesPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project/products") view=ProductsPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project/products/:product") view=ProductPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project/subscriptions") view=SubscriptionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project/subscriptions/:id") view=SubscriptionPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:project/certificates/:id") view=CertificatePage ssr=SsrMode::Async/>
                    <Route path=path!("/environments") view=EnvironmentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/tokens") view=TokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/settings") view=SettingsPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
