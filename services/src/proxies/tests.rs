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
