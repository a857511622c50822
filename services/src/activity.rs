//! The activity log: every change to a proxy or its endpoints, with who made it and when.
//! Recorded inside the same transaction as the change, so the log never claims a change that
//! did not happen (or misses one that did).
use crate::auth::Actor;
use crate::entities::{activity, proxy};
use crate::model::{Activity, Page};
use crate::projects::{access, Need};
use crate::Result;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;

/// Appends an entry. `proxy_id` is `None` for project-wide changes.
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, project_id: i32, proxy_id: Option<i32>, action: &str, summary: impl Into<String>) -> Result<()> {
    activity::ActiveModel {
        project_id: Set(project_id),
        proxy_id: Set(proxy_id),
        actor_id: Set(Some(actor.id)),
        actor_name: Set(actor.name.chars().take(200).collect()),
        action: Set(action.to_string()),
        summary: Set(summary.into()),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Newest first; for one proxy when `proxy_id` is given, else the whole project.
pub async fn list(db: &DatabaseConnection, actor: &Actor, project: &str, proxy_id: Option<i32>, page: u64, per_page: u64) -> Result<Page<Activity>> {
    let access = access(db, actor, project, Need::See).await?;
    let mut query = activity::Entity::find()
        .filter(activity::Column::ProjectId.eq(access.project.id))
        .order_by_desc(activity::Column::CreatedAt)
        .order_by_desc(activity::Column::Id);
    if let Some(id) = proxy_id {
        query = query.filter(activity::Column::ProxyId.eq(id));
    }
    let per_page = per_page.clamp(1, 100);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let rows = paginator.fetch_page(page - 1).await?;
    let names: HashMap<i32, String> =
        proxy::Entity::find().filter(proxy::Column::ProjectId.eq(access.project.id)).all(db).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let items = rows
        .into_iter()
        .map(|row| Activity {
            id: row.id,
            proxy: row.proxy_id.and_then(|id| names.get(&id).cloned()),
            actor: row.actor_name,
            action: row.action,
            summary: row.summary,
            created_at: row.created_at,
        })
        .collect();
    Ok(Page { items, total, page, per_page })
}
