//! Usage: each subscription's requests per UTC day by outcome. The gateway counts in memory;
//! `flush` takes those counts every few seconds (and before usage is read) and adds them to
//! the day's row, so the chart, the REST call and the quotas (`quota_used`, read back into the
//! gateway's counters at start) all see the same numbers.
use crate::auth::Actor;
use crate::entities::{subscription, subscription_usage};
use crate::model::{SubscriptionUsage, UsageDay};
use crate::projects::{access, Need};
use crate::{Error, Result, Services};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// How often the gateway's counts are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// The longest range a usage read covers.
pub const MAX_DAYS: u32 = 90;

/// "2026-12-03" for `t` (UTC).
pub fn day_of(t: time::OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Adds what the gateway counted since the last flush to today's rows; returns how many
/// subscriptions had any. Counts of a subscription deleted meanwhile are dropped.
pub async fn flush(services: &Services) -> Result<usize> {
    let taken = services.gateway.take_usage();
    if taken.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i32> = taken.iter().map(|(id, _)| *id).collect();
    let existing: HashSet<i32> = subscription::Entity::find()
        .select_only()
        .column(subscription::Column::Id)
        .filter(subscription::Column::Id.is_in(ids))
        .into_tuple::<i32>()
        .all(&services.db)
        .await?
        .into_iter()
        .collect();
    let today = day_of(time::OffsetDateTime::now_utc());
    let mut written = 0;
    for (id, counts) in taken.into_iter().filter(|(id, _)| existing.contains(id)) {
        add(&services.db, id, &today, counts).await?;
        written += 1;
    }
    Ok(written)
}

async fn add(db: &impl ConnectionTrait, subscription_id: i32, day: &str, counts: [u64; 4]) -> Result<()> {
    use subscription_usage::Column as C;
    let n = |i: usize| counts[i].min(i64::MAX as u64) as i64;
    let row = subscription_usage::ActiveModel {
        subscription_id: sea_orm::Set(subscription_id),
        day: sea_orm::Set(day.to_string()),
        allowed: sea_orm::Set(n(0)),
        rate_limited: sea_orm::Set(n(1)),
        quota: sea_orm::Set(n(2)),
        refused: sea_orm::Set(n(3)),
    };
    // Added to what the row holds (SQLite and PostgreSQL both read `excluded` as the new row).
    let mut conflict = OnConflict::columns([C::SubscriptionId, C::Day]);
    for (column, name) in [(C::Allowed, "allowed"), (C::RateLimited, "rate_limited"), (C::Quota, "quota"), (C::Refused, "refused")] {
        conflict.value(column, Expr::cust(format!("subscription_usage.{name} + excluded.{name}")));
    }
    subscription_usage::Entity::insert(row).on_conflict(conflict.to_owned()).exec(db).await?;
    Ok(())
}

/// Flushes every `FLUSH_EVERY` until the process stops.
pub fn start_flushing(services: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = flush(&services).await {
                tracing::warn!(error = %e, "usage counts could not be written; they are counted again at the next flush");
            }
        }
    });
}

/// A subscription's last `days` days (1 to 90), oldest first, with today's counts so far.
pub async fn of_subscription(services: &Services, actor: &Actor, project: &str, id: i32, days: u32) -> Result<SubscriptionUsage> {
    let db = &services.db;
    let access = access(db, actor, project, Need::See).await?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::invalid("days", format!("ask for 1 to {MAX_DAYS} days")));
    }
    subscription::Entity::find_by_id(id)
        .filter(subscription::Column::ProjectId.eq(access.project.id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no subscription {id} in project {}", access.project.name)))?;
    flush(services).await?;
    let now = time::OffsetDateTime::now_utc();
    let range: Vec<String> = (0..days).rev().map(|back| day_of(now - time::Duration::days(i64::from(back)))).collect();
    let rows: HashMap<String, subscription_usage::Model> = subscription_usage::Entity::find()
        .filter(subscription_usage::Column::SubscriptionId.eq(id))
        .filter(subscription_usage::Column::Day.gte(range[0].as_str()))
        .order_by_asc(subscription_usage::Column::Day)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.day.clone(), r))
        .collect();
    let days = range
        .into_iter()
        .map(|day| match rows.get(&day) {
            Some(r) => UsageDay { day, allowed: r.allowed as u64, rate_limited: r.rate_limited as u64, quota: r.quota as u64, refused: r.refused as u64 },
            None => UsageDay { day, allowed: 0, rate_limited: 0, quota: 0, refused: 0 },
        })
        .collect();
    Ok(SubscriptionUsage { subscription_id: id, days })
}

/// Requests each subscription was allowed today and this month so far (from the rows written),
/// for the gateway's quota counters at start.
pub async fn quota_used(db: &DatabaseConnection) -> Result<(HashMap<i32, u64>, HashMap<i32, u64>)> {
    let now = time::OffsetDateTime::now_utc();
    let today = day_of(now);
    let month_start = format!("{}-01", &today[..7]);
    let rows = subscription_usage::Entity::find().filter(subscription_usage::Column::Day.gte(month_start)).all(db).await?;
    let (mut day, mut month) = (HashMap::new(), HashMap::new());
    for row in rows {
        *month.entry(row.subscription_id).or_insert(0) += row.allowed as u64;
        if row.day == today {
            *day.entry(row.subscription_id).or_insert(0) += row.allowed as u64;
        }
    }
    Ok((day, month))
}
