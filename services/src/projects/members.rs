//! Project members and their roles. Only owners (and admins) manage members, and a project
//! always keeps at least one owner.
use super::{access, Need};
use crate::auth::Actor;
use crate::entities::{membership, user};
use crate::model::{Member, Role};
use crate::{users, Error, Result};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

pub async fn list_members(db: &DatabaseConnection, actor: &Actor, project: &str) -> Result<Vec<Member>> {
    let access = access(db, actor, project, Need::See).await?;
    let rows = membership::Entity::find()
        .filter(membership::Column::ProjectId.eq(access.project.id))
        .find_also_related(user::Entity)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(m, u)| u.map(|u| Member { user_id: u.id, email: u.email, name: u.name, role: m.role() })).collect())
}

/// Adds an existing user, by email, with a role.
pub async fn add_member(db: &DatabaseConnection, actor: &Actor, project: &str, email: &str, role: Role) -> Result<Member> {
    let access = access(db, actor, project, Need::Own).await?;
    let Some(person) = users::find_by_email(db, email).await? else {
        return Err(Error::invalid("email", format!("nobody has an account with {}: an administrator can create one under Admin → Users", email.trim())));
    };
    let existing =
        membership::Entity::find().filter(membership::Column::ProjectId.eq(access.project.id)).filter(membership::Column::UserId.eq(person.id)).one(db).await?;
    if existing.is_some() {
        return Err(Error::invalid("email", format!("{} is already a member: change their role instead", person.email)));
    }
    membership::ActiveModel {
        project_id: Set(access.project.id),
        user_id: Set(person.id),
        role: Set(role.as_str().to_string()),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Member { user_id: person.id, email: person.email, name: person.name, role })
}

pub async fn set_member_role(db: &DatabaseConnection, actor: &Actor, project: &str, user_id: i32, role: Role) -> Result<()> {
    let access = access(db, actor, project, Need::Own).await?;
    let member = find_member(db, access.project.id, user_id).await?;
    if member.role() == Role::Owner && role != Role::Owner {
        ensure_another_owner(db, access.project.id, user_id).await?;
    }
    let mut changed: membership::ActiveModel = member.into();
    changed.role = Set(role.as_str().to_string());
    changed.update(db).await?;
    Ok(())
}

pub async fn remove_member(db: &DatabaseConnection, actor: &Actor, project: &str, user_id: i32) -> Result<()> {
    let access = access(db, actor, project, Need::Own).await?;
    let member = find_member(db, access.project.id, user_id).await?;
    if member.role() == Role::Owner {
        ensure_another_owner(db, access.project.id, user_id).await?;
    }
    membership::Entity::delete_by_id(member.id).exec(db).await?;
    Ok(())
}

async fn find_member(db: &DatabaseConnection, project_id: i32, user_id: i32) -> Result<membership::Model> {
    membership::Entity::find()
        .filter(membership::Column::ProjectId.eq(project_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("that person is not a member of this project".into()))
}

async fn ensure_another_owner(db: &DatabaseConnection, project_id: i32, except_user: i32) -> Result<()> {
    let owners = membership::Entity::find()
        .filter(membership::Column::ProjectId.eq(project_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .filter(membership::Column::UserId.ne(except_user))
        .count(db)
        .await?;
    if owners == 0 {
        return Err(Error::Conflict("a project needs at least one owner: make someone else an owner first".into()));
    }
    Ok(())
}
