//! One environment's edge on the Environments page: the custom domains its listener serves by
//! SNI (with each certificate's issuer and expiry), a form to add one (admins; a plain
//! multipart form, so files work without JavaScript), and the listener's TLS settings.
use crate::api::environments::{DeleteDomain, RequestCertificate, UpdateListenerTls};
use crate::components::client_certificate::{FileOrPaste, CERT_FILES};
use crate::components::confirm::ConfirmSubmit;
use crate::file_routes;
use crate::pages::certificates::ExpiryBadge;
use leptos::prelude::*;
use services::model::{Domain, Environment, MAX_UPLOAD_KIB};

#[component]
pub fn EdgeCard(
    env: Environment,
    is_admin: bool,
    suites: Vec<String>,
    delete: ServerAction<DeleteDomain>,
    tls: ServerAction<UpdateListenerTls>,
    acme: ServerAction<RequestCertificate>,
) -> impl IntoView {
    let slug = env.slug.clone();
    let address = env.gateway_url.clone().unwrap_or_else(|| "its address".into());
    let domains = if env.domains.is_empty() {
        view! {
            <p class="muted" data-testid=format!("no-domains-{slug}")>
                {format!("No custom domains: callers reach {} at {address} and get its self-signed certificate.", env.name)}
            </p>
        }
        .into_any()
    } else {
        let rows = env.domains.iter().cloned().map(|d| view! { <DomainRow domain=d is_admin delete/> }).collect_view();
        view! {
            <table class="table" data-testid=format!("domains-{slug}")>
                <thead><tr><th>"Hostname"</th><th>"Certificate"</th><th>"Expires"</th><th>"Invoke URL"</th>{is_admin.then(|| view! { <th><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let label = format!("{} domains and TLS", env.name);
    view! {
        <section class="card" aria-label=label>
            <h3>{env.name.clone()}</h3>
            {domains}
            {is_admin.then(|| view! { <div class="deploy-actions"><AddDomain env=env.clone()/><IssueWithAcme env=env.clone() acme/></div> }.into_any())}
            <ListenerTls env is_admin suites tls/>
        </section>
    }
}

#[component]
fn DomainRow(domain: Domain, is_admin: bool, delete: ServerAction<DeleteDomain>) -> impl IntoView {
    let Domain { hostname, environment, issuer, chain_length, not_after, days_left, invoke_url, acme, .. } = domain;
    let served = match chain_length {
        0 => "nothing yet".to_string(),
        1 => "the certificate alone".to_string(),
        n => format!("leaf and {} intermediate{}", n - 1, if n == 2 { "" } else { "s" }),
    };
    let acme = acme.map(|a| {
        let class = match a.state.as_str() {
            "issued" => "badge valid",
            "failed" => "badge expired",
            _ => "badge expiring",
        };
        let label = match a.state.as_str() {
            "issued" => "ACME: issued",
            "failed" => "ACME: failed",
            _ => "ACME: ordering…",
        };
        view! { <br/><span class=class>{label}</span>" "<span class="muted small" data-testid="acme-detail">{a.detail}</span> }
    });
    let shown = hostname.clone();
    let remove = is_admin.then(move || {
        let question = format!("Delete the domain {hostname}? Callers asking for it will get the default certificate, which does not name it.");
        view! {
            <td>
                <ActionForm action=delete>
                    <input type="hidden" name="environment" value=environment.clone()/>
                    <input type="hidden" name="hostname" value=hostname.clone()/>
                    <ConfirmSubmit label="Delete" question confirm="Yes, delete"/>
                </ActionForm>
            </td>
        }
    });
    view! {
        <tr>
            <td><code>{shown}</code></td>
            <td><span>{issuer}</span><br/><span class="muted small">{format!("serves {served}")}</span>{acme}</td>
            <td>{not_after.map(|t| t.date().to_string())}" "{days_left.map(|days_left| view! { <ExpiryBadge days_left/> })}</td>
            <td>{match invoke_url {
                Some(url) => view! { <code>{url}</code> }.into_any(),
                None => view! { <span class="muted">"any name it covers"</span> }.into_any(),
            }}</td>
            {remove}
        </tr>
    }
}

/// Hostname, chain and key: files or pasted PEM (handled in server/src/console_forms.rs).
#[component]
fn AddDomain(env: Environment) -> impl IntoView {
    let id = |part: &str| format!("domain-{}-{part}", env.slug);
    let hint = id("hostname-hint");
    view! {
        <details class="configure" data-testid=format!("add-domain-{}", env.slug)>
            <summary class="button">"Add domain"</summary>
            <form method="post" enctype="multipart/form-data" action=file_routes::domain_upload(&env.slug) class="form">
                <div class="field">
                    <label for=id("hostname")>"Hostname"</label>
                    <input id=id("hostname") name="hostname" required placeholder="api.example.com" autocomplete="off" aria-describedby=hint.clone()/>
                    <p class="hint" id=hint>"The name callers use; *.example.com covers one level of names. Point its DNS at this gateway."</p>
                </div>
                <p class="muted">{format!("The certificate first, then its intermediates (in any order; they are put in order). Include your private root if callers do not already trust it; it is checked, not sent. The key is encrypted at rest. Up to {MAX_UPLOAD_KIB} KiB each.")}</p>
                <FileOrPaste id=id("cert") name="certificate" label="Certificate chain file" paste_label="or paste the certificate chain"
                    accept=CERT_FILES placeholder="-----BEGIN CERTIFICATE-----"/>
                <FileOrPaste id=id("key") name="private_key" label="Private key file" paste_label="or paste the private key"
                    accept=".pem,.key" placeholder="-----BEGIN PRIVATE KEY-----"/>
                <div class="actions"><button type="submit" class="button primary">{format!("Add domain to {}", env.name)}</button></div>
            </form>
        </details>
    }
    .into_any()
}

/// Hostname, directory and contact: the order runs in the background.
#[component]
fn IssueWithAcme(env: Environment, acme: ServerAction<RequestCertificate>) -> impl IntoView {
    let slug = env.slug.clone();
    let id = move |part: &str| format!("acme-{slug}-{part}");
    let (hint, hostname_id, directory_id, contact_id) = (id("hint"), id("hostname"), id("directory"), id("contact"));
    let (test_id, order) = (format!("acme-{}", env.slug), format!("Order certificate for {}", env.name));
    view! {
        <details class="configure" data-testid=test_id>
            <summary class="button">"Issue with ACME"</summary>
            <ActionForm action=acme attr:class="form">
                <input type="hidden" name="environment" value=env.slug/>
                <p class="muted" id=hint.clone()>"The ACME server checks that this gateway answers for the name (TLS-ALPN-01 on this listener, so its DNS must point here, on port 443 for a public CA). Renewed a third of its life before it ends, at most 30 days before."</p>
                <div class="field">
                    <label for=hostname_id.clone()>"Hostname"</label>
                    <input id=hostname_id name="hostname" required placeholder="api.example.com" autocomplete="off" aria-describedby=hint/>
                </div>
                <div class="field">
                    <label for=directory_id.clone()>"ACME directory URL"</label>
                    <input id=directory_id name="directory_url" type="url" value=services::model::LETS_ENCRYPT_DIRECTORY/>
                </div>
                <div class="field">
                    <label for=contact_id.clone()>"Contact email (optional)"</label>
                    <input id=contact_id name="contact_email" type="email" autocomplete="email"/>
                </div>
                <div class="actions"><button type="submit" class="button primary" disabled=acme.pending()>{order}</button></div>
            </ActionForm>
        </details>
    }
    .into_any()
}

#[component]
fn ListenerTls(env: Environment, is_admin: bool, suites: Vec<String>, tls: ServerAction<UpdateListenerTls>) -> impl IntoView {
    let current = env.tls.clone();
    let shown_suites = if current.cipher_suites.is_empty() { "every suite offered".to_string() } else { current.cipher_suites.join(", ") };
    if !is_admin {
        return view! {
            <dl class="facts">
                <dt>"Minimum TLS version"</dt><dd>{current.min_version.clone()}</dd>
                <dt>"TLS 1.2 cipher suites"</dt><dd>{shown_suites}</dd>
            </dl>
        }
        .into_any();
    }
    let id = |part: &str| format!("tls-{}-{part}", env.slug);
    let boxes = suites
        .into_iter()
        .map(|suite| {
            let box_id = id(&suite);
            let checked = current.cipher_suites.contains(&suite);
            view! {
                <div class="field checkbox">
                    <input type="checkbox" id=box_id.clone() name="cipher_suites[]" value=suite.clone() checked=checked/>
                    <label for=box_id><code>{suite}</code></label>
                </div>
            }
        })
        .collect_view();
    let min_id = id("min");
    let (test_id, slug, save) = (format!("tls-{}", env.slug), env.slug.clone(), format!("Save {} TLS settings", env.name));
    view! {
        <ActionForm action=tls attr:class="form" attr:data-testid=test_id>
            <input type="hidden" name="environment" value=slug/>
            <div class="field">
                <label for=min_id.clone()>"Minimum TLS version"</label>
                <select id=min_id name="min_version">
                    <option value="1.2" selected=current.min_version == "1.2">"TLS 1.2"</option>
                    <option value="1.3" selected=current.min_version == "1.3">"TLS 1.3 (refuses TLS 1.2 clients)"</option>
                </select>
            </div>
            <fieldset class="field">
                <legend>"TLS 1.2 cipher suites"</legend>
                <p class="hint">"None ticked: every suite listed. TLS 1.3 suites are always offered."</p>
                {boxes}
            </fieldset>
            <div class="actions">
                <button type="submit" class="button" disabled=tls.pending()>{save}</button>
            </div>
        </ActionForm>
    }
    .into_any()
}
