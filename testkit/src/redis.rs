//! Debian's `redis-server` as a throwaway instance: 127.0.0.1 on a port chosen at run time, no
//! persistence, its directory deleted on drop; stopped and started again on the same port to
//! test what happens while it is away.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Redis {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
    /// `redis://127.0.0.1:<port>`
    pub url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Redis {
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "redis-server is running");
        self.child = Some(run(self.dir.path(), self.port));
    }
}

fn run(dir: &std::path::Path, port: u16) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("redis.log")).unwrap();
    let mut child = Command::new(std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into()))
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no", "--dir", dir.to_str().unwrap()])
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("redis-server is installed (make test installs Debian's redis-server)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("redis-server exited ({status}): {}", std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "redis-server did not listen on 127.0.0.1:{port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

pub fn start() -> Redis {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = run(dir.path(), port);
    Redis { child: Some(child), dir, port, url: format!("redis://127.0.0.1:{port}") }
}
