//! Admin → Settings: instance-wide choices. For now, who may create projects.
use crate::api::settings::{get_settings, UpdateSettings};
use crate::components::flash::refresh_flash_on;
use crate::components::forms::{FieldError, FormError, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use services::model::ProjectCreation;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let update = ServerAction::<UpdateSettings>::new();
    refresh_flash_on(update.version());
    let settings = Resource::new(move || update.version().get(), |_| get_settings());
    let value = update.value();
    view! {
        <Title text="Settings · Gatehouse"/>
        <div class="page-header">
            <h1>"Settings"</h1>
            <p class="muted">"Choices that hold for the whole instance. Only administrators change them."</p>
        </div>
        <Suspense fallback=|| view! { <p>"Loading settings…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(current) => {
                        let chosen = current.project_creation;
                        let choice = move |value: ProjectCreation, label: &'static str, hint: &'static str| {
                            let id = format!("project-creation-{}", value.as_str());
                            view! {
                                <div class="radio-choice">
                                    <input type="radio" id=id.clone() name="project_creation" value=value.as_str() checked=chosen == value/>
                                    <label for=id>{label}</label>
                                    <span class="hint">{hint}</span>
                                </div>
                            }
                        };
                        view! {
                            <section class="card">
                                <h2>"Who may create projects"</h2>
                                <ActionForm action=update attr:class="form" attr:data-testid="settings-form">
                                    <FormError value fields=&["project_creation"]/>
                                    <fieldset>
                                        <legend class="visually-hidden">"Who may create projects"</legend>
                                        {choice(ProjectCreation::Admins, "Administrators only", "Everyone else asks an administrator, who creates the project and adds them.")}
                                        {choice(ProjectCreation::Everyone, "Every signed-in user", "Each one becomes the owner of the projects they create.")}
                                    </fieldset>
                                    <FieldError value field="project_creation"/>
                                    <div class="actions">
                                        <button type="submit" class="button primary" disabled=update.pending()>"Save settings"</button>
                                    </div>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
