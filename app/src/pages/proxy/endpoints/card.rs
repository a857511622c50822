//! One environment's card on the Endpoints page. Forms cannot nest, so the Save form is an
//! empty `<form>` whose fields sit anywhere in the card with `form=` pointing at it; that lets
//! the Add Client Certificate dialog and each certificate's Delete keep their own forms.
use super::check::CheckConnection;
use super::drafts::{Draft, Drafts};
use crate::api::certificates::{DeleteCertificate, GenerateKeyPair};
use crate::api::endpoints::{CheckEndpoint, SaveEndpoint};
use crate::components::client_certificate::ClientCertificateTabs;
use crate::components::confirm::ConfirmSubmit;
use crate::components::format_time;
use crate::components::forms::{FieldError, FormError};
use crate::pages::certificates::ExpiryBadge;
use leptos::prelude::*;
use services::model::{Certificate, EndpointConfig, NoticeLevel};

#[component]
#[allow(clippy::too_many_arguments)]
pub fn EndpointCard(
    project: String,
    proxy: String,
    config: EndpointConfig,
    endpoint_certificates: Vec<Certificate>,
    client_certificates: Vec<Certificate>,
    can_edit: bool,
    reload: RwSignal<usize>,
    drafts: Drafts,
) -> impl IntoView {
    let env = config.environment.slug.clone();
    let save = ServerAction::<SaveEndpoint>::new();
    let generate = ServerAction::<GenerateKeyPair>::new();
    let delete = ServerAction::<DeleteCertificate>::new();
    let check = ServerAction::<CheckEndpoint>::new();
    {
        let env = env.clone();
        Effect::new(move |_| {
            let saved = matches!(save.value().get(), Some(Ok(_)));
            let changed = matches!(generate.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(_)));
            if saved {
                drafts.forget(&env);
            }
            if saved || changed {
                reload.update(|n| *n += 1);
            }
        });
    }
    let draft = drafts.current(&env);
    let editing = draft.is_some();
    let draft = draft.unwrap_or_else(|| Draft::from(&config));
    let card = StoredValue::new((env.clone(), Draft::from(&config)));
    let form_id = format!("endpoint-form-{env}");
    let env_key = StoredValue::new(env.clone());
    let id = move |name: &str| format!("{}-{name}", env_key.get_value());
    let value = save.value();
    let deleted = delete.value();
    let has_error = move || value.with(|v| matches!(v, Some(Err(_)))) || deleted.with(|v| matches!(v, Some(Err(_))));
    let host_mismatch_field = move || value.with(|v| matches!(v, Some(Err(e)) if e.field() == Some("endpoint_certificate_ids")));
    let accepted = config.host_mismatch_accepted;
    let back = format!("/projects/{project}/proxies/{proxy}/endpoints");

    let summary = {
        let client = client_certificates.iter().find(|c| Some(c.id) == config.client_certificate_id).map(|c| c.name.clone());
        let mutual = match (config.mutual_ssl, client) {
            (true, Some(name)) => format!("Mutual SSL on, presenting \"{name}\""),
            _ => "Mutual SSL off".to_string(),
        };
        let trust = match config.endpoint_certificates.len() {
            0 => "public root CAs".to_string(),
            1 => format!("trusts \"{}\"", config.endpoint_certificates[0].name),
            n => format!("trusts {n} endpoint certificates"),
        };
        format!("{mutual} · {trust}")
    };

    let notices = config
        .notices
        .iter()
        .map(|n| {
            let class = match n.level {
                NoticeLevel::Warning => "notice notice-warning",
                NoticeLevel::Info => "notice notice-info",
            };
            view! { <li class=class>{n.text.clone()}</li> }
        })
        .collect_view();

    let endpoint_choices = if endpoint_certificates.is_empty() {
        view! { <p class="muted">"No endpoint certificate uploaded. Over https the gateway then trusts the public root CAs; use Upload Endpoint Certificate above for a self-signed or private-CA backend."</p> }.into_any()
    } else {
        endpoint_certificates.iter().enumerate().map(|(i, c)| {
            let cid = c.id;
            let checked = draft.endpoint_ids.contains(&cid);
            let input_id = id(&format!("endpoint-cert-{cid}"));
            view! {
                <div class="choice">
                    <input type="checkbox" id=input_id.clone() form=form_id.clone() name=format!("endpoint_certificate_ids[{i}]") value=cid checked=checked
                        on:change=move |ev| { let on = event_target_checked(&ev); drafts.edit(card, |d| { d.endpoint_ids.retain(|x| *x != cid); if on { d.endpoint_ids.push(cid) } }) }/>
                    <label for=input_id>
                        <span>{c.name.clone()}</span>" "<span class="muted small">{if c.is_ca { "CA" } else { "server certificate" }}</span>" "<ExpiryBadge cert=c.clone()/>
                    </label>
                </div>
            }
        }).collect_view().into_any()
    };
    let endpoint_choices = endpoint_choices.into_any();

    let client_choices = client_certificates
        .iter()
        .map(|c| {
            let cid = c.id;
            let input_id = id(&format!("client-cert-{cid}"));
            let view_href = format!("/projects/{project}/certificates/{cid}");
            let download = crate::file_routes::certificate_download(&project, cid);
            let question = format!("Delete \"{}\"? Its private key is destroyed; this cannot be undone.", c.name);
            let key_note = if c.has_private_key { c.key_type.clone() } else { format!("{}, no private key", c.key_type) };
            view! {
                <div class="choice existing-certificate">
                    <input type="radio" id=input_id.clone() form=form_id.clone() name="client_certificate_id" value=cid checked=draft.client_id == Some(cid)
                        disabled=!c.has_private_key
                        on:change=move |_| drafts.edit(card, |d| d.client_id = Some(cid))/>
                    <label for=input_id>
                        <span>{c.name.clone()}</span>" "<span class="muted small">{key_note}</span>" "<ExpiryBadge cert=c.clone()/>
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
    let delete_forms = client_certificates
        .iter()
        .map(|c| {
            let (cid, project) = (c.id, project.clone());
            view! {
                <ActionForm action=delete attr:id=format!("delete-{env}-{cid}") attr:class="hidden-form">
                    <input type="hidden" name="project" value=project/>
                    <input type="hidden" name="id" value=cid/>
                    <input type="hidden" name="stay" value="1"/>
                </ActionForm>
            }
        })
        .collect_view()
        .into_any();
    let dialog = view! {
        <details class="dialog">
            <summary class="button">"Add Client Certificate"</summary>
            <div class="dialog-panel" role="dialog" aria-label="Add Client Certificate Pair">
                <h3>"Add Client Certificate Pair"</h3>
                <ClientCertificateTabs project=project.clone() prefix=env.clone() back=back generate/>
            </div>
        </details>
    }
    .into_any();
    let (project_save, proxy_save, env_save) = (project.clone(), proxy.clone(), env.clone());
    let form_accept = form_id.clone();

    let connection = view! {
                    <div class="field">
                        <label for=id("url")>"Backend URL"</label>
                        <input id=id("url") form=form_id.clone() name="url" type="url" required maxlength="2048" value=draft.url.clone()
                            on:input=move |ev| { let v = event_target_value(&ev); drafts.edit(card, |d| d.url = v) }/>
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
                            <input type="checkbox" id=id("accept-mismatch") form=form_accept.clone() name="accept_host_mismatch" value="on" checked=accepted/>
                            <label for=id("accept-mismatch")>"Save anyway, although no endpoint certificate names this host"</label>
                        </div>
                    </Show>
                    <div class="toggles">
                        <div class="choice">
                            <input type="checkbox" id=id("verify-hostname") form=form_id.clone() name="verify_hostname" value="on" checked=draft.verify_hostname
                                on:change=move |ev| { let on = event_target_checked(&ev); drafts.edit(card, |d| d.verify_hostname = on) }/>
                            <label for=id("verify-hostname")>"Verify hostname"</label>
                        </div>
                        <div class="choice">
                            <input type="checkbox" id=id("verify-chain") form=form_id.clone() name="verify_chain" value="on" checked=draft.verify_chain
                                on:change=move |ev| { let on = event_target_checked(&ev); drafts.edit(card, |d| d.verify_chain = on) }/>
                            <label for=id("verify-chain")>"Verify certificate chain"</label>
                        </div>
                    </div>
                    <div class="mutual-ssl">
                        <label class="switch" for=id("mutual-ssl")>
                            <input type="checkbox" role="switch" id=id("mutual-ssl") form=form_id.clone() name="mutual_ssl" value="on" checked=draft.mutual_ssl
                                on:change=move |ev| { let on = event_target_checked(&ev); drafts.edit(card, |d| d.mutual_ssl = on) }/>
                            <span>"Mutual SSL"</span>
                        </label>
                        <p class="hint">"When on, the gateway presents the client certificate chosen under Existing Certificates to the backend."</p>
                        <FieldError value field="mutual_ssl"/>
                    </div>
    }
    .into_any();
    let existing_and_save = view! {
                    <fieldset class="choices">
                        <legend>"Existing Certificates"</legend>
                        <p class="hint">"The client certificate associated with this endpoint. Give its certificate (Download PEM) to the backend as a trusted client."</p>
                        <div class="choice">
                            <input type="radio" id=id("client-none") form=form_id.clone() name="client_certificate_id" value="" checked=draft.client_id.is_none()
                                on:change=move |_| drafts.edit(card, |d| d.client_id = None)/>
                            <label for=id("client-none")>"None"</label>
                        </div>
                        {client_choices}
                        <FieldError value field="client_certificate_id"/>
                        <FormError value=deleted/>
                    </fieldset>
                    <div class="form-grid">
                        <div class="field">
                            <label for=id("connect")>"Connect timeout (ms)"</label>
                            <input id=id("connect") form=form_id.clone() name="connect_timeout_ms" type="number" min="100" max="60000" required value=draft.connect.clone()
                                on:input=move |ev| { let v = event_target_value(&ev); drafts.edit(card, |d| d.connect = v) }/>
                            <FieldError value field="connect_timeout_ms"/>
                        </div>
                        <div class="field">
                            <label for=id("read")>"Read timeout (ms)"</label>
                            <input id=id("read") form=form_id.clone() name="read_timeout_ms" type="number" min="100" max="300000" required value=draft.read.clone()
                                on:input=move |ev| { let v = event_target_value(&ev); drafts.edit(card, |d| d.read = v) }/>
                            <FieldError value field="read_timeout_ms"/>
                        </div>
                    </div>
                    <FormError value fields=&["url", "endpoint_certificate_ids", "mutual_ssl", "client_certificate_id", "connect_timeout_ms", "read_timeout_ms"]/>
                    <div class="actions">
                        <button type="submit" form=form_id.clone() class="button primary" disabled=move || !can_edit || save.pending().get()>"Save"</button>
                        {(!can_edit).then(|| view! { <span class="muted small">" Viewers cannot change endpoints."</span> })}
                    </div>
    }.into_any();
    view! {
        <section class="card endpoint-card" data-testid=format!("endpoint-{env}") aria-labelledby=id("title")>
            <div class="endpoint-head">
                <h2 id=id("title")>{config.environment.name.clone()}</h2>
                <span class="muted small">{format!("saved {}", format_time(&config.updated_at))}</span>
            </div>
            <p class="endpoint-summary"><code>{config.url.clone()}</code>" · "{summary}</p>
            <ul class="notices">{notices}</ul>
            <CheckConnection project=project.clone() proxy=proxy.clone() env=env.clone() check/>
            <details class="configure" open=editing || has_error() on:toggle=move |_| drafts.edit(card, |_| ())>
                <summary class="button">"Configure"</summary>
                <div class="configure-panel">
                    <ActionForm action=save attr:id=form_id.clone() attr:class="hidden-form">
                        <input type="hidden" name="project" value=project_save/>
                        <input type="hidden" name="proxy" value=proxy_save/>
                        <input type="hidden" name="environment" value=env_save/>
                    </ActionForm>
                    {connection}
                    {dialog}
                    {existing_and_save}
                </div>
            </details>
            {delete_forms}
        </section>
    }
}
