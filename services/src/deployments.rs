//! Deploying: a deploy takes an immutable revision of a proxy's saved configuration for one
//! environment (`revisions`) and has the running gateway serve it before the call returns. A
//! revision the gateway cannot compile is recorded as failed, with the reason, and what was
//! live stays live. Split by job:
//! - `commands`: deploy, redeploy (rollback), promote, undeploy; each records the deployment
//!   pending, has the gateway swap, then settles it live or failed (`record`);
//! - `overview`: the Deploy page's cards and the history;
//! - `restore`: at start, interrupted deploys are settled and what is live is published again.
//!
//! What is live where (the deployment status) is `crate::live`, which the proxy listing reads
//! too.
mod commands;
mod overview;
mod record;
mod restore;
#[cfg(test)]
mod tests;

pub use commands::{deploy, promote, redeploy, undeploy};
pub use overview::{history, overview};
pub use restore::{publish, publish_one, restore, INTERRUPTED};
