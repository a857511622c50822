use super::*;
use crate::model::{NewProduct, QuotaPeriod, QuotaSetting, RateLimitSetting};
use crate::testing;
use gateway::consumers::Refusal;

async fn product(s: &Services, ada: &Actor, name: &str, proxies: &[&str]) {
    let new = NewProduct {
        name: name.into(),
        proxies: proxies.iter().map(|p| p.to_string()).collect(),
        rate_limit: Some(RateLimitSetting { requests: 1000, per_seconds: 60 }),
        quota: Some(QuotaSetting { requests: 100_000, period: QuotaPeriod::Month }),
        ..Default::default()
    };
    crate::products::create(s, ada, "weather", new).await.unwrap();
}

fn new(name: &str, product: &str) -> NewSubscription {
    NewSubscription { name: name.into(), product: product.into(), contact_email: "dev@example.test".into(), ..Default::default() }
}

#[tokio::test]
async fn keys_open_the_products_proxies_and_every_change_holds_at_once() {
    let (s, g, ada, forecast, alerts) = testing::consumers_setup().await;
    product(&s, &ada, "Gold", &["forecast-v1"]).await;
    let created = create(&s, &ada, "weather", new("Mobile app", "gold")).await.unwrap();
    let (primary, secondary) = (created.primary_key.clone(), created.secondary_key.clone());
    assert!(primary.starts_with("gk_") && primary.len() == 67 && primary != secondary);
    assert_eq!(created.subscription.primary_key_prefix, primary[..10]);
    let admit = |key: &str, proxy: i32| g.consumers.current().admit(key.as_bytes(), proxy).map(|grant| grant.subscription_id);
    assert_eq!(admit(&primary, forecast), Ok(created.subscription.id));
    assert_eq!(admit(&secondary, forecast), Ok(created.subscription.id));
    assert_eq!(admit(&primary, alerts), Err(Refusal::NotSubscribed));

    // Regenerating the primary key: the old one stops, the secondary keeps working.
    let id = created.subscription.id;
    let fresh = regenerate(&s, &ada, "weather", id, KeyName::Primary).await.unwrap().key;
    assert_eq!(admit(&primary, forecast), Err(Refusal::KeyInvalid));
    assert_eq!(admit(&fresh, forecast), Ok(id));
    assert_eq!(admit(&secondary, forecast), Ok(id));

    // Suspend, resume, cancel (final).
    set_state(&s, &ada, "weather", id, SubscriptionState::Suspended).await.unwrap();
    assert_eq!(admit(&fresh, forecast), Err(Refusal::Suspended));
    set_state(&s, &ada, "weather", id, SubscriptionState::Active).await.unwrap();
    assert_eq!(admit(&fresh, forecast), Ok(id));
    set_state(&s, &ada, "weather", id, SubscriptionState::Cancelled).await.unwrap();
    assert_eq!(admit(&fresh, forecast), Err(Refusal::KeyInvalid));
    assert!(matches!(set_state(&s, &ada, "weather", id, SubscriptionState::Active).await.unwrap_err(), Error::Conflict(_)));
    assert!(matches!(regenerate(&s, &ada, "weather", id, KeyName::Secondary).await.unwrap_err(), Error::Conflict(_)));

    // No key is stored: only hashes and prefixes.
    let row = subscription::Entity::find_by_id(id).one(&s.db).await.unwrap().unwrap();
    let stored = format!("{row:?}");
    for key in [&primary, &secondary, &fresh] {
        assert!(!stored.contains(&key[10..]), "a key is in the row: {stored}");
    }
}

#[tokio::test]
async fn bad_input_is_named_and_nothing_is_half_stored() {
    let (s, _, ada, _, _) = testing::consumers_setup().await;
    product(&s, &ada, "Gold", &["forecast-v1"]).await;
    for (input, field) in [
        (new("", "gold"), "name"),
        (new("App", ""), "product"),
        (new("App", "platinum"), "product"),
        (NewSubscription { contact_email: "not an email".into(), ..new("App", "gold") }, "contact_email"),
        (new("A\"pp", "gold"), "name"),
    ] {
        assert_eq!(create(&s, &ada, "weather", input).await.unwrap_err().field(), Some(field));
    }
    assert_eq!(subscription::Entity::find().count(&s.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_list_filters_by_state_product_and_text_and_pages() {
    let (s, _, ada, _, _) = testing::consumers_setup().await;
    product(&s, &ada, "Gold", &["forecast-v1"]).await;
    product(&s, &ada, "Free", &["alerts-v1"]).await;
    for i in 0..25 {
        create(&s, &ada, "weather", new(&format!("App {i:02}"), if i % 5 == 0 { "free" } else { "gold" })).await.unwrap();
    }
    let first = list(&s.db, &ada, "weather", &SubscriptionFilter::default(), 1, 20).await.unwrap();
    assert_eq!((first.total, first.items.len(), first.items[0].name.as_str()), (25, 20, "App 24"));
    assert_eq!(list(&s.db, &ada, "weather", &SubscriptionFilter::default(), 2, 20).await.unwrap().items.len(), 5);
    let free = SubscriptionFilter { product: Some("free".into()), ..Default::default() };
    assert_eq!(list(&s.db, &ada, "weather", &free, 1, 20).await.unwrap().total, 5);
    let id = first.items[0].id;
    set_state(&s, &ada, "weather", id, SubscriptionState::Suspended).await.unwrap();
    let suspended = SubscriptionFilter { state: Some(SubscriptionState::Suspended), ..Default::default() };
    assert_eq!(list(&s.db, &ada, "weather", &suspended, 1, 20).await.unwrap().items[0].id, id);
    let text = SubscriptionFilter { text: "app 1".into(), ..Default::default() };
    assert_eq!(list(&s.db, &ada, "weather", &text, 1, 20).await.unwrap().total, 10);
    // Another project's member sees none of it.
    let bob = testing::user(&s.db, "bob@example.test", false).await;
    assert!(matches!(list(&s.db, &bob, "weather", &SubscriptionFilter::default(), 1, 20).await.unwrap_err(), Error::NotFound(_)));
}

#[tokio::test]
async fn usage_is_counted_per_day_by_outcome_and_a_quota_survives_a_restart() {
    let (s, g, ada, forecast, alerts) = testing::consumers_setup().await;
    let daily = NewProduct {
        name: "Daily".into(),
        proxies: vec!["forecast-v1".into()],
        quota: Some(QuotaSetting { requests: 3, period: QuotaPeriod::Day }),
        ..Default::default()
    };
    crate::products::create(&s, &ada, "weather", daily).await.unwrap();
    let created = create(&s, &ada, "weather", new("Nightly", "daily")).await.unwrap();
    let key = created.primary_key.as_bytes();
    let id = created.subscription.id;
    for _ in 0..2 {
        assert!(g.consumers.current().admit(key, forecast).is_ok());
    }
    assert_eq!(g.consumers.current().admit(key, alerts).unwrap_err(), Refusal::NotSubscribed);
    let usage = crate::usage::of_subscription(&s, &ada, "weather", id, 7).await.unwrap();
    assert_eq!(usage.days.len(), 7);
    let today = usage.days.last().unwrap();
    assert_eq!((today.day.clone(), today.allowed, today.refused), (crate::usage::day_of(time::OffsetDateTime::now_utc()), 2, 1));
    assert!(usage.days[..6].iter().all(|d| d.allowed + d.refused == 0));
    assert!(crate::usage::of_subscription(&s, &ada, "weather", id, 91).await.unwrap_err().field() == Some("days"));

    // Another start: the gateway's counters begin from what was written, so the quota holds.
    let fresh = std::sync::Arc::new(testing::CredentialsGateway::default());
    let restarted = Services::new(s.db.clone(), s.master_key.clone(), fresh.clone());
    crate::credentials::publish(&restarted).await.unwrap();
    assert!(fresh.consumers.current().admit(key, forecast).is_ok(), "the third of three");
    assert!(matches!(fresh.consumers.current().admit(key, forecast).unwrap_err(), Refusal::QuotaExceeded { limit: 3, .. }));
    crate::usage::flush(&restarted).await.unwrap();
    let today = crate::usage::of_subscription(&restarted, &ada, "weather", id, 1).await.unwrap().days.remove(0);
    assert_eq!((today.allowed, today.quota, today.refused), (3, 1, 1));
}

#[tokio::test]
async fn a_bound_certificate_calls_at_once_and_a_bad_binding_changes_nothing() {
    let (s, g, ada, forecast, _) = testing::consumers_setup().await;
    product(&s, &ada, "Gold", &["forecast-v1"]).await;
    let partner = testkit::pki::ca("Partner CA");
    let ca = crate::certificates::upload_client_ca(&s.db, &ada, "weather", partner.cert_pem.as_bytes()).await.unwrap().remove(0);
    assert!(crate::certificates::upload_endpoint(&s.db, &ada, "weather", partner.cert_pem.as_bytes()).await.is_ok(), "kinds are kept apart");
    let leaf = testkit::pki::client_valid("not-a-ca", -1, 30);
    assert_eq!(crate::certificates::upload_client_ca(&s.db, &ada, "weather", leaf.cert_pem.as_bytes()).await.unwrap_err().field(), Some("certificate"));
    let sub = create(&s, &ada, "weather", new("Partner", "gold")).await.unwrap().subscription;
    let issued = testkit::pki::client_issued(&partner, "partner-app", -1, 30);
    let presented = gateway::consumers::ClientCertificate::read(&[issued.cert_der()]).unwrap();
    let admit = || g.consumers.current().admit_certificate(&presented, forecast).map(|grant| grant.subscription_id);
    assert_eq!(admit(), Err(Refusal::CertificateNotSubscribed));

    let bind = |ca: Option<i32>, state| SubscriptionChanges { state, client_ca: Some(ca), ..Default::default() };
    let bound = update(&s, &ada, "weather", sub.id, bind(Some(ca.id), None)).await.unwrap();
    assert_eq!(bound.client_certificate.unwrap().ca.unwrap().name, "Partner CA");
    assert_eq!(admit(), Ok(sub.id), "no redeploy");
    // A binding that cannot be made leaves the state as it was too.
    let refused = update(&s, &ada, "weather", sub.id, bind(Some(ca.id + 1000), Some(SubscriptionState::Suspended))).await.unwrap_err();
    assert_eq!(refused.field(), Some("client_ca"));
    assert_eq!(get(&s.db, &ada, "weather", sub.id).await.unwrap().state, SubscriptionState::Active);
    // The CA is in use while bound; unbinding frees it.
    assert!(matches!(crate::certificates::delete(&s.db, &ada, "weather", ca.id).await.unwrap_err(), Error::Conflict(_)));
    update(&s, &ada, "weather", sub.id, bind(None, None)).await.unwrap();
    assert_eq!(admit(), Err(Refusal::CertificateNotSubscribed));
    crate::certificates::delete(&s.db, &ada, "weather", ca.id).await.unwrap();
}
