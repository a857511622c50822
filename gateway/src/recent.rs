//! The gateway's recent failed calls to backends, with their full detail: what the caller was
//! not told (the backend's host and port, the certificate, the fix). The publisher finds one by
//! the request id the caller got (the Test page, REST) or lists a proxy's latest. Kept in
//! memory, the newest `KEPT` of this process; written only when a call fails.
use std::collections::VecDeque;
use std::sync::Mutex;

const KEPT: usize = 1_000;

/// One failed call, as the publisher sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRequest {
    pub request_id: String,
    pub environment: String,
    pub proxy_id: i32,
    pub method: String,
    pub path: String,
    pub code: &'static str,
    /// The full message, with the fix.
    pub message: String,
    pub at: time::OffsetDateTime,
}

#[derive(Default)]
pub struct RecentFailures {
    entries: Mutex<VecDeque<FailedRequest>>,
}

impl RecentFailures {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<FailedRequest>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn record(&self, failed: FailedRequest) {
        let mut entries = self.lock();
        if entries.len() == KEPT {
            entries.pop_front();
        }
        entries.push_back(failed);
    }

    pub fn find(&self, request_id: &str) -> Option<FailedRequest> {
        self.lock().iter().rev().find(|f| f.request_id == request_id).cloned()
    }

    /// A proxy's failures, newest first, at most `limit`.
    pub fn of_proxy(&self, proxy_id: i32, limit: usize) -> Vec<FailedRequest> {
        self.lock().iter().rev().filter(|f| f.proxy_id == proxy_id).take(limit).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(id: usize, proxy_id: i32) -> FailedRequest {
        FailedRequest {
            request_id: format!("r{id}"),
            environment: "development".into(),
            proxy_id,
            method: "GET".into(),
            path: "/x".into(),
            code: "upstream_timeout",
            message: "the backend at b.test:443 did not answer".into(),
            at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn keeps_the_newest_and_finds_them_by_id_or_proxy() {
        let recent = RecentFailures::default();
        for id in 0..KEPT + 10 {
            recent.record(failed(id, (id % 2) as i32));
        }
        assert!(recent.find("r5").is_none(), "the oldest went");
        assert_eq!(recent.find(&format!("r{}", KEPT + 9)).unwrap().proxy_id, 1);
        let odd = recent.of_proxy(1, 3);
        assert_eq!(
            odd.iter().map(|f| f.request_id.as_str()).collect::<Vec<_>>(),
            [format!("r{}", KEPT + 9), format!("r{}", KEPT + 7), format!("r{}", KEPT + 5)]
        );
    }
}
