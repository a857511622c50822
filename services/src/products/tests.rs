use super::*;
use crate::model::{NewSubscription, Role};
use crate::testing;

fn gold(proxies: &[&str]) -> NewProduct {
    NewProduct {
        name: "Gold".into(),
        proxies: proxies.iter().map(|p| p.to_string()).collect(),
        rate_limit: Some(RateLimitSetting { requests: 100, per_seconds: 60 }),
        quota: Some(QuotaSetting { requests: 10_000, period: QuotaPeriod::Month }),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_product_grants_proxies_with_a_plan_and_every_bad_plan_is_named() {
    let (s, _, ada, forecast, _) = testing::consumers_setup().await;
    let created = create(&s, &ada, "weather", gold(&["forecast-v1", &forecast.to_string()])).await.unwrap();
    assert_eq!((created.slug.as_str(), created.proxies.len()), ("gold", 1), "named twice, granted once");
    assert_eq!(created.rate_limit, Some(RateLimitSetting { requests: 100, per_seconds: 60 }));

    let bad = |rate: Option<(i64, i64)>, quota: Option<i64>| NewProduct {
        name: "Bad".into(),
        rate_limit: rate.map(|(requests, per_seconds)| RateLimitSetting { requests, per_seconds }),
        quota: quota.map(|requests| QuotaSetting { requests, period: QuotaPeriod::Day }),
        ..Default::default()
    };
    for (input, field, says) in [
        (bad(Some((0, 60)), None), "rate_limit", "1 to 1000000 requests"),
        (bad(Some((-5, 60)), None), "rate_limit", "1 to 1000000 requests"),
        (bad(Some((10, 0)), None), "rate_limit", "window is 1 to 86400 seconds"),
        (bad(None, Some(0)), "quota", "a quota allows 1 to"),
        (bad(Some((100, 60)), Some(50)), "quota", "the quota (50 per day) is smaller than the rate limit (100 per 60 s)"),
        (NewProduct { proxies: vec!["nope".into()], ..bad(None, None) }, "proxies", "there is no API proxy \"nope\""),
        (NewProduct { name: "Gold".into(), ..bad(None, None) }, "slug", "is taken by another product"),
        (NewProduct { name: " ".into(), ..bad(None, None) }, "name", "enter a name"),
    ] {
        let err = create(&s, &ada, "weather", input).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
    assert_eq!(list(&s.db, &ada, "weather", 1, 20).await.unwrap().total, 1, "nothing half-stored");

    // Only the fields given change; null removes a limit.
    let changes: ProductChanges = serde_json::from_str(r#"{"rate_limit": null, "proxies": ["forecast-v1", "alerts-v1"]}"#).unwrap();
    let updated = update(&s, &ada, "weather", "gold", changes).await.unwrap();
    assert_eq!((updated.rate_limit, updated.quota.map(|q| q.requests), updated.proxies.len()), (None, Some(10_000), 2));
}

#[tokio::test]
async fn viewers_read_products_and_a_product_with_subscriptions_is_not_deleted() {
    let (s, _, ada, _, _) = testing::consumers_setup().await;
    create(&s, &ada, "weather", gold(&["forecast-v1"])).await.unwrap();
    testing::user(&s.db, "vic@example.test", false).await;
    crate::projects::add_member(&s.db, &ada, "weather", "vic@example.test", Role::Viewer).await.unwrap();
    let vic = crate::auth::actor_for_user(&s.db, ada.id + 1).await.unwrap();
    assert_eq!(get(&s.db, &vic, "weather", "gold").await.unwrap().name, "Gold");
    assert!(matches!(create(&s, &vic, "weather", NewProduct { name: "Free".into(), ..Default::default() }).await.unwrap_err(), Error::Forbidden(_)));
    let sub =
        crate::subscriptions::create(&s, &ada, "weather", NewSubscription { name: "App".into(), product: "gold".into(), ..Default::default() }).await.unwrap();
    assert_eq!(get(&s.db, &ada, "weather", "gold").await.unwrap().subscriptions, 1);
    let refused = delete(&s, &ada, "weather", "gold").await.unwrap_err();
    assert!(matches!(refused, Error::Conflict(_)) && refused.to_string().contains("1 subscription"), "{refused}");
    crate::subscriptions::delete(&s, &ada, "weather", sub.subscription.id).await.unwrap();
    delete(&s, &ada, "weather", "gold").await.unwrap();
}
