//! The signed-in user's REST API tokens: create (the secret is shown once), list, revoke.
use crate::api::tokens::{list_tokens, CreateToken, RevokeToken};
use crate::components::confirm::ConfirmSubmit;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{EmptyState, FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    refresh_flash_on(create.version());
    refresh_flash_on(revoke.version());
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_tokens());
    let value = create.value();

    view! {
        <Title text="API tokens · Gatehouse"/>
        <div class="page-header">
            <h1>"API tokens"</h1>
            <p class="muted">
                "Tokens let scripts use the REST API as you: send "<code>"Authorization: Bearer <token>"</code>
                " to "<code>"/api/v1"</code>". The API is described at "<a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a>"."
            </p>
        </div>
        <section class="card">
            <h2>"Create a token"</h2>
            <ActionForm action=create attr:class="form form-inline">
                <FormError value fields=&["name"]/>
                <label for="token-name">"Name"</label>
                <input id="token-name" name="name" placeholder="e.g. ci or laptop" required maxlength="100"/>
                <button type="submit" class="button primary">"Create token"</button>
                <FieldError value field="name"/>
            </ActionForm>
        </section>
        <FormError value=revoke.value()/>
        <Suspense fallback=|| view! { <p>"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No tokens yet">
                            <p>"Create one above when a script or CI job needs the REST API."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="token-list">
                            <thead><tr><th>"Name"</th><th>"Starts with"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let question = format!("Revoke \"{}\"? Scripts using it stop working at once.", t.name);
                                    view! {
                                        <tr>
                                            <td>{t.name.clone()}</td>
                                            <td><code>{t.prefix.clone()}"…"</code></td>
                                            <td>{format_time(&t.created_at)}</td>
                                            <td>{t.last_used_at.as_ref().map_or("never".to_string(), format_time)}</td>
                                            <td>
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="id" value=t.id/>
                                                    <ConfirmSubmit label="Revoke" question confirm="Yes, revoke"/>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
