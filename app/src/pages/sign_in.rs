use crate::api::session::SignIn;
use crate::components::forms::FormError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let pending = sign_in.pending();
    view! {
        <Title text="Sign in · Gatehouse"/>
        <main class="auth-page">
            <div class="auth-card">
                <h1 class="brand"><img class="brand-mark" src="/logo.svg" alt="" width="32" height="32"/>"Gatehouse"</h1>
                <h2>"Sign in"</h2>
                <ActionForm action=sign_in attr:class="form">
                    <FormError value=sign_in.value()/>
                    <label for="email">"Email"</label>
                    <input id="email" type="email" name="email" autocomplete="username" required autofocus/>
                    <label for="password">"Password"</label>
                    <input id="password" type="password" name="password" autocomplete="current-password" required/>
                    <button type="submit" class="button primary" disabled=pending>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="muted small">
                    "First time here? Open the setup link printed on the console where Gatehouse was started."
                </p>
            </div>
        </main>
    }
}
