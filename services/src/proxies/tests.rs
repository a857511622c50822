use super::*;
use crate::model::Role;
use crate::projects::{self, NewProject};
use crate::testing;

pub(crate) async fn project_with_owner(db: &DatabaseConnection) -> Actor {
    // A publisher, not an admin: everyone may create projects in these tests.
    testing::let_everyone_create_projects(db).await;
    let ada = testing::user(db, "ada@example.test", false).await;
    projects::create(db, &ada, NewProject { name: "Weather".into(), ..Default::default() }).await.unwrap();
    ada
}

pub(crate) fn weather(context_path: &str) -> NewProxy {
    NewProxy {
        name: "Weather API".into(),
        version: "v1".into(),
        context_path: context_path.into(),
        backend_url: "https://backend.test:9000/api/".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn creating_a_proxy_gives_every_environment_an_endpoint() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    let created = create(&db, &ada, "weather", weather("/weather/v1/")).await.unwrap();
    assert_eq!((created.slug.as_str(), created.context_path.as_str()), ("weather-api-v1", "/weather/v1"));
    let envs: Vec<_> = created.environments.iter().map(|e| (e.environment.as_str(), e.state.clone())).collect();
    assert_eq!(envs, [("development", DeploymentState::NotDeployed), ("production", DeploymentState::NotDeployed)]);

    let configs = endpoints::list(&db, &ada, "weather", "weather-api-v1").await.unwrap();
    assert_eq!(configs.len(), 2);
    for config in &configs {
        assert_eq!(config.url, "https://backend.test:9000/api");
        assert!(config.verify_hostname && config.verify_chain && !config.mutual_ssl);
        assert!(config.notices.iter().any(|n| n.text.contains("trusts the public root CAs")), "{:?}", config.notices);
    }
    // By id as well as by slug.
    assert_eq!(get(&db, &ada, "weather", &created.id.to_string()).await.unwrap().name, "Weather API");
}

#[tokio::test]
async fn every_field_is_checked_with_a_message_that_says_what_to_do() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    let cases: Vec<(NewProxy, &str, &str)> = vec![
        (NewProxy { name: " ".into(), ..weather("/a") }, "name", "enter a name"),
        (NewProxy { version: "".into(), ..weather("/a") }, "version", "enter a version"),
        (NewProxy { version: "v 1".into(), ..weather("/a") }, "version", "without spaces"),
        (weather("a"), "context_path", "starts with /"),
        (weather("/a b"), "context_path", "contains \" \""),
        (NewProxy { backend_url: "backend.test".into(), ..weather("/a") }, "backend_url", "needs a scheme"),
        (NewProxy { slug: "Bad Slug".into(), ..weather("/a") }, "slug", "lowercase"),
        (NewProxy { contract: Some("swagger: '2.0'".into()), ..weather("/a") }, "contract", "Swagger 2.0"),
    ];
    for (input, field, says) in cases {
        let err = create(&db, &ada, "weather", input).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{err:?}");
        assert!(err.to_string().contains(says), "{err}");
    }
    assert_eq!(list(&db, &ada, "weather", "", 1, 20).await.unwrap().total, 0, "nothing half-created");
}

#[tokio::test]
async fn context_paths_are_unique_on_the_gateway_and_the_clash_is_named() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    let clash = create(&db, &ada, "weather", NewProxy { name: "Forecast".into(), ..weather("/weather/v1/") }).await.unwrap_err();
    assert!(clash.to_string().contains("context path of Weather API v1"), "{clash}");
    // A longer prefix is fine: the gateway picks the longest match.
    create(&db, &ada, "weather", NewProxy { name: "Alerts".into(), ..weather("/weather/v1/alerts") }).await.unwrap();

    // Another project's proxy takes the path too, but is not named to outsiders.
    let bob = testing::user(&db, "bob@example.test", false).await;
    projects::create(&db, &bob, NewProject { name: "Maps".into(), ..Default::default() }).await.unwrap();
    let theirs = create(&db, &bob, "maps", NewProxy { name: "Maps".into(), ..weather("/weather/v1") }).await.unwrap_err();
    assert!(theirs.to_string().contains("another project's proxy") && !theirs.to_string().contains("Weather API"), "{theirs}");
    // Renaming onto a taken path is refused the same way.
    let alerts = update(&db, &ada, "weather", "alerts-v1", ProxyChanges { context_path: Some("/weather/v1".into()), ..Default::default() }).await;
    assert!(alerts.unwrap_err().to_string().contains("Weather API v1"));
}

#[tokio::test]
async fn updates_change_only_what_is_given_and_contracts_list_operations() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    let contract = "openapi: 3.0.0\npaths:\n  /current:\n    get: {summary: Now}\n  /forecast:\n    get: {}\n";
    let changes = ProxyChanges { description: Some("Forecasts".into()), contract: Some(contract.into()), ..Default::default() };
    let updated = update(&db, &ada, "weather", "weather-api-v1", changes).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.description.as_str()), ("Weather API", "Forecasts"));
    assert_eq!(updated.operations.iter().map(|o| o.path.as_str()).collect::<Vec<_>>(), ["/current", "/forecast"]);
    assert_eq!(contract_text(&db, &ada, "weather", "weather-api-v1").await.unwrap().as_deref(), Some(contract));
    let removed = update(&db, &ada, "weather", "weather-api-v1", ProxyChanges { contract: Some(String::new()), ..Default::default() }).await.unwrap();
    assert!(!removed.has_contract && removed.operations.is_empty());
}

#[tokio::test]
async fn outsiders_see_nothing_and_viewers_change_nothing() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    let eve = testing::user(&db, "eve@example.test", false).await;
    assert!(matches!(get(&db, &eve, "weather", "weather-api-v1").await, Err(Error::NotFound(_))));
    let vic = testing::user(&db, "vic@example.test", false).await;
    projects::add_member(&db, &ada, "weather", "vic@example.test", Role::Viewer).await.unwrap();
    assert_eq!(get(&db, &vic, "weather", "weather-api-v1").await.unwrap().name, "Weather API");
    let denied = update(&db, &vic, "weather", "weather-api-v1", ProxyChanges { name: Some("Mine".into()), ..Default::default() }).await;
    assert!(matches!(denied, Err(Error::Forbidden(_))));
    assert!(matches!(delete(&db, &vic, "weather", "weather-api-v1").await, Err(Error::Forbidden(_))));
}

#[tokio::test]
async fn deleting_removes_the_endpoints_and_the_activity_log_keeps_every_change() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    update(&db, &ada, "weather", "weather-api-v1", ProxyChanges { version: Some("v2".into()), ..Default::default() }).await.unwrap();
    let deleted = delete(&db, &ada, "weather", "weather-api-v1").await.unwrap();
    assert_eq!(deleted.name, "Weather API");
    assert!(matches!(get(&db, &ada, "weather", "weather-api-v1").await, Err(Error::NotFound(_))));
    assert_eq!(endpoint_config::Entity::find().all(&db).await.unwrap().len(), 0);
    let log = crate::activity::list(&db, &ada, "weather", None, 1, 20).await.unwrap();
    let actions: Vec<&str> = log.items.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["proxy.deleted", "proxy.updated", "proxy.created"]);
    assert!(log.items.iter().all(|a| a.actor == "ada"));
    assert!(log.items[1].summary.contains("version to v2"), "{}", log.items[1].summary);
}

#[tokio::test]
async fn policies_are_checked_whole_stored_in_order_and_compared_in_revisions() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    let bad = [Policy::RemoveFingerprintingHeaders, Policy::SetResponseHeader { name: "bad name".into(), value: "x".into() }];
    let err = set_policies(&db, &ada, "weather", "weather-api-v1", &bad).await.unwrap_err();
    assert_eq!(err.field(), Some("policies[1].name"));
    assert!(get_policies(&db, &ada, "weather", "weather-api-v1").await.unwrap().policies.is_empty(), "nothing half-stored");
    let good = [Policy::RemoveFingerprintingHeaders, Policy::SetRequestHeader { name: "X-Env".into(), value: "prod".into() }];
    let saved = set_policies(&db, &ada, "weather", "weather-api-v1", &good).await.unwrap();
    assert_eq!(saved.policies[1], Policy::SetRequestHeader { name: "x-env".into(), value: "prod".into() });
    let proxy = get(&db, &ada, "weather", "weather-api-v1").await.unwrap();
    assert_eq!(proxy.policies, saved.policies);
    // The revision carries them, and "what would change" names them.
    let row = find(&db, &ada, "weather", "weather-api-v1", Need::See).await.unwrap().proxy;
    let env = environment::Entity::find().one(&db).await.unwrap().unwrap();
    let snapshot = crate::revisions::saved(&db, &row, &env).await.unwrap();
    assert_eq!(snapshot.policies, saved.policies);
    let mut before = snapshot.clone();
    before.policies.clear();
    let changes = before.changes_to(&snapshot);
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].field.as_str(), changes[0].live.as_str()), ("Policies", "none"));
    assert!(changes[0].saved.starts_with("Remove fingerprinting headers"), "{}", changes[0].saved);
    // A key header a policy sets cannot become the credential.
    let access = crate::model::Access { mode: crate::model::AccessMode::Subscription, key_header: "x-env".into(), ..Default::default() };
    let refused = update(&db, &ada, "weather", "weather-api-v1", ProxyChanges { access: Some(access), ..Default::default() }).await.unwrap_err();
    assert_eq!(refused.field(), Some("key_header"));
}

#[tokio::test]
async fn the_lifecycle_holds_at_once_and_a_sunset_is_checked() {
    use crate::model::{Lifecycle, LifecycleChange};
    let (s, _g, ada, _forecast, _alerts) = testing::consumers_setup().await;
    let change = |lifecycle, sunset: Option<&str>| LifecycleChange { lifecycle, sunset: sunset.map(str::to_string) };
    let deprecated = lifecycle::set(&s, &ada, "weather", "forecast-v1", change(Lifecycle::Deprecated, Some("2099-01-01"))).await.unwrap();
    assert_eq!(deprecated.lifecycle.lifecycle, Lifecycle::Deprecated);
    assert_eq!(deprecated.lifecycle.sunset.unwrap().date().to_string(), "2099-01-01");
    assert!(deprecated.lifecycle.deprecated_at.is_some());
    for bad in
        [change(Lifecycle::Published, Some("2099-01-01")), change(Lifecycle::Deprecated, Some("2001-01-01")), change(Lifecycle::Deprecated, Some("soon"))]
    {
        assert_eq!(lifecycle::set(&s, &ada, "weather", "forecast-v1", bad).await.unwrap_err().field(), Some("sunset"));
    }
    let retired = lifecycle::set(&s, &ada, "weather", "forecast-v1", change(Lifecycle::Retired, None)).await.unwrap();
    assert_eq!((retired.lifecycle.lifecycle, retired.lifecycle.sunset), (Lifecycle::Retired, None));
}

#[tokio::test]
async fn an_update_that_changes_nothing_answers_at_once() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    let same = ProxyChanges { name: Some("Weather API".into()), ..Default::default() };
    // Before, the unused transaction kept SQLite's one connection and this waited for the pool's timeout.
    let answered = tokio::time::timeout(std::time::Duration::from_secs(5), update(&db, &ada, "weather", "weather-api-v1", same)).await;
    assert_eq!(answered.expect("answered at once").unwrap().name, "Weather API");
}
