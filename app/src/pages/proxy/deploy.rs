//! Deploy (seed 004, Step 4 and "Change the certificate for the production environment"): a
//! card per environment in promotion order with what is live, Configure & Deploy, Promote (the
//! Configurations pane with the Mutual TLS list), revisions to redeploy, and Undeploy.
use super::use_proxy_params;
use crate::api::deployments::{deploy_data, DeployProxy, PromoteProxy, RedeployRevision, UndeployProxy};
use crate::components::confirm::ConfirmSubmit;
use crate::components::deployment_badge::DeploymentBadge;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use services::model::{Certificate, Environment, EnvironmentDeployment};

#[derive(Clone, Copy)]
struct Actions {
    deploy: ServerAction<DeployProxy>,
    promote: ServerAction<PromoteProxy>,
    redeploy: ServerAction<RedeployRevision>,
    undeploy: ServerAction<UndeployProxy>,
}

#[component]
pub fn DeployPage() -> impl IntoView {
    let (project, key) = use_proxy_params();
    let actions = Actions { deploy: ServerAction::new(), promote: ServerAction::new(), redeploy: ServerAction::new(), undeploy: ServerAction::new() };
    let versions = move || (actions.deploy.version().get(), actions.promote.version().get(), actions.redeploy.version().get(), actions.undeploy.version().get());
    for version in [actions.deploy.version(), actions.promote.version(), actions.redeploy.version(), actions.undeploy.version()] {
        refresh_flash_on(version);
    }
    let data = Resource::new(move || (project(), key(), versions()), |(p, k, _)| deploy_data(p, k));
    view! {
        <Title text="Deploy · Gatehouse"/>
        <div class="deploy-errors">
            <FormError value=actions.deploy.value()/>
            <FormError value=actions.promote.value()/>
            <FormError value=actions.redeploy.value()/>
            <FormError value=actions.undeploy.value()/>
        </div>
        <Suspense fallback=|| view! { <p>"Loading deployments…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => {
                        let envs: Vec<Environment> = d.environments.iter().map(|e| e.environment.clone()).collect();
                        d.environments.iter().enumerate().map(|(i, e)| view! {
                            <DeployCard project=project() proxy=key() env=e.clone() next=envs.get(i + 1).cloned()
                                clients=d.client_certificates.clone() can_edit=d.can_edit actions/>
                        }).collect_view().into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn hidden(project: &str, proxy: &str) -> impl IntoView {
    view! {
        <input type="hidden" name="project" value=project.to_string()/>
        <input type="hidden" name="proxy" value=proxy.to_string()/>
    }
}

#[component]
fn DeployCard(project: String, proxy: String, env: EnvironmentDeployment, next: Option<Environment>, clients: Vec<Certificate>, can_edit: bool, actions: Actions) -> impl IntoView {
    let slug = env.environment.slug.clone();
    let live = env.live.clone().map(|d| {
        let when = format_time(&d.deployed_at);
        let by = d.deployed_by.clone().unwrap_or_else(|| "someone".into());
        view! { <p data-testid="live-revision">{format!("Revision {} is live · deployed by {by} on {when} · live in {} ms", d.revision.unwrap_or(0), d.elapsed_ms)}</p> }.into_any()
    });
    let invoke = env.invoke_url.clone().map(|url| {
        let copied = RwSignal::new(false);
        let to_copy = url.clone();
        // Hydrated pages copy with the button; without JavaScript the field can be selected.
        let copy = move |_| {
            #[cfg(feature = "hydrate")]
            {
                let _ = window().navigator().clipboard().write_text(&to_copy);
            }
            let _ = &to_copy;
            copied.set(true);
        };
        view! {
            <div class="field invoke">
                <label for=format!("{slug}-invoke")>"Invoke URL"</label>
                <div class="invoke-row">
                    <input id=format!("{slug}-invoke") readonly value=url/>
                    <button type="button" class="button small" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                </div>
            </div>
        }.into_any()
    });
    let changes = if env.live.is_none() {
        view! { <p class="muted">"Nothing is live here yet: Save & Deploy makes the saved configuration live."</p> }.into_any()
    } else if env.changes.is_empty() {
        view! { <p class="muted">"What is live is the saved configuration: deploying again changes nothing."</p> }.into_any()
    } else {
        let rows = env.changes.iter().map(|c| view! { <tr><td>{c.field.clone()}</td><td>{c.live.clone()}</td><td>{c.saved.clone()}</td></tr> }).collect_view();
        view! {
            <p class="notice notice-warning">"The live revision differs from the saved configuration. Save & Deploy will change:"</p>
            <table class="table" data-testid="pending-changes"><thead><tr><th>"Setting"</th><th>"Live"</th><th>"Saved"</th></tr></thead><tbody>{rows}</tbody></table>
        }.into_any()
    };
    let (p1, x1, s1) = (project.clone(), proxy.clone(), slug.clone());
    let endpoints = format!("/projects/{project}/proxies/{proxy}/endpoints");
    let saved_url = env.saved_url.clone().unwrap_or_else(|| "not saved yet".into());
    let deploy = view! {
        <details class="configure">
            <summary class="button primary">"Configure & Deploy"</summary>
            <div class="configure-panel">
                <p>"Endpoint URL for " {env.environment.name.clone()} ": " <code>{saved_url}</code> " (" <a href=endpoints>"change it on the Endpoints page"</a> ")"</p>
                {changes}
                <ActionForm action=actions.deploy attr:class="inline-form">
                    {hidden(&p1, &x1)}
                    <input type="hidden" name="environment" value=s1/>
                    <button type="submit" class="button primary" disabled=move || !can_edit || actions.deploy.pending().get()>"Save & Deploy"</button>
                </ActionForm>
            </div>
        </details>
    }.into_any();
    let promote = (env.live.is_some()).then(|| next.clone()).flatten().map(|target| {
        let (p2, x2, from, to) = (project.clone(), proxy.clone(), slug.clone(), target.slug.clone());
        let none_yet = (!clients.iter().any(|c| c.has_private_key))
            .then(|| view! { <p class="muted">"This project has no client key pairs yet: add one under Add Client Certificate on the Endpoints page."</p> });
        let options = clients.iter().filter(|c| c.has_private_key).map(|c| {
            let id = format!("{slug}-promote-{}", c.id);
            view! { <div class="choice"><input type="radio" id=id.clone() name="client_certificate_id" value=c.id/><label for=id>{c.name.clone()}</label></div> }
        }).collect_view();
        let keep = format!("{slug}-promote-keep");
        let explain = format!("The revision live in {} goes live in {} with {}'s endpoint URL and the certificate chosen here.", env.environment.name, target.name, target.name);
        let keep_label = format!("Keep {}'s saved choice", target.name);
        view! {
            <details class="dialog">
                <summary class="button">"Promote"</summary>
                <div class="dialog-panel" role="dialog" aria-label="Configurations">
                    <h3>"Configurations"</h3>
                    <ActionForm action=actions.promote attr:class="form">
                        {hidden(&p2, &x2)}
                        <input type="hidden" name="from" value=from/>
                        <input type="hidden" name="to" value=to/>
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
        }.into_any()
    });
    let live_number = env.live.as_ref().and_then(|d| d.revision);
    let revisions = env.revisions.iter().map(|r| {
        let (p3, x3, s3) = (project.clone(), proxy.clone(), slug.clone());
        let number = r.number;
        let redeploy = (Some(number) != live_number).then(|| view! {
            <ActionForm action=actions.redeploy attr:class="inline-form">
                {hidden(&p3, &x3)}
                <input type="hidden" name="environment" value=s3/>
                <input type="hidden" name="revision" value=number/>
                <ConfirmSubmit label="Redeploy" question=format!("Make revision {number} live again? It replaces what is live now.") confirm="Yes, redeploy"/>
            </ActionForm>
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
    }).collect_view().into_any();
    let history = env.history.iter().map(|d| view! {
        <tr><td class="nowrap">{format_time(&d.deployed_at)}</td><td>{d.deployed_by.clone().unwrap_or_default()}</td><td>{d.action.clone()}</td><td>{d.outcome.clone()}</td><td>{d.message.clone()}</td></tr>
    }).collect_view().into_any();
    let undeploy = env.live.is_some().then(|| {
        let (p4, x4, s4) = (project.clone(), proxy.clone(), slug.clone());
        let question = format!("Take this proxy out of {}? Its callers get no_route until it is deployed again.", env.environment.name);
        view! {
            <ActionForm action=actions.undeploy attr:class="inline-form">
                {hidden(&p4, &x4)}
                <input type="hidden" name="environment" value=s4/>
                <ConfirmSubmit label="Undeploy" question confirm="Yes, undeploy"/>
            </ActionForm>
        }.into_any()
    });
    let has_revisions = !env.revisions.is_empty();
    let has_history = !env.history.is_empty();
    let tables = view! {
        {has_revisions.then(|| view! {
            <h3>"Revisions"</h3>
            <table class="table" data-testid="revision-list"><thead><tr><th>"Revision"</th><th>"Backend URL"</th><th>"Client certificate"</th><th>"Created"</th><th></th></tr></thead><tbody>{revisions}</tbody></table>
        })}
        {has_history.then(|| view! {
            <details class="advanced"><summary>"Deployment history"</summary>
                <table class="table" data-testid="deploy-history"><thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Outcome"</th><th>"Details"</th></tr></thead><tbody>{history}</tbody></table>
            </details>
        })}
    }.into_any();
    view! {
        <section class="card deploy-card" data-testid=format!("deploy-{slug}")>
            <div class="endpoint-head"><h2>{env.environment.name.clone()}</h2><DeploymentBadge state=env.state.clone()/></div>
            {live.unwrap_or_else(|| view! { <p data-testid="live-revision">"Nothing is live here."</p> }.into_any())}
            {invoke}
            <div class="deploy-actions">{deploy}{promote}{undeploy}</div>
            {tables}
        </section>
    }
}
