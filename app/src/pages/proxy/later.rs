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

#[component]
pub fn DeployPage() -> impl IntoView {
    view! {
        <Title text="Deploy · Gatehouse"/>
        <section class="card">
            <h2>"Deploy"</h2>
            <p>"Deploying from the console is not available yet: Configure & Deploy, Promote and the revision history will appear on this page. Until then a configuration saved on the Endpoints page is live only once it is deployed through the REST API (POST /api/v1/projects/…/proxies/…/deployments with the environment)."</p>
        </section>
    }
}

#[component]
pub fn TestPage() -> impl IntoView {
    view! {
        <Title text="Test · Gatehouse"/>
        <section class="card">
            <h2>"Test"</h2>
            <p>"Sending test requests through the gateway is not available yet: it needs a deployed revision, which a later release adds."</p>
        </section>
    }
}
