//! Debian's PostgreSQL as a throwaway server: `initdb` into a temporary directory, `postgres`
//! listening on a 127.0.0.1 port chosen at run time (no Unix socket outside that directory),
//! durability off (a test server), stopped and deleted on drop. PostgreSQL refuses to run as
//! root; as root the server runs as the `postgres` user (or `nobody`), which owns the directory.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Postgres {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
    /// `postgres://gatehouse@127.0.0.1:<port>/postgres`: the superuser on the maintenance database.
    pub admin_url: String,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Postgres {
    /// `postgres://gatehouse@127.0.0.1:<port>/<name>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://gatehouse@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates an empty database (its name: letters, digits and `_`).
    pub fn create_database(&self, name: &str) -> String {
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "database name {name}");
        self.psql(&format!("CREATE DATABASE {name}"));
        self.url(name)
    }

    /// Runs one SQL command through Debian's `psql`, panicking with its output when it fails.
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", &self.admin_url, "-c", sql])
            .output()
            .expect("psql is installed (make test installs Debian's postgresql)");
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Stops the server (fast shutdown: connections are closed) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data (after `stop`).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the server is running");
        self.child = Some(run_server(self.dir.path(), self.port));
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

/// Where Debian keeps the server's programs: `$PG_BINDIR`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
fn bindir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (make test installs Debian's postgresql)")
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p)| p.join("postgres").exists())
        .collect();
    found.sort();
    found.pop().expect("a PostgreSQL server under /usr/lib/postgresql").1
}

/// The user the server runs as when this process is root.
fn unprivileged() -> Option<(u32, u32)> {
    let id = |flag: &str, user: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    if !is_root() {
        return None;
    }
    ["postgres", "nobody"].iter().find_map(|user| Some((id("-u", user)?, id("-g", user)?)))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn as_server_user(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = unprivileged() {
        command.uid(uid).gid(gid);
    }
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// initdb into a new temporary directory, then the server on a free port, ready for connections.
pub fn start() -> Postgres {
    let dir = tempfile::tempdir().unwrap();
    if let Some((uid, gid)) = unprivileged() {
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
    }
    let data = dir.path().join("data");
    let out = as_server_user(&mut Command::new(bindir().join("initdb")))
        .args(["-D", data.to_str().unwrap(), "-U", "gatehouse", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        .output()
        .expect("initdb runs");
    assert!(out.status.success(), "initdb: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let port = free_port();
    let child = run_server(dir.path(), port);
    Postgres { child: Some(child), port, admin_url: format!("postgres://gatehouse@127.0.0.1:{port}/postgres"), dir }
}

/// Starts `postgres` on `dir/data` and waits until it accepts connections.
fn run_server(dir: &Path, port: u16) -> Child {
    let log = dir.join("postgres.log");
    let output = || Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap());
    if let Some((uid, gid)) = unprivileged() {
        let _ = std::os::unix::fs::chown(&log, Some(uid), Some(gid));
    }
    let mut child = as_server_user(&mut Command::new(bindir().join("postgres")))
        .args(["-D", dir.join("data").to_str().unwrap(), "-p", &port.to_string(), "-k", dir.to_str().unwrap()])
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
        .args(["-c", "max_connections=300", "-c", "shared_buffers=32MB"])
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("postgres starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Command::new("psql")
            .args(["-X", "-q", "-d", &format!("postgres://gatehouse@127.0.0.1:{port}/postgres"), "-c", "SELECT 1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut text = String::new();
            let _ = std::fs::File::open(&log).and_then(|mut f| f.read_to_string(&mut text));
            panic!("postgres exited ({status}):\n{text}");
        }
        assert!(Instant::now() < deadline, "postgres did not accept connections on 127.0.0.1:{port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
