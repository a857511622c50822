//! Endpoints (seed 004, Steps 1 to 3): Upload Endpoint Certificate for the proxy, then a card
//! per environment with the backend URL, the endpoint certificates it trusts, Mutual SSL, Add
//! Client Certificate, Existing Certificates, verification and timeouts, and Save.
mod card;
mod check;
mod drafts;
mod fields;
mod tls;

use super::{use_proxy_params, ProxyRefresh};
use crate::api::endpoints::endpoints_view;
use crate::components::client_certificate::{FileOrPaste, CERT_FILES};
use crate::components::flash::refresh_flash_on;
use crate::components::forms::LoadError;
use card::EndpointCard;
use drafts::Drafts;
use leptos::prelude::*;
use leptos_meta::Title;
use services::model::{EndpointConfig, MAX_UPLOAD_KIB};

#[component]
pub fn EndpointsPage() -> impl IntoView {
    let (project, key) = use_proxy_params();
    // Bumped after a successful save, generate or delete: the cards are read again.
    let reload = RwSignal::new(0usize);
    refresh_flash_on(reload);
    if let Some(ProxyRefresh(refresh)) = use_context::<ProxyRefresh>() {
        Effect::new(move |_| {
            if reload.get() > 0 {
                refresh.update(|n| *n += 1);
            }
        });
    }
    // What was typed on each card but not saved, so reading the cards again loses nothing.
    let drafts = Drafts::default();
    let data = Resource::new(move || (project(), key(), reload.get()), |(p, k, _)| endpoints_view(p, k));
    view! {
        <Title text="Endpoints · Gatehouse"/>
        <section class="card">
            <h2>"Endpoints"</h2>
            <p class="muted">"Each environment has its own endpoint configuration. Save stores it; nothing is live until it is deployed."</p>
            <h3>"Upload Endpoint Certificate"</h3>
            <p class="muted">{format!("The backend's server certificate (or the CA that issued it), needed when the backend does not use a publicly trusted certificate. The first one uploaded becomes the default for every environment that has none; each environment can choose its own below. A .pem, .crt or .cer file, or paste the PEM; up to {MAX_UPLOAD_KIB} KiB.")}</p>
            <form method="post" enctype="multipart/form-data" action=move || crate::file_routes::proxy_endpoint_certificate_upload(&project(), &key()) class="form">
                <FileOrPaste id="endpoint-upload" name="certificate" label="Certificate file" paste_label="or paste the PEM" accept=CERT_FILES placeholder="-----BEGIN CERTIFICATE-----"/>
                <div class="actions"><button type="submit" class="button primary">"Upload Endpoint Certificate"</button></div>
            </form>
        </section>
        <Suspense fallback=|| view! { <p>"Loading endpoints…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        // Keyed by the reload count, so every read renders fresh cards (from
                        // the saved configuration plus any draft) instead of patching the old
                        // elements, whose checked radios could otherwise point at a shifted list.
                        let version = reload.get_untracked();
                        let cards: Vec<(usize, EndpointConfig)> = v.configs.iter().map(|c| (version, c.clone())).collect();
                        let (endpoint_certificates, client_certificates, can_edit) = (v.endpoint_certificates, v.client_certificates, v.can_edit);
                        let tls12_suites = v.tls12_suites;
                        view! {
                            <For each=move || cards.clone() key=|(n, c)| (*n, c.environment.id) let:((_, config))>
                                <EndpointCard
                                    project=project()
                                    proxy=key()
                                    config
                                    endpoint_certificates=endpoint_certificates.clone()
                                    client_certificates=client_certificates.clone()
                                    tls12_suites=tls12_suites.clone()
                                    can_edit
                                    reload
                                    drafts
                                />
                            </For>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
