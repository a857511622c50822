//! Parts of the proxy's navigation that later work fills in. Until then they say so plainly,
//! so nobody mistakes a saved configuration for a live one.
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PoliciesPage() -> impl IntoView {
    view! {
        <Title text="Policies · Gatehouse"/>
        <section class="card">
            <h2>"Policies"</h2>
            <p>"Request and response policies (rate limits, header rules, consumer authentication) are not available yet."</p>
            <p>"The backend connection, its certificates and Mutual SSL are configured on the "<a href="endpoints">"Endpoints"</a>" page."</p>
        </section>
    }
}
