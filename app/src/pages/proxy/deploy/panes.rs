//! The parts of a Deploy card: the invoke URL with its Copy button, the Promote pane (the
//! Configurations pane with the Mutual TLS list), and the revisions and history tables.
use super::hidden;
use crate::api::deployments::{PromoteProxy, RedeployRevision};
use crate::components::confirm::ConfirmSubmit;
use crate::components::copy_field::CopyField;
use crate::components::format_time;
use leptos::prelude::*;
use services::model::{Certificate, Deployment, Environment, RevisionSummary};

/// Where consumers call the proxy in this environment, with a Copy button.
#[component]
pub fn InvokeUrl(slug: String, url: String) -> impl IntoView {
    view! { <CopyField id=format!("{slug}-invoke") label="Invoke URL".to_string() value=url/> }
}

/// Promote: the revision live here goes live in `target`, with the client certificate chosen.
#[component]
#[allow(clippy::too_many_arguments)]
pub fn PromotePane(
    project: String,
    proxy: String,
    slug: String,
    /// The name of the environment it is live in.
    source: String,
    target: Environment,
    clients: Vec<Certificate>,
    can_edit: bool,
    action: ServerAction<PromoteProxy>,
) -> impl IntoView {
    let none_yet = (!clients.iter().any(|c| c.has_private_key))
        .then(|| view! { <p class="muted">"This project has no client key pairs yet: add one under Add Client Certificate on the Endpoints page."</p> });
    let options = clients
        .iter()
        .filter(|c| c.has_private_key)
        .map(|c| {
            let id = format!("{slug}-promote-{}", c.id);
            view! { <div class="choice"><input type="radio" id=id.clone() name="client_certificate_id" value=c.id/><label for=id>{c.name.clone()}</label></div> }
        })
        .collect_view();
    let keep = format!("{slug}-promote-keep");
    let explain = format!("The revision live in {source} goes live in {} with {}'s endpoint URL and the certificate chosen here.", target.name, target.name);
    let keep_label = format!("Keep {}'s saved choice", target.name);
    view! {
        <details class="dialog">
            <summary class="button">"Promote"</summary>
            <div class="dialog-panel" role="dialog" aria-label="Configurations">
                <h3>"Configurations"</h3>
                <ActionForm action attr:class="form">
                    {hidden(&project, &proxy)}
                    <input type="hidden" name="from" value=slug.clone()/>
                    <input type="hidden" name="to" value=target.slug.clone()/>
                    <h4>"Endpoint Configuration"</h4>
                    <p class="muted">{explain}</p>
                    <fieldset class="choices">
                        <legend>"Mutual TLS"</legend>
                        <div class="choice"><input type="radio" id=keep.clone() name="client_certificate_id" value="" checked/><label for=keep>{keep_label}</label></div>
                        {options}
                    </fieldset>
                    {none_yet}
                    <div class="actions"><button type="submit" class="button primary" disabled=move || !can_edit>"Promote"</button></div>
                </ActionForm>
            </div>
        </details>
    }
}

/// The environment's revisions, each but the live one with Redeploy, and its history.
#[component]
pub fn RevisionTables(
    project: String,
    proxy: String,
    slug: String,
    revisions: Vec<RevisionSummary>,
    history: Vec<Deployment>,
    live_number: Option<u32>,
    action: ServerAction<RedeployRevision>,
) -> impl IntoView {
    let has_revisions = !revisions.is_empty();
    let has_history = !history.is_empty();
    let revisions = revisions
        .iter()
        .map(|r| {
            let number = r.number;
            let (project, proxy, slug) = (project.clone(), proxy.clone(), slug.clone());
            let redeploy = (Some(number) != live_number).then(move || {
                view! {
                    <ActionForm action attr:class="inline-form">
                        {hidden(&project, &proxy)}
                        <input type="hidden" name="environment" value=slug/>
                        <input type="hidden" name="revision" value=number/>
                        <ConfirmSubmit label="Redeploy" question=format!("Make revision {number} live again? It replaces what is live now.") confirm="Yes, redeploy"/>
                    </ActionForm>
                }
            });
            view! {
                <tr>
                    <td>{format!("Revision {number}")}{(Some(number) == live_number).then(|| view! { " " <span class="badge valid">"live"</span> })}</td>
                    <td><code>{r.url.clone()}</code></td>
                    <td>{r.client_certificate.clone().unwrap_or_else(|| "none".into())}</td>
                    <td>{r.created_by.clone().unwrap_or_default()}" · "{format_time(&r.created_at)}</td>
                    <td>{redeploy}</td>
                </tr>
            }
        })
        .collect_view()
        .into_any();
    let history = history
        .iter()
        .map(|d| {
            view! {
                <tr><td class="nowrap">{format_time(&d.deployed_at)}</td><td>{d.deployed_by.clone().unwrap_or_default()}</td><td>{d.action.as_str()}</td><td>{d.outcome.as_str()}</td><td>{d.message.clone()}</td></tr>
            }
        })
        .collect_view()
        .into_any();
    view! {
        {has_revisions.then(|| view! {
            <h3>"Revisions"</h3>
            <table class="table" data-testid="revision-list"><thead><tr><th>"Revision"</th><th>"Backend URL"</th><th>"Client certificate"</th><th>"Created"</th><th></th></tr></thead><tbody>{revisions}</tbody></table>
        })}
        {has_history.then(|| view! {
            <details class="advanced"><summary>"Deployment history"</summary>
                <table class="table" data-testid="deploy-history"><thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Outcome"</th><th>"Details"</th></tr></thead><tbody>{history}</tbody></table>
            </details>
        })}
    }
}
