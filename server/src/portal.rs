//! The portal's HTTP surface: the console (Leptos pages and server functions), the REST API
//! under /api/v1, and the layers every request passes through (request id and one log line,
//! security headers, sessions, the cross-site check).
use app::{shell, App, AppState};
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::Router;
use leptos::config::get_configuration;
use leptos_axum::{generate_route_list, LeptosRoutes};
use services::auth::DbSessionStore;
use services::Services;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub const SESSION_COOKIE: &str = gateway::CONSOLE_SESSION_COOKIE;
/// The name when the console is reached over https: the browser then keeps the cookie only if
/// it is `Secure`, for the whole host (`Path=/`) and for no other (no `Domain`), so neither a
/// plain-HTTP page nor a sibling subdomain can set or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = gateway::CONSOLE_SECURE_SESSION_COOKIE;

pub fn state(services: Services) -> Result<AppState, String> {
    // Leptos' own settings (site root, output name) come from the LEPTOS_* variables that
    // cargo-leptos sets at build time.
    let leptos_options = get_configuration(None).map_err(|e| format!("the LEPTOS_* settings are not usable: {e}"))?.leptos_options;
    Ok(AppState { leptos_options, services })
}

/// Who may read `/metrics`.
#[derive(Clone)]
pub enum MetricsAccess {
    /// Anybody who can reach the address: the metrics' own listener (GATEHOUSE_METRICS_ADDR).
    Open,
    /// Callers with this bearer token (GATEHOUSE_METRICS_TOKEN).
    Token(std::sync::Arc<str>),
    /// Nobody, here.
    Closed,
}

/// `/metrics` in the Prometheus text format, for those `access` lets in. Backend names, proxy
/// counts and error rates are not for anonymous callers of the console.
pub fn metrics_route<S: Clone + Send + Sync + 'static>(metrics: std::sync::Arc<gateway::Metrics>, access: MetricsAccess) -> axum::routing::MethodRouter<S> {
    use axum::response::IntoResponse;
    axum::routing::get(move |headers: axum::http::HeaderMap| {
        let (metrics, access) = (metrics.clone(), access.clone());
        async move {
            let allowed = match &access {
                MetricsAccess::Open => true,
                MetricsAccess::Token(token) => {
                    let sent = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
                    same_secret(sent.as_bytes(), token.as_bytes())
                }
                MetricsAccess::Closed => {
                    let why = "metrics are served on GATEHOUSE_METRICS_ADDR, or here to callers with GATEHOUSE_METRICS_TOKEN as a bearer token";
                    return (axum::http::StatusCode::NOT_FOUND, why).into_response();
                }
            };
            if !allowed {
                return (axum::http::StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "send GATEHOUSE_METRICS_TOKEN as a bearer token")
                    .into_response();
            }
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.render()).into_response()
        }
    })
}

/// Compares two secrets in time that depends on their length only.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// `secure_cookies`: the console is reached over https (its own certificate, or
/// GATEHOUSE_PUBLIC_URL behind a TLS proxy): `Secure` `__Host-` cookies and HSTS; `access`: who
/// may read `/metrics` on the portal.
/// What a gateway-only node (`gatehouse gateway`) serves on its portal address: the health
/// check and, as on a full node, the metrics for those `access` lets in.
pub fn health_only(metrics: std::sync::Arc<gateway::Metrics>, access: MetricsAccess) -> Router {
    Router::new().route("/metrics", metrics_route(metrics, access)).nest("/api/v1", crate::rest::health_only())
}

pub fn router(state: AppState, metrics: std::sync::Arc<gateway::Metrics>, secure_cookies: bool, access: MetricsAccess) -> Router {
    let console = crate::console_forms::routes()
        .leptos_routes(&state, generate_route_list(App), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(crate::csrf::refuse_cross_site))
        .layer(session_layer(&state.services, secure_cookies));

    let scrape = metrics_route(metrics, access);
    let hsts = secure_cookies.then(|| HeaderValue::from_static(crate::portal_tls::HSTS));
    Router::new().route("/metrics", scrape).nest("/api/v1", crate::rest::router(state.clone())).merge(console).with_state(state).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<_>| {
                        let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                        // The path only: query strings can carry secrets (the setup link).
                        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                    })
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, move |_: &axum::response::Response| hsts.clone()))
            .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
            .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
            // Same-origin referrers are what send a form posted without JavaScript back to its page.
            .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
            .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"))),
    )
}

fn session_layer(services: &Services, secure: bool) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore::new(services.db.clone()))
        .with_name(if secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        // Secure when people reach the console over https: its own certificate
        // (GATEHOUSE_PORTAL_TLS_CERT) or a TLS proxy in front of it (GATEHOUSE_PUBLIC_URL=https://…).
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
        // Saved only when changed: saving on every request would let a slow request write back
        // a stale copy (a flash message another request already took would come back).
        .with_always_save(false)
}

/// Removes expired console sessions every hour.
pub async fn delete_expired_sessions(services: Services) {
    use tower_sessions::ExpiredDeletion;
    let store = DbSessionStore::new(services.db);
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
    }
}
