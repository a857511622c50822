//! The real `gatehouse` binary on a temporary data directory, every listener on a 127.0.0.1 port
//! chosen at run time, with the addresses it prints read back: the console's and each
//! environment's gateway's.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Gatehouse {
    child: Child,
    exe: String,
    pub base: String,
    /// Each environment's gateway URL, by name ("Development").
    pub gateways: std::collections::HashMap<String, String>,
    /// The metrics listener's URL, when GATEHOUSE_METRICS_ADDR is set.
    pub metrics: Option<String>,
    data: Option<tempfile::TempDir>,
    /// Variables set on top of the defaults, kept for a restart.
    env: Vec<(String, String)>,
    /// Arguments (`gateway` for a gateway-only node), kept for a restart.
    args: Vec<String>,
}

impl Drop for Gatehouse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gatehouse {
    /// Stops this server and starts another on the same data directory.
    pub fn restart(mut self) -> Gatehouse {
        let data = self.data.take().unwrap();
        let _ = self.child.kill();
        let _ = self.child.wait();
        start_in(&self.exe, &self.args, data, &self.env)
    }

    /// After `terminate`: waits up to `bound` for a clean exit, then starts another on the same
    /// data directory, variables and arguments (the same addresses when they were set: a
    /// rolling restart behind a load balancer).
    pub fn start_again(mut self, bound: std::time::Duration) -> Gatehouse {
        let status = self.exited_within(bound).unwrap_or_else(|| panic!("gatehouse did not stop within {bound:?} of SIGTERM"));
        assert!(status.success(), "gatehouse stopped with {status}");
        let data = self.data.take().unwrap();
        start_in(&self.exe, &self.args, data, &self.env)
    }

    /// The process's resident memory, in KiB (VmRSS).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a service manager stops it.
    pub fn terminate(&self) {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `bound` for the process to exit; its status, or `None` if it is still running.
    pub fn exited_within(&mut self, bound: std::time::Duration) -> Option<std::process::ExitStatus> {
        let until = std::time::Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() >= until {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// A process's resident memory, in KiB (VmRSS); 0 once it has gone.
pub fn rss_kib(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return 0 };
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|kib| kib.parse().ok()).unwrap_or(0)
}

pub const ADMIN_EMAIL: &str = "root@example.test";
pub const ADMIN_PASSWORD: &str = "a long admin password";

/// Starts `exe` (a test's `env!("CARGO_BIN_EXE_gatehouse")`) on a fresh data directory.
pub fn start(exe: &str) -> Gatehouse {
    start_with(exe, &[])
}

/// As `start`, with more environment variables (or other values for the defaults).
pub fn start_with(exe: &str, env: &[(&str, &str)]) -> Gatehouse {
    start_args(exe, &[], env)
}

/// As `start_with`, with arguments: `&["gateway"]` starts a gateway-only node (`base` is then
/// its health listener).
pub fn start_args(exe: &str, args: &[&str], env: &[(&str, &str)]) -> Gatehouse {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
    let args = args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    start_in(exe, &args, tempfile::tempdir().unwrap(), &env)
}

/// Starts `exe` as `start_args` does and expects it to refuse to start: its exit within 20 s,
/// with a failure status; what it wrote to stderr.
pub fn refused(exe: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let data = tempfile::tempdir().unwrap();
    let mut child = command(exe, args, data.path(), env.iter().copied()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start gatehouse");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() >= until {
            let _ = child.kill();
            panic!("gatehouse started (it was expected to refuse)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "gatehouse exited successfully: {stderr}");
    stderr
}

/// `exe` with `args` on the data directory `data`, every listener on a port chosen at run time,
/// the first administrator, warnings only in the log, and `env` on top.
fn command<K: AsRef<std::ffi::OsStr>, V: AsRef<std::ffi::OsStr>>(
    exe: &str,
    args: impl IntoIterator<Item = impl AsRef<std::ffi::OsStr>>,
    data: &std::path::Path,
    env: impl IntoIterator<Item = (K, V)>,
) -> Command {
    let mut command = Command::new(exe);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GATEHOUSE_DATA_DIR", data)
        .env("GATEHOUSE_PORTAL_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_PRODUCTION_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("GATEHOUSE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .envs(env);
    command
}

fn start_in(exe: &str, args: &[String], data: tempfile::TempDir, env: &[(String, String)]) -> Gatehouse {
    let mut child =
        command(exe, args, data.path(), env.iter().map(|(k, v)| (k, v))).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("start gatehouse");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut gateways = std::collections::HashMap::new();
    let mut metrics = None;
    let base = loop {
        let line = lines.next().expect("gatehouse exited before printing its address").unwrap();
        if let Some(url) = line.strip_prefix("Gatehouse metrics: ") {
            metrics = Some(url.trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("Gatehouse gateway (") {
            if let Some((name, url)) = rest.split_once("): ") {
                gateways.insert(name.to_string(), url.trim().to_string());
            }
        }
        if let Some(url) = line.strip_prefix("Gatehouse console: ") {
            break url.trim().to_string();
        }
        if let Some(rest) = line.strip_prefix("Gatehouse node: ") {
            break rest.split_whitespace().next().unwrap_or_default().to_string();
        }
    };
    // The gateway lines come right after the console line.
    while gateways.len() < 2 {
        let line = lines.next().expect("gatehouse exited before printing its gateways").unwrap();
        if let Some((name, url)) = line.strip_prefix("Gatehouse gateway (").and_then(|rest| rest.split_once("): ")) {
            gateways.insert(name.to_string(), url.trim().to_string());
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Gatehouse { child, exe: exe.to_string(), base, gateways, metrics, data: Some(data), env: env.to_vec(), args: args.to_vec() }
}
