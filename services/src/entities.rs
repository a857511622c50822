//! sea-orm entities, one file per table created in `migrations/`.
pub mod activity;
pub mod api_token;
pub mod certificate;
pub mod deployment;
pub mod endpoint_certificate;
pub mod endpoint_config;
pub mod environment;
pub mod membership;
pub mod product;
pub mod product_proxy;
pub mod project;
pub mod proxy;
pub mod revision;
pub mod session;
pub mod setting;
pub mod subscription;
pub mod user;
