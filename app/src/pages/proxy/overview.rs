//! Overview: what the proxy is, its lifecycle (published, deprecated with a sunset, retired:
//! at once, retiring confirmed), its contract's operations, Edit, the contract, and Delete.
use super::{use_proxy_params, ProxyRefresh};
use crate::api::policies::SetLifecycle;
use crate::api::proxies::{get_proxy, DeleteProxy, RemoveContract, UpdateProxy};
use crate::components::client_certificate::FileOrPaste;
use crate::components::confirm::ConfirmSubmit;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{EmptyState, FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use services::model::{Lifecycle, Proxy, MAX_CONTRACT_KIB};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let (project, key) = use_proxy_params();
    let update = ServerAction::<UpdateProxy>::new();
    let remove_contract = ServerAction::<RemoveContract>::new();
    let delete = ServerAction::<DeleteProxy>::new();
    let lifecycle = ServerAction::<SetLifecycle>::new();
    for version in [update.version(), remove_contract.version(), delete.version(), lifecycle.version()] {
        refresh_flash_on(version);
    }
    if let Some(ProxyRefresh(refresh)) = use_context::<ProxyRefresh>() {
        Effect::new(move |_| {
            if matches!(update.value().get(), Some(Ok(_))) || remove_contract.version().get() > 0 {
                refresh.update(|n| *n += 1);
            }
        });
    }
    let proxy = Resource::new(
        move || (project(), key(), update.version().get(), remove_contract.version().get(), lifecycle.version().get()),
        |(p, k, _, _, _)| get_proxy(p, k),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match proxy.await {
                    Ok(p) => view! {
                        <Overview project=project() proxy=p.clone() update remove_contract delete/>
                        <LifecycleCard project=project() proxy=p lifecycle/>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(
    project: String,
    proxy: Proxy,
    update: ServerAction<UpdateProxy>,
    remove_contract: ServerAction<RemoveContract>,
    delete: ServerAction<DeleteProxy>,
) -> impl IntoView {
    let value = update.value();
    // ActionForm children take their values by move: one copy each.
    let (project_edit, project_contract, project_delete) = (project.clone(), project.clone(), project.clone());
    let (slug_edit, slug_contract, slug_delete) = (proxy.slug.clone(), proxy.slug.clone(), proxy.slug.clone());
    let operations = if proxy.operations.is_empty() {
        view! {
            <EmptyState title=if proxy.has_contract { "The contract lists no operations" } else { "No contract yet" }>
                <p>"Upload an OpenAPI 3 contract below to list this API's operations here."</p>
            </EmptyState>
        }
        .into_any()
    } else {
        let rows = proxy
            .operations
            .iter()
            .map(|o| {
                view! {
                    <tr>
                        <td><span class=format!("method method-{}", o.method.to_lowercase())>{o.method.clone()}</span></td>
                        <td><code>{format!("{}{}", proxy.context_path, o.path)}</code></td>
                        <td>{o.summary.clone().or(o.operation_id.clone()).unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="table" data-testid="operation-list">
                <thead><tr><th>"Method"</th><th>"Path on the gateway"</th><th>"Summary"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let contract_action = crate::file_routes::contract_upload(&project, &proxy.slug);
    let question = format!("Delete {} {}? Its endpoint configurations go with it. This cannot be undone.", proxy.name, proxy.version);
    view! {
        <Title text=format!("{} · Gatehouse", proxy.name)/>
        <section class="card">
            <h2>"Overview"</h2>
            <table class="details-table" data-testid="proxy-details">
                <tbody>
                    <tr><th>"Context path"</th><td><code>{proxy.context_path.clone()}</code></td></tr>
                    <tr><th>"Version"</th><td>{proxy.version.clone()}</td></tr>
                    <tr><th>"Slug"</th><td><code>{proxy.slug.clone()}</code></td></tr>
                    <tr><th>"Description"</th><td>{if proxy.description.is_empty() { "none".to_string() } else { proxy.description.clone() }}</td></tr>
                    <tr><th>"Created"</th><td>{format_time(&proxy.created_at)}</td></tr>
                    <tr><th>"Last changed"</th><td>{format_time(&proxy.updated_at)}</td></tr>
                </tbody>
            </table>
        </section>
        <section class="card">
            <h2>"Operations"</h2>
            {operations}
        </section>
        <section class="card">
            <h2>"Edit"</h2>
            <ActionForm action=update attr:class="form form-grid">
                <FormError value fields=&["name", "version", "context_path", "description"]/>
                <input type="hidden" name="project" value=project_edit/>
                <input type="hidden" name="proxy" value=slug_edit/>
                <div class="field"><label for="edit-name">"Name"</label><input id="edit-name" name="name" required maxlength="100" value=proxy.name.clone()/><FieldError value field="name"/></div>
                <div class="field"><label for="edit-version">"Version"</label><input id="edit-version" name="version" required maxlength="32" value=proxy.version.clone()/><FieldError value field="version"/></div>
                <div class="field"><label for="edit-context">"Context path"</label><input id="edit-context" name="context_path" required maxlength="200" value=proxy.context_path.clone()/><FieldError value field="context_path"/></div>
                <div class="field field-wide"><label for="edit-description">"Description"</label><textarea id="edit-description" name="description" rows="2" maxlength="2000">{proxy.description.clone()}</textarea><FieldError value field="description"/></div>
                <div class="actions"><button type="submit" class="button primary">"Save"</button></div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>"Contract"</h2>
            <p class="muted">{format!("An OpenAPI 3 document, YAML or JSON, up to {MAX_CONTRACT_KIB} KiB. Uploading replaces the current one.")}</p>
            <form method="post" enctype="multipart/form-data" action=contract_action class="form">
                <FileOrPaste id="contract" name="contract" label="Contract file" paste_label="or paste the contract" accept=".yaml,.yml,.json" placeholder="openapi: 3.0.3"/>
                <div class="actions"><button type="submit" class="button primary">"Upload contract"</button></div>
            </form>
            {proxy.has_contract.then(|| view! {
                <FormError value=remove_contract.value()/>
                <ActionForm action=remove_contract attr:class="inline-form">
                    <input type="hidden" name="project" value=project_contract/>
                    <input type="hidden" name="proxy" value=slug_contract/>
                    <ConfirmSubmit label="Remove contract" question="Remove the contract? The operations list empties; routing is not affected.".to_string() confirm="Yes, remove"/>
                </ActionForm>
            })}
        </section>
        <section class="card">
            <h2>"Delete"</h2>
            <FormError value=delete.value()/>
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="project" value=project_delete/>
                <input type="hidden" name="proxy" value=slug_delete/>
                <ConfirmSubmit label="Delete API proxy" question confirm="Yes, delete"/>
            </ActionForm>
        </section>
    }
}

/// Where the proxy is in its life, and the forms that move it. Holds at once, in every
/// environment where it is live; retiring asks first.
#[component]
fn LifecycleCard(project: String, proxy: Proxy, lifecycle: ServerAction<SetLifecycle>) -> impl IntoView {
    let value = lifecycle.value();
    let state = proxy.lifecycle.clone();
    let current = state.lifecycle;
    let status = match current {
        Lifecycle::Deprecated => match state.sunset {
            Some(sunset) => format!("Deprecated: answers carry Deprecation, and Sunset {}.", sunset.date()),
            None => "Deprecated: answers carry a Deprecation header.".to_string(),
        },
        Lifecycle::Retired => "Retired: every call gets 410 api_retired.".to_string(),
        other => format!("{}: answers carry no lifecycle headers.", capitalised(other.as_str())),
    };
    let sunset = state.sunset.map(|s| s.date().to_string()).unwrap_or_default();
    let (p1, p2) = (project.clone(), project);
    let (s1, s2) = (proxy.slug.clone(), proxy.slug.clone());
    let question = format!("Retire {} {}? Every caller gets 410 api_retired at once, in every environment where it is live.", proxy.name, proxy.version);
    let options = [Lifecycle::Created, Lifecycle::Published, Lifecycle::Deprecated]
        .map(|l| view! { <option value=l.as_str() selected=l == current>{capitalised(l.as_str())}</option> })
        .collect_view();
    view! {
        <section class="card" data-testid="lifecycle">
            <h2>"Lifecycle " <LifecycleBadge lifecycle=current/></h2>
            <p data-testid="lifecycle-status">{status}</p>
            <ActionForm action=lifecycle attr:class="form form-grid">
                <FormError value fields=&["lifecycle", "sunset"]/>
                <input type="hidden" name="project" value=p1/>
                <input type="hidden" name="proxy" value=s1/>
                <div class="field">
                    <label for="lifecycle-state">"State"</label>
                    <select id="lifecycle-state" name="lifecycle">{options}</select>
                    <FieldError value field="lifecycle"/>
                </div>
                <div class="field">
                    <label for="lifecycle-sunset">"Sunset (deprecated only)"</label>
                    <input id="lifecycle-sunset" name="sunset" type="date" value=sunset/>
                    <FieldError value field="sunset"/>
                </div>
                <div class="actions"><button type="submit" class="button primary" disabled=lifecycle.pending()>"Save lifecycle"</button></div>
            </ActionForm>
            {(current != Lifecycle::Retired).then(|| view! {
                <ActionForm action=lifecycle attr:class="inline-form">
                    <input type="hidden" name="project" value=p2/>
                    <input type="hidden" name="proxy" value=s2/>
                    <input type="hidden" name="lifecycle" value="retired"/>
                    <input type="hidden" name="sunset" value=""/>
                    <ConfirmSubmit label="Retire API" question confirm="Yes, retire"/>
                </ActionForm>
            })}
        </section>
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// "Deprecated", "Retired" (nothing for created and published, the usual states).
#[component]
pub fn LifecycleBadge(lifecycle: Lifecycle) -> impl IntoView {
    match lifecycle {
        Lifecycle::Deprecated => Some(view! { <span class="badge expiring" data-testid="lifecycle-badge">"Deprecated"</span> }),
        Lifecycle::Retired => Some(view! { <span class="badge expired" data-testid="lifecycle-badge">"Retired"</span> }),
        Lifecycle::Published => Some(view! { <span class="badge valid" data-testid="lifecycle-badge">"Published"</span> }),
        Lifecycle::Created => None,
    }
}
