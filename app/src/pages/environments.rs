//! Environments: where each one's gateway listens, and its listener certificate for clients.
use crate::api::environments::list_environments;
use crate::components::forms::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn EnvironmentsPage() -> impl IntoView {
    let environments = Resource::new(|| (), |_| list_environments());
    view! {
        <Title text="Environments · Gatehouse"/>
        <div class="page-header">
            <h1>"Environments"</h1>
            <p class="muted">"Revisions are promoted in this order. Each environment has its own gateway listener; its certificate is self-signed until a real one is uploaded, so clients need to trust it (download it below)."</p>
        </div>
        <Suspense fallback=|| view! { <p>"Loading environments…"</p> }>
            {move || Suspend::new(async move {
                match environments.await {
                    Ok(list) => {
                        let rows = list.into_iter().map(|e| {
                            let download = crate::file_routes::gateway_certificate_download(&e.slug);
                            view! {
                                <tr>
                                    <td>{e.position}</td>
                                    <td>{e.name.clone()}</td>
                                    <td>{match e.gateway_url.clone() {
                                        Some(url) => view! { <code>{url}</code> }.into_any(),
                                        None => view! { <span class="muted">"no listener in this process"</span> }.into_any(),
                                    }}</td>
                                    <td>{e.gateway_certificate_pem.is_some().then(|| view! {
                                        <a href=download download=format!("gatehouse-{}-gateway.pem", e.slug)>"Download certificate"</a>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <table class="table" data-testid="environment-list">
                                <thead><tr><th>"Order"</th><th>"Environment"</th><th>"Gateway URL"</th><th>"Listener certificate"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
