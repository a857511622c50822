//! Test: send a request through the real gateway and see status, headers, body and time.
use super::use_proxy_params;
use crate::api::environments::list_environments;
use crate::api::try_gateway::SendTestRequest;
use crate::components::forms::{FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TestPage() -> impl IntoView {
    let (project, key) = use_proxy_params();
    let send = ServerAction::<SendTestRequest>::new();
    let value = send.value();
    let environments = Resource::new(|| (), |_| list_environments());
    let result = move || {
        value.get().and_then(Result::ok).map(|r| {
            let class = if r.status >= 400 { "check-result check-failed" } else { "check-result check-ok" };
            let headers = r.headers.iter().map(|(n, v)| view! { <tr><th>{n.clone()}</th><td>{v.clone()}</td></tr> }).collect_view();
            view! {
                <section class="card" data-testid="test-response">
                    <div class=class><p><strong>{format!("HTTP {}", r.status)}</strong>{format!(" in {} ms · {}", r.elapsed_ms, r.url)}</p>
                        {r.error_code.clone().map(|c| view! { <p><code>{c}</code></p> })}
                        {r.error_detail.clone().map(|d| view! { <p data-testid="error-detail"><strong>"What happened: "</strong>{d}</p> })}</div>
                    <h3>"Headers"</h3>
                    <table class="details-table"><tbody>{headers}</tbody></table>
                    <h3>"Body"</h3>
                    <pre class="pem">{r.body.clone()}</pre>
                </section>
            }
        })
    };
    view! {
        <Title text="Test · Gatehouse"/>
        <section class="card">
            <h2>"Test"</h2>
            <p class="muted">"Sends the request from the server through the environment's gateway listener, exactly as an API consumer would call it."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let envs = match environments.await {
                        Ok(envs) => envs,
                        Err(e) => return view! { <LoadError error=e/> }.into_any(),
                    };
                    let options = envs.into_iter().map(|e| view! { <option value=e.slug.clone()>{e.name.clone()}</option> }).collect_view();
                    view! {
                        <ActionForm action=send attr:class="form form-grid">
                            <FormError value fields=&["method", "path", "headers"]/>
                            <input type="hidden" name="project" value=project()/>
                            <input type="hidden" name="proxy" value=key()/>
                            <div class="field"><label for="test-env">"Environment"</label><select id="test-env" name="environment">{options}</select></div>
                            <div class="field"><label for="test-method">"Method"</label>
                                <select id="test-method" name="method">
                                    {["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].map(|m| view! { <option value=m>{m}</option> }).collect_view()}
                                </select><FieldError value field="method"/>
                            </div>
                            <div class="field field-wide"><label for="test-path">"Path (after the context path)"</label><input id="test-path" name="path" placeholder="/current?q=Stockholm"/><FieldError value field="path"/></div>
                            <div class="field field-wide"><label for="test-headers">"Headers (one Name: value per line)"</label><textarea id="test-headers" name="headers" rows="3"></textarea><FieldError value field="headers"/></div>
                            <div class="field field-wide"><label for="test-body">"Body"</label><textarea id="test-body" name="body" rows="4"></textarea></div>
                            <div class="actions"><button type="submit" class="button primary" disabled=send.pending()>"Send"</button></div>
                        </ActionForm>
                    }.into_any()
                })}
            </Suspense>
        </section>
        {result}
    }
}
