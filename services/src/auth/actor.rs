use crate::entities::user;
use crate::{Error, Result};
use sea_orm::{DatabaseConnection, EntityTrait};

/// The person a service call acts for, resolved from a console session or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
}

impl Actor {
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin {
            Ok(())
        } else {
            Err(Error::Forbidden("only administrators can do this".into()))
        }
    }
}

impl From<user::Model> for Actor {
    fn from(u: user::Model) -> Self {
        Actor { id: u.id, email: u.email, name: u.name, is_admin: u.is_admin }
    }
}

/// The actor for a user id kept in a session; `Unauthenticated` once the user was deleted.
pub async fn actor_for_user(db: &DatabaseConnection, user_id: i32) -> Result<Actor> {
    user::Entity::find_by_id(user_id).one(db).await?.map(Actor::from).ok_or(Error::Unauthenticated)
}
