//! Projects and their members.
use crate::AppError;
use leptos::prelude::*;
use services::model::{Member, Page, Project};

#[server]
pub async fn list_projects(filter: String, page: u64) -> Result<Page<Project>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::projects::list(&services.db, &actor, &filter, page, services::model::DEFAULT_PER_PAGE).await?)
}

#[server]
pub async fn get_project(project: String) -> Result<Project, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::projects::get(&services.db, &actor, &project).await?)
}

#[server]
pub async fn create_project(name: String, slug: String, description: String) -> Result<Project, AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let new = services::projects::NewProject { name, slug, description };
    let project = services::projects::create(&services.db, &actor, new).await?;
    guard::flash(format!("Created project {}.", project.name)).await?;
    Ok(project)
}

#[server]
pub async fn list_members(project: String) -> Result<Vec<Member>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::projects::list_members(&services.db, &actor, &project).await?)
}

#[server]
pub async fn add_member(project: String, email: String, role: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let role = parse_role(&role)?;
    let member = services::projects::add_member(&services.db, &actor, &project, &email, role).await?;
    guard::flash(format!("Added {} as {}.", member.email, role.as_str())).await?;
    Ok(())
}

#[server]
pub async fn set_member_role(project: String, user_id: i32, role: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let role = parse_role(&role)?;
    services::projects::set_member_role(&services.db, &actor, &project, user_id, role).await?;
    guard::flash(format!("Role changed to {}.", role.as_str())).await?;
    Ok(())
}

#[server]
pub async fn remove_member(project: String, user_id: i32) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    services::projects::remove_member(&services.db, &actor, &project, user_id).await?;
    guard::flash("Member removed.").await?;
    Ok(())
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<services::model::Role, AppError> {
    services::model::Role::parse(role).ok_or_else(|| AppError(services::Error::invalid("role", "choose owner, publisher or viewer")))
}
