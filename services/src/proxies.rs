//! API proxies: name, version, context path, description and an optional OpenAPI contract,
//! plus one endpoint configuration per environment (see `endpoints`). Reading needs membership
//! of the project; changing needs the publisher or owner role.
pub mod access;
mod contract;
pub mod endpoints;
pub mod lifecycle;
mod paths;
pub mod policies;

use crate::activity;
use crate::auth::Actor;
use crate::entities::{endpoint_config, environment, proxy};
use crate::model::{DeploymentState, EnvironmentStatus, NewProxy, Operation, Page, Policy, PolicyList, Proxy, ProxyChanges};
use crate::projects::{access, Access, Need};
use crate::{slug, Error, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

/// A proxy found by id or slug in a project the caller may act on.
pub struct Found {
    pub access: Access,
    pub proxy: proxy::Model,
}

/// Finds a proxy of the project by id or slug; another project's proxy is simply not there.
pub async fn find(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str, need: Need) -> Result<Found> {
    let access = access(db, actor, project, need).await?;
    let by_key = match key.parse::<i32>() {
        Ok(id) => proxy::Column::Id.eq(id),
        Err(_) => proxy::Column::Slug.eq(key),
    };
    let proxy = proxy::Entity::find()
        .filter(proxy::Column::ProjectId.eq(access.project.id))
        .filter(by_key)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no API proxy \"{key}\" in project {}", access.project.name)))?;
    Ok(Found { access, proxy })
}

/// The project's proxies by name, optionally filtered by name, context path or version.
pub async fn list(db: &DatabaseConnection, actor: &Actor, project: &str, filter: &str, page: u64, per_page: u64) -> Result<Page<Proxy>> {
    let access = access(db, actor, project, Need::See).await?;
    let mut query =
        proxy::Entity::find().filter(proxy::Column::ProjectId.eq(access.project.id)).order_by_asc(proxy::Column::Name).order_by_asc(proxy::Column::Version);
    if !filter.trim().is_empty() {
        use proxy::Column as C;
        query = query.filter(crate::search::any_column_contains(&[C::Name, C::ContextPath, C::Version, C::Slug], filter));
    }
    let per_page = per_page.clamp(1, 100);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let mut items = Vec::new();
    for row in paginator.fetch_page(page - 1).await? {
        items.push(describe(db, row).await?);
    }
    Ok(Page { items, total, page, per_page })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str) -> Result<Proxy> {
    describe(db, find(db, actor, project, key, Need::See).await?.proxy).await
}

/// Creates a proxy and its endpoint configuration in every environment, all pointing at
/// `backend_url` with verification on and Mutual SSL off.
pub async fn create(db: &DatabaseConnection, actor: &Actor, project: &str, new: NewProxy) -> Result<Proxy> {
    let access = access(db, actor, project, Need::Edit).await?;
    let name = name("name", &new.name)?;
    let version = version(&new.version)?;
    let slug = match new.slug.trim() {
        "" => slug::derive(&format!("{name} {version}")),
        typed => typed.to_string(),
    };
    slug::validate("slug", &slug)?;
    let context_path = paths::context_path("context_path", &new.context_path)?;
    let description = description(&new.description)?;
    let url = paths::backend_url("backend_url", &new.backend_url)?;
    let (contract, operations) = read_contract(new.contract.as_deref()).await?;
    let access_setting = access::read(&new.access.unwrap_or_default())?;
    let txn = db.begin().await?;
    if proxy::Entity::find().filter(proxy::Column::ProjectId.eq(access.project.id)).filter(proxy::Column::Slug.eq(slug.as_str())).one(&txn).await?.is_some() {
        return Err(Error::invalid("slug", format!("the slug \"{slug}\" is taken by another proxy in this project: choose another")));
    }
    check_context_path_free(&txn, access.project.id, &context_path, None).await?;
    let now = time::OffsetDateTime::now_utc();
    let created = proxy::ActiveModel {
        project_id: Set(access.project.id),
        name: Set(name.clone()),
        slug: Set(slug),
        version: Set(version.clone()),
        context_path: Set(context_path.clone()),
        description: Set(description),
        contract: Set(contract),
        operations: Set(serde_json::to_string(&operations).unwrap_or_else(|_| "[]".into())),
        access_mode: Set(access::mode_str(access_setting.mode).into()),
        key_header: Set(access_setting.key_header.clone()),
        key_query: Set(access_setting.key_query.clone()),
        client_certificate: Set(access_setting.client_certificate),
        created_by: Set(Some(actor.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for env in environment::Entity::find().all(&txn).await? {
        endpoints::default_row(created.id, env.id, &paths::normalized(&url), actor, now).insert(&txn).await?;
    }
    let summary = format!("Created {name} {version} at {context_path}, backend {}", paths::normalized(&url));
    activity::record(&txn, actor, access.project.id, Some(created.id), "proxy.created", summary).await?;
    txn.commit().await?;
    describe(db, created).await
}

/// Changes the fields given. A contract of "" removes the contract.
pub async fn update(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str, changes: ProxyChanges) -> Result<Proxy> {
    let Found { access, proxy: row } = find(db, actor, project, key, Need::Edit).await?;
    let mut changed = Vec::new();
    let mut model: proxy::ActiveModel = row.clone().into();
    if let Some(n) = changes.name.as_deref() {
        let n = name("name", n)?;
        if n != row.name {
            changed.push(format!("name to {n}"));
            model.name = Set(n);
        }
    }
    if let Some(v) = changes.version.as_deref() {
        let v = version(v)?;
        if v != row.version {
            changed.push(format!("version to {v}"));
            model.version = Set(v);
        }
    }
    if let Some(d) = changes.description.as_deref() {
        let d = description(d)?;
        if d != row.description {
            changed.push("description".to_string());
            model.description = Set(d);
        }
    }
    if let Some(typed) = &changes.access {
        let new = access::read(typed)?;
        if new.mode == crate::model::AccessMode::Subscription {
            policies::read(&policies::of(&row), &new.key_header)
                .map_err(|_| Error::invalid("key_header", format!("a policy of this proxy changes the {} header: change that policy first", new.key_header)))?;
        }
        if new != access::of(&row) {
            changed.push(format!("access to {}", access::describe(&new)));
            model.access_mode = Set(access::mode_str(new.mode).into());
            model.key_header = Set(new.key_header);
            model.key_query = Set(new.key_query);
            model.client_certificate = Set(new.client_certificate);
        }
    }
    let txn = db.begin().await?;
    if let Some(c) = changes.context_path.as_deref() {
        let c = paths::context_path("context_path", c)?;
        if c != row.context_path {
            check_context_path_free(&txn, access.project.id, &c, Some(row.id)).await?;
            changed.push(format!("context path to {c}"));
            model.context_path = Set(c);
        }
    }
    if let Some(text) = changes.contract.as_deref() {
        if text.trim().is_empty() {
            if row.contract.is_some() {
                changed.push("removed the contract".to_string());
                model.contract = Set(None);
                model.operations = Set("[]".into());
            }
        } else {
            let (contract, operations) = read_contract(Some(text)).await?;
            changed.push(format!("contract ({} operations)", operations.len()));
            model.contract = Set(contract);
            model.operations = Set(serde_json::to_string(&operations).unwrap_or_else(|_| "[]".into()));
        }
    }
    if changed.is_empty() {
        // The transaction holds SQLite's one connection: end it before describing.
        txn.rollback().await?;
        return describe(db, row).await;
    }
    model.updated_at = Set(time::OffsetDateTime::now_utc());
    let updated = model.update(&txn).await?;
    activity::record(&txn, actor, access.project.id, Some(row.id), "proxy.updated", format!("Changed {}", changed.join(", "))).await?;
    txn.commit().await?;
    describe(db, updated).await
}

/// Deletes a proxy with its endpoint configurations; returns what was deleted.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str) -> Result<Proxy> {
    let Found { access, proxy: row } = find(db, actor, project, key, Need::Edit).await?;
    let described = describe(db, row.clone()).await?;
    let live = crate::live::live_environments(db, row.id).await?;
    if !live.is_empty() {
        return Err(Error::Conflict(format!("{} is deployed in {}: undeploy it there first", row.name, live.join(" and "))));
    }
    let txn = db.begin().await?;
    endpoints::delete_for_proxy(&txn, row.id).await?;
    proxy::Entity::delete_by_id(row.id).exec(&txn).await?;
    let summary = format!("Deleted {} {} ({})", row.name, row.version, row.context_path);
    activity::record(&txn, actor, access.project.id, None, "proxy.deleted", summary).await?;
    txn.commit().await?;
    Ok(described)
}

/// One gateway serves every project, so no two proxies anywhere share a context path. Another
/// project's proxy is not named: its existence is all the caller learns.
async fn check_context_path_free(db: &impl ConnectionTrait, project_id: i32, path: &str, except: Option<i32>) -> Result<()> {
    let mut query = proxy::Entity::find().filter(proxy::Column::ContextPath.eq(path));
    if let Some(id) = except {
        query = query.filter(proxy::Column::Id.ne(id));
    }
    match query.one(db).await? {
        None => Ok(()),
        Some(other) if other.project_id == project_id => Err(Error::invalid(
            "context_path",
            format!("{path} is already the context path of {} {} in every environment: choose another", other.name, other.version),
        )),
        Some(_) => Err(Error::invalid("context_path", format!("{path} is already taken on this gateway by another project's proxy: choose another"))),
    }
}

fn name(field: &str, raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid(field, "enter a name for the API proxy"));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid(field, "the name is longer than 100 characters"));
    }
    crate::slug::plain_name(field, name)?;
    Ok(name.to_string())
}

fn version(raw: &str) -> Result<String> {
    let version = raw.trim();
    if version.is_empty() {
        return Err(Error::invalid("version", "enter a version, such as v1 or 1.0.0"));
    }
    if version.chars().count() > 32 || version.chars().any(char::is_whitespace) {
        return Err(Error::invalid("version", "a version is at most 32 characters, without spaces"));
    }
    Ok(version.to_string())
}

fn description(raw: &str) -> Result<String> {
    let d = raw.trim();
    if d.chars().count() > 2000 {
        return Err(Error::invalid("description", "the description is longer than 2000 characters"));
    }
    Ok(d.to_string())
}

async fn read_contract(text: Option<&str>) -> Result<(Option<String>, Vec<Operation>)> {
    match text {
        Some(t) if !t.trim().is_empty() => Ok((Some(t.to_string()), contract::read(t.to_string()).await?)),
        _ => Ok((None, Vec::new())),
    }
}

async fn describe(db: &DatabaseConnection, row: proxy::Model) -> Result<Proxy> {
    let environments = environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await?;
    let configs = endpoint_config::Entity::find().filter(endpoint_config::Column::ProxyId.eq(row.id)).all(db).await?;
    let mut warnings = endpoints::listing_warnings(db, &environments, &configs).await?;
    warnings.extend(crate::live::drift(db, &row).await?);
    let mut states = crate::live::states(db, row.id).await?;
    let access = access::of(&row);
    let (policies, lifecycle) = (policies::of(&row), lifecycle::of(&row));
    Ok(Proxy {
        id: row.id,
        name: row.name,
        slug: row.slug,
        version: row.version,
        context_path: row.context_path,
        description: row.description,
        has_contract: row.contract.is_some(),
        access,
        policies,
        lifecycle,
        operations: serde_json::from_str(&row.operations).unwrap_or_default(),
        environments: environments
            .into_iter()
            .map(|e| {
                let state = states.remove(&e.id).unwrap_or(DeploymentState::NotDeployed);
                EnvironmentStatus { environment: e.slug, environment_name: e.name, state }
            })
            .collect(),
        warnings,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The stored contract text, for download or editing.
pub async fn contract_text(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str) -> Result<Option<String>> {
    Ok(find(db, actor, project, key, Need::See).await?.proxy.contract)
}

#[cfg(test)]
pub(crate) mod tests;

/// The proxy's policies, in order.
pub async fn get_policies(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str) -> Result<PolicyList> {
    Ok(PolicyList { policies: policies::of(&find(db, actor, project, key, Need::See).await?.proxy) })
}

/// Replaces the proxy's policies with `typed`, checked whole (nothing is stored if one is
/// wrong). Part of the revision: they hold from the next deploy.
pub async fn set_policies(db: &DatabaseConnection, actor: &Actor, project: &str, key: &str, typed: &[Policy]) -> Result<PolicyList> {
    let Found { access, proxy: row } = find(db, actor, project, key, Need::Edit).await?;
    let key_header = if row.access_mode == "subscription" { row.key_header.clone() } else { String::new() };
    let checked = policies::read(typed, &key_header)?;
    if checked == policies::of(&row) {
        return Ok(PolicyList { policies: checked });
    }
    let mut model: proxy::ActiveModel = row.clone().into();
    model.policies = Set(serde_json::to_string(&checked).map_err(|e| Error::Internal(format!("the policies cannot be written: {e}")))?);
    model.updated_at = Set(time::OffsetDateTime::now_utc());
    let txn = db.begin().await?;
    model.update(&txn).await?;
    let summary = format!("Set the policies of {} {}: {}", row.name, row.version, policies::describe(&checked));
    activity::record(&txn, actor, access.project.id, Some(row.id), "proxy.policies", summary).await?;
    txn.commit().await?;
    Ok(PolicyList { policies: checked })
}
