//! sea-orm entities, one file per table created in `migrations/`.
pub mod api_token;
pub mod certificate;
pub mod environment;
pub mod membership;
pub mod project;
pub mod session;
pub mod user;
