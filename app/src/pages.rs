//! Routed pages, one file each.
mod certificate;
mod certificates;
mod not_found;
mod project;
mod projects;
mod setup;
mod sign_in;
mod tokens;
mod users;

pub use certificate::CertificatePage;
pub use certificates::CertificatesPage;
pub use not_found::NotFoundPage;
pub use project::ProjectPage;
pub use projects::ProjectsPage;
pub use setup::SetupPage;
pub use sign_in::SignInPage;
pub use tokens::TokensPage;
pub use users::UsersPage;
