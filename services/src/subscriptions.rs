//! Subscriptions: one consumer's access to one product, with two keys (primary and secondary,
//! so a consumer can rotate without downtime). A key is shown once, when made or regenerated,
//! and stored only as its SHA-256; suspending, resuming, cancelling or regenerating reaches the
//! gateway at once (`credentials::publish`), with no redeploy.
use crate::auth::Actor;
use crate::entities::{product, subscription};
use crate::model::{
    CreatedSubscription, KeyName, NewSubscription, Page, RegeneratedKey, SubscribedProduct, Subscription, SubscriptionChanges, SubscriptionState,
};
use crate::projects::{access, Need};
use crate::{activity, credentials, products, slug, Error, Result, Services};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use std::collections::HashMap;

mod binding;
#[cfg(test)]
mod tests;

pub use binding::display_fingerprint;

/// What to list: a state, a product (id or slug), text in the name or contact email.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    pub state: Option<SubscriptionState>,
    pub product: Option<String>,
    pub text: String,
}

/// Newest first.
pub async fn list(db: &DatabaseConnection, actor: &Actor, project: &str, filter: &SubscriptionFilter, page: u64, per_page: u64) -> Result<Page<Subscription>> {
    let access = access(db, actor, project, Need::See).await?;
    let mut query = subscription::Entity::find()
        .filter(subscription::Column::ProjectId.eq(access.project.id))
        .order_by_desc(subscription::Column::CreatedAt)
        .order_by_desc(subscription::Column::Id);
    if let Some(state) = filter.state {
        query = query.filter(subscription::Column::State.eq(state.as_str()));
    }
    if let Some(key) = filter.product.as_deref().filter(|k| !k.is_empty()) {
        let product = products::by_key(db, access.project.id, key)
            .await?
            .ok_or_else(|| Error::invalid("product", format!("there is no product \"{key}\" in this project")))?;
        query = query.filter(subscription::Column::ProductId.eq(product.id));
    }
    if !filter.text.trim().is_empty() {
        query = query.filter(crate::search::any_column_contains(&[subscription::Column::Name, subscription::Column::ContactEmail], &filter.text));
    }
    let per_page = per_page.clamp(1, 100);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Page { items: describe(db, rows).await?, total, page, per_page })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, project: &str, id: i32) -> Result<Subscription> {
    let row = find(db, actor, project, id, Need::See).await?;
    Ok(describe(db, vec![row]).await?.remove(0))
}

async fn find(db: &DatabaseConnection, actor: &Actor, project: &str, id: i32, need: Need) -> Result<subscription::Model> {
    let access = access(db, actor, project, need).await?;
    subscription::Entity::find_by_id(id)
        .filter(subscription::Column::ProjectId.eq(access.project.id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no subscription {id} in project {}", access.project.name)))
}

/// Subscribes a consumer to a product; the two keys are in the answer and nowhere else.
pub async fn create(services: &Services, actor: &Actor, project: &str, new: NewSubscription) -> Result<CreatedSubscription> {
    let db = &services.db;
    let access = access(db, actor, project, Need::Edit).await?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "enter the name of the consuming application"));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid("name", "the name is longer than 100 characters"));
    }
    slug::plain_name("name", name)?;
    let email = contact_email(&new.contact_email)?;
    let product_key = new.product.trim();
    if product_key.is_empty() {
        return Err(Error::invalid("product", "choose the product to subscribe to"));
    }
    let product = products::by_key(db, access.project.id, product_key)
        .await?
        .ok_or_else(|| Error::invalid("product", format!("there is no product \"{}\" in this project", product_key.chars().take(60).collect::<String>())))?;
    let bound = binding::read(db, access.project.id, &new.client_certificate_fingerprint, new.client_ca, None).await?;
    let (primary, secondary) = (new_key(), new_key());
    let now = time::OffsetDateTime::now_utc();
    let txn = db.begin().await?;
    let created = subscription::ActiveModel {
        project_id: Set(access.project.id),
        product_id: Set(product.id),
        name: Set(name.to_string()),
        contact_email: Set(email),
        state: Set(SubscriptionState::Active.as_str().into()),
        primary_hash: Set(hash(&primary)),
        primary_prefix: Set(prefix(&primary)),
        secondary_hash: Set(hash(&secondary)),
        secondary_prefix: Set(prefix(&secondary)),
        client_certificate_fingerprint: Set(bound.fingerprint),
        client_ca_id: Set(bound.ca),
        created_by: Set(Some(actor.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    activity::record(&txn, actor, access.project.id, None, "subscription.created", format!("Subscribed {name} to {}", product.name)).await?;
    txn.commit().await?;
    credentials::publish(services).await?;
    let subscription = describe(db, vec![created]).await?.remove(0);
    Ok(CreatedSubscription { subscription, primary_key: primary, secondary_key: secondary })
}

/// Replaces one key; the other keeps working. The new key is in the answer and nowhere else.
pub async fn regenerate(services: &Services, actor: &Actor, project: &str, id: i32, which: KeyName) -> Result<RegeneratedKey> {
    let db = &services.db;
    let row = find(db, actor, project, id, Need::Edit).await?;
    if row.state == SubscriptionState::Cancelled.as_str() {
        return Err(Error::Conflict(format!("{} is cancelled: its keys cannot be regenerated", row.name)));
    }
    let key = new_key();
    let mut model: subscription::ActiveModel = row.clone().into();
    match which {
        KeyName::Primary => {
            model.primary_hash = Set(hash(&key));
            model.primary_prefix = Set(prefix(&key));
        }
        KeyName::Secondary => {
            model.secondary_hash = Set(hash(&key));
            model.secondary_prefix = Set(prefix(&key));
        }
    }
    model.updated_at = Set(time::OffsetDateTime::now_utc());
    let txn = db.begin().await?;
    model.update(&txn).await?;
    let what = if which == KeyName::Primary { "primary" } else { "secondary" };
    activity::record(&txn, actor, row.project_id, None, "subscription.key_regenerated", format!("Regenerated the {what} key of {}", row.name)).await?;
    txn.commit().await?;
    credentials::publish(services).await?;
    Ok(RegeneratedKey { which, key })
}

/// Suspends, resumes or cancels. Cancelling is final.
pub async fn set_state(services: &Services, actor: &Actor, project: &str, id: i32, state: SubscriptionState) -> Result<Subscription> {
    update(services, actor, project, id, SubscriptionChanges { state: Some(state), ..Default::default() }).await
}

/// Changes the state and/or the client certificate binding, all or nothing: a binding that
/// cannot be made leaves the state as it was too.
pub async fn update(services: &Services, actor: &Actor, project: &str, id: i32, changes: SubscriptionChanges) -> Result<Subscription> {
    let db = &services.db;
    let row = find(db, actor, project, id, Need::Edit).await?;
    let current = SubscriptionState::parse(&row.state).unwrap_or(SubscriptionState::Cancelled);
    let rebind = changes.client_certificate_fingerprint.is_some() || changes.client_ca.is_some();
    let state = changes.state.filter(|s| *s != current);
    if current == SubscriptionState::Cancelled && (state.is_some() || rebind) {
        return Err(Error::Conflict(format!("{} is cancelled, which is final: subscribe the application again", row.name)));
    }
    let bound = match rebind {
        true => {
            let fingerprint = changes.client_certificate_fingerprint.clone().flatten().unwrap_or_default();
            Some(binding::read(db, row.project_id, &fingerprint, changes.client_ca.flatten(), Some(row.id)).await?)
        }
        false => None,
    };
    let bound = bound.filter(|b| b.fingerprint != row.client_certificate_fingerprint || b.ca != row.client_ca_id);
    if state.is_none() && bound.is_none() {
        return Ok(describe(db, vec![row]).await?.remove(0));
    }
    let mut model: subscription::ActiveModel = row.clone().into();
    let mut said = Vec::new();
    if let Some(state) = state {
        model.state = Set(state.as_str().into());
        said.push(match state {
            SubscriptionState::Active => format!("Resumed {}", row.name),
            SubscriptionState::Suspended => format!("Suspended {}", row.name),
            SubscriptionState::Cancelled => format!("Cancelled {}", row.name),
        });
    }
    if let Some(bound) = bound {
        said.push(match (&bound.fingerprint, bound.ca) {
            (Some(f), _) => format!("Bound {} to the client certificate {}", row.name, display_fingerprint(f)),
            (None, Some(ca)) => format!("Bound {} to the trusted client CA {ca}", row.name),
            (None, None) => format!("Unbound the client certificate of {}", row.name),
        });
        model.client_certificate_fingerprint = Set(bound.fingerprint);
        model.client_ca_id = Set(bound.ca);
    }
    model.updated_at = Set(time::OffsetDateTime::now_utc());
    let txn = db.begin().await?;
    let updated = model.update(&txn).await?;
    let kind = if state.is_some() { "subscription.state" } else { "subscription.client_certificate" };
    activity::record(&txn, actor, row.project_id, None, kind, said.join("; ")).await?;
    txn.commit().await?;
    credentials::publish(services).await?;
    Ok(describe(db, vec![updated]).await?.remove(0))
}

/// Deletes a subscription (its keys stop working at once).
pub async fn delete(services: &Services, actor: &Actor, project: &str, id: i32) -> Result<Subscription> {
    let db = &services.db;
    let row = find(db, actor, project, id, Need::Edit).await?;
    let described = describe(db, vec![row.clone()]).await?.remove(0);
    let txn = db.begin().await?;
    subscription::Entity::delete_by_id(row.id).exec(&txn).await?;
    activity::record(&txn, actor, row.project_id, None, "subscription.deleted", format!("Deleted the subscription of {}", row.name)).await?;
    txn.commit().await?;
    credentials::publish(services).await?;
    Ok(described)
}

fn contact_email(raw: &str) -> Result<String> {
    let email = raw.trim();
    if email.is_empty() {
        return Ok(String::new());
    }
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"');
    if !valid {
        return Err(Error::invalid("contact_email", "enter an email address such as dev@example.com, or leave it empty"));
    }
    Ok(email.to_string())
}

/// "gk_" and 64 hex digits: 256 random bits.
fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("gk_{}", hex::encode(bytes))
}

pub(crate) fn hash(key: &str) -> String {
    hex::encode(gateway::consumers::key_hash(key))
}

fn prefix(key: &str) -> String {
    key.chars().take(10).collect()
}

async fn describe(db: &DatabaseConnection, rows: Vec<subscription::Model>) -> Result<Vec<Subscription>> {
    let mut bindings = binding::describe(db, &rows).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.product_id).collect();
    let products: HashMap<i32, product::Model> =
        product::Entity::find().filter(product::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|p| (p.id, p)).collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let product = products.get(&row.product_id).map_or(SubscribedProduct { id: row.product_id, slug: String::new(), name: String::new() }, |p| {
                SubscribedProduct { id: p.id, slug: p.slug.clone(), name: p.name.clone() }
            });
            Subscription {
                id: row.id,
                state: SubscriptionState::parse(&row.state).unwrap_or(SubscriptionState::Cancelled),
                name: row.name,
                contact_email: row.contact_email,
                product,
                primary_key_prefix: row.primary_prefix,
                secondary_key_prefix: row.secondary_prefix,
                client_certificate: bindings.remove(&row.id),
                created_at: row.created_at,
                updated_at: row.updated_at,
            }
        })
        .collect())
}
