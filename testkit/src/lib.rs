//! What the tests of every crate share, made at run time, never checked in: certificates
//! (`pki`), TLS backends on 127.0.0.1 ports chosen at run time (`backend`), and the real binary
//! started on a temporary data directory (`binary`).
pub mod backend;
pub mod binary;
pub mod pki;
