//! Create API proxy: name, version, context path, backend URL, and optionally a description
//! and an OpenAPI contract. Opens the new proxy's Endpoints page.
use crate::api::proxies::CreateProxy;
use crate::components::forms::{FieldError, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn NewProxyPage() -> impl IntoView {
    let params = use_params_map();
    let project = move || params.read().get("project").unwrap_or_default();
    let create = ServerAction::<CreateProxy>::new();
    let value = create.value();
    let pending = create.pending();
    view! {
        <Title text="Create API proxy · Gatehouse"/>
        <div class="page-header">
            <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "<a href=move || format!("/projects/{}", project())>{project}</a></p>
            <h1>"Create API proxy"</h1>
            <p class="muted">"The gateway sends requests under the context path to the backend URL. Each environment gets its own endpoint configuration, which you can change next."</p>
        </div>
        <section class="card">
            <ActionForm action=create attr:class="form form-grid">
                <FormError value fields=&["name", "slug", "version", "context_path", "backend_url", "description", "contract"]/>
                <input type="hidden" name="project" value=project/>
                <div class="field">
                    <label for="proxy-name">"Name"</label>
                    <input id="proxy-name" name="name" required maxlength="100" placeholder="Weather API"/>
                    <FieldError value field="name"/>
                </div>
                <div class="field">
                    <label for="proxy-version">"Version"</label>
                    <input id="proxy-version" name="version" required maxlength="32" value="v1"/>
                    <FieldError value field="version"/>
                </div>
                <div class="field">
                    <label for="proxy-context">"Context path"</label>
                    <input id="proxy-context" name="context_path" required maxlength="200" placeholder="/weather/v1"/>
                    <p class="hint">"Requests to the gateway under this path go to this proxy."</p>
                    <FieldError value field="context_path"/>
                </div>
                <div class="field">
                    <label for="proxy-slug">"Slug (optional)"</label>
                    <input id="proxy-slug" name="slug" maxlength="48" placeholder="derived from the name and version"/>
                    <FieldError value field="slug"/>
                </div>
                <div class="field field-wide">
                    <label for="proxy-backend">"Backend URL"</label>
                    <input id="proxy-backend" name="backend_url" required type="url" maxlength="2048" placeholder="https://backend.example.com/api"/>
                    <p class="hint">"Every environment starts with this URL; change it per environment on the Endpoints page."</p>
                    <FieldError value field="backend_url"/>
                </div>
                <div class="field field-wide">
                    <label for="proxy-description">"Description (optional)"</label>
                    <textarea id="proxy-description" name="description" rows="2" maxlength="2000"></textarea>
                    <FieldError value field="description"/>
                </div>
                <div class="field field-wide">
                    <label for="proxy-contract">"OpenAPI contract (optional)"</label>
                    <textarea id="proxy-contract" name="contract" rows="6" placeholder="openapi: 3.0.3" autocomplete="off" spellcheck="false"></textarea>
                    <p class="hint">"Paste an OpenAPI 3 document (YAML or JSON); its operations are listed on the proxy's Overview, where you can also upload it as a file."</p>
                    <FieldError value field="contract"/>
                </div>
                <div class="actions">
                    <button type="submit" class="button primary" disabled=pending>"Create"</button>
                </div>
            </ActionForm>
        </section>
    }
}
