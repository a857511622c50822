//! Gatehouse's service layer: one module per capability. The console's server functions
//! (in `app`) and the REST handlers (in `server`) are thin callers of these functions, so every
//! rule lives here once and is tested here, on SQLite, without a browser.
//!
//! This crate sits beside `server/` rather than inside it because `app`'s server functions
//! call it and `server` depends on `app`; a services module inside `server` would be a cycle.

/// Plain data shared with the console's browser build (compiled with and without `backend`).
pub mod model;
pub use model::{Error, Result};

#[cfg(feature = "backend")]
pub mod activity;
#[cfg(feature = "backend")]
pub mod auth;
#[cfg(feature = "backend")]
pub mod certificates;
#[cfg(feature = "backend")]
pub mod check_connection;
#[cfg(feature = "backend")]
pub mod cluster;
#[cfg(feature = "backend")]
pub mod credentials;
#[cfg(feature = "backend")]
pub mod db;
#[cfg(feature = "backend")]
pub mod deployments;
#[cfg(feature = "backend")]
pub mod domains;
#[cfg(feature = "backend")]
pub mod entities;
#[cfg(feature = "backend")]
pub mod environments;
#[cfg(feature = "backend")]
pub mod live;
#[cfg(feature = "backend")]
pub mod products;
#[cfg(feature = "backend")]
pub mod projects;
#[cfg(feature = "backend")]
pub mod proxies;
#[cfg(feature = "backend")]
pub mod quota;
#[cfg(feature = "backend")]
pub mod revisions;
#[cfg(feature = "backend")]
pub(crate) mod search;
#[cfg(feature = "backend")]
pub mod secrets;
#[cfg(feature = "backend")]
mod services;
#[cfg(feature = "backend")]
pub mod settings;
/// Slug rules; also compiled for the browser, which previews the derived slug.
pub mod slug;
#[cfg(feature = "backend")]
pub mod subscriptions;
#[cfg(feature = "backend")]
pub mod tokens;
#[cfg(feature = "backend")]
pub mod try_gateway;
#[cfg(feature = "backend")]
pub mod usage;
#[cfg(feature = "backend")]
pub mod users;
#[cfg(feature = "backend")]
pub use services::Services;
#[cfg(all(test, feature = "backend"))]
pub(crate) mod testing;
