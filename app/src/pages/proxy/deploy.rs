//! Deploy (seed 004, Step 4 and "Change the certificate for the production environment"): a
//! card per environment in promotion order with what is live, Configure & Deploy, Promote (the
//! Configurations pane with the Mutual TLS list), revisions to redeploy, and Undeploy.
use super::{use_proxy_params, ProxyRefresh};
use crate::api::deployments::{deploy_data, DeployProxy, PromoteProxy, RedeployRevision, UndeployProxy};
use crate::components::confirm::ConfirmSubmit;
use crate::components::deployment_badge::DeploymentBadge;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use panes::{InvokeUrl, PromotePane, RevisionTables};
use services::model::{Certificate, Environment, EnvironmentDeployment};

mod panes;

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
    let versions =
        move || (actions.deploy.version().get(), actions.promote.version().get(), actions.redeploy.version().get(), actions.undeploy.version().get());
    for version in [actions.deploy.version(), actions.promote.version(), actions.redeploy.version(), actions.undeploy.version()] {
        refresh_flash_on(version);
    }
    // The proxy's header (a status badge per environment, the drift warnings) is read again
    // when any of them completes, as this page's cards are. JavaScript only: without it the
    // form's redirect reloads the whole page, header included.
    if let Some(ProxyRefresh(refresh)) = use_context::<ProxyRefresh>() {
        Effect::new(move |_| {
            let (deploy, promote, redeploy, undeploy) = versions();
            if deploy + promote + redeploy + undeploy > 0 {
                refresh.update(|n| *n += 1);
            }
        });
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

/// The project and proxy every Deploy page form carries.
fn hidden(project: &str, proxy: &str) -> impl IntoView {
    view! {
        <input type="hidden" name="project" value=project.to_string()/>
        <input type="hidden" name="proxy" value=proxy.to_string()/>
    }
}

#[component]
fn DeployCard(
    project: String,
    proxy: String,
    env: EnvironmentDeployment,
    next: Option<Environment>,
    clients: Vec<Certificate>,
    can_edit: bool,
    actions: Actions,
) -> impl IntoView {
    let slug = env.environment.slug.clone();
    let live = env.live.clone().map(|d| {
        let when = format_time(&d.deployed_at);
        let by = d.deployed_by.clone().unwrap_or_else(|| "someone".into());
        view! { <p data-testid="live-revision">{format!("Revision {} is live · deployed by {by} on {when} · live in {} ms", d.revision.unwrap_or(0), d.elapsed_ms)}</p> }.into_any()
    });
    // Several gateway nodes: how many serve this environment as it is now.
    let live_on = env.live_on.clone().map(|on| {
        let class = if on.lagging.is_empty() { "muted" } else { "notice notice-warning" };
        let text = on.describe();
        let text = format!("{}{}.", text[..1].to_uppercase(), &text[1..]);
        view! { <p class=class data-testid="live-on">{text}</p> }.into_any()
    });
    // Each part is type-erased (`into_any`): nested, their view types outgrow the compiler's
    // recursion limit in the browser build.
    let invoke = env.invoke_url.clone().map(|url| view! { <InvokeUrl slug=slug.clone() url/> }.into_any());
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
    let promote = env.live.is_some().then_some(next).flatten().map(|target| {
        view! {
            <PromotePane project=project.clone() proxy=proxy.clone() slug=slug.clone() source=env.environment.name.clone() target clients can_edit action=actions.promote/>
        }
        .into_any()
    });
    let undeploy = env.live.is_some().then(|| {
        let (p4, x4, s4) = (project.clone(), proxy.clone(), slug.clone());
        let question = format!("Take this proxy out of {}? Its callers get no_route until it is deployed again.", env.environment.name);
        view! {
            <ActionForm action=actions.undeploy attr:class="inline-form">
                {hidden(&p4, &x4)}
                <input type="hidden" name="environment" value=s4/>
                <ConfirmSubmit label="Undeploy" question confirm="Yes, undeploy"/>
            </ActionForm>
        }
        .into_any()
    });
    let live_number = env.live.as_ref().and_then(|d| d.revision);
    let tables = view! {
        <RevisionTables project=project.clone() proxy=proxy.clone() slug=slug.clone() revisions=env.revisions history=env.history live_number action=actions.redeploy/>
    }
    .into_any();
    view! {
        <section class="card deploy-card" data-testid=format!("deploy-{slug}")>
            <div class="endpoint-head"><h2>{env.environment.name.clone()}</h2><DeploymentBadge state=env.state.clone()/></div>
            {live.unwrap_or_else(|| view! { <p data-testid="live-revision">"Nothing is live here."</p> }.into_any())}
            {live_on}
            {invoke}
            <div class="deploy-actions">{deploy}{promote}{undeploy}</div>
            {tables}
        </section>
    }
}
