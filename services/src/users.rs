//! User administration: admins list, create and remove users and grant admin rights.
use crate::auth::login::{normalize_email, validate_email};
use crate::auth::{hash_bounded, validate_password, Actor};
use crate::entities::user;
use crate::model::{Page, User};
use crate::{Error, Result};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub is_admin: bool,
}

pub async fn list(db: &DatabaseConnection, actor: &Actor, page: u64, per_page: u64) -> Result<Page<User>> {
    actor.require_admin()?;
    let per_page = per_page.clamp(1, 100);
    let paginator = user::Entity::find().order_by_asc(user::Column::Email).paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let items = paginator.fetch_page(page - 1).await?.into_iter().map(User::from).collect();
    Ok(Page { items, total, page, per_page })
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, new: NewUser) -> Result<User> {
    actor.require_admin()?;
    let email = validate_email("email", &new.email)?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "enter the person's name"));
    }
    validate_password("password", &new.password)?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(Error::Invalid { field: Some("email".into()), message: format!("{email} already has an account") });
    }
    let password_hash = hash_bounded(new.password.clone()).await?;
    let created = user::ActiveModel {
        email: Set(email),
        name: Set(name.to_string()),
        password_hash: Set(password_hash),
        is_admin: Set(new.is_admin),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(created.into())
}

pub async fn set_admin(db: &DatabaseConnection, actor: &Actor, user_id: i32, is_admin: bool) -> Result<User> {
    actor.require_admin()?;
    let target = get_model(db, user_id).await?;
    if !is_admin && target.is_admin {
        ensure_another_admin(db, user_id).await?;
    }
    let mut changed: user::ActiveModel = target.into();
    changed.is_admin = Set(is_admin);
    Ok(changed.update(db).await?.into())
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, user_id: i32) -> Result<()> {
    actor.require_admin()?;
    if user_id == actor.id {
        return Err(Error::Conflict("you cannot delete your own account while signed in with it".into()));
    }
    let target = get_model(db, user_id).await?;
    if target.is_admin {
        ensure_another_admin(db, user_id).await?;
    }
    user::Entity::delete_by_id(user_id).exec(db).await?;
    Ok(())
}

/// One user, as the console shows them (anyone may read their own record).
pub async fn get(db: &DatabaseConnection, user_id: i32) -> Result<User> {
    Ok(get_model(db, user_id).await?.into())
}

pub(crate) async fn find_by_email(db: &DatabaseConnection, email: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(normalize_email(email))).one(db).await?)
}

async fn get_model(db: &DatabaseConnection, user_id: i32) -> Result<user::Model> {
    user::Entity::find_by_id(user_id).one(db).await?.ok_or_else(|| Error::NotFound("no such user".into()))
}

async fn ensure_another_admin(db: &DatabaseConnection, except: i32) -> Result<()> {
    let others = user::Entity::find().filter(user::Column::IsAdmin.eq(true)).filter(user::Column::Id.ne(except)).count(db).await?;
    if others == 0 {
        return Err(Error::Conflict("Gatehouse needs at least one administrator: make someone else an admin first".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn new_user(email: &str) -> NewUser {
        NewUser { email: email.into(), name: "Grace".into(), password: "long enough pw".into(), is_admin: false }
    }

    #[tokio::test]
    async fn only_admins_manage_users() {
        let db = testing::db().await;
        let admin = testing::user(&db, "admin@example.test", true).await;
        let ada = testing::user(&db, "ada@example.test", false).await;
        assert!(matches!(create(&db, &ada, new_user("x@example.test")).await, Err(Error::Forbidden(_))));
        let grace = create(&db, &admin, new_user(" Grace@Example.test ")).await.unwrap();
        assert_eq!(grace.email, "grace@example.test");
        assert_eq!(list(&db, &admin, 1, 20).await.unwrap().total, 3);
        let dup = create(&db, &admin, new_user("grace@example.test")).await.unwrap_err();
        assert_eq!(dup.field(), Some("email"));
        assert_eq!(create(&db, &admin, NewUser { password: "short".into(), ..new_user("z@example.test") }).await.unwrap_err().field(), Some("password"));
    }

    #[tokio::test]
    async fn the_last_admin_stays() {
        let db = testing::db().await;
        let admin = testing::user(&db, "admin@example.test", true).await;
        let ada = testing::user(&db, "ada@example.test", false).await;
        assert!(matches!(set_admin(&db, &admin, admin.id, false).await, Err(Error::Conflict(_))));
        assert!(matches!(delete(&db, &admin, admin.id).await, Err(Error::Conflict(_))));
        set_admin(&db, &admin, ada.id, true).await.unwrap();
        set_admin(&db, &admin, admin.id, false).await.unwrap();
        delete(&db, &Actor { is_admin: true, ..ada.clone() }, admin.id).await.unwrap();
    }
}
