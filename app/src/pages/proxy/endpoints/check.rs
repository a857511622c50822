//! The Check connection button of an Endpoints card and its report.
use crate::api::endpoints::CheckEndpoint;
use leptos::prelude::*;

/// "Check connection": connects to the backend with the saved configuration and shows the
/// outcome in the gateway's own words.
#[component]
pub fn CheckConnection(project: String, proxy: String, env: String, check: ServerAction<CheckEndpoint>) -> impl IntoView {
    let pending = check.pending();
    let result = move || {
        check.value().get().map(|outcome| match outcome {
            Ok(report) => {
                let class = if report.ok { "check-result check-ok" } else { "check-result check-failed" };
                let chain = report.chain.iter().map(|c| view! {
                    <li>
                        <span>{c.subject.clone()}</span>" · issued by "<span>{c.issuer.clone()}</span>" · until "<span>{c.not_after.clone()}</span>
                        {(!c.spki_pin.is_empty()).then(|| view! { <br/><span class="muted small">"key pin "</span><code class="pin" data-testid="spki-pin">{c.spki_pin.clone()}</code> })}
                    </li>
                }).collect_view();
                view! {
                    <div class=class role="status" data-testid="check-result">
                        {report.code.clone().map(|code| view! { <p><code>{code}</code></p> })}
                        <p>{report.message.clone()}</p>
                        {(!report.chain.is_empty()).then(|| view! { <p class="muted small">"Certificate chain presented by the backend:"</p><ul class="chain">{chain}</ul> })}
                    </div>
                }.into_any()
            }
            Err(e) => view! { <div class="check-result check-failed" role="alert" data-testid="check-result"><p>{e.to_string()}</p></div> }.into_any(),
        })
    };
    view! {
        <div class="check">
            <ActionForm action=check attr:class="inline-form">
                <input type="hidden" name="project" value=project/>
                <input type="hidden" name="proxy" value=proxy/>
                <input type="hidden" name="environment" value=env/>
                <button type="submit" class="button" disabled=pending>{move || if pending.get() { "Checking…" } else { "Check connection" }}</button>
                <span class="muted small">" Connects to the backend with the saved configuration; nothing needs to be deployed."</span>
            </ActionForm>
            <div class="check-slot">{result}</div>
        </div>
    }
}
