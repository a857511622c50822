//! Debian's `pebble` (an RFC 8555 ACME test server) on 127.0.0.1 ports chosen at run time, with
//! `pebble-challtestsrv` as its DNS server answering 127.0.0.1 for every name, so pebble
//! validates TLS-ALPN-01 challenges against a listener on this machine for real. Its HTTPS
//! certificate is issued by a CA the test makes, which the ACME client must trust.
use crate::pki::{self, TestCert};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Pebble {
    children: Vec<Child>,
    _dir: tempfile::TempDir,
    /// `https://127.0.0.1:<port>/dir`
    pub directory_url: String,
    /// `https://127.0.0.1:<port>`: `/roots/0` is the issuing root (new at every start).
    pub management_url: String,
    /// Where pebble's output goes, to print when a test fails.
    pub log: std::path::PathBuf,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub struct Options {
    /// The port pebble connects to for TLS-ALPN-01 (the gateway listener's).
    pub tls_port: u16,
    /// The life of issued certificates, in seconds (pebble's default is five years).
    pub validity_secs: Option<u64>,
    /// Names pebble refuses to issue for.
    pub blocklist: Vec<String>,
}

/// The pebble binary: `$PEBBLE`, else the packaged one.
pub fn binary(name: &str) -> String {
    std::env::var(format!("{}_BIN", name.to_uppercase().replace('-', "_"))).unwrap_or_else(|_| format!("/usr/bin/{name}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(port: u16, what: &str, log: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on 127.0.0.1:{port}:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts pebble with an HTTPS certificate issued by `ca` (which the ACME client trusts).
pub fn start(ca: &TestCert, options: Options) -> Pebble {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let https = pki::server_leaf(ca, "localhost");
    std::fs::write(file("cert.pem"), &https.cert_pem).unwrap();
    std::fs::write(file("key.pem"), &https.key_pem).unwrap();
    let (acme, management, http, dns, dns_management) = (free_port(), free_port(), free_port(), free_port(), free_port());
    let mut config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{acme}"),
        "managementListenAddress": format!("127.0.0.1:{management}"),
        "certificate": file("cert.pem"),
        "privateKey": file("key.pem"),
        "httpPort": http,
        "tlsPort": options.tls_port,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
        "domainBlocklist": options.blocklist,
    }});
    if let Some(secs) = options.validity_secs {
        config["pebble"]["certificateValidityPeriod"] = secs.into();
    }
    std::fs::write(file("config.json"), config.to_string()).unwrap();
    let log = file("pebble.log");
    let output = || Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap());

    // Every name resolves to 127.0.0.1 (and to no IPv6 address, which pebble would try first).
    let dns_server = Command::new(binary("pebble-challtestsrv"))
        .args(["-dns01", &format!("127.0.0.1:{dns}"), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
        .args(["-http01", "", "-https01", "", "-tlsalpn01", "", "-management", &format!("127.0.0.1:{dns_management}")])
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("pebble-challtestsrv is installed (make test installs Debian's pebble)");
    let mut children = vec![dns_server];
    wait_for(dns_management, "pebble-challtestsrv", &log);
    let acme_server = Command::new(binary("pebble"))
        .args(["-config", file("config.json").to_str().unwrap(), "-strict", "-dnsserver", &format!("127.0.0.1:{dns}")])
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .env("PEBBLE_AUTHZREUSE", "0")
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("pebble is installed (make test installs Debian's pebble)");
    children.push(acme_server);
    wait_for(acme, "pebble", &log);
    wait_for(management, "pebble's management interface", &log);
    Pebble { children, directory_url: format!("https://127.0.0.1:{acme}/dir"), management_url: format!("https://127.0.0.1:{management}"), log, _dir: dir }
}
