//! Server functions, one file per resource. Each one authenticates, calls one service and maps
//! its error; the rules live in the `services` crate.
pub mod certificates;
pub mod consumers;
pub mod deployments;
pub mod endpoints;
pub mod environments;
pub mod policies;
pub mod projects;
pub mod proxies;
pub mod session;
pub mod settings;
pub mod tokens;
pub mod try_gateway;
pub mod users;

#[cfg(feature = "ssr")]
pub(crate) mod guard;
