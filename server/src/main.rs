//! `gatehouse`: the publisher console, its REST API and the gateway, in one process. Start-up
//! reads the configuration, opens and migrates the database, makes sure an administrator can
//! get in, starts a gateway listener per environment, and serves the portal.
//!
//! `gatehouse gateway`: the gateway alone, for more nodes on one PostgreSQL (no console, no
//! REST API; `/api/v1/health` on GATEHOUSE_PORTAL_ADDR for load balancers' checks). Every node
//! follows the changes the others announce (`services::cluster`).
mod config;
mod console_forms;
mod csrf;
mod descriptors;
mod listen;
mod portal;
mod portal_tls;
mod rest;

use config::{Config, MasterKeySource};
use services::secrets::MasterKey;
use services::{auth, Services};
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: the gateway allocates and frees small buffers on every
/// request from one thread per core, where glibc spent about 8% of the CPU (and its arenas kept
/// memory after bulk REST work); see bench/RESULTS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands memory that is free but still held back to the OS. The restore reads every live
/// revision at once; mimalloc returns what that freed only on later allocations, and a console
/// left idle after a start would keep it (146 MB instead of 72 MB after a restart with 10,000
/// live proxies).
fn release_freed_memory() {
    // SAFETY: mi_collect takes no pointers and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// What this process runs: both halves, or the gateway alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    ConsoleAndGateway,
    Gateway,
}

impl Role {
    fn from_args() -> Result<Role, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            [] => Ok(Role::ConsoleAndGateway),
            ["gateway"] => Ok(Role::Gateway),
            _ => Err(format!(
                "unknown arguments {args:?}: run `gatehouse` (the console, REST API and gateway) or `gatehouse gateway` (the gateway alone, on the DATABASE_URL of the others); every setting is an environment variable (README)"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Role::ConsoleAndGateway => "console+gateway",
            Role::Gateway => "gateway",
        }
    }
}

fn main() -> ExitCode {
    let role = match Role::from_args() {
        Ok(role) => role,
        Err(err) => {
            eprintln!("gatehouse: {err}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("gatehouse: {err}");
            return ExitCode::from(2);
        }
    };
    init_tracing();
    // Each caller's connection is a file descriptor: take as many as the hard limit allows (the
    // soft limit is often 1,024), so GATEHOUSE_MAX_CONNECTIONS, not the OS, is what caps them.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open files limit");
            if let Err(e) = descriptors::reserve(limit.min(descriptors::RESERVED)) {
                tracing::warn!(error = %e, "cannot make room for file descriptors at start; the table grows as connections come");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("gatehouse: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, role)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gatehouse: {err}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).init();
}

async fn run(config: Config, role: Role) -> Result<(), String> {
    data_dir(&config.data_dir)?;
    let master_key = match &config.master_key {
        MasterKeySource::Env(key) => key.clone(),
        MasterKeySource::File(path) => MasterKey::load_or_create(path)?,
    };
    let db = services::db::connect_and_migrate(&config.database_url).await.map_err(|e| format!("cannot open the database (DATABASE_URL): {e}"))?;
    services::secrets::ensure_database_sealed_with(&db, &master_key).await?;

    // The gateway first: its listeners, then the services that drive it.
    let slugs: Vec<String> = services::environments::list(&db).await.map_err(|e| e.to_string())?.into_iter().map(|e| e.slug).collect();
    let gateway_addrs = gateway::addresses(&slugs, |name| std::env::var(name).ok())?;
    let listeners = services::environments::listeners(&db, &master_key, &gateway_addrs).await.map_err(|e| e.to_string())?;
    let stop = gateway::Stop::default();
    let gateway = gateway::Gateway::start(listeners, &config.gateway, stop.clone())?;
    let mut services = Services::new(db, master_key, std::sync::Arc::new(gateway.clone()));
    services.acme = std::sync::Arc::new(config.acme.clone());
    services.cluster = std::sync::Arc::new(services::cluster::Node::new(role.name()));
    // What the others have announced so far: this start reads all of it below; anything newer
    // is applied by `follow`.
    let versions = services::cluster::versions(&services.db).await.map_err(|e| format!("cannot read the configuration versions: {e}"))?;
    services.cluster.start_from(versions);

    if let (Some((email, password)), Role::ConsoleAndGateway) = (&config.admin, role) {
        if let Some(admin) = auth::ensure_admin_from_env(&services.db, email, password)
            .await
            .map_err(|e| format!("cannot create the administrator from GATEHOUSE_ADMIN_EMAIL: {e}"))?
        {
            tracing::info!(email = %admin.email, "created the first administrator from GATEHOUSE_ADMIN_EMAIL");
        }
    }

    let listener =
        tokio::net::TcpListener::bind(config.portal_addr).await.map_err(|e| format!("cannot listen on {} (GATEHOUSE_PORTAL_ADDR): {e}", config.portal_addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base = format!("{}://{addr}", if config.portal_tls.is_some() { "https" } else { "http" });

    // Keys first, so a route that asks for one never starts without them.
    let keys = services::credentials::apply(&services).await.map_err(|e| format!("cannot read the subscriptions: {e}"))?;
    tracing::info!(keys, "published the subscription keys");
    let restored = services::deployments::restore(&services).await.map_err(|e| format!("cannot restore what was live: {e}"))?;
    if restored > 0 {
        tracing::info!(routes = restored, "restored the live routes");
    }
    release_freed_memory();

    let access = match &config.metrics_token {
        Some(token) => portal::MetricsAccess::Token(token.as_str().into()),
        None => portal::MetricsAccess::Closed,
    };
    let app = match role {
        Role::ConsoleAndGateway => portal::router(portal::state(services.clone())?, gateway.metrics().clone(), config.secure_cookies(), access),
        Role::Gateway => portal::health_only(gateway.metrics().clone(), access),
    }
    // For /api/v1/ready.
    .layer(axum::Extension(stop.clone()));
    let metrics_socket = match config.metrics_addr {
        Some(addr) => {
            let socket = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr} (GATEHOUSE_METRICS_ADDR): {e}"))?;
            println!("Gatehouse metrics: http://{}/metrics", socket.local_addr().map_err(|e| e.to_string())?);
            Some(socket)
        }
        None => None,
    };
    match role {
        Role::ConsoleAndGateway => println!("Gatehouse console: {base}"),
        Role::Gateway => println!("Gatehouse node: {base} (the gateway alone: {base}/api/v1/health)"),
    }
    let mut listeners: Vec<_> = gateway.environments().collect();
    listeners.sort_by_key(|g| g.addr.port());
    let mut address: Vec<String> = Vec::new();
    for env in listeners {
        println!("Gatehouse gateway ({}): {}", env.name, env.base_url());
        address.push(format!("{} ({})", env.base_url(), env.name));
    }
    address.push(match role {
        Role::ConsoleAndGateway => format!("console {base}"),
        Role::Gateway => format!("health {base}/api/v1/health"),
    });
    services.cluster.set_address(address.join(", "));
    services::cluster::follow::start(services.clone());
    if role == Role::ConsoleAndGateway {
        if auth::needs_setup(&services.db).await.map_err(|e| e.to_string())? {
            let secret = services.setup.issue();
            let console = config.public_url.as_deref().unwrap_or(&base);
            println!("First run: create the administrator at {console}/setup?token={secret}");
        }
        tokio::spawn(portal::delete_expired_sessions(services.clone()));
        services::domains::acme::start_renewing(services.clone());
    }
    services::usage::start_flushing(services.clone());

    let limits = config.gateway.limits;
    let mut listening = gateway.admissions().to_vec();
    if let Some(socket) = metrics_socket {
        let scrape = axum::Router::new().route("/metrics", portal::metrics_route(gateway.metrics().clone(), portal::MetricsAccess::Open));
        listening.push(listen::portal(socket, scrape, limits.clone(), stop.clone(), config.gateway.trusted_proxies.clone(), None));
    }
    listening.push(listen::portal(listener, app, limits.clone(), stop.clone(), config.gateway.trusted_proxies.clone(), config.portal_tls.clone()));
    shutdown_signal().await;
    if !config.drain_delay.is_zero() {
        // /api/v1/ready says 503 and callers are moved away while everything still serves; a
        // second signal ends the wait.
        stop.drain();
        tracing::info!(seconds = config.drain_delay.as_secs(), "draining: /api/v1/ready answers 503; serving on until the load balancer has noticed");
        tokio::select! {
            () = tokio::time::sleep(config.drain_delay) => {},
            () = shutdown_signal() => {},
        }
    }
    // Stop taking connections everywhere; what is in flight finishes (within the drain timeout).
    tracing::info!("shutting down: no new connections; finishing the requests in flight");
    stop.stop();
    let cut = gateway::connections::drained(&listening, limits.drain_timeout + std::time::Duration::from_secs(1)).await;
    if cut > 0 {
        tracing::warn!(connections = cut, "connections still open at the end of the drain timeout were closed");
    }
    // The last counts, so usage and quotas carry over to the next start.
    if let Err(e) = services::usage::flush(&services).await {
        tracing::warn!(error = %e, "the last usage counts could not be written");
    }
    // Off the list of nodes, so deploys stop waiting for this one.
    if let Err(e) = services::cluster::leave(&services).await {
        tracing::warn!(error = %e, "this node could not take itself off the list of gateway nodes");
    }
    Ok(())
}

/// Creates the data directory readable by this user only (0700): it holds the database and the
/// master key. One that exists with wider permissions is used, with a warning saying so.
fn data_dir(path: &std::path::Path) -> Result<(), String> {
    let problem = |e: std::io::Error| format!("cannot create the data directory {} (GATEHOUSE_DATA_DIR): {e}", path.display());
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !path.exists() {
            builder.mode(0o700);
            return builder.create(path).map_err(problem);
        }
        let mode = std::fs::metadata(path).map_err(problem)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "the data directory may be read by other users: chmod 700 it");
        }
    }
    builder.create(path).map_err(problem)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
