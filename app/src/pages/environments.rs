//! Environments: where each one's gateway listens, its listener certificate for clients, and
//! where its backends may be (admins change that; everyone may read it).
use crate::api::environments::{list_environments, offered_cipher_suites, DeleteDomain, RequestCertificate, UpdateDestinations, UpdateListenerTls};
use crate::api::session::current_user;
use crate::components::flash::refresh_flash_on;
use crate::components::forms::{FormError, LoadError};
use crate::pages::environment_edge::EdgeCard;
use crate::pages::gateway_nodes::GatewayNodes;
use leptos::prelude::*;
use leptos_meta::Title;
use services::model::Environment;

#[component]
pub fn EnvironmentsPage() -> impl IntoView {
    let update = ServerAction::<UpdateDestinations>::new();
    let (delete, tls) = (ServerAction::<DeleteDomain>::new(), ServerAction::<UpdateListenerTls>::new());
    refresh_flash_on(update.version());
    refresh_flash_on(delete.version());
    refresh_flash_on(tls.version());
    let acme = ServerAction::<RequestCertificate>::new();
    refresh_flash_on(acme.version());
    let environments =
        Resource::new(move || (update.version().get(), delete.version().get(), tls.version().get(), acme.version().get()), |_| list_environments());
    let suites = Resource::new(|| (), |_| offered_cipher_suites());
    let me = Resource::new(|| (), |_| current_user());
    view! {
        <Title text="Environments · Gatehouse"/>
        <div class="page-header">
            <h1>"Environments"</h1>
            <p class="muted">"Revisions are promoted in this order. Each environment has its own gateway listener; its default certificate is self-signed, so clients need to trust it (download it below) unless they call a domain with a certificate of its own."</p>
        </div>
        <Suspense fallback=|| view! { <p>"Loading environments…"</p> }>
            {move || Suspend::new(async move {
                let is_admin = matches!(me.await, Ok(Some(ref u)) if u.is_admin);
                let suites = suites.await.unwrap_or_default();
                match environments.await {
                    Ok(list) => {
                        let rows = list.iter().map(|e| {
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
                        let edges = list.iter().cloned().map(|env| view! { <EdgeCard env is_admin suites=suites.clone() delete tls acme/> }).collect_view();
                        let cards = list.into_iter().map(|env| view! { <Destinations env is_admin update/> }).collect_view();
                        view! {
                            <table class="table" data-testid="environment-list">
                                <thead><tr><th>"Order"</th><th>"Environment"</th><th>"Gateway URL"</th><th>"Listener certificate"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <h2>"Domains and TLS"</h2>
                            <p class="muted">"Each listener serves a domain's own certificate chain to callers that ask for that name (SNI), and its default certificate to everyone else. Changes hold from the next connection, with no restart."</p>
                            <FormError value=delete.value()/>
                            <FormError value=tls.value()/>
                            <FormError value=acme.value()/>
                            {edges}
                            <h2>"Backend destinations"</h2>
                            <p class="muted">"Where each environment's backends may be, checked on every address a backend's name resolves to, each time the gateway, Check connection or the Test page connects. Link-local and cloud-metadata addresses are always refused unless an allow list names them."</p>
                            <FormError value=update.value()/>
                            {cards}
                            <GatewayNodes/>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One environment's allow and deny lists: a form for admins, the lists for everyone else.
#[component]
fn Destinations(env: Environment, is_admin: bool, update: ServerAction<UpdateDestinations>) -> impl IntoView {
    let describe = |list: &[String], empty: &'static str| if list.is_empty() { empty.to_string() } else { list.join(", ") };
    let allowed_text = describe(&env.allowed_destinations, "anywhere but link-local and cloud-metadata addresses");
    let denied_text = describe(&env.denied_destinations, "nothing more");
    let (allowed_id, denied_id) = (format!("allowed-{}", env.slug), format!("denied-{}", env.slug));
    let (slug, name) = (env.slug.clone(), env.name.clone());
    let (allowed_lines, denied_lines) = (env.allowed_destinations.join("\n"), env.denied_destinations.join("\n"));
    let form = is_admin.then(move || {
        let (allowed_hint, denied_hint) = (format!("{allowed_id}-hint"), format!("{denied_id}-hint"));
        let test_id = format!("destinations-{slug}");
        view! {
            <ActionForm action=update attr:class="form form-grid" attr:data-testid=test_id>
                <input type="hidden" name="environment" value=slug/>
                <div class="field">
                    <label for=allowed_id.clone()>"Allowed ranges"</label>
                    <textarea id=allowed_id name="allowed" rows="3" aria-describedby=allowed_hint.clone() placeholder="10.0.0.0/8">
                        {allowed_lines}
                    </textarea>
                    <p class="hint" id=allowed_hint>"One range or address per line. Empty: anywhere but link-local and cloud metadata. Otherwise backends must be in one of these."</p>
                </div>
                <div class="field">
                    <label for=denied_id.clone()>"Denied ranges"</label>
                    <textarea id=denied_id name="denied" rows="3" aria-describedby=denied_hint.clone() placeholder="192.168.0.0/16">
                        {denied_lines}
                    </textarea>
                    <p class="hint" id=denied_hint>"Never called, whatever the allowed ranges say."</p>
                </div>
                <div class="actions">
                    <button type="submit" class="button primary" disabled=update.pending()>{format!("Save {name} destinations")}</button>
                </div>
            </ActionForm>
        }
    });
    view! {
        <section class="card" aria-label=format!("{} backend destinations", env.name)>
            <h3>{env.name.clone()}</h3>
            {if is_admin {
                form.into_any()
            } else {
                view! {
                    <dl class="facts">
                        <dt>"Allowed"</dt><dd>{allowed_text}</dd>
                        <dt>"Denied"</dt><dd>{denied_text}</dd>
                    </dl>
                    <p class="hint">"An administrator changes these."</p>
                }.into_any()
            }}
        </section>
    }
}
