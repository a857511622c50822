//! Instance-wide settings an admin changes (Admin → Settings): for now, who may create
//! projects. Each setting is one row, absent until changed, so every setting has a default
//! that holds on a fresh install.
use crate::auth::Actor;
use crate::entities::setting;
use crate::model::{ProjectCreation, Settings, SettingsChanges};
use crate::{Error, Result};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

const PROJECT_CREATION: &str = "project_creation";

/// The settings as they stand. Every signed-in user may read them (the console shows whether
/// they may create projects).
pub async fn get(db: &impl ConnectionTrait) -> Result<Settings> {
    let mut settings = Settings::default();
    for row in setting::Entity::find().all(db).await? {
        if row.name == PROJECT_CREATION {
            // A value this version does not know keeps the safe default.
            settings.project_creation = ProjectCreation::parse(&row.value).unwrap_or_default();
        }
    }
    Ok(settings)
}

/// Changes the settings given (admins only).
pub async fn update(db: &impl ConnectionTrait, actor: &Actor, changes: SettingsChanges) -> Result<Settings> {
    if !actor.is_admin {
        return Err(Error::Forbidden("only an administrator can change the settings".into()));
    }
    if let Some(creation) = changes.project_creation {
        set(db, PROJECT_CREATION, creation.as_str()).await?;
        tracing::info!(actor = actor.id, project_creation = creation.as_str(), "settings changed");
    }
    get(db).await
}

/// Whether `actor` may create a project.
pub async fn may_create_projects(db: &impl ConnectionTrait, actor: &Actor) -> Result<bool> {
    Ok(actor.is_admin || get(db).await?.project_creation == ProjectCreation::Everyone)
}

async fn set(db: &impl ConnectionTrait, name: &str, value: &str) -> Result<()> {
    let row = setting::ActiveModel { name: Set(name.to_string()), value: Set(value.to_string()), updated_at: Set(time::OffsetDateTime::now_utc()) };
    setting::Entity::insert(row)
        .on_conflict(OnConflict::column(setting::Column::Name).update_columns([setting::Column::Value, setting::Column::UpdatedAt]).to_owned())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[tokio::test]
    async fn only_admins_create_projects_until_an_admin_lets_everyone() {
        let db = testing::db().await;
        let (ada, bob) = (testing::user(&db, "ada@example.test", true).await, testing::user(&db, "bob@example.test", false).await);
        assert_eq!(get(&db).await.unwrap().project_creation, ProjectCreation::Admins);
        assert!(may_create_projects(&db, &ada).await.unwrap());
        assert!(!may_create_projects(&db, &bob).await.unwrap());
        let refused = crate::projects::create(&db, &bob, crate::projects::NewProject { name: "Mine".into(), ..Default::default() }).await.unwrap_err();
        assert!(matches!(refused, Error::Forbidden(_)) && refused.to_string().contains("administrator"), "{refused}");

        let everyone = SettingsChanges { project_creation: Some(ProjectCreation::Everyone) };
        assert!(matches!(update(&db, &bob, everyone.clone()).await.unwrap_err(), Error::Forbidden(_)));
        assert_eq!(update(&db, &ada, everyone.clone()).await.unwrap().project_creation, ProjectCreation::Everyone);
        // Set twice: one row, updated.
        update(&db, &ada, everyone).await.unwrap();
        crate::projects::create(&db, &bob, crate::projects::NewProject { name: "Mine".into(), ..Default::default() }).await.unwrap();
        update(&db, &ada, SettingsChanges { project_creation: Some(ProjectCreation::Admins) }).await.unwrap();
        assert!(!may_create_projects(&db, &bob).await.unwrap());
        assert_eq!(update(&db, &ada, SettingsChanges::default()).await.unwrap().project_creation, ProjectCreation::Admins);
    }
}
