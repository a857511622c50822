//! The instance's settings (Admin → Settings); every signed-in user may read them.
use crate::AppError;
use leptos::prelude::*;
use services::model::Settings;

#[server]
pub async fn get_settings() -> Result<Settings, AppError> {
    let (services, _actor) = super::guard::actor().await?;
    Ok(services::settings::get(&services.db).await?)
}

/// Whether the signed-in user may create projects (the Projects page shows the form, or says
/// whom to ask).
#[server]
pub async fn may_create_projects() -> Result<bool, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::settings::may_create_projects(&services.db, &actor).await?)
}

/// `project_creation` is "admins" or "everyone", from the settings form's radio buttons.
#[server]
pub async fn update_settings(project_creation: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let Some(creation) = services::model::ProjectCreation::parse(&project_creation) else {
        return Err(services::Error::invalid("project_creation", "choose who may create projects").into());
    };
    let changes = services::model::SettingsChanges { project_creation: Some(creation) };
    services::settings::update(&services.db, &actor, changes).await?;
    guard::flash("Settings saved.").await?;
    Ok(())
}
