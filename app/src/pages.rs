//! Routed pages, one file each.
mod certificate;
mod certificates;
mod environments;
mod members;
mod new_proxy;
mod not_found;
mod project;
mod projects;
mod proxy;
mod setup;
mod sign_in;
mod tokens;
mod users;

pub use certificate::CertificatePage;
pub use certificates::CertificatesPage;
pub use environments::EnvironmentsPage;
pub use members::MembersPage;
pub use new_proxy::NewProxyPage;
pub use not_found::NotFoundPage;
pub use project::ProjectPage;
pub use projects::ProjectsPage;
pub use proxy::{ActivityPage, DeployPage, EndpointsPage, OverviewPage, PoliciesPage, ProxyLayout, TestPage};
pub use setup::SetupPage;
pub use sign_in::SignInPage;
pub use tokens::TokensPage;
pub use users::UsersPage;
