use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use services::Services;

/// The router's state. leptos_axum puts it in context for every page and server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
}
