//! Deploy, promote, rollback and undeploy against a gateway that records what it is told to
//! serve. The recording gateway compiles every route as the real one does (`upstream::compile`),
//! so a revision that would not compile there fails here too.
use super::*;
use crate::auth::Actor;
use crate::certificates;
use crate::live::{drift, live_environments, states};
use crate::model::{Certificate, Deployment, DeploymentAction, DeploymentOutcome, DeploymentState, EndpointSettings, GenerateKeyPair};
use crate::proxies::endpoints::find_environment;
use crate::proxies::tests::{project_with_owner, weather};
use crate::secrets::MasterKey;
use crate::{activity, testing, Error, Result, Services};
use gateway::{Control, RouteSpec};
use sea_orm::EntityTrait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use testkit::pki as test_pki;

/// What one route serves: (context path, backend URL, client certificate).
type Served = (String, String, Option<String>);
/// What one environment serves, by proxy id.
type Table = HashMap<i32, Served>;

#[derive(Default)]
struct RecordingGateway {
    tables: Mutex<HashMap<String, Table>>,
    /// When set, every upsert is refused with this reason (as a failed compile would be).
    refuse: Mutex<Option<String>>,
    /// The destination lists each environment's routes were last compiled with.
    destinations: Mutex<HashMap<String, gateway::Destinations>>,
}

impl RecordingGateway {
    fn serving(&self, environment: &str) -> Table {
        self.tables.lock().unwrap().get(environment).cloned().unwrap_or_default()
    }

    fn entry(route: &RouteSpec) -> Result<(i32, Served), gateway::Error> {
        gateway::upstream::compile(&route.upstream)?;
        let client = route.upstream.client.as_ref().map(|c| c.name.clone());
        Ok((route.proxy_id, (route.context_path.clone(), route.upstream.url.clone(), client)))
    }
}

impl Control for RecordingGateway {
    fn replace_all(&self, environment: &str, routes: Vec<RouteSpec>) -> Result<usize, gateway::Error> {
        let table = routes.iter().map(Self::entry).collect::<Result<Table, _>>()?;
        let count = table.len();
        if let Some(route) = routes.first() {
            self.destinations.lock().unwrap().insert(environment.to_string(), (*route.upstream.destinations).clone());
        }
        self.tables.lock().unwrap().insert(environment.to_string(), table);
        Ok(count)
    }

    fn upsert(&self, environment: &str, route: RouteSpec) -> Result<(), gateway::Error> {
        if let Some(reason) = self.refuse.lock().unwrap().clone() {
            return Err(gateway::Error::invalid("url", reason));
        }
        let (id, entry) = Self::entry(&route)?;
        self.destinations.lock().unwrap().insert(environment.to_string(), (*route.upstream.destinations).clone());
        self.tables.lock().unwrap().entry(environment.to_string()).or_default().insert(id, entry);
        Ok(())
    }

    fn remove(&self, environment: &str, proxy_id: i32) -> Result<(), gateway::Error> {
        self.tables.lock().unwrap().entry(environment.to_string()).or_default().remove(&proxy_id);
        Ok(())
    }

    fn base_url(&self, environment: &str) -> Option<String> {
        Some(format!("https://{environment}.gateway.test"))
    }
}

const DEV_URL: &str = "https://backend.test:9000/api";
const PROD_URL: &str = "https://backend.test:9443/api";

/// The Weather proxy with an endpoint certificate for backend.test and two client key pairs
/// (one per environment), wired to a recording gateway.
struct Setup {
    services: Services,
    gateway: Arc<RecordingGateway>,
    ada: Actor,
    endpoint: Certificate,
    dev_client: Certificate,
    prod_client: Certificate,
    proxy_id: i32,
}

async fn setup() -> Setup {
    let db = testing::db().await;
    let master = MasterKey::parse(&"42".repeat(32)).unwrap();
    let ada = project_with_owner(&db).await;
    let proxy = crate::proxies::create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    let leaf = test_pki::server_leaf(&test_pki::ca("Weather CA"), "backend.test");
    let endpoint = certificates::upload_endpoint(&db, &ada, "weather", leaf.cert_pem.as_bytes()).await.unwrap().remove(0);
    let pair = |cn: &str| GenerateKeyPair { common_name: cn.into(), ..Default::default() };
    let dev_client = certificates::generate_client_pair(&db, &master, &ada, "weather", pair("gatehouse-dev")).await.unwrap();
    let prod_client = certificates::generate_client_pair(&db, &master, &ada, "weather", pair("gatehouse-prod")).await.unwrap();
    let gateway = Arc::new(RecordingGateway::default());
    let services = Services::new(db, master, gateway.clone());
    Setup { services, gateway, ada, endpoint, dev_client, prod_client, proxy_id: proxy.id }
}

impl Setup {
    fn settings(&self, url: &str, client: Option<&Certificate>) -> EndpointSettings {
        EndpointSettings {
            url: url.into(),
            endpoint_certificate_ids: vec![self.endpoint.id],
            verify_hostname: true,
            verify_chain: true,
            mutual_ssl: client.is_some(),
            client_certificate_id: client.map(|c| c.id),
            connect_timeout_ms: 2_000,
            read_timeout_ms: 10_000,
            accept_host_mismatch: false,
            tls: Default::default(),
            pins: vec![],
        }
    }

    async fn save(&self, environment: &str, settings: EndpointSettings) {
        crate::proxies::endpoints::save(&self.services.db, &self.ada, "weather", "weather-api-v1", environment, settings).await.unwrap();
    }

    async fn deploy(&self, environment: &str) -> Result<Deployment> {
        deploy(&self.services, &self.ada, "weather", "weather-api-v1", environment).await
    }

    async fn state(&self, environment: &str) -> DeploymentState {
        let env = find_environment(&self.services.db, environment).await.unwrap();
        states(&self.services.db, self.proxy_id).await.unwrap().remove(&env.id).unwrap_or(DeploymentState::NotDeployed)
    }

    async fn actions(&self) -> Vec<String> {
        let page = activity::list(&self.services.db, &self.ada, "weather", Some(self.proxy_id), 1, 100).await.unwrap();
        page.items.into_iter().map(|a| a.action).filter(|a| a.starts_with("deployment.")).collect()
    }
}

fn serving(url: &str, client: Option<&str>) -> (String, String, Option<String>) {
    ("/weather/v1".into(), url.into(), client.map(String::from))
}

#[tokio::test]
async fn a_deploy_is_served_before_it_returns_and_later_edits_never_change_it() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    let deployed = s.deploy("development").await.unwrap();
    assert_eq!((deployed.revision, deployed.outcome.as_str(), deployed.deployed_by.as_deref()), (Some(1), "live", Some("ada")));
    assert!(deployed.message.contains("live in Development"), "{}", deployed.message);
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")));
    assert!(s.gateway.serving("production").is_empty(), "only the chosen environment");
    assert_eq!(s.state("development").await, DeploymentState::Deployed { revision: 1 });

    // Editing the saved configuration changes nothing live; the listing and the Deploy page say
    // what would change.
    s.save("development", s.settings("https://backend.test:9001/api", None)).await;
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")));
    let proxy = crate::entities::proxy::Entity::find_by_id(s.proxy_id).one(&s.services.db).await.unwrap().unwrap();
    let drift = drift(&s.services.db, &proxy).await.unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].contains("Development: the live revision 1 differs") && drift[0].contains("Backend URL"), "{drift:?}");
    let overview = overview(&s.services, &s.ada, "weather", "weather-api-v1").await.unwrap();
    let fields: Vec<&str> = overview[0].changes.iter().map(|c| c.field.as_str()).collect();
    assert!(fields.contains(&"Backend URL") && fields.contains(&"Mutual SSL"), "{fields:?}");

    // The live revision holds the key pair: it cannot be deleted from the store while live.
    assert!(certificates::delete(&s.services.db, &s.ada, "weather", s.dev_client.id).await.is_err());
    restore(&s.services).await.unwrap();
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")));
    assert_eq!(s.actions().await, ["deployment.live"]);
}

#[tokio::test]
async fn a_deploy_the_gateway_refuses_is_recorded_as_failed_and_the_old_revision_stays_live() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    s.deploy("development").await.unwrap();
    s.save("development", s.settings("https://backend.test:9001/api", Some(&s.dev_client))).await;
    *s.gateway.refuse.lock().unwrap() = Some("the route table could not be compiled".into());

    let refused = s.deploy("development").await.unwrap_err();
    let message = refused.to_string();
    assert!(matches!(refused, Error::Conflict(_)), "{refused:?}");
    assert!(message.contains("Revision 2 of Weather API v1 was not deployed to Development") && message.contains("stays live"), "{message}");
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")));
    match s.state("development").await {
        DeploymentState::Failed { reason } => assert!(reason.contains("could not be compiled"), "{reason}"),
        other => panic!("expected a failed state, got {other:?}"),
    }
    // What is live is still revision 1: the Deploy page shows it, and a restart serves it.
    let overview = overview(&s.services, &s.ada, "weather", "weather-api-v1").await.unwrap();
    assert_eq!(overview[0].live.as_ref().and_then(|d| d.revision), Some(1));
    let history = history(&s.services.db, &s.ada, "weather", "weather-api-v1", 1, 20).await.unwrap();
    let outcomes: Vec<_> = history.items.iter().map(|d| (d.revision, d.outcome.as_str())).collect();
    assert_eq!(outcomes, [(Some(2), "failed"), (Some(1), "live")]);
    assert_eq!(s.actions().await, ["deployment.failed", "deployment.live"]);
}

#[tokio::test]
async fn promote_takes_the_live_revision_with_the_targets_endpoint_and_chosen_certificate() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    s.save("production", s.settings(PROD_URL, None)).await;

    let not_live = promote(&s.services, &s.ada, "weather", "weather-api-v1", "development", "production", None).await.unwrap_err();
    assert!(not_live.to_string().contains("is not live in Development: deploy it there first"), "{not_live}");
    s.deploy("development").await.unwrap();

    let same = promote(&s.services, &s.ada, "weather", "weather-api-v1", "development", "development", None).await.unwrap_err();
    assert_eq!(same.field(), Some("to"));
    let no_key = promote(&s.services, &s.ada, "weather", "weather-api-v1", "development", "production", Some(s.endpoint.id)).await.unwrap_err();
    assert!(no_key.to_string().contains("has no private key"), "{no_key}");

    let promoted = promote(&s.services, &s.ada, "weather", "weather-api-v1", "development", "production", Some(s.prod_client.id)).await.unwrap();
    assert_eq!((promoted.revision, promoted.environment.as_str()), (Some(2), "production"));
    assert!(promoted.message.starts_with("Promoted revision 1 from Development"), "{}", promoted.message);
    assert_eq!(s.gateway.serving("production")[&s.proxy_id], serving(PROD_URL, Some("gatehouse-prod")));
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")), "the source is untouched");
    assert_eq!(s.state("production").await, DeploymentState::Deployed { revision: 2 });
}

#[tokio::test]
async fn rollback_redeploys_an_earlier_revision_of_the_same_environment_and_undeploy_removes_the_route() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    s.save("production", s.settings(PROD_URL, None)).await;
    s.deploy("development").await.unwrap();
    s.save("development", s.settings("https://backend.test:9001/api", None)).await;
    s.deploy("development").await.unwrap();
    s.deploy("production").await.unwrap(); // revision 3
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving("https://backend.test:9001/api", None));

    let rolled_back = redeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development", 1).await.unwrap();
    assert_eq!(rolled_back.revision, Some(1));
    assert!(rolled_back.message.starts_with("Redeployed revision 1"), "{}", rolled_back.message);
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")));
    assert_eq!(s.state("development").await, DeploymentState::Deployed { revision: 1 });

    let foreign = redeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development", 3).await.unwrap_err();
    assert!(foreign.to_string().contains("another environment's endpoint configuration"), "{foreign}");
    let missing = redeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development", 9).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");

    let undeployed = undeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development").await.unwrap();
    assert!(undeployed.message.contains("now get no_route"), "{}", undeployed.message);
    assert!(s.gateway.serving("development").is_empty());
    assert!(s.gateway.serving("production").contains_key(&s.proxy_id), "other environments keep serving");
    assert_eq!(s.state("development").await, DeploymentState::NotDeployed);
    assert_eq!(live_environments(&s.services.db, s.proxy_id).await.unwrap(), ["Production"]);
    let again = undeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development").await.unwrap_err();
    assert!(matches!(again, Error::Conflict(_)), "{again:?}");

    // A restart publishes only what is live.
    restore(&s.services).await.unwrap();
    assert!(s.gateway.serving("development").is_empty());
    assert_eq!(s.gateway.serving("production")[&s.proxy_id], serving(PROD_URL, None));
    assert_eq!(s.actions().await, ["deployment.undeployed", "deployment.live", "deployment.live", "deployment.live", "deployment.live"]);
}

#[tokio::test]
async fn people_who_may_only_look_cannot_deploy_and_nothing_deploys_without_a_gateway() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    let viewer = testing::user(&s.services.db, "vic@example.test", false).await;
    crate::projects::add_member(&s.services.db, &s.ada, "weather", "vic@example.test", crate::model::Role::Viewer).await.unwrap();
    let denied = deploy(&s.services, &viewer, "weather", "weather-api-v1", "development").await.unwrap_err();
    assert!(matches!(denied, Error::Forbidden(_)), "{denied:?}");
    assert!(s.gateway.serving("development").is_empty());

    // A process whose gateway has no Development listener.
    let elsewhere = Services {
        gateway: Arc::new(gateway::Gateway::start(Vec::new(), &gateway::Settings { threads: 1, ..Default::default() }, gateway::Stop::default()).unwrap()),
        ..s.services.clone()
    };
    let no_gateway = deploy(&elsewhere, &s.ada, "weather", "weather-api-v1", "development").await.unwrap_err();
    assert!(no_gateway.to_string().contains("the development gateway is not running in this process"), "{no_gateway}");
}

#[tokio::test]
async fn a_deploy_interrupted_between_its_record_and_its_swap_is_settled_at_the_next_start() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    s.deploy("development").await.unwrap();
    // A second deploy gets as far as its pending record and the swap, then the server stops
    // (the recording gateway, like the real one, keeps nothing across a stop).
    s.save("development", s.settings("https://backend.test:9001/api", Some(&s.dev_client))).await;
    let db = &s.services.db;
    let found = crate::proxies::find(db, &s.ada, "weather", "weather-api-v1", crate::projects::Need::Edit).await.unwrap();
    let env = find_environment(db, "development").await.unwrap();
    let row = super::record::pending(db, &s.ada, &found, &env, None, DeploymentAction::Deploy).await.unwrap();
    let before = history(db, &s.ada, "weather", "weather-api-v1", 1, 10).await.unwrap();
    assert_eq!(before.items[0].outcome, DeploymentOutcome::Pending);
    assert_eq!(s.state("development").await, DeploymentState::Deployed { revision: 1 }, "a pending deploy changes nothing yet");

    let restarted = Arc::new(RecordingGateway::default());
    let services = Services::new(db.clone(), s.services.master_key.clone(), restarted.clone());
    assert_eq!(restore(&services).await.unwrap(), 1);
    assert_eq!(restarted.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")), "what the database calls live");
    let after = history(db, &s.ada, "weather", "weather-api-v1", 1, 10).await.unwrap();
    assert_eq!((after.items[0].id, after.items[0].outcome, after.items[0].message.as_str()), (row.id, DeploymentOutcome::Failed, INTERRUPTED));
    assert_eq!(s.state("development").await, DeploymentState::Failed { reason: INTERRUPTED.into() });
    assert_eq!(crate::live::live_revision(db, s.proxy_id, env.id).await.unwrap().map(|r| r.number), Some(1), "revision 1 stays live");
}

/// With another node up on the same database, a start leaves a deploy pending for less than a
/// minute alone (that node may be making it), and settles one older than that.
#[tokio::test]
async fn a_start_beside_another_running_node_settles_only_deploys_pending_for_a_minute() {
    use sea_orm::EntityTrait;
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    s.deploy("development").await.unwrap();
    let db = &s.services.db;
    crate::cluster::heartbeat(&s.services).await.unwrap();
    let found = crate::proxies::find(db, &s.ada, "weather", "weather-api-v1", crate::projects::Need::Edit).await.unwrap();
    let env = find_environment(db, "development").await.unwrap();
    let recent = super::record::pending(db, &s.ada, &found, &env, None, DeploymentAction::Undeploy).await.unwrap();
    let old = super::record::pending(db, &s.ada, &found, &env, None, DeploymentAction::Undeploy).await.unwrap();
    let mut aged: crate::entities::deployment::ActiveModel = old.clone().into();
    aged.deployed_at = sea_orm::Set(time::OffsetDateTime::now_utc() - time::Duration::minutes(2));
    sea_orm::ActiveModelTrait::update(aged, db).await.unwrap();

    let another = Services::new(db.clone(), s.services.master_key.clone(), Arc::new(RecordingGateway::default()));
    restore(&another).await.unwrap();
    let outcome = |id: i32| async move { crate::entities::deployment::Entity::find_by_id(id).one(db).await.unwrap().unwrap().outcome };
    assert_eq!(outcome(recent.id).await, DeploymentOutcome::Pending, "the running node's deploy is its own to settle");
    assert_eq!(outcome(old.id).await, DeploymentOutcome::Failed);
}

/// A proxy leaves a context path; another project's proxy takes it; the first one's earlier
/// revision (at the old path) must not take the path back.
#[tokio::test]
async fn an_old_revision_cannot_take_back_a_context_path_another_project_now_owns() {
    let s = setup().await;
    let db = &s.services.db;
    s.save("development", s.settings(DEV_URL, None)).await;
    s.deploy("development").await.unwrap();
    let moved = crate::model::ProxyChanges { context_path: Some("/weather/v2".into()), ..Default::default() };
    crate::proxies::update(db, &s.ada, "weather", "weather-api-v1", moved).await.unwrap();
    s.deploy("development").await.unwrap();
    let mallory = testing::user(db, "mallory@example.test", false).await;
    crate::projects::create(db, &mallory, crate::projects::NewProject { name: "Other".into(), ..Default::default() }).await.unwrap();
    crate::proxies::create(db, &mallory, "other", crate::proxies::tests::weather("/weather/v1")).await.unwrap();

    let err = redeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development", 1).await.unwrap_err();
    assert!(matches!(&err, Error::Conflict(m) if m.contains("/weather/v1") && m.contains("another project")), "{err}");
    let (path, _, _) = s.gateway.serving("development")[&s.proxy_id].clone();
    assert_eq!(path, "/weather/v2", "what was live stays live");
    // Its own later revision still redeploys.
    redeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development", 2).await.unwrap();
}

#[tokio::test]
async fn an_admin_changes_where_backends_may_be_and_live_routes_follow_at_once() {
    use crate::model::EnvironmentChanges;
    async fn update(services: &Services, actor: &Actor, changes: EnvironmentChanges) -> Result<crate::model::Environment> {
        crate::environments::update(services, actor, "development", changes).await
    }
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, None)).await;
    s.deploy("development").await.unwrap();
    let lists = |allow: &[&str], deny: &[&str]| EnvironmentChanges {
        allowed_destinations: Some(allow.iter().map(|r| r.to_string()).collect()),
        denied_destinations: Some(deny.iter().map(|r| r.to_string()).collect()),
        tls: None,
    };

    // Publishers do not decide where backends may be.
    assert!(matches!(update(&s.services, &s.ada, lists(&[], &["10.0.0.0/8"])).await.unwrap_err(), Error::Forbidden(_)));
    let admin = testing::user(&s.services.db, "root@example.test", true).await;
    // A typo is named, and nothing is stored or swapped.
    let typo = update(&s.services, &admin, lists(&["10.0.0.0/8"], &["192.168.0.0/16", "10.0.0.0/88"])).await.unwrap_err();
    assert_eq!(typo.field(), Some("denied_destinations"), "{typo}");
    assert!(typo.to_string().contains("\"10.0.0.0/88\" is not an address range"), "{typo}");
    assert!(find_environment(&s.services.db, "development").await.unwrap().allowed_destinations.is_empty());

    // Saved normalised, and the live route is compiled again with the lists.
    let saved = update(&s.services, &admin, lists(&["10.1.2.3/8"], &["10.9.0.0/16"])).await.unwrap();
    assert_eq!((saved.allowed_destinations.clone(), saved.denied_destinations.clone()), (vec!["10.0.0.0/8".to_string()], vec!["10.9.0.0/16".to_string()]));
    let compiled = s.gateway.destinations.lock().unwrap().get("development").cloned().unwrap();
    assert_eq!(compiled.allow, vec!["10.0.0.0/8".parse().unwrap()]);
    assert_eq!(s.gateway.serving("development").len(), 1, "still served");
    // Only the list given changes; the next deploy compiles with what is stored.
    update(&s.services, &admin, EnvironmentChanges { denied_destinations: Some(vec![]), ..Default::default() }).await.unwrap();
    s.deploy("development").await.unwrap();
    let compiled = s.gateway.destinations.lock().unwrap().get("development").cloned().unwrap();
    assert_eq!((compiled.allow.len(), compiled.deny.len()), (1, 0));

    // A live backend the new lists would refuse fails the change; nothing is stored.
    s.save("development", EndpointSettings { endpoint_certificate_ids: vec![], ..s.settings("https://10.9.1.1:9000/api", None) }).await;
    s.deploy("development").await.unwrap();
    let refused = update(&s.services, &admin, lists(&[], &["10.9.0.0/16"])).await.unwrap_err();
    assert!(matches!(refused, Error::Conflict(_)) && refused.to_string().contains("on this environment's deny list"), "{refused}");
    let stored = find_environment(&s.services.db, "development").await.unwrap();
    assert_eq!((stored.allowed_destinations.as_str(), stored.denied_destinations.as_str()), ("10.0.0.0/8", ""));
    // And a deploy to a refused address fails, with the reason.
    update(&s.services, &admin, lists(&["192.168.0.0/16"], &[])).await.unwrap_err();
    update(&s.services, &admin, lists(&[], &[])).await.unwrap();
    update(&s.services, &admin, lists(&[], &["10.8.0.0/16"])).await.unwrap();
    s.save("development", EndpointSettings { endpoint_certificate_ids: vec![], ..s.settings("https://10.8.0.1:9000/api", None) }).await;
    let deploy = s.deploy("development").await.unwrap_err();
    assert!(deploy.to_string().contains("in 10.8.0.0/16, on this environment's deny list"), "{deploy}");
}

#[tokio::test]
async fn a_key_pair_a_live_revision_carries_cannot_be_deleted_until_no_revision_serves_it() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    s.deploy("development").await.unwrap();
    // The saved configuration moves on to the other key pair; the live revision still presents this one.
    s.save("development", s.settings(DEV_URL, Some(&s.prod_client))).await;
    let used_by = certificates::get(&s.services.db, &s.ada, "weather", s.dev_client.id).await.unwrap().used_by;
    assert_eq!(used_by, ["Weather API v1 · Development (live revision 1, client certificate)"]);
    let refused = certificates::delete(&s.services.db, &s.ada, "weather", s.dev_client.id).await.unwrap_err();
    assert!(matches!(refused, Error::Conflict(_)) && refused.to_string().contains("live revision 1"), "{refused}");
    // Deploying the saved configuration takes it out of service; then it can go.
    s.deploy("development").await.unwrap();
    assert!(certificates::get(&s.services.db, &s.ada, "weather", s.dev_client.id).await.unwrap().used_by.is_empty());
    certificates::delete(&s.services.db, &s.ada, "weather", s.dev_client.id).await.unwrap();
    // Revision 1 kept its own copy of the key pair: rolled back to, it serves without the store's.
    redeploy(&s.services, &s.ada, "weather", "weather-api-v1", "development", 1).await.unwrap();
    assert_eq!(s.gateway.serving("development")[&s.proxy_id], serving(DEV_URL, Some("gatehouse-dev")));
    // The endpoint certificate is counted for the live revision as well as for the configuration.
    let endpoint = certificates::get(&s.services.db, &s.ada, "weather", s.endpoint.id).await.unwrap().used_by;
    assert!(endpoint.contains(&"Weather API v1 · Development (live revision 1, endpoint certificate)".to_string()), "{endpoint:?}");
}

#[tokio::test]
async fn the_deploy_page_says_how_many_running_nodes_serve_each_environment() {
    let s = setup().await;
    s.save("development", s.settings(DEV_URL, Some(&s.dev_client))).await;
    s.deploy("development").await.unwrap();
    let db = &s.services.db;
    // This node is up to date (in a running node, `follow` keeps it so).
    s.services.cluster.start_from(crate::cluster::versions(db).await.unwrap());
    crate::cluster::heartbeat(&s.services).await.unwrap();
    let page = overview(&s.services, &s.ada, "weather", "weather-api-v1").await.unwrap();
    assert!(page.iter().all(|e| e.live_on.is_none()), "one node: nothing to say");

    // Another node comes up that has applied nothing yet.
    let another = Services::new(db.clone(), s.services.master_key.clone(), Arc::new(RecordingGateway::default()));
    another.cluster.set_address("https://10.0.0.12:8443 (Development)".into());
    crate::cluster::heartbeat(&another).await.unwrap();
    let page = overview(&s.services, &s.ada, "weather", "weather-api-v1").await.unwrap();
    let on = |slug: &str| page.iter().find(|e| e.environment.slug == slug).unwrap().live_on.clone();
    assert!(on("production").is_none(), "nothing live there");
    let dev = on("development").expect("two nodes");
    assert_eq!(dev.of, 2, "{dev:?}");
    if sea_orm::ConnectionTrait::get_database_backend(db) == sea_orm::DbBackend::Postgres {
        // The deploy was announced (version 1 of Development): the new node has not applied it.
        assert_eq!(dev.lagging, ["https://10.0.0.12:8443 (Development)"], "{dev:?}");
        assert_eq!(dev.describe(), "live on 1 of 2 gateways; https://10.0.0.12:8443 (Development) lags");
    } else {
        // SQLite: one database file, one node in practice; nothing is announced to lag behind.
        assert_eq!((dev.nodes, dev.lagging.len()), (2, 0), "{dev:?}");
    }
}
