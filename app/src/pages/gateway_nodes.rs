//! The Environments page's list of gateway nodes: every process serving the gateway on this
//! database, whether it is up (a heartbeat in the last seconds), and per environment whether
//! it serves the latest configuration or how many changes it is behind.
use crate::api::environments::list_gateway_nodes;
use crate::components::forms::LoadError;
use leptos::prelude::*;
use services::model::{GatewayNode, ServedScope};

#[component]
pub fn GatewayNodes() -> impl IntoView {
    let nodes = Resource::new(|| (), |_| list_gateway_nodes());
    view! {
        <h2>"Gateway nodes"</h2>
        <p class="muted">"Every Gatehouse process on this database serves every environment. A deploy answers once the nodes that are up serve it; a node that missed a change catches up within seconds. With SQLite there is one node."</p>
        <Suspense fallback=|| view! { <p>"Loading gateway nodes…"</p> }>
            {move || Suspend::new(async move {
                match nodes.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="gateway-nodes-empty">"No node has reported yet: a node writes its heartbeat within seconds of starting."</p> }.into_any(),
                    Ok(list) => {
                        let rows = list.into_iter().map(|node| view! { <NodeRow node/> }).collect_view();
                        view! {
                            <table class="table" data-testid="gateway-nodes">
                                <thead><tr><th>"Node"</th><th>"Role"</th><th>"Rate limits"</th><th>"Version"</th><th>"Last heartbeat"</th><th>"Serves"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NodeRow(node: GatewayNode) -> impl IntoView {
    let heartbeat = if node.up { format!("{} s ago", node.heartbeat_age_secs) } else { format!("{} s ago: down", node.heartbeat_age_secs) };
    let serving = node.serving.iter().map(|s| view! { <li>{describe(s)}</li> }).collect_view();
    view! {
        <tr data-testid="gateway-node">
            <td><code>{node.address}</code></td>
            <td>{node.role}</td>
            <td data-testid="node-limits">{node.limits}</td>
            <td>{node.version}</td>
            <td class=if node.up { "" } else { "field-error" }>{heartbeat}</td>
            <td><ul class="warning-list node-scopes">{serving}</ul></td>
        </tr>
    }
}

/// "Development: up to date (version 4)", or "Development: 2 changes behind (3 of 5)".
fn describe(scope: &ServedScope) -> String {
    match scope.lag {
        0 => format!("{}: up to date (version {})", scope.name, scope.applied),
        1 => format!("{}: 1 change behind ({} of {})", scope.name, scope.applied, scope.current),
        n => format!("{}: {n} changes behind ({} of {})", scope.name, scope.applied, scope.current),
    }
}
