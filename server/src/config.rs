//! Configuration from environment variables, all optional. A malformed value stops the start
//! with one line naming the variable (see `ConfigError`).
use services::secrets::MasterKey;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub master_key: MasterKeySource,
    pub portal_addr: SocketAddr,
    /// GATEHOUSE_PUBLIC_URL: where people reach the console, when a TLS proxy is in front of it.
    /// An https:// one makes the session cookie `Secure` with the `__Host-` prefix.
    pub public_url: Option<String>,
    /// GATEHOUSE_PORTAL_TLS_CERT and GATEHOUSE_PORTAL_TLS_KEY: the portal serves HTTPS itself
    /// with this configuration (files read and checked at start, `portal_tls`).
    pub portal_tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    /// GATEHOUSE_METRICS_TOKEN: the bearer token that reads /metrics on the portal.
    pub metrics_token: Option<String>,
    /// GATEHOUSE_METRICS_ADDR: a listener of its own for /metrics, open to whoever reaches it.
    pub metrics_addr: Option<SocketAddr>,
    /// GATEHOUSE_ADMIN_EMAIL and GATEHOUSE_ADMIN_PASSWORD: the first admin, created unattended.
    pub admin: Option<(String, String)>,
    /// GATEHOUSE_GATEWAY_THREADS (the gateway's threads, one per core by default),
    /// GATEHOUSE_TRUSTED_PROXIES, and the connection bounds (`limits`), which the portal's
    /// listener keeps too.
    pub gateway: gateway::Settings,
    /// GATEHOUSE_ACME_CA_FILE (CAs trusted for ACME servers' HTTPS besides the public roots, for
    /// a private or test ACME server) and GATEHOUSE_ACME_CHECK_SECS (how often renewals are
    /// looked for; an hour by default).
    pub acme: services::domains::acme::AcmeSettings,
    /// GATEHOUSE_DRAIN_DELAY: how long a stop keeps serving after /api/v1/ready turns 503, so a
    /// load balancer's health checks move callers to the other nodes first (0 by default: a
    /// node alone stops at once).
    pub drain_delay: Duration,
}

#[derive(Debug)]
pub enum MasterKeySource {
    Env(MasterKey),
    /// `master.key` in the data directory, created on first start.
    File(PathBuf),
}

/// What is wrong with which variable, in words a person can act on.
#[derive(Debug, thiserror::Error)]
#[error("{var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { var, problem: problem.into() }
}

impl Config {
    /// Whether the console is reached over https (its own TLS, or a TLS proxy in front of it),
    /// so its cookies can be `Secure` and its answers carry HSTS.
    pub fn secure_cookies(&self) -> bool {
        self.portal_tls.is_some() || self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// `lookup` returns a variable's value; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let data_dir = PathBuf::from(get("GATEHOUSE_DATA_DIR").unwrap_or_else(|| "./data".into()));

        let database_url = match get("DATABASE_URL") {
            None => services::db::default_sqlite_url(&data_dir),
            Some(url) if url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://") => url,
            Some(_) => return Err(bad("DATABASE_URL", "must start with sqlite: or postgres:// (for example postgres://user:pass@127.0.0.1/gatehouse)")),
        };

        let master_key = match get("GATEHOUSE_MASTER_KEY") {
            Some(text) => MasterKeySource::Env(MasterKey::parse(&text).map_err(|p| bad("GATEHOUSE_MASTER_KEY", p))?),
            None => MasterKeySource::File(data_dir.join("master.key")),
        };

        let portal_addr = parse_addr("GATEHOUSE_PORTAL_ADDR", get("GATEHOUSE_PORTAL_ADDR"), "127.0.0.1:3000")?;
        let public_url = match get("GATEHOUSE_PUBLIC_URL") {
            None => None,
            Some(url) => {
                let url = url.trim().trim_end_matches('/').to_string();
                let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
                if !host.is_some_and(|h| !h.is_empty() && !h.contains(char::is_whitespace)) {
                    return Err(bad("GATEHOUSE_PUBLIC_URL", format!("'{url}' is not an http:// or https:// URL, such as https://console.example.com")));
                }
                Some(url)
            }
        };

        let portal_tls = match (get("GATEHOUSE_PORTAL_TLS_CERT"), get("GATEHOUSE_PORTAL_TLS_KEY")) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad("GATEHOUSE_PORTAL_TLS_KEY", "is missing: set it with GATEHOUSE_PORTAL_TLS_CERT, to the PEM file of that certificate's key"))
            }
            (None, Some(_)) => {
                return Err(bad("GATEHOUSE_PORTAL_TLS_CERT", "is missing: set it with GATEHOUSE_PORTAL_TLS_KEY, to the PEM file of the certificate chain"))
            }
            (Some(cert), Some(key)) => Some(crate::portal_tls::load(cert.trim(), key.trim()).map_err(|(var, problem)| bad(var, problem))?),
        };

        let metrics_token = match get("GATEHOUSE_METRICS_TOKEN") {
            Some(token) if token.trim().len() < 16 || token.trim().chars().any(|c| c.is_whitespace() || c.is_control()) => {
                return Err(bad("GATEHOUSE_METRICS_TOKEN", "must be at least 16 characters, without spaces (such as the output of `openssl rand -hex 32`)"));
            }
            token => token.map(|t| t.trim().to_string()),
        };
        let metrics_addr = match get("GATEHOUSE_METRICS_ADDR") {
            Some(text) => Some(parse_addr("GATEHOUSE_METRICS_ADDR", Some(text), "127.0.0.1:9100")?),
            None => None,
        };

        let admin = match (get("GATEHOUSE_ADMIN_EMAIL"), get("GATEHOUSE_ADMIN_PASSWORD")) {
            (None, None) => None,
            (Some(_), None) => return Err(bad("GATEHOUSE_ADMIN_PASSWORD", "is missing: set it together with GATEHOUSE_ADMIN_EMAIL")),
            (None, Some(_)) => return Err(bad("GATEHOUSE_ADMIN_EMAIL", "is missing: set it together with GATEHOUSE_ADMIN_PASSWORD")),
            (Some(email), Some(password)) => {
                if !email.contains('@') {
                    return Err(bad("GATEHOUSE_ADMIN_EMAIL", format!("'{email}' is not an email address")));
                }
                services::auth::validate_password("password", &password).map_err(|e| bad("GATEHOUSE_ADMIN_PASSWORD", format!("is too weak: {e}")))?;
                Some((email, password))
            }
        };

        let mut gateway = gateway::Settings::default();
        if let Some(text) = get("GATEHOUSE_GATEWAY_THREADS") {
            gateway.threads =
                number(&text, 1..=1024).ok_or_else(|| bad("GATEHOUSE_GATEWAY_THREADS", format!("'{text}' is not a thread count from 1 to 1024")))?;
        }
        if let Some(url) = get("GATEHOUSE_REDIS_URL") {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(bad("GATEHOUSE_REDIS_URL", "must start with redis:// or rediss:// (for example redis://127.0.0.1:6379)"));
            }
            gateway.redis_url = Some(url);
        }
        if let Some(text) = get("GATEHOUSE_TRUSTED_PROXIES") {
            gateway.trusted_proxies = gateway::TrustedProxies::parse(&text).map_err(|p| bad("GATEHOUSE_TRUSTED_PROXIES", p))?;
        }
        let limits = &mut gateway.limits;
        for (var, limit) in [
            ("GATEHOUSE_HEADER_TIMEOUT", &mut limits.header_timeout),
            ("GATEHOUSE_IDLE_TIMEOUT", &mut limits.idle_timeout),
            ("GATEHOUSE_DRAIN_TIMEOUT", &mut limits.drain_timeout),
        ] {
            if let Some(text) = get(var) {
                let seconds = number(&text, 1..=3600).ok_or_else(|| bad(var, format!("'{text}' is not a number of seconds from 1 to 3600")))?;
                *limit = Duration::from_secs(seconds as u64);
            }
        }
        if let Some(text) = get("GATEHOUSE_MAX_CONNECTIONS") {
            limits.max_connections = number(&text, 1..=1_000_000)
                .ok_or_else(|| bad("GATEHOUSE_MAX_CONNECTIONS", format!("'{text}' is not a connection count from 1 to 1000000")))?;
        }

        let drain_delay = match get("GATEHOUSE_DRAIN_DELAY") {
            Some(text) => Duration::from_secs(
                number(&text, 0..=600).ok_or_else(|| bad("GATEHOUSE_DRAIN_DELAY", format!("'{text}' is not a number of seconds from 0 to 600")))? as u64,
            ),
            None => Duration::ZERO,
        };

        let mut acme = services::domains::acme::AcmeSettings::default();
        if let Some(path) = get("GATEHOUSE_ACME_CA_FILE") {
            let text = std::fs::read_to_string(path.trim()).map_err(|e| bad("GATEHOUSE_ACME_CA_FILE", format!("cannot be read ({}): {e}", path.trim())))?;
            acme.extra_roots =
                services::certificates::read_pem_chain(&text).map_err(|e| bad("GATEHOUSE_ACME_CA_FILE", format!("holds no usable certificate: {e}")))?;
        }
        if let Some(text) = get("GATEHOUSE_ACME_CHECK_SECS") {
            let seconds =
                number(&text, 1..=86_400).ok_or_else(|| bad("GATEHOUSE_ACME_CHECK_SECS", format!("'{text}' is not a number of seconds from 1 to 86400")))?;
            acme.check_every = Duration::from_secs(seconds as u64);
        }

        Ok(Config { data_dir, database_url, master_key, portal_addr, public_url, portal_tls, metrics_token, metrics_addr, admin, gateway, acme, drain_delay })
    }
}

fn number(text: &str, range: std::ops::RangeInclusive<usize>) -> Option<usize> {
    text.trim().parse::<usize>().ok().filter(|n| range.contains(n))
}

pub fn parse_addr(var: &'static str, value: Option<String>, default: &str) -> Result<SocketAddr, ConfigError> {
    let text = value.unwrap_or_else(|| default.to_string());
    text.trim().parse().map_err(|_| bad(var, format!("'{text}' is not an address with a port, such as {default}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_variables() {
        let c = config(&[]).unwrap();
        assert_eq!(c.portal_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(c.database_url.starts_with("sqlite://./data/gatehouse.db"));
        assert!(matches!(c.master_key, MasterKeySource::File(p) if p.ends_with("master.key")));
        assert!(c.admin.is_none());
        assert!(c.gateway.threads >= 1);
        assert_eq!(c.gateway.limits, gateway::Limits::default());
        assert_eq!(c.gateway.trusted_proxies, gateway::TrustedProxies::default());
        assert_eq!(c.drain_delay, Duration::ZERO);
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("GATEHOUSE_PORTAL_ADDR", "localhost")], "GATEHOUSE_PORTAL_ADDR"),
            (&[("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (&[("GATEHOUSE_REDIS_URL", "127.0.0.1:6379")], "GATEHOUSE_REDIS_URL"),
            (&[("GATEHOUSE_MASTER_KEY", "short")], "GATEHOUSE_MASTER_KEY"),
            (&[("GATEHOUSE_ADMIN_EMAIL", "a@b.c")], "GATEHOUSE_ADMIN_PASSWORD"),
            (&[("GATEHOUSE_ADMIN_EMAIL", "a@b.c"), ("GATEHOUSE_ADMIN_PASSWORD", "short")], "GATEHOUSE_ADMIN_PASSWORD"),
            (&[("GATEHOUSE_GATEWAY_THREADS", "0")], "GATEHOUSE_GATEWAY_THREADS"),
            (&[("GATEHOUSE_GATEWAY_THREADS", "many")], "GATEHOUSE_GATEWAY_THREADS"),
            (&[("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/33")], "GATEHOUSE_TRUSTED_PROXIES"),
            (&[("GATEHOUSE_HEADER_TIMEOUT", "0")], "GATEHOUSE_HEADER_TIMEOUT"),
            (&[("GATEHOUSE_IDLE_TIMEOUT", "1m")], "GATEHOUSE_IDLE_TIMEOUT"),
            (&[("GATEHOUSE_DRAIN_TIMEOUT", "-1")], "GATEHOUSE_DRAIN_TIMEOUT"),
            (&[("GATEHOUSE_DRAIN_DELAY", "601")], "GATEHOUSE_DRAIN_DELAY"),
            (&[("GATEHOUSE_MAX_CONNECTIONS", "0")], "GATEHOUSE_MAX_CONNECTIONS"),
            (&[("GATEHOUSE_PUBLIC_URL", "console.example.com")], "GATEHOUSE_PUBLIC_URL"),
            (&[("GATEHOUSE_METRICS_TOKEN", "short")], "GATEHOUSE_METRICS_TOKEN"),
            (&[("GATEHOUSE_METRICS_ADDR", "9100")], "GATEHOUSE_METRICS_ADDR"),
            (&[("GATEHOUSE_PORTAL_TLS_CERT", "/etc/console.pem")], "GATEHOUSE_PORTAL_TLS_KEY"),
            (&[("GATEHOUSE_PORTAL_TLS_KEY", "/etc/console.key")], "GATEHOUSE_PORTAL_TLS_CERT"),
            (&[("GATEHOUSE_PORTAL_TLS_CERT", "/nonexistent/c.pem"), ("GATEHOUSE_PORTAL_TLS_KEY", "/nonexistent/k.pem")], "GATEHOUSE_PORTAL_TLS_CERT"),
        ];
        for (vars, var) in cases {
            let err = config(vars).unwrap_err();
            assert_eq!(err.var, *var);
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }

    #[test]
    fn explicit_values_are_used() {
        let c = config(&[
            ("GATEHOUSE_DATA_DIR", "/tmp/gh"),
            ("GATEHOUSE_PORTAL_ADDR", "127.0.0.1:4000"),
            ("GATEHOUSE_MASTER_KEY", &"ab".repeat(32)),
            ("GATEHOUSE_ADMIN_EMAIL", "root@example.test"),
            ("GATEHOUSE_ADMIN_PASSWORD", "a long password"),
            ("GATEHOUSE_GATEWAY_THREADS", "3"),
            ("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8"),
            ("GATEHOUSE_HEADER_TIMEOUT", "2"),
            ("GATEHOUSE_MAX_CONNECTIONS", "500"),
            ("GATEHOUSE_DRAIN_DELAY", "5"),
        ])
        .unwrap();
        assert_eq!(c.drain_delay, Duration::from_secs(5));
        assert_eq!(c.gateway.threads, 3);
        assert!(c.gateway.trusted_proxies.contains("10.1.1.1".parse().unwrap()));
        assert_eq!(c.gateway.limits.header_timeout, Duration::from_secs(2));
        assert_eq!(c.gateway.limits.max_connections, 500);
        assert_eq!(c.portal_addr.port(), 4000);
        assert!(c.database_url.contains("/tmp/gh/gatehouse.db"));
        assert!(matches!(c.master_key, MasterKeySource::Env(_)));
        assert_eq!(c.admin.unwrap().0, "root@example.test");
    }
}
