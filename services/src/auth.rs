//! Who is calling: passwords, sign-in with throttling, the first-run setup link, console
//! sessions, and turning a session or an API token into an `Actor`.
mod actor;
pub(crate) mod login;
mod password;
mod session_store;
mod setup;
mod throttle;

pub use actor::{actor_for_user, Actor};
pub use login::{sign_in, validate_password};
pub use password::{hash_bounded, hash_password, verify_password};
pub use session_store::DbSessionStore;
pub use setup::{create_first_admin, ensure_admin_from_env, needs_setup, FirstAdmin, SetupLink};
pub use throttle::{Attempt, LoginThrottle};

/// The session key under which the signed-in user's id is kept.
pub const SESSION_USER_KEY: &str = "user_id";
