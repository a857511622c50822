//! "Add Client Certificate Pair": the two tabs of seed 004, *Generate new key pair* (with
//! *Show advanced options*) and *Use my own key pair*. Used on the Certificates page and in
//! each environment's card on the Endpoints page, so ids carry a prefix.
use crate::api::certificates::GenerateKeyPair;
use crate::components::forms::{FieldError, FormError};
use leptos::prelude::*;
use services::model::{KeyAlgorithm, MAX_UPLOAD_KIB};

pub const CERT_FILES: &str = ".pem,.crt,.cer,.der";

/// The two tabs. `back` is where "Use my own key pair" returns after its multipart post.
#[component]
pub fn ClientCertificateTabs(project: String, prefix: String, back: String, generate: ServerAction<GenerateKeyPair>) -> impl IntoView {
    let value = generate.value();
    let pending = generate.pending();
    let own_action = crate::file_routes::client_pair_upload(&project);
    // Copy, so every form's children can use it.
    let prefix = StoredValue::new(prefix);
    let id = move |name: &str| format!("{}-{name}", prefix.get_value());
    let tab_name = id("client-tab");
    view! {
        <div class="radio-tabs">
            <input type="radio" name=tab_name.clone() id=id("tab-generate") checked/>
            <label for=id("tab-generate")>"Generate new key pair"</label>
            <div class="tab-panel">
                <ActionForm action=generate attr:class="form form-grid">
                    <FormError value fields=&["common_name", "organization", "organizational_unit", "country", "state", "locality", "validity_days"]/>
                    <input type="hidden" name="project" value=project.clone()/>
                    <div class="field field-wide">
                        <label for=id("common-name")>"Common name"</label>
                        <input id=id("common-name") name="common_name" required maxlength="64" placeholder="e.g. gatehouse-dev-client"/>
                        <p class="hint">"Identifies this certificate; the backend sees it as the client's name."</p>
                        <FieldError value field="common_name"/>
                    </div>
                    <details class="advanced field-wide">
                        <summary>"Show advanced options"</summary>
                        <div class="form-grid">
                            <div class="field"><label for=id("org")>"Organization"</label><input id=id("org") name="organization" maxlength="64"/><FieldError value field="organization"/></div>
                            <div class="field"><label for=id("unit")>"Organizational unit"</label><input id=id("unit") name="organizational_unit" maxlength="64"/><FieldError value field="organizational_unit"/></div>
                            <div class="field"><label for=id("country")>"Country"</label><input id=id("country") name="country" maxlength="2" placeholder="SE"/><FieldError value field="country"/></div>
                            <div class="field"><label for=id("state")>"State or province"</label><input id=id("state") name="state" maxlength="64"/><FieldError value field="state"/></div>
                            <div class="field"><label for=id("locality")>"Locality"</label><input id=id("locality") name="locality" maxlength="64"/><FieldError value field="locality"/></div>
                            <div class="field"><label for=id("validity")>"Validity (days)"</label><input id=id("validity") name="validity_days" type="number" min="1" max="3650" value="365"/><FieldError value field="validity_days"/></div>
                            <div class="field"><label for=id("algorithm")>"Key algorithm"</label>
                                <select id=id("algorithm") name="key_algorithm">
                                    {KeyAlgorithm::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == KeyAlgorithm::default()>{k.label()}</option> }).collect_view()}
                                </select>
                            </div>
                        </div>
                    </details>
                    <div class="actions">
                        <button type="submit" class="button primary" disabled=pending aria-busy=move || pending.get().to_string()>
                            {move || if pending.get() { "Generating… (RSA 4096 takes a few seconds)" } else { "Generate" }}
                        </button>
                    </div>
                </ActionForm>
            </div>
            <input type="radio" name=tab_name id=id("tab-own")/>
            <label for=id("tab-own")>"Use my own key pair"</label>
            <div class="tab-panel">
                <form method="post" enctype="multipart/form-data" action=own_action class="form">
                    <input type="hidden" name="back" value=back/>
                    <p class="muted">{format!("The private key (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted) and its certificate, with the chain if you have it. Upload files or paste PEM; up to {MAX_UPLOAD_KIB} KiB each.")}</p>
                    <FileOrPaste id=id("own-key") name="private_key" label="Private key file" paste_label="or paste the private key"
                        accept=".pem,.key" placeholder="-----BEGIN PRIVATE KEY-----"/>
                    <FileOrPaste id=id("own-cert") name="certificate" label="Certificate file" paste_label="or paste the certificate"
                        accept=CERT_FILES placeholder="-----BEGIN CERTIFICATE-----"/>
                    <div class="actions"><button type="submit" class="button primary">"Add"</button></div>
                </form>
            </div>
        </div>
    }
}

/// A file input and a text area for the same value (`{name}_file` / `{name}_pem`); the server
/// takes the file when one was chosen (see server/src/console_forms.rs).
#[component]
pub fn FileOrPaste(
    #[prop(into)] id: String,
    name: &'static str,
    label: &'static str,
    paste_label: &'static str,
    accept: &'static str,
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <label for=format!("{id}-file")>{label}</label>
        <input id=format!("{id}-file") type="file" name=format!("{name}_file") accept=accept/>
        <label for=format!("{id}-pem")>{paste_label}</label>
        <textarea id=format!("{id}-pem") name=format!("{name}_pem") rows="4" placeholder=placeholder autocomplete="off"></textarea>
    }
}
