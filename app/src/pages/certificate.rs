//! "View and Download": one certificate's details, its PEM, Download, and Delete.
use crate::api::certificates::{get_certificate, DeleteCertificate};
use crate::components::confirm::ConfirmSubmit;
use crate::components::format_time;
use crate::components::forms::{FormError, LoadError};
use crate::pages::certificates::ExpiryBadge;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn CertificatePage() -> impl IntoView {
    let params = use_params_map();
    let project = move || params.read().get("project").unwrap_or_default();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i32>().ok()).unwrap_or(0);
    let delete = ServerAction::<DeleteCertificate>::new();
    let details = Resource::new(move || (project(), id()), |(p, id)| get_certificate(p, id));

    view! {
        <Suspense fallback=|| view! { <p>"Loading certificate…"</p> }>
            {move || Suspend::new(async move {
                let (cert, pem) = match details.await {
                    Ok(found) => found,
                    Err(e) => return view! { <LoadError error=e/> }.into_any(),
                };
                let project = project();
                let download = crate::file_routes::certificate_download(&project, cert.id);
                let rows: Vec<(&str, String)> = vec![
                    ("Kind", cert.kind.label().to_string()),
                    ("Subject", cert.subject.clone()),
                    ("Issuer", cert.issuer.clone()),
                    ("Subject alternative names", if cert.subject_alt_names.is_empty() { "none".into() } else { cert.subject_alt_names.join(", ") }),
                    ("Serial number", cert.serial.clone()),
                    ("Valid from", format_time(&cert.not_before)),
                    ("Valid until", format_time(&cert.not_after)),
                    ("Key", cert.key_type.clone()),
                    ("Certificate authority", if cert.is_ca { "yes (CA)".into() } else { "no (leaf)".into() }),
                    ("Self-signed", if cert.self_signed { "yes".into() } else { "no".into() }),
                    ("SHA-256 fingerprint", cert.fingerprint_sha256.clone()),
                    ("Chain", format!("{} more certificate(s) after this one", cert.chain_length)),
                    ("Private key", if cert.has_private_key { "held by Gatehouse, encrypted; never shown or downloaded".into() } else { "none (public certificate only)".into() }),
                    ("Source", format!("{}, {}", cert.source, format_time(&cert.created_at))),
                    ("Used by", if cert.used_by.is_empty() { "not used".into() } else { cert.used_by.join(", ") }),
                ];
                let question = format!("Delete \"{}\"? This cannot be undone.", cert.name);
                view! {
                    <Title text=format!("{} · Certificates · Gatehouse", cert.name)/>
                    <div class="page-header">
                        <p class="breadcrumbs">
                            <a href="/projects">"Projects"</a>" / "<a href=format!("/projects/{project}")>{project.clone()}</a>" / "
                            <a href=format!("/projects/{project}/certificates")>"Certificates"</a>
                        </p>
                        <h1><span>{cert.name.clone()}</span>" "<ExpiryBadge days_left=cert.days_left/></h1>
                    </div>
                    <section class="card">
                        <table class="details-table" data-testid="certificate-details">
                            <tbody>{rows.into_iter().map(|(k, v)| view! { <tr><th>{k}</th><td>{v}</td></tr> }).collect_view()}</tbody>
                        </table>
                    </section>
                    <section class="card">
                        <h2>"Certificate (PEM)"</h2>
                        <pre class="pem" data-testid="certificate-pem">{pem}</pre>
                        <a class="button primary" href=download download=cert.pem_file_name()>"Download"</a>
                    </section>
                    <section class="card">
                        <h2>"Delete"</h2>
                        <FormError value=delete.value()/>
                        <ActionForm action=delete attr:class="inline-form">
                            <input type="hidden" name="project" value=project.clone()/>
                            <input type="hidden" name="id" value=cert.id/>
                            <ConfirmSubmit label="Delete" question confirm="Yes, delete"/>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
