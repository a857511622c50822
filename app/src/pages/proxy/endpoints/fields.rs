//! The Configure panel's fields of an Endpoints card. Each sits outside any `<form>` and joins
//! the card's Save form with `form=`, so the Add Client Certificate dialog and each
//! certificate's Delete keep forms of their own; every change is kept in the card's draft.
use super::drafts::{Draft, Drafts};
use crate::api::certificates::DeleteCertificate;
use crate::api::endpoints::SaveEndpoint;
use crate::components::confirm::ConfirmSubmit;
use crate::components::forms::{FieldError, FormError};
use crate::pages::certificates::ExpiryBadge;
use leptos::prelude::*;
use services::model::Certificate;

/// What every field of one card needs: its environment, its Save action and its draft.
#[derive(Clone, Copy)]
pub struct CardForm {
    pub env: StoredValue<String>,
    pub card: StoredValue<(String, Draft)>,
    pub drafts: Drafts,
    pub save: ServerAction<SaveEndpoint>,
}

impl CardForm {
    /// An element id unique to this card.
    pub fn id(self, name: &str) -> String {
        format!("{}-{name}", self.env.get_value())
    }

    /// The id of the card's (empty) Save form.
    pub fn form_id(self) -> String {
        format!("endpoint-form-{}", self.env.get_value())
    }

    pub fn edit(self, change: impl FnOnce(&mut Draft)) {
        self.drafts.edit(self.card, change)
    }
}

/// Backend URL, endpoint certificates, the host-mismatch override, verification and Mutual SSL.
#[component]
pub fn ConnectionFields(form: CardForm, draft: Draft, endpoint_certificates: Vec<Certificate>, accepted: bool) -> impl IntoView {
    let value = form.save.value();
    let host_mismatch_field = move || value.with(|v| matches!(v, Some(Err(e)) if e.field() == Some("endpoint_certificate_ids")));
    let form_id = form.form_id();
    let endpoint_choices = if endpoint_certificates.is_empty() {
        view! { <p class="muted">"No endpoint certificate uploaded. Over https the gateway then trusts the public root CAs; use Upload Endpoint Certificate above for a self-signed or private-CA backend."</p> }.into_any()
    } else {
        endpoint_certificates.iter().enumerate().map(|(i, c)| {
            let cid = c.id;
            let checked = draft.endpoint_ids.contains(&cid);
            let input_id = form.id(&format!("endpoint-cert-{cid}"));
            view! {
                <div class="choice">
                    <input type="checkbox" id=input_id.clone() form=form_id.clone() name=format!("endpoint_certificate_ids[{i}]") value=cid checked=checked
                        on:change=move |ev| { let on = event_target_checked(&ev); form.edit(|d| { d.endpoint_ids.retain(|x| *x != cid); if on { d.endpoint_ids.push(cid) } }) }/>
                    <label for=input_id>
                        <span>{c.name.clone()}</span>" "<span class="muted small">{if c.is_ca { "CA" } else { "server certificate" }}</span>" "<ExpiryBadge days_left=c.days_left/>
                    </label>
                </div>
            }
        }).collect_view().into_any()
    };
    let form_accept = form_id.clone();
    view! {
        <div class="field">
            <label for=form.id("url")>"Backend URL"</label>
            <input id=form.id("url") form=form_id.clone() name="url" type="url" required maxlength="2048" value=draft.url.clone()
                on:input=move |ev| { let v = event_target_value(&ev); form.edit(|d| d.url = v) }/>
            <FieldError value field="url"/>
        </div>
        <fieldset class="choices">
            <legend>"Endpoint certificates"</legend>
            <p class="hint">"The certificates the gateway trusts when it calls this backend over https."</p>
            {endpoint_choices}
            <FieldError value field="endpoint_certificate_ids"/>
        </fieldset>
        <Show when=move || accepted || host_mismatch_field()>
            <div class="choice">
                <input type="checkbox" id=form.id("accept-mismatch") form=form_accept.clone() name="accept_host_mismatch" value="on" checked=accepted/>
                <label for=form.id("accept-mismatch")>"Save anyway, although no endpoint certificate names this host"</label>
            </div>
        </Show>
        <div class="toggles">
            <div class="choice">
                <input type="checkbox" id=form.id("verify-hostname") form=form_id.clone() name="verify_hostname" value="on" checked=draft.verify_hostname
                    on:change=move |ev| { let on = event_target_checked(&ev); form.edit(|d| d.verify_hostname = on) }/>
                <label for=form.id("verify-hostname")>"Verify hostname"</label>
            </div>
            <div class="choice">
                <input type="checkbox" id=form.id("verify-chain") form=form_id.clone() name="verify_chain" value="on" checked=draft.verify_chain
                    on:change=move |ev| { let on = event_target_checked(&ev); form.edit(|d| d.verify_chain = on) }/>
                <label for=form.id("verify-chain")>"Verify certificate chain"</label>
            </div>
        </div>
        <div class="mutual-ssl">
            <label class="switch" for=form.id("mutual-ssl")>
                <input type="checkbox" role="switch" id=form.id("mutual-ssl") form=form_id.clone() name="mutual_ssl" value="on" checked=draft.mutual_ssl
                    on:change=move |ev| { let on = event_target_checked(&ev); form.edit(|d| d.mutual_ssl = on) }/>
                <span>"Mutual SSL"</span>
            </label>
            <p class="hint">"When on, the gateway presents the client certificate chosen under Existing Certificates to the backend."</p>
            <FieldError value field="mutual_ssl"/>
        </div>
    }
}

/// Existing Certificates: the client key pair to present, each with View, Download and Delete
/// (the Delete forms themselves are the card's, outside the panel).
#[component]
pub fn ClientCertificateChoices(
    form: CardForm,
    draft: Draft,
    project: String,
    client_certificates: Vec<Certificate>,
    delete: ServerAction<DeleteCertificate>,
) -> impl IntoView {
    let value = form.save.value();
    let deleted = delete.value();
    let form_id = form.form_id();
    let env = form.env.get_value();
    let client_choices = client_certificates
        .iter()
        .map(|c| {
            let cid = c.id;
            let input_id = form.id(&format!("client-cert-{cid}"));
            let view_href = format!("/projects/{project}/certificates/{cid}");
            let download = crate::file_routes::certificate_download(&project, cid);
            let question = format!("Delete \"{}\"? Its private key is destroyed; this cannot be undone.", c.name);
            let key_note = if c.has_private_key { c.key_type.clone() } else { format!("{}, no private key", c.key_type) };
            view! {
                <div class="choice existing-certificate">
                    <input type="radio" id=input_id.clone() form=form_id.clone() name="client_certificate_id" value=cid checked=draft.client_id == Some(cid)
                        disabled=!c.has_private_key
                        on:change=move |_| form.edit(|d| d.client_id = Some(cid))/>
                    <label for=input_id>
                        <span>{c.name.clone()}</span>" "<span class="muted small">{key_note}</span>" "<ExpiryBadge days_left=c.days_left/>
                    </label>
                    <details class="menu row-menu">
                        <summary aria-label=format!("More options for {}", c.name)>"⋯"</summary>
                        <div class="menu-panel menu-right">
                            <a href=view_href>"View and Download"</a>
                            <a href=download download=c.pem_file_name()>"Download PEM"</a>
                            <ConfirmSubmit label="Delete" question confirm="Yes, delete" form=format!("delete-{env}-{cid}")/>
                        </div>
                    </details>
                </div>
            }
        })
        .collect_view()
        .into_any();
    view! {
        <fieldset class="choices">
            <legend>"Existing Certificates"</legend>
            <p class="hint">"The client certificate associated with this endpoint. Give its certificate (Download PEM) to the backend as a trusted client."</p>
            <div class="choice">
                <input type="radio" id=form.id("client-none") form=form_id.clone() name="client_certificate_id" value="" checked=draft.client_id.is_none()
                    on:change=move |_| form.edit(|d| d.client_id = None)/>
                <label for=form.id("client-none")>"None"</label>
            </div>
            {client_choices}
            <FieldError value field="client_certificate_id"/>
            <FormError value=deleted/>
        </fieldset>
    }
}

/// The two timeouts, the errors no field shows, and Save.
#[component]
pub fn TimeoutsAndSave(form: CardForm, draft: Draft, can_edit: bool) -> impl IntoView {
    let value = form.save.value();
    let form_id = form.form_id();
    let save = form.save;
    view! {
        <div class="form-grid">
            <div class="field">
                <label for=form.id("connect")>"Connect timeout (ms)"</label>
                <input id=form.id("connect") form=form_id.clone() name="connect_timeout_ms" type="number" min="100" max="60000" required value=draft.connect.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); form.edit(|d| d.connect = v) }/>
                <FieldError value field="connect_timeout_ms"/>
            </div>
            <div class="field">
                <label for=form.id("read")>"Read timeout (ms)"</label>
                <input id=form.id("read") form=form_id.clone() name="read_timeout_ms" type="number" min="100" max="300000" required value=draft.read.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); form.edit(|d| d.read = v) }/>
                <FieldError value field="read_timeout_ms"/>
            </div>
        </div>
        <FormError value fields=&[
            "url", "endpoint_certificate_ids", "mutual_ssl", "client_certificate_id", "connect_timeout_ms", "read_timeout_ms",
            "tls.min_version", "tls.max_version", "tls.cipher_suites", "pins",
        ]/>
        <div class="actions">
            <button type="submit" form=form_id.clone() class="button primary" disabled=move || !can_edit || save.pending().get()>"Save"</button>
            {(!can_edit).then(|| view! { <span class="muted small">" Viewers cannot change endpoints."</span> })}
        </div>
    }
}
