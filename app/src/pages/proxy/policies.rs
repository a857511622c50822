//! Policies: for now the proxy's Access setting (open, or subscription with the key's header
//! and query parameter names). Part of the revision: it holds from the next deploy.
use super::{use_proxy_params, ProxyRefresh};
use crate::api::consumers::SetAccess;
use crate::api::proxies::get_proxy;
use crate::components::flash::refresh_flash_on;
use crate::components::forms::{FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use services::model::AccessMode;

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let (project, key) = use_proxy_params();
    let save = ServerAction::<SetAccess>::new();
    refresh_flash_on(save.version());
    if let Some(ProxyRefresh(refresh)) = use_context::<ProxyRefresh>() {
        Effect::new(move |_| {
            if matches!(save.value().get(), Some(Ok(_))) {
                refresh.update(|n| *n += 1);
            }
        });
    }
    let proxy = Resource::new(move || (project(), key(), save.version().get()), |(p, k, _)| get_proxy(p, k));
    let value = save.value();
    view! {
        <Title text="Policies · Gatehouse"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match proxy.await {
                    Ok(p) => {
                        let subscription = p.access.mode == AccessMode::Subscription;
                        view! {
                            <section class="card">
                                <h2>"Access"</h2>
                                <p class="muted">"Who may call this API through the gateway. Saved here, live from the next deploy (the Deploy page lists it among what would change)."</p>
                                <ActionForm action=save attr:class="form form-grid" attr:data-testid="access-form">
                                    <FormError value fields=&["key_header", "key_query"]/>
                                    <input type="hidden" name="project" value=project()/>
                                    <input type="hidden" name="proxy" value=p.slug.clone()/>
                                    <fieldset class="field field-wide">
                                        <legend>"Callers"</legend>
                                        <div class="radio-choice">
                                            <input type="radio" id="access-open" name="mode" value="open" checked=!subscription/>
                                            <label for="access-open">"Open"</label>
                                            <span class="hint">"Anyone who reaches the gateway."</span>
                                        </div>
                                        <div class="radio-choice">
                                            <input type="radio" id="access-subscription" name="mode" value="subscription" checked=subscription/>
                                            <label for="access-subscription">"Subscription key"</label>
                                            <span class="hint">"Only callers with a key of an active subscription to a product that includes this proxy (Products and Subscriptions tabs of the project)."</span>
                                        </div>
                                    </fieldset>
                                    <div class="field">
                                        <label for="key-header">"Key header"</label>
                                        <input id="key-header" name="key_header" required maxlength="64" value=p.access.key_header.clone()/>
                                        <FieldError value field="key_header"/>
                                    </div>
                                    <div class="field">
                                        <label for="key-query">"Key query parameter"</label>
                                        <input id="key-query" name="key_query" required maxlength="64" value=p.access.key_query.clone()/>
                                        <FieldError value field="key_query"/>
                                    </div>
                                    <div class="field field-wide checkbox-row">
                                        <input type="checkbox" id="access-client-certificate" name="client_certificate" value="on" checked=p.access.client_certificate/>
                                        <label for="access-client-certificate">"Accept a client certificate instead of a key"</label>
                                        <span class="hint">"A caller may present the certificate its subscription is bound to (by fingerprint, or issued by a trusted client CA on the Certificates page). The gateway then asks callers for a certificate without requiring one; while no proxy of an environment accepts certificates, it does not ask."</span>
                                    </div>
                                    <p class="hint field-wide">"The gateway takes the key out of what it forwards and tells the backend which subscription called (x-gatehouse-subscription, x-gatehouse-product)."</p>
                                    <div class="actions">
                                        <button type="submit" class="button primary" disabled=save.pending()>"Save access"</button>
                                    </div>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
