//! Helpers for service tests: a fresh database and a few people in it.
use crate::auth::{self, Actor};
use crate::entities::user;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

/// Set to a PostgreSQL superuser's URL, `db()` gives each test its own PostgreSQL database
/// instead of SQLite (`services::db::tests::every_service_test_on_postgresql` does, for all).
pub const POSTGRES_VAR: &str = "GATEHOUSE_TEST_POSTGRES";

/// A migrated database private to the calling test: in-memory SQLite, or with
/// `GATEHOUSE_TEST_POSTGRES` a new PostgreSQL database copied from one migrated template.
pub async fn db() -> DatabaseConnection {
    match std::env::var(POSTGRES_VAR) {
        Ok(admin) => postgres_db(&admin).await,
        Err(_) => crate::db::connect_and_migrate("sqlite::memory:").await.expect("in-memory database"),
    }
}

async fn postgres_db(admin: &str) -> DatabaseConnection {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static TEMPLATE: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);
    let url_of = |name: &str| format!("{}/{name}", admin.rsplit_once('/').expect("a database URL").0);
    let pid = std::process::id();
    let template = format!("template_{pid}");
    let server = sea_orm::Database::connect(admin).await.expect("the test PostgreSQL");
    {
        // Migrated once per test process; each test copies it (much faster than migrating).
        let mut made = TEMPLATE.lock().await;
        if !*made {
            server.execute_unprepared(&format!("CREATE DATABASE {template}")).await.expect("create the template");
            let db = crate::db::connect_and_migrate(&url_of(&template)).await.expect("migrate the template");
            db.close().await.expect("close the template");
            *made = true;
        }
        let name = format!("test_{pid}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        server.execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")).await.expect("copy the template");
        server.close().await.expect("close");
        crate::db::connect_and_migrate(&url_of(&name)).await.expect("the test database")
    }
}

/// A user with a known password ("password123").
pub async fn user(db: &DatabaseConnection, email: &str, is_admin: bool) -> Actor {
    let created = user::ActiveModel {
        email: Set(email.to_string()),
        name: Set(email.split('@').next().unwrap_or(email).to_string()),
        password_hash: Set(auth::hash_password("password123").unwrap()),
        is_admin: Set(is_admin),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert user");
    Actor::from(created)
}

/// Lets every signed-in user create projects, for tests where a publisher makes their own
/// (as an admin would in Admin → Settings; written directly so no admin account appears).
pub async fn let_everyone_create_projects(db: &DatabaseConnection) {
    crate::entities::setting::ActiveModel {
        name: Set("project_creation".into()),
        value: Set(crate::model::ProjectCreation::Everyone.as_str().into()),
        updated_at: Set(time::OffsetDateTime::now_utc()),
    }
    .insert(db)
    .await
    .expect("settings");
}

/// A gateway that only keeps credentials, compiled as the real one compiles them, for tests
/// of products and subscriptions that check what a key opens.
pub struct CredentialsGateway {
    pub consumers: gateway::consumers::Consumers,
}

impl Default for CredentialsGateway {
    fn default() -> Self {
        CredentialsGateway { consumers: gateway::consumers::Consumers::new(gateway::Metrics::new()) }
    }
}

impl gateway::Control for CredentialsGateway {
    fn replace_all(&self, _: &str, routes: Vec<gateway::RouteSpec>) -> Result<usize, gateway::Error> {
        Ok(routes.len())
    }
    fn upsert(&self, _: &str, _: gateway::RouteSpec) -> Result<(), gateway::Error> {
        Ok(())
    }
    fn remove(&self, _: &str, _: i32) -> Result<(), gateway::Error> {
        Ok(())
    }
    fn base_url(&self, _: &str) -> Option<String> {
        None
    }
    fn set_credentials(&self, spec: gateway::consumers::CredentialsSpec) -> usize {
        self.consumers.set(&spec)
    }
    fn take_usage(&self) -> Vec<(i32, [u64; 4])> {
        self.consumers.take_usage()
    }
}

/// Services on a fresh database with a `CredentialsGateway`, a project "weather" owned by ada
/// (a publisher, not an admin) and two proxies in it: "forecast-v1" and "alerts-v1".
pub async fn consumers_setup() -> (crate::Services, std::sync::Arc<CredentialsGateway>, Actor, i32, i32) {
    let db = db().await;
    let_everyone_create_projects(&db).await;
    let ada = user(&db, "ada@example.test", false).await;
    crate::projects::create(&db, &ada, crate::projects::NewProject { name: "Weather".into(), ..Default::default() }).await.expect("project");
    let proxy = |name: &str, path: &str| crate::model::NewProxy {
        name: name.into(),
        version: "v1".into(),
        context_path: path.into(),
        backend_url: "https://backend.test/api".into(),
        ..Default::default()
    };
    let forecast = crate::proxies::create(&db, &ada, "weather", proxy("Forecast", "/forecast/v1")).await.expect("proxy").id;
    let alerts = crate::proxies::create(&db, &ada, "weather", proxy("Alerts", "/alerts/v1")).await.expect("proxy").id;
    let gateway = std::sync::Arc::new(CredentialsGateway::default());
    let services = crate::Services::new(db, crate::secrets::MasterKey::parse(&"42".repeat(32)).expect("key"), gateway.clone());
    (services, gateway, ada, forecast, alerts)
}
