//! One environment's card on the Endpoints page: the saved summary, notices, Check connection,
//! and the Configure panel. Forms cannot nest, so the Save form is an empty `<form>` whose
//! fields (`fields`) sit anywhere in the card with `form=` pointing at it; that lets the Add
//! Client Certificate dialog and each certificate's Delete keep their own forms.
use super::check::CheckConnection;
use super::drafts::{Draft, Drafts};
use super::fields::{CardForm, ClientCertificateChoices, ConnectionFields, TimeoutsAndSave};
use super::tls::TlsFields;
use crate::api::certificates::{DeleteCertificate, GenerateKeyPair};
use crate::api::endpoints::{CheckEndpoint, SaveEndpoint};
use crate::components::client_certificate::ClientCertificateTabs;
use crate::components::format_time;
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
    tls12_suites: Vec<String>,
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
        let pinned = match config.pins.len() {
            0 => String::new(),
            1 => " · 1 pinned key".to_string(),
            n => format!(" · {n} pinned keys"),
        };
        let versions = match (config.tls.min_version.as_str(), config.tls.max_version.as_str()) {
            ("1.2", "1.3") => String::new(),
            (min, max) if min == max => format!(" · TLS {min} only"),
            (min, max) => format!(" · TLS {min} to {max}"),
        };
        format!("{mutual} · {trust}{pinned}{versions}")
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
    let form = CardForm { env: env_key, card, drafts, save };
    // Each part type-erased (`into_any`): nested, their view types outgrow the compiler's
    // recursion limit in the browser build.
    let connection = view! { <ConnectionFields form draft=draft.clone() endpoint_certificates accepted/> }.into_any();
    let existing = view! { <ClientCertificateChoices form draft=draft.clone() project=project.clone() client_certificates delete/> }.into_any();
    let tls = view! { <TlsFields form draft=draft.clone() suites=tls12_suites/> }.into_any();
    let timeouts = view! { <TimeoutsAndSave form draft can_edit/> }.into_any();
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
                    {existing}
                    {tls}
                    {timeouts}
                </div>
            </details>
            {delete_forms}
        </section>
    }
}
