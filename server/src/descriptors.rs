//! The process's table of file descriptors, grown once at start.
//!
//! Linux grows a process's descriptor table by doubling it when a new descriptor does not fit,
//! and in a process with several threads each growth waits for an RCU grace period
//! (`expand_files` → `synchronize_rcu`) while the thread that opened the socket sits blocked:
//! milliseconds, on a virtual machine at times far more. A burst of new connections (say 128
//! HTTP/2 streams needing 128 backend connections just after a start) paid several such waits in
//! the middle of serving them, on the gateway thread. Growing the table once here, before the
//! runtimes start, costs 8 bytes a slot and no wait later (bench/PROFILE.md, seventh section).
use std::os::fd::AsRawFd;

/// Slots made room for at start: a gateway with this many connections (callers and backends)
/// open never grows its table again; past it, the table doubles as before.
pub const RESERVED: u64 = 16_384;

/// Grows the table to at least `slots` (no more than the open-files limit allows): a
/// descriptor is duplicated to the lowest free number from `slots - 1` up, then closed. The
/// table does not shrink again. No descriptor in use is touched.
pub fn reserve(slots: u64) -> std::io::Result<()> {
    let Ok(target) = libc::c_int::try_from(slots.saturating_sub(1)) else {
        return Err(std::io::Error::other("too many slots"));
    };
    let null = std::fs::File::open("/dev/null")?;
    // SAFETY: F_DUPFD_CLOEXEC duplicates a descriptor we own to a free number (never one in
    // use); the copy is closed at once and referred to nowhere else.
    let copy = unsafe { libc::fcntl(null.as_raw_fd(), libc::F_DUPFD_CLOEXEC, target) };
    if copy < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `copy` was just opened above and is owned by no one else.
    unsafe { libc::close(copy) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_size() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("FDSize:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn the_table_is_grown_once_and_stays_grown() {
        rlimit::increase_nofile_limit(8192).unwrap();
        reserve(4096).unwrap();
        assert!(table_size() >= 4096, "FDSize {}", table_size());
        // Later descriptors take the lowest free numbers as ever, and the table stays as large.
        let file = std::fs::File::open("/dev/null").unwrap();
        assert!(file.as_raw_fd() < 4000);
        drop(file);
        assert!(table_size() >= 4096);
    }
}
