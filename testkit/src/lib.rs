//! What the tests of every crate share, made at run time, never checked in: certificates
//! (`pki`), TLS backends on 127.0.0.1 ports chosen at run time (`backend`), the real binary
//! started on a temporary data directory (`binary`), raw connections for attacks (`raw`), and
//! Debian's pebble ACME server (`pebble`), a throwaway PostgreSQL (`postgres`) and Redis (`redis`),
//! and HAProxy in front of several nodes (`haproxy`).
pub mod backend;
pub mod binary;
pub mod haproxy;
pub mod pebble;
pub mod pki;
pub mod postgres;
pub mod raw;
pub mod redis;
