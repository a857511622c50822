//! The project's Certificates page: every certificate, soonest expiry first, with filters and
//! pages; Upload Endpoint Certificate; Add Client Certificate (generate, or use my own pair).
use crate::api::certificates::{list_certificates, GenerateKeyPair};
use crate::components::client_certificate::{ClientCertificateTabs, FileOrPaste, CERT_FILES};
use crate::components::flash::refresh_flash_on;
use crate::components::forms::{EmptyState, LoadError};
use crate::components::pagination::Pagination;
use crate::components::project_tabs::{ProjectTab, ProjectTabs};
use crate::pages::projects::urlencode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use services::model::{Certificate, ExpiryStatus, MAX_UPLOAD_KIB};

#[component]
pub fn CertificatesPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let project = move || params.read().get("project").unwrap_or_default();
    let kind = move || query.read().get("kind").unwrap_or_default();
    let text = move || query.read().get("q").unwrap_or_default();
    let page = move || query.read().get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64);
    let generate = ServerAction::<GenerateKeyPair>::new();
    refresh_flash_on(generate.version());
    let certificates = Resource::new(
        move || (project(), kind(), text(), page(), generate.version().get()),
        |(project, kind, text, page, _)| list_certificates(project, kind, text, page),
    );

    view! {
        <Title text="Certificates · Gatehouse"/>
        <div class="page-header">
            <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "<a href=move || format!("/projects/{}", project())>{project}</a></p>
            <h1>"Certificates"</h1>
            <p class="muted">"Endpoint certificates are trusted when Gatehouse calls a backend over TLS; client key pairs are presented to backends that require mutual TLS. Private keys are encrypted at rest and never leave the server."</p>
        </div>
        <ProjectTabs project=project() active=ProjectTab::Certificates/>
        <form method="get" class="filter-bar" role="search">
            <label for="kind" class="visually-hidden">"Kind"</label>
            <select id="kind" name="kind">
                <option value="" selected=move || kind().is_empty()>"All kinds"</option>
                <option value="endpoint" selected=move || kind() == "endpoint">"Endpoint certificates"</option>
                <option value="client" selected=move || kind() == "client">"Client key pairs"</option>
                <option value="client-ca" selected=move || kind() == "client-ca">"Trusted client CAs"</option>
            </select>
            <label for="q" class="visually-hidden">"Filter certificates"</label>
            <input id="q" type="search" name="q" placeholder="Name, subject, issuer or fingerprint" value=text/>
            <button type="submit" class="button">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading certificates…"</p> }>
            {move || Suspend::new(async move {
                match certificates.await {
                    Ok(list) if list.items.is_empty() && kind().is_empty() && text().is_empty() => view! {
                        <EmptyState title="No certificates yet">
                            <p>"Upload your backend's certificate below, or generate a client key pair for mutual TLS."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <EmptyState title="Nothing matches this filter">
                            <p><a href=format!("/projects/{}/certificates", project())>"Clear the filter"</a></p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => {
                        let base = format!("/projects/{}/certificates?kind={}&q={}", project(), urlencode(&kind()), urlencode(&text()));
                        let rows = list.items.iter().map(|c| view! { <CertificateRow project=project() cert=c.clone()/> }).collect_view();
                        view! {
                            <table class="table" data-testid="certificate-list">
                                <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Key"</th><th>"Expires"</th><th>"Fingerprint (SHA-256)"</th><th>"Used by"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <Pagination page=list.page page_count=list.page_count() total=list.total href=move |p| format!("{base}&page={p}")/>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <UploadEndpointCertificate project=project()/>
        <AddClientCertificate project=project() generate/>
        <UploadClientCa project=project()/>
    }
}

#[component]
fn CertificateRow(project: String, cert: Certificate) -> impl IntoView {
    let href = format!("/projects/{project}/certificates/{}", cert.id);
    view! {
        <tr>
            <td><a href=href>{cert.name.clone()}</a></td>
            <td>{cert.kind.label()}</td>
            <td>{cert.key_type.clone()}</td>
            <td><span>{cert.not_after.date().to_string()}</span>" "<ExpiryBadge days_left=cert.days_left/></td>
            <td><code title=cert.fingerprint_sha256.clone()>{cert.fingerprint_sha256.chars().take(23).collect::<String>()}"…"</code></td>
            <td>{if cert.used_by.is_empty() { "not used".to_string() } else { cert.used_by.join(", ") }}</td>
        </tr>
    }
}

#[component]
pub fn ExpiryBadge(days_left: i64) -> impl IntoView {
    match ExpiryStatus::of(days_left) {
        ExpiryStatus::Expired => view! { <span class="badge expired">"Expired"</span> }.into_any(),
        ExpiryStatus::ExpiringSoon => view! { <span class="badge expiring">{format!("Expires in {days_left} days")}</span> }.into_any(),
        ExpiryStatus::Valid => view! { <span class="badge valid">{format!("{days_left} days left")}</span> }.into_any(),
    }
}

/// A plain multipart form (handled in server/src/console_forms.rs), so a file can be chosen
/// with or without JavaScript; pasting PEM into the text area works too.
#[component]
fn UploadEndpointCertificate(project: String) -> impl IntoView {
    view! {
        <UploadCard id="upload-endpoint" field="endpoint" title="Upload Endpoint Certificate" action=crate::file_routes::endpoint_certificate_upload(&project)
            intro=format!("Your backend's server certificate, or the CA that issued it: a .pem, .crt or .cer file (PEM or DER), or a PEM bundle with several certificates (each becomes an entry). Up to {MAX_UPLOAD_KIB} KiB.")
            file_label="Certificate file" paste_label="or paste the PEM"/>
    }
}

/// The CAs whose client certificates API consumers present to the gateway (seed 002's "list of
/// trusted certificates").
#[component]
fn UploadClientCa(project: String) -> impl IntoView {
    view! {
        <UploadCard id="add-client-ca" field="client-ca" title="Add Trusted Client CA" action=crate::file_routes::client_ca_upload(&project)
            intro=format!("The CA that issues your API consumers' client certificates (a CA certificate, PEM or DER, up to {MAX_UPLOAD_KIB} KiB). Bind it to a subscription on the subscription's page; proxies whose Access accepts a client certificate then let its certificates call.")
            file_label="CA certificate file" paste_label="or paste the CA certificate (PEM)"/>
    }
}

/// A card with one certificate upload form; the button says what the title says.
#[component]
fn UploadCard(
    id: &'static str,
    field: &'static str,
    title: &'static str,
    action: String,
    intro: String,
    file_label: &'static str,
    paste_label: &'static str,
) -> impl IntoView {
    view! {
        <section class="card" id=id>
            <h2>{title}</h2>
            <p class="muted">{intro}</p>
            <form method="post" enctype="multipart/form-data" action=action class="form">
                <FileOrPaste id=field name="certificate" label=file_label paste_label accept=CERT_FILES placeholder="-----BEGIN CERTIFICATE-----"/>
                <div class="actions"><button type="submit" class="button primary">{title}</button></div>
            </form>
        </section>
    }
}

#[component]
fn AddClientCertificate(project: String, generate: ServerAction<GenerateKeyPair>) -> impl IntoView {
    let back = format!("/projects/{project}/certificates");
    view! {
        <section class="card" id="add-client-certificate">
            <h2>"Add Client Certificate"</h2>
            <ClientCertificateTabs project prefix="store".to_string() back generate/>
        </section>
    }
}
