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
use tokio::net::TcpListener;
use tokio::runtime::Handle;

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
