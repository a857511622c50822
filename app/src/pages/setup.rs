//! First-run setup: creates the first administrator, reachable only with the one-time link.
use crate::api::session::{check_setup_link, CreateFirstAdmin, SetupState};
use crate::components::forms::{FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let state = Resource::new(token, check_setup_link);
    view! {
        <Title text="Set up · Gatehouse"/>
        <main class="auth-page">
            <div class="auth-card">
                <h1 class="brand"><img class="brand-mark" src="/logo.svg" alt="" width="32" height="32"/>"Gatehouse"</h1>
                <Suspense fallback=|| view! { <p>"Checking the setup link…"</p> }>
                    {move || Suspend::new(async move {
                        match state.await {
                            Ok(SetupState::Ready) => view! { <SetupForm token=token()/> }.into_any(),
                            Ok(SetupState::Done) => view! {
                                <h2>"Already set up"</h2>
                                <p>"Gatehouse has its administrator. Sign in with your account."</p>
                                <a class="button primary" href="/signin">"Sign in"</a>
                            }.into_any(),
                            Ok(SetupState::BadLink) => view! {
                                <h2>"This setup link is not valid"</h2>
                                <p>"Use the link printed on the console where Gatehouse was started. It changes each time Gatehouse starts until the administrator is created."</p>
                            }.into_any(),
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
fn SetupForm(token: String) -> impl IntoView {
    let create = ServerAction::<CreateFirstAdmin>::new();
    let value = create.value();
    view! {
        <h2>"Create the administrator"</h2>
        <p class="muted">"This account manages users, projects and environments."</p>
        <ActionForm action=create attr:class="form">
            <FormError value fields=&["name", "email", "password"]/>
            <input type="hidden" name="token" value=token/>
            <label for="name">"Your name"</label>
            <input id="name" name="name" autocomplete="name" required autofocus/>
            <FieldError value field="name"/>
            <label for="email">"Email"</label>
            <input id="email" type="email" name="email" autocomplete="username" required/>
            <FieldError value field="email"/>
            <label for="password">"Password"</label>
            <input id="password" type="password" name="password" autocomplete="new-password" minlength="10" required aria-describedby="password-hint"/>
            <p class="hint" id="password-hint">"At least 10 characters."</p>
            <FieldError value field="password"/>
            <button type="submit" class="button primary">"Create administrator"</button>
        </ActionForm>
    }
}
