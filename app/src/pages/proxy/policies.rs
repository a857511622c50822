//! Policies: the proxy's Access setting (open, or subscription with the key's header and query
//! parameter names), and its ordered list of policies (header rules, fingerprinting headers,
//! masking backend URLs, IP filter, CORS): add, edit, reorder and remove with plain forms that
//! work without JavaScript, and a one-click "Remove fingerprinting headers". Both are part of
//! the revision: they hold from the next deploy.
use super::{use_proxy_params, ProxyRefresh};
use crate::api::consumers::SetAccess;
use crate::api::policies::{AddFingerprintingPolicy, MovePolicy, RemovePolicy, SavePolicy};
use crate::api::proxies::get_proxy;
use crate::components::confirm::ConfirmSubmit;
use crate::components::flash::refresh_flash_on;
use crate::components::forms::{FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use services::model::{AccessMode, Policy};

/// The fields the policy form shows errors beside.
const POLICY_FIELDS: &[&str] = &["kind", "name", "value", "allow", "deny", "allow_origins", "allow_methods", "allow_headers", "max_age"];

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let (project, key) = use_proxy_params();
    let query = use_query_map();
    let editing = move || query.read().get("edit").and_then(|i| i.parse::<usize>().ok());
    let save = ServerAction::<SetAccess>::new();
    let save_policy = ServerAction::<SavePolicy>::new();
    let fingerprinting = ServerAction::<AddFingerprintingPolicy>::new();
    let move_policy = ServerAction::<MovePolicy>::new();
    let remove = ServerAction::<RemovePolicy>::new();
    for version in [save.version(), save_policy.version(), fingerprinting.version(), move_policy.version(), remove.version()] {
        refresh_flash_on(version);
    }
    if let Some(ProxyRefresh(refresh)) = use_context::<ProxyRefresh>() {
        Effect::new(move |_| {
            if matches!(save.value().get(), Some(Ok(_))) {
                refresh.update(|n| *n += 1);
            }
        });
    }
    let proxy = Resource::new(
        move || {
            let versions =
                (save.version().get(), save_policy.version().get(), fingerprinting.version().get(), move_policy.version().get(), remove.version().get());
            (project(), key(), versions)
        },
        |(p, k, _)| get_proxy(p, k),
    );
    let value = save.value();
    view! {
        <Title text="Policies · Gatehouse"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match proxy.await {
                    Ok(p) => {
                        let subscription = p.access.mode == AccessMode::Subscription;
                        let policies = p.policies.clone();
                        let has_fingerprinting = policies.contains(&Policy::RemoveFingerprintingHeaders);
                        let edit = editing().and_then(|i| policies.get(i).cloned().map(|policy| (i, policy)));
                        // ActionForm children take their values by move: one copy each.
                        let (slug_access, slug_list, slug_one_click, slug_form) = (p.slug.clone(), p.slug.clone(), p.slug.clone(), p.slug.clone());
                        view! {
                            <section class="card">
                                <h2>"Access"</h2>
                                <p class="muted">"Who may call this API through the gateway. Saved here, live from the next deploy (the Deploy page lists it among what would change)."</p>
                                <ActionForm action=save attr:class="form form-grid" attr:data-testid="access-form">
                                    <FormError value fields=&["key_header", "key_query"]/>
                                    <input type="hidden" name="project" value=project()/>
                                    <input type="hidden" name="proxy" value=slug_access/>
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
                            <section class="card" data-testid="policies">
                                <h2>"Policies"</h2>
                                <p class="muted">"Applied in this order to every request and answer. Saved here, live from the next deploy (the Deploy page lists them among what would change)."</p>
                                <PolicyList project=project() proxy=slug_list policies=policies.clone() move_policy remove/>
                                {(!has_fingerprinting).then(|| view! {
                                    <ActionForm action=fingerprinting attr:class="inline-form">
                                        <input type="hidden" name="project" value=project()/>
                                        <input type="hidden" name="proxy" value=slug_one_click.clone()/>
                                        <button type="submit" class="button">"Remove fingerprinting headers"</button>
                                        <span class="hint">" Server, X-Powered-By, X-AspNet-Version and X-AspNetMvc-Version leave every answer."</span>
                                    </ActionForm>
                                })}
                                <PolicyForm project=project() proxy=slug_form edit action=save_policy/>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PolicyList(
    project: String,
    proxy: String,
    policies: Vec<Policy>,
    move_policy: ServerAction<MovePolicy>,
    remove: ServerAction<RemovePolicy>,
) -> impl IntoView {
    if policies.is_empty() {
        return view! { <p class="muted" data-testid="policies-empty">"No policies yet: requests and answers pass as the gateway's own rules allow."</p> }
            .into_any();
    }
    let count = policies.len();
    let rows = policies
        .into_iter()
        .enumerate()
        .map(|(i, policy)| {
            let text = policy.describe();
            let question = format!("Remove \"{text}\"? It stays live until the next deploy.");
            let (p1, p2, p3) = (project.clone(), project.clone(), project.clone());
            let (x1, x2, x3) = (proxy.clone(), proxy.clone(), proxy.clone());
            let edit = format!("/projects/{project}/proxies/{proxy}/policies?edit={i}#policy-form");
            view! {
                <tr>
                    <td>{i + 1}</td>
                    <td>{text}</td>
                    <td class="row-actions">
                        <ActionForm action=move_policy attr:class="inline-form">
                            <input type="hidden" name="project" value=p1/>
                            <input type="hidden" name="proxy" value=x1/>
                            <input type="hidden" name="index" value=i.to_string()/>
                            <input type="hidden" name="direction" value="up"/>
                            <button type="submit" class="button small" disabled=i == 0 aria-label=format!("Move policy {} up", i + 1)>"↑"</button>
                        </ActionForm>
                        <ActionForm action=move_policy attr:class="inline-form">
                            <input type="hidden" name="project" value=p2/>
                            <input type="hidden" name="proxy" value=x2/>
                            <input type="hidden" name="index" value=i.to_string()/>
                            <input type="hidden" name="direction" value="down"/>
                            <button type="submit" class="button small" disabled=i + 1 == count aria-label=format!("Move policy {} down", i + 1)>"↓"</button>
                        </ActionForm>
                        <a class="button small" href=edit>"Edit"</a>
                        <ActionForm action=remove attr:class="inline-form">
                            <input type="hidden" name="project" value=p3/>
                            <input type="hidden" name="proxy" value=x3/>
                            <input type="hidden" name="index" value=i.to_string()/>
                            <ConfirmSubmit label="Remove" question confirm="Yes, remove"/>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-testid="policy-list">
            <thead><tr><th>"#"</th><th>"Policy"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// Adds a policy, or edits the one `edit` names. Every kind's fields are on the form (it works
/// without JavaScript); only the chosen kind's count.
#[component]
fn PolicyForm(project: String, proxy: String, edit: Option<(usize, Policy)>, action: ServerAction<SavePolicy>) -> impl IntoView {
    let value = action.value();
    let lines = |l: &Vec<String>| l.join("\n");
    let kind = edit.as_ref().map_or("set_response_header", |(_, p)| p.kind());
    let (mut name, mut header_value, mut allow, mut deny, mut origins, mut methods, mut headers, mut max_age) =
        (String::new(), String::new(), String::new(), String::new(), String::new(), String::new(), String::new(), String::new());
    match edit.as_ref().map(|(_, p)| p) {
        Some(Policy::SetRequestHeader { name: n, value: v } | Policy::SetResponseHeader { name: n, value: v }) => {
            name = n.clone();
            header_value = v.clone();
        }
        Some(Policy::RemoveRequestHeader { name: n } | Policy::RemoveResponseHeader { name: n }) => name = n.clone(),
        Some(Policy::IpFilter { allow: a, deny: d }) => {
            allow = lines(a);
            deny = lines(d);
        }
        Some(Policy::Cors { allow_origins, allow_methods, allow_headers, max_age: m }) => {
            origins = lines(allow_origins);
            methods = lines(allow_methods);
            headers = lines(allow_headers);
            max_age = m.map(|m| m.to_string()).unwrap_or_default();
        }
        _ => {}
    }
    let index = edit.as_ref().map(|(i, _)| i.to_string()).unwrap_or_default();
    let (heading, button) = match &edit {
        Some((i, _)) => (format!("Edit policy {}", i + 1), "Save policy"),
        None => ("Add a policy".to_string(), "Add policy"),
    };
    let cancel = edit.is_some().then(|| view! { <a class="button" href=format!("/projects/{project}/proxies/{proxy}/policies")>"Cancel"</a> });
    let options = Policy::KINDS.map(|k| view! { <option value=k selected=k == kind>{Policy::label(k)}</option> }).collect_view();
    view! {
        <ActionForm action attr:class="form form-grid" attr:id="policy-form" attr:data-testid="policy-form">
            <h3 class="field-wide">{heading}</h3>
            <FormError value fields=POLICY_FIELDS/>
            <input type="hidden" name="project" value=project.clone()/>
            <input type="hidden" name="proxy" value=proxy.clone()/>
            <input type="hidden" name="index" value=index/>
            <div class="field field-wide">
                <label for="policy-kind">"What it does"</label>
                <select id="policy-kind" name="fields[kind]">{options}</select>
                <FieldError value field="kind"/>
            </div>
            <fieldset class="field-wide form-grid">
                <legend>"Headers (set or remove)"</legend>
                <div class="field">
                    <label for="policy-name">"Header name"</label>
                    <input id="policy-name" name="fields[name]" maxlength="128" value=name placeholder="x-env" autocomplete="off"/>
                    <FieldError value field="name"/>
                </div>
                <div class="field">
                    <label for="policy-value">"Header value"</label>
                    <input id="policy-value" name="fields[value]" maxlength="1024" value=header_value placeholder="production" autocomplete="off"/>
                    <FieldError value field="value"/>
                </div>
            </fieldset>
            <fieldset class="field-wide form-grid">
                <legend>"IP filter (one address or CIDR range per line; deny wins)"</legend>
                <div class="field">
                    <label for="policy-allow">"Allow"</label>
                    <textarea id="policy-allow" name="fields[allow]" rows="3" placeholder="10.0.0.0/8\n2001:db8::/32">{allow}</textarea>
                    <FieldError value field="allow"/>
                </div>
                <div class="field">
                    <label for="policy-deny">"Deny"</label>
                    <textarea id="policy-deny" name="fields[deny]" rows="3" placeholder="203.0.113.7">{deny}</textarea>
                    <FieldError value field="deny"/>
                </div>
            </fieldset>
            <fieldset class="field-wide form-grid">
                <legend>"CORS (one entry per line)"</legend>
                <div class="field">
                    <label for="policy-origins">"Allowed origins"</label>
                    <textarea id="policy-origins" name="fields[allow_origins]" rows="2" placeholder="https://app.example.com">{origins}</textarea>
                    <FieldError value field="allow_origins"/>
                </div>
                <div class="field">
                    <label for="policy-methods">"Allowed methods"</label>
                    <textarea id="policy-methods" name="fields[allow_methods]" rows="2" placeholder="GET\nPOST">{methods}</textarea>
                    <FieldError value field="allow_methods"/>
                </div>
                <div class="field">
                    <label for="policy-headers">"Allowed headers"</label>
                    <textarea id="policy-headers" name="fields[allow_headers]" rows="2" placeholder="api-key\ncontent-type">{headers}</textarea>
                    <FieldError value field="allow_headers"/>
                </div>
                <div class="field">
                    <label for="policy-max-age">"Max age (seconds)"</label>
                    <input id="policy-max-age" name="fields[max_age]" inputmode="numeric" maxlength="6" value=max_age/>
                    <FieldError value field="max_age"/>
                </div>
            </fieldset>
            <p class="hint field-wide">"Mask backend URLs: the backend's address in Location, Content-Location, Link and text bodies (JSON, HTML, XML, plain text) becomes this environment's gateway URL. The gateway asks the backend for uncompressed bodies so it can; a backend that compresses anyway is passed on untouched."</p>
            <div class="actions">
                <button type="submit" class="button primary" disabled=action.pending()>{button}</button>
                {cancel}
            </div>
        </ActionForm>
    }
}
