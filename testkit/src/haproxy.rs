//! Debian's `haproxy` in front of several gateway nodes, as the README's example runs it: TCP
//! passthrough (the nodes terminate TLS, so client certificates reach them), round robin, and
//! an HTTP health check of each node's `/api/v1/ready` on its portal address every 100 ms. A
//! connection refused by a node that has stopped is redispatched to another. Its stats socket
//! says which nodes it sends callers to.
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct HAProxy {
    child: Child,
    dir: tempfile::TempDir,
    /// Where callers connect: 127.0.0.1:`port`.
    pub port: u16,
}

impl Drop for HAProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One node behind the balancer: its gateway's port (traffic) and its portal's (the check).
pub struct Node {
    pub name: String,
    pub gateway_port: u16,
    pub portal_port: u16,
}

pub fn config(port: u16, socket: &std::path::Path, nodes: &[Node]) -> String {
    let mut text = format!(
        "global\n    maxconn 4096\n    stats socket {} mode 600 level admin\n\
         defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n    retries 3\n    option redispatch\n\
         frontend gateways\n    bind 127.0.0.1:{port}\n    default_backend nodes\n\
         backend nodes\n    balance roundrobin\n    option httpchk GET /api/v1/ready\n    http-check expect status 200\n\
         \x20   default-server inter 100ms fastinter 100ms downinter 100ms fall 2 rise 2\n",
        socket.display()
    );
    for node in nodes {
        text.push_str(&format!("    server {} 127.0.0.1:{} check port {}\n", node.name, node.gateway_port, node.portal_port));
    }
    text
}

pub fn start(nodes: &[Node]) -> HAProxy {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = dir.path().join("haproxy.cfg");
    std::fs::write(&conf, config(port, &dir.path().join("admin.sock"), nodes)).unwrap();
    // Debian puts it in /usr/sbin, which a plain user's PATH may not have.
    let exe = if std::path::Path::new("/usr/sbin/haproxy").exists() { "/usr/sbin/haproxy" } else { "haproxy" };
    let check = Command::new(exe).args(["-c", "-q", "-f"]).arg(&conf).output().expect("haproxy is installed (make test installs Debian's haproxy)");
    assert!(check.status.success(), "haproxy refused its configuration: {}", String::from_utf8_lossy(&check.stderr));
    let log = std::fs::File::create(dir.path().join("haproxy.log")).unwrap();
    let mut child = Command::new(exe)
        .arg("-db")
        .arg("-f")
        .arg(&conf)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start haproxy");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("haproxy exited ({status}): {}", std::fs::read_to_string(dir.path().join("haproxy.log")).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "haproxy did not listen on 127.0.0.1:{port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    HAProxy { child, dir, port }
}

impl HAProxy {
    /// The nodes HAProxy's checks say are up (`UP`, including `UP 1/2` while going down).
    pub fn up(&self) -> Vec<String> {
        let mut socket = std::os::unix::net::UnixStream::connect(self.dir.path().join("admin.sock")).expect("haproxy's stats socket");
        socket.write_all(b"show stat\n").unwrap();
        let mut csv = String::new();
        socket.read_to_string(&mut csv).unwrap();
        // pxname,svname,…; the 18th column is the status.
        csv.lines()
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|f| f.len() > 17 && f[0] == "nodes" && f[1] != "BACKEND" && f[17].starts_with("UP"))
            .map(|f| f[1].to_string())
            .collect()
    }

    /// Waits up to `bound` until exactly `names` are up.
    pub fn wait_for_up(&self, names: &[&str], bound: Duration) {
        let until = Instant::now() + bound;
        loop {
            let mut up = self.up();
            up.sort();
            if up == names {
                return;
            }
            assert!(Instant::now() < until, "haproxy's nodes up: {up:?}, expected {names:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
