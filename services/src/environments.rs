//! Environments: Development and Production by default, in promotion order.
use crate::entities::environment;
use crate::model::Environment;
use crate::Result;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

/// Every environment, in promotion order. Visible to every signed-in user.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Environment>> {
    Ok(environment::Entity::find()
        .order_by_asc(environment::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(Environment::from)
        .collect())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn development_then_production_are_seeded() {
        let db = crate::testing::db().await;
        let names: Vec<String> = super::list(&db).await.unwrap().into_iter().map(|e| e.slug).collect();
        assert_eq!(names, ["development", "production"]);
    }
}
