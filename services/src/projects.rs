//! Projects, the tenancy boundary, and their members. Someone who is not a member (and not an
//! admin) gets `NotFound` for a project, never `Forbidden`: we do not confirm that it exists.
mod members;

pub use members::{add_member, list_members, remove_member, set_member_role};

use crate::auth::Actor;
use crate::entities::{membership, project};
use crate::model::{Page, Project, Role};
use crate::{slug, Error, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
};

#[derive(Debug, Clone, Default)]
pub struct NewProject {
    pub name: String,
    /// Derived from the name when empty.
    pub slug: String,
    pub description: String,
}

/// What a caller needs to be allowed to do with a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    See,
    Edit,
    Own,
}

/// A project the caller may act on, with their role in it.
#[derive(Debug, Clone)]
pub struct Access {
    pub project: project::Model,
    pub role: Option<Role>,
}

/// Finds a project by id or slug and checks what the caller may do with it.
pub async fn access(db: &DatabaseConnection, actor: &Actor, key: &str, need: Need) -> Result<Access> {
    let not_found = || Error::NotFound(format!("there is no project \"{key}\" that you are a member of"));
    let by_key = match key.parse::<i32>() {
        Ok(id) => project::Column::Id.eq(id),
        Err(_) => project::Column::Slug.eq(key),
    };
    let found = project::Entity::find().filter(by_key).one(db).await?.ok_or_else(not_found)?;
    let role = membership::Entity::find()
        .filter(membership::Column::ProjectId.eq(found.id))
        .filter(membership::Column::UserId.eq(actor.id))
        .one(db)
        .await?
        .map(|m| m.role());
    let allowed = actor.is_admin
        || match (need, role) {
            (_, None) => return Err(not_found()),
            (Need::See, Some(_)) => true,
            (Need::Edit, Some(r)) => r.can_edit(),
            (Need::Own, Some(r)) => r == Role::Owner,
        };
    if !allowed {
        let what = if need == Need::Own { "an owner" } else { "a publisher or owner" };
        return Err(Error::Forbidden(format!("you are a {} in project {}: only {what} can change this", role.map_or("visitor", Role::as_str), found.name)));
    }
    Ok(Access { project: found, role })
}

/// The projects the caller can see (all of them for an admin), by name, optionally filtered.
pub async fn list(db: &DatabaseConnection, actor: &Actor, filter: &str, page: u64, per_page: u64) -> Result<Page<Project>> {
    let mut query = project::Entity::find().order_by_asc(project::Column::Name);
    if !actor.is_admin {
        let mine = membership::Entity::find().select_only().column(membership::Column::ProjectId).filter(membership::Column::UserId.eq(actor.id)).into_query();
        query = query.filter(project::Column::Id.in_subquery(mine));
    }
    let filter = filter.trim();
    if !filter.is_empty() {
        query = query.filter(crate::search::any_column_contains(&[project::Column::Name, project::Column::Slug], filter));
    }
    let per_page = per_page.clamp(1, 100);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let mut items = Vec::new();
    for model in paginator.fetch_page(page - 1).await? {
        items.push(describe(db, actor, model).await?);
    }
    Ok(Page { items, total, page, per_page })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, key: &str) -> Result<Project> {
    let access = access(db, actor, key, Need::See).await?;
    describe(db, actor, access.project).await
}

/// Creates a project (administrators, or everyone once an admin allows it in the settings);
/// the creator becomes its owner.
pub async fn create(db: &DatabaseConnection, actor: &Actor, new: NewProject) -> Result<Project> {
    if !crate::settings::may_create_projects(db, actor).await? {
        return Err(Error::Forbidden("only administrators create projects here: ask one to create the project and add you to it".into()));
    }
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "enter a project name"));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid("name", "the name is longer than 100 characters"));
    }
    crate::slug::plain_name("name", name)?;
    let slug = match new.slug.trim() {
        "" => slug::derive(name),
        typed => typed.to_string(),
    };
    slug::validate("slug", &slug)?;
    let description = new.description.trim();
    if description.chars().count() > 1000 {
        return Err(Error::invalid("description", "the description is longer than 1000 characters"));
    }
    let txn = db.begin().await?;
    if project::Entity::find().filter(project::Column::Slug.eq(slug.as_str())).one(&txn).await?.is_some() {
        return Err(Error::invalid("slug", format!("the slug \"{slug}\" is taken by another project: choose another")));
    }
    let now = time::OffsetDateTime::now_utc();
    let created = project::ActiveModel {
        name: Set(name.to_string()),
        slug: Set(slug),
        description: Set(description.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    membership::ActiveModel {
        project_id: Set(created.id),
        user_id: Set(actor.id),
        role: Set(Role::Owner.as_str().to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    describe(db, actor, created).await
}

async fn describe(db: &DatabaseConnection, actor: &Actor, model: project::Model) -> Result<Project> {
    let members = membership::Entity::find().filter(membership::Column::ProjectId.eq(model.id)).all(db).await?;
    let role = members.iter().find(|m| m.user_id == actor.id).map(membership::Model::role);
    Ok(Project {
        id: model.id,
        name: model.name,
        slug: model.slug,
        description: model.description,
        role,
        member_count: members.len() as u64,
        created_at: model.created_at,
    })
}

#[cfg(test)]
mod tests;
