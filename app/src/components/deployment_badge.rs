//! A proxy's state in one environment, as a badge.
use leptos::prelude::*;
use services::model::DeploymentState;

#[component]
pub fn DeploymentBadge(state: DeploymentState) -> impl IntoView {
    match state {
        DeploymentState::NotDeployed => view! { <span class="badge">"Not deployed"</span> }.into_any(),
        DeploymentState::Deployed { revision } => view! { <span class="badge valid">{format!("Deployed · revision {revision}")}</span> }.into_any(),
        DeploymentState::Failed { reason } => view! { <span class="badge expired" title=reason>"Failed"</span> }.into_any(),
    }
}
