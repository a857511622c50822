//! The gateway's own threads, as nginx has worker processes: each runs a single-threaded tokio
//! runtime that accepts on every environment's listening socket (one socket, bound once, shared
//! by all threads as nginx's workers share theirs) and serves each connection it accepts to the
//! end. One bind means a port already taken fails the start, as it should; SO_REUSEPORT would
//! let a second Gatehouse on the same port quietly take half of the connections.
//!
//! Why not the console's runtime: console work (database calls, page rendering, password
//! hashing) then never holds up a request through the gateway; and on a single-threaded runtime
//! the tasks of one request (the client's connection, the backend's pooled connection) hand
//! over to each other without the cross-thread wake-ups and atomics of the work-stealing one.
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::runtime::Handle;

/// Connections the kernel holds finished for the gateway threads to accept. Rust's
/// `std::net::TcpListener::bind` asks for 128, which a burst of new callers overflows while a
/// thread is busy (the kernel then drops their SYNs and they wait a second to retry); nginx
/// asks for 511, HAProxy and Go (Caddy) for 4096. The kernel caps it at
/// `net.core.somaxconn`.
pub const BACKLOG: i32 = 4096;

/// Binds and listens on `addr` with `BACKLOG`, as `std::net::TcpListener::bind` does otherwise
/// (SO_REUSEADDR, so a restart is not refused while old connections sit in TIME_WAIT).
pub fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// How many gateway threads to run when `GATEHOUSE_GATEWAY_THREADS` is not set: one per core
/// this process may run on (a `taskset` to one core gives one).
pub fn default_count() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

/// Running gateway threads; each lives as long as the process.
pub struct Workers {
    handles: Vec<Handle>,
}

impl Workers {
    pub fn start(count: usize) -> Result<Workers, String> {
        let count = count.max(1);
        let mut handles = Vec::with_capacity(count);
        for i in 0..count {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start gateway thread {i}: {e}"))?;
            handles.push(runtime.handle().clone());
            std::thread::Builder::new()
                .name(format!("gateway-{i}"))
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .map_err(|e| format!("cannot start gateway thread {i}: {e}"))?;
        }
        Ok(Workers { handles })
    }

    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Runs `serve` on every thread, each with its own handle of `socket` (a bound, listening
    /// socket).
    pub fn serve<F, Fut>(&self, socket: std::net::TcpListener, serve: F) -> std::io::Result<()>
    where
        F: Fn(TcpListener) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        socket.set_nonblocking(true)?;
        for handle in &self.handles {
            // Registered with the runtime of the thread that will accept on it.
            let _inside = handle.enter();
            let listener = TcpListener::from_std(socket.try_clone()?)?;
            handle.spawn(serve(listener));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpStream};
    use std::time::Duration;

    #[test]
    fn the_listening_socket_holds_more_than_std_s_128_waiting_connections() {
        let listener = listen((Ipv4Addr::LOCALHOST, 0).into()).unwrap();
        let addr = listener.local_addr().unwrap();
        // Nothing accepts: every connection that completes waits in the backlog. With std's
        // 128 the kernel drops SYNs past 129 and these connects time out. A kernel whose
        // `net.core.somaxconn` is below 300 (before Linux 5.4 it was 128) caps any backlog.
        let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn").ok().and_then(|s| s.trim().parse::<usize>().ok()).unwrap_or(4096);
        let count = cap.min(300);
        let waiting: Vec<TcpStream> =
            (0..count).map(|i| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).unwrap_or_else(|e| panic!("connection {i}: {e}"))).collect();
        assert_eq!(waiting.len(), count);
        let taken = std::net::TcpListener::bind(addr).expect_err("the port is taken while we listen");
        assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
    }
}
