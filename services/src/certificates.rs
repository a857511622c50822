//! The project's certificate store: endpoint certificates (uploaded) and client key pairs
//! (generated here or uploaded with their private key). Private keys are sealed under the
//! master key before they touch the database and never leave this module in the clear except
//! to the gateway's TLS configuration.
mod generate;
pub(crate) use gateway::certs as inspect;
pub(crate) mod input;
pub(crate) mod keys;
pub(crate) mod seal;
mod store;
pub mod usage;

pub use input::MAX_INPUT_BYTES;
pub(crate) use store::describe_configured;
pub use store::{
    add_client_pair, client_identity, delete, generate_client_pair, get, import_endpoint, list, pem, upload_client_ca, upload_endpoint, upload_public,
    CertificateFilter,
};

/// A stored PEM chain as DER certificates.
pub fn read_pem_chain(pem: &str) -> crate::Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    input::read_certificates("certificate", pem.as_bytes())
}
