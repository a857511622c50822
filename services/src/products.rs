//! Products: what a subscription is to. Each groups proxies of one project and carries the
//! plan: a rate limit (N requests per S seconds) and a quota (N per day or month), both per
//! subscription. Every change is handed to the gateway at once (`credentials::publish`).
use crate::auth::Actor;
use crate::entities::{product, product_proxy, proxy, subscription};
use crate::model::{
    NewProduct, Page, Product, ProductChanges, ProductProxy, QuotaPeriod, QuotaSetting, RateLimitSetting, MAX_QUOTA_REQUESTS, MAX_RATE_REQUESTS,
    MAX_RATE_SECONDS,
};
use crate::projects::{access, Access, Need};
use crate::{activity, credentials, slug, Error, Result, Services};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use std::collections::HashMap;

#[cfg(test)]
mod tests;

/// The project's products by name.
pub async fn list(db: &DatabaseConnection, actor: &Actor, project: &str, page: u64, per_page: u64) -> Result<Page<Product>> {
    let access = access(db, actor, project, Need::See).await?;
    let per_page = per_page.clamp(1, 100);
    let paginator = product::Entity::find().filter(product::Column::ProjectId.eq(access.project.id)).order_by_asc(product::Column::Name).paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Page { items: describe(db, rows).await?, total, page, per_page })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str) -> Result<Product> {
    let (_, row) = find(db, actor, project, key, Need::See).await?;
    Ok(describe(db, vec![row]).await?.remove(0))
}

/// Finds a product of the project by id or slug.
pub async fn find(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str, need: Need) -> Result<(Access, product::Model)> {
    let access = access(db, actor, project, need).await?;
    let row = by_key(db, access.project.id, key)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no product \"{key}\" in project {}", access.project.name)))?;
    Ok((access, row))
}

pub(crate) async fn by_key(db: &impl ConnectionTrait, project_id: i32, key: &str) -> Result<Option<product::Model>> {
    let by = match key.parse::<i32>() {
        Ok(id) => product::Column::Id.eq(id),
        Err(_) => product::Column::Slug.eq(key),
    };
    Ok(product::Entity::find().filter(product::Column::ProjectId.eq(project_id)).filter(by).one(db).await?)
}

pub async fn create(services: &Services, actor: &Actor, project: &str, new: NewProduct) -> Result<Product> {
    let db = &services.db;
    let access = access(db, actor, project, Need::Edit).await?;
    let name = name(&new.name)?;
    let slug = match new.slug.trim() {
        "" => slug::derive(&name),
        typed => typed.to_string(),
    };
    slug::validate("slug", &slug)?;
    let description = description(&new.description)?;
    let (rate, quota) = plan(new.rate_limit, new.quota)?;
    let proxies = proxies(db, access.project.id, &new.proxies).await?;
    let txn = db.begin().await?;
    if by_key(&txn, access.project.id, &slug).await?.is_some() {
        return Err(Error::invalid("slug", format!("the slug \"{slug}\" is taken by another product in this project: choose another")));
    }
    let now = time::OffsetDateTime::now_utc();
    let mut row = product::ActiveModel {
        project_id: Set(access.project.id),
        name: Set(name.clone()),
        slug: Set(slug),
        description: Set(description),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_plan(&mut row, rate, quota);
    let created = row.insert(&txn).await?;
    set_proxies(&txn, created.id, &proxies).await?;
    activity::record(&txn, actor, access.project.id, None, "product.created", format!("Created product {name} ({})", plan_text(&created))).await?;
    txn.commit().await?;
    credentials::publish(services).await?;
    Ok(describe(db, vec![created]).await?.remove(0))
}

/// Changes the fields given; `rate_limit: Some(None)` removes the rate limit, likewise quota.
pub async fn update(services: &Services, actor: &Actor, project: &str, key: &str, changes: ProductChanges) -> Result<Product> {
    let db = &services.db;
    let (access, row) = find(db, actor, project, key, Need::Edit).await?;
    let mut model: product::ActiveModel = row.clone().into();
    if let Some(n) = &changes.name {
        model.name = Set(name(n)?);
    }
    if let Some(d) = &changes.description {
        model.description = Set(description(d)?);
    }
    let current = (rate_of(&row), quota_of(&row));
    let rate = changes.rate_limit.unwrap_or(current.0);
    let quota = changes.quota.unwrap_or(current.1);
    let (rate, quota) = plan(rate, quota)?;
    set_plan(&mut model, rate, quota);
    let proxies = match &changes.proxies {
        Some(keys) => Some(proxies(db, access.project.id, keys).await?),
        None => None,
    };
    model.updated_at = Set(time::OffsetDateTime::now_utc());
    let txn = db.begin().await?;
    let updated = model.update(&txn).await?;
    if let Some(proxies) = &proxies {
        product_proxy::Entity::delete_many().filter(product_proxy::Column::ProductId.eq(row.id)).exec(&txn).await?;
        set_proxies(&txn, row.id, proxies).await?;
    }
    activity::record(&txn, actor, access.project.id, None, "product.updated", format!("Changed product {} ({})", updated.name, plan_text(&updated))).await?;
    txn.commit().await?;
    credentials::publish(services).await?;
    Ok(describe(db, vec![updated]).await?.remove(0))
}

/// Deletes a product that no subscription refers to any more.
pub async fn delete(services: &Services, actor: &Actor, project: &str, key: &str) -> Result<Product> {
    let db = &services.db;
    let (access, row) = find(db, actor, project, key, Need::Edit).await?;
    let described = describe(db, vec![row.clone()]).await?.remove(0);
    let subscriptions = subscription::Entity::find().filter(subscription::Column::ProductId.eq(row.id)).count(db).await?;
    if subscriptions > 0 {
        return Err(Error::Conflict(format!("{} has {subscriptions} subscription(s): cancel and delete them first", row.name)));
    }
    let txn = db.begin().await?;
    product::Entity::delete_by_id(row.id).exec(&txn).await?;
    activity::record(&txn, actor, access.project.id, None, "product.deleted", format!("Deleted product {}", row.name)).await?;
    txn.commit().await?;
    credentials::publish(services).await?;
    Ok(described)
}

fn name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "enter a name for the product, such as Gold"));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid("name", "the name is longer than 100 characters"));
    }
    slug::plain_name("name", name)?;
    Ok(name.to_string())
}

fn description(raw: &str) -> Result<String> {
    let d = raw.trim();
    if d.chars().count() > 1000 {
        return Err(Error::invalid("description", "the description is longer than 1000 characters"));
    }
    Ok(d.to_string())
}

/// Checks a plan: each limit positive and bounded, and a quota no smaller than the rate limit.
fn plan(rate: Option<RateLimitSetting>, quota: Option<QuotaSetting>) -> Result<(Option<RateLimitSetting>, Option<QuotaSetting>)> {
    if let Some(r) = rate {
        if r.requests < 1 || r.requests > i64::from(MAX_RATE_REQUESTS) {
            return Err(Error::invalid("rate_limit", format!("a rate limit allows 1 to {MAX_RATE_REQUESTS} requests per window")));
        }
        if r.per_seconds < 1 || r.per_seconds > i64::from(MAX_RATE_SECONDS) {
            return Err(Error::invalid("rate_limit", format!("a rate limit's window is 1 to {MAX_RATE_SECONDS} seconds")));
        }
    }
    if let Some(q) = quota {
        if q.requests < 1 || q.requests as u64 > MAX_QUOTA_REQUESTS {
            return Err(Error::invalid("quota", format!("a quota allows 1 to {MAX_QUOTA_REQUESTS} requests per {}", q.period.as_str())));
        }
        if let Some(r) = rate.filter(|r| q.requests < r.requests) {
            return Err(Error::invalid(
                "quota",
                format!(
                    "the quota ({} per {}) is smaller than the rate limit ({} per {} s): raise the quota or lower the rate limit",
                    q.requests,
                    q.period.as_str(),
                    r.requests,
                    r.per_seconds
                ),
            ));
        }
    }
    Ok((rate, quota))
}

fn set_plan(row: &mut product::ActiveModel, rate: Option<RateLimitSetting>, quota: Option<QuotaSetting>) {
    row.rate_requests = Set(rate.map(|r| r.requests as i32));
    row.rate_per_seconds = Set(rate.map(|r| r.per_seconds as i32));
    row.quota_requests = Set(quota.map(|q| q.requests));
    row.quota_period = Set(quota.map(|q| q.period.as_str().to_string()));
}

pub(crate) fn rate_of(row: &product::Model) -> Option<RateLimitSetting> {
    Some(RateLimitSetting { requests: i64::from(row.rate_requests?), per_seconds: i64::from(row.rate_per_seconds?) })
}

pub(crate) fn quota_of(row: &product::Model) -> Option<QuotaSetting> {
    Some(QuotaSetting { requests: row.quota_requests?, period: QuotaPeriod::parse(row.quota_period.as_deref()?)? })
}

/// "1000 requests per 60 s, 100000 per month", for the activity log.
fn plan_text(row: &product::Model) -> String {
    let mut parts = Vec::new();
    if let Some(r) = rate_of(row) {
        parts.push(format!("{} requests per {} s", r.requests, r.per_seconds));
    }
    if let Some(q) = quota_of(row) {
        parts.push(format!("{} per {}", q.requests, q.period.as_str()));
    }
    if parts.is_empty() {
        "no limits".to_string()
    } else {
        parts.join(", ")
    }
}

/// The project's proxies named by id or slug, each once; an unknown one is named.
async fn proxies(db: &DatabaseConnection, project_id: i32, keys: &[String]) -> Result<Vec<i32>> {
    if keys.len() > 1000 {
        return Err(Error::invalid("proxies", "a product grants at most 1000 proxies"));
    }
    let all = proxy::Entity::find().filter(proxy::Column::ProjectId.eq(project_id)).all(db).await?;
    let mut ids = Vec::new();
    for key in keys {
        let key = key.trim();
        let found = all.iter().find(|p| p.slug == key || key.parse::<i32>().is_ok_and(|id| id == p.id));
        let Some(found) = found else {
            let shown: String = key.chars().take(60).collect();
            return Err(Error::invalid("proxies", format!("there is no API proxy \"{shown}\" in this project")));
        };
        if !ids.contains(&found.id) {
            ids.push(found.id);
        }
    }
    Ok(ids)
}

async fn set_proxies(db: &impl ConnectionTrait, product_id: i32, proxy_ids: &[i32]) -> Result<()> {
    for proxy_id in proxy_ids {
        product_proxy::ActiveModel { product_id: Set(product_id), proxy_id: Set(*proxy_id) }.insert(db).await?;
    }
    Ok(())
}

async fn describe(db: &DatabaseConnection, rows: Vec<product::Model>) -> Result<Vec<Product>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let links = product_proxy::Entity::find().filter(product_proxy::Column::ProductId.is_in(ids.clone())).all(db).await?;
    let proxy_ids: Vec<i32> = links.iter().map(|l| l.proxy_id).collect();
    let proxies: HashMap<i32, proxy::Model> =
        proxy::Entity::find().filter(proxy::Column::Id.is_in(proxy_ids)).all(db).await?.into_iter().map(|p| (p.id, p)).collect();
    #[derive(sea_orm::FromQueryResult)]
    struct Count {
        product_id: i32,
        n: i64,
    }
    let counts: HashMap<i32, i64> = subscription::Entity::find()
        .select_only()
        .column(subscription::Column::ProductId)
        .column_as(subscription::Column::Id.count(), "n")
        .filter(subscription::Column::ProductId.is_in(ids))
        .filter(subscription::Column::State.ne(crate::model::SubscriptionState::Cancelled.as_str()))
        .group_by(subscription::Column::ProductId)
        .into_model::<Count>()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.product_id, c.n))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut granted: Vec<ProductProxy> = links
                .iter()
                .filter(|l| l.product_id == row.id)
                .filter_map(|l| proxies.get(&l.proxy_id))
                .map(|p| ProductProxy { id: p.id, slug: p.slug.clone(), name: p.name.clone(), version: p.version.clone() })
                .collect();
            granted.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
            Product {
                id: row.id,
                rate_limit: rate_of(&row),
                quota: quota_of(&row),
                subscriptions: counts.get(&row.id).copied().unwrap_or(0) as u64,
                name: row.name,
                slug: row.slug,
                description: row.description,
                proxies: granted,
                created_at: row.created_at,
            }
        })
        .collect())
}
