//! Slows down password guessing, per account and per client address. Each attempt is counted
//! from the moment it starts (`LoginThrottle::begin`), not when its password check ends, so a
//! burst of parallel guesses cannot all slip in before the first failure is recorded: an
//! account has at most `FREE_ATTEMPTS` checks failed or in flight, an address
//! `FREE_ATTEMPTS_PER_ADDRESS`. Past that, attempts are refused for a lock-out that doubles with
//! each further failure (capped). Unknown emails count like known ones, so the answer never
//! tells which exist. Kept in memory, bounded: a restart forgets it.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FREE_ATTEMPTS: u32 = 5;
/// More than one account's worth: several people may sign in from behind one address.
const FREE_ATTEMPTS_PER_ADDRESS: u32 = 20;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const BASE_LOCKOUT: Duration = Duration::from_secs(30);
const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Records kept per map before the ones outside the window (and then the unlocked ones) go.
const MAX_RECORDS: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    state: Arc<Mutex<Maps>>,
}

#[derive(Default)]
struct Maps {
    accounts: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
}

#[derive(Default)]
struct Failures {
    count: u32,
    in_flight: u32,
    first: Option<Instant>,
    locked_until: Option<Instant>,
}

impl Failures {
    /// `Err(seconds)` when no further attempt may start now.
    fn admit(&self, free: u32, now: Instant) -> Result<(), u64> {
        if let Some(until) = self.locked_until.filter(|until| *until > now) {
            return Err((until - now).as_secs().max(1));
        }
        // Within the free attempts, the ones in flight count as failed until they end; after a
        // lock-out has passed, one attempt at a time.
        let full = if self.count >= free { self.in_flight > 0 } else { self.count + self.in_flight >= free };
        if full {
            // The checks in flight decide: ask again in a moment.
            return Err(1);
        }
        Ok(())
    }

    fn fail(&mut self, free: u32, now: Instant) {
        if self.first.is_none_or(|first| now.duration_since(first) > WINDOW) {
            *self = Failures { in_flight: self.in_flight, first: Some(now), ..Failures::default() };
        }
        self.count += 1;
        if self.count >= free {
            let doublings = (self.count - free).min(10);
            self.locked_until = Some(now + (BASE_LOCKOUT * 2u32.pow(doublings)).min(MAX_LOCKOUT));
        }
    }

    /// Whether the record says anything worth keeping at `now`.
    fn matters(&self, now: Instant) -> bool {
        self.in_flight > 0 || self.locked_until.is_some_and(|u| u > now) || self.first.is_some_and(|f| now.duration_since(f) <= WINDOW)
    }
}

/// One sign-in attempt, counted while its password check runs. Say how it ended with
/// `succeeded` or `failed`; dropped without either (an error), it only stops counting.
pub struct Attempt {
    state: Arc<Mutex<Maps>>,
    account: String,
    address: Option<IpAddr>,
}

impl LoginThrottle {
    /// Starts an attempt for `account` from `address`, or says in how many seconds to try again.
    pub fn begin(&self, account: &str, address: Option<IpAddr>) -> Result<Attempt, u64> {
        self.begin_at(account, address, Instant::now())
    }

    fn lock(state: &Mutex<Maps>) -> std::sync::MutexGuard<'_, Maps> {
        // A panic while holding this lock cannot leave the maps inconsistent; keep going.
        state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn begin_at(&self, account: &str, address: Option<IpAddr>, now: Instant) -> Result<Attempt, u64> {
        let mut maps = Self::lock(&self.state);
        let Maps { accounts, addresses } = &mut *maps;
        if let Some(failures) = address.and_then(|a| addresses.get(&a)) {
            failures.admit(FREE_ATTEMPTS_PER_ADDRESS, now)?;
        }
        if let Some(failures) = accounts.get(account) {
            failures.admit(FREE_ATTEMPTS, now)?;
        }
        bound(accounts, now);
        bound(addresses, now);
        accounts.entry(account.to_string()).or_default().in_flight += 1;
        if let Some(address) = address {
            addresses.entry(address).or_default().in_flight += 1;
        }
        Ok(Attempt { state: self.state.clone(), account: account.to_string(), address })
    }
}

/// Keeps a map within `MAX_RECORDS`: first the records that no longer matter go, then (under a
/// flood of made-up emails) the oldest unlocked ones; records of attempts in flight stay.
fn bound<K: std::hash::Hash + Eq + Clone>(map: &mut HashMap<K, Failures>, now: Instant) {
    if map.len() < MAX_RECORDS {
        return;
    }
    map.retain(|_, f| f.matters(now));
    if map.len() >= MAX_RECORDS {
        map.retain(|_, f| f.in_flight > 0 || f.locked_until.is_some_and(|u| u > now));
    }
}

impl Attempt {
    pub fn succeeded(self) {
        let mut maps = LoginThrottle::lock(&self.state);
        // The account's record goes; the address keeps what others did from it.
        maps.accounts.remove(&self.account);
    }

    pub fn failed(self) {
        self.failed_at(Instant::now())
    }

    fn failed_at(&self, now: Instant) {
        let mut maps = LoginThrottle::lock(&self.state);
        if let Some(f) = maps.accounts.get_mut(&self.account) {
            f.fail(FREE_ATTEMPTS, now);
        }
        if let Some(f) = self.address.and_then(|a| maps.addresses.get_mut(&a)) {
            f.fail(FREE_ATTEMPTS_PER_ADDRESS, now);
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let mut maps = LoginThrottle::lock(&self.state);
        if let Some(f) = maps.accounts.get_mut(&self.account) {
            f.in_flight = f.in_flight.saturating_sub(1);
        }
        if let Some(f) = self.address.and_then(|a| maps.addresses.get_mut(&a)) {
            f.in_flight = f.in_flight.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADA: &str = "ada@example.test";

    fn fail(throttle: &LoginThrottle, account: &str, address: Option<IpAddr>, now: Instant) {
        throttle.begin_at(account, address, now).unwrap().failed_at(now);
    }

    #[test]
    fn locks_after_repeated_failures_and_unlocks_later() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..FREE_ATTEMPTS - 1 {
            fail(&throttle, ADA, None, start);
        }
        assert!(throttle.begin_at(ADA, None, start).is_ok());
        fail(&throttle, ADA, None, start);
        let wait = throttle.begin_at(ADA, None, start).err().unwrap();
        assert_eq!(wait, BASE_LOCKOUT.as_secs());
        // Other accounts are unaffected.
        assert!(throttle.begin_at("b@example.test", None, start).is_ok());
        let later = start + BASE_LOCKOUT + Duration::from_secs(1);
        // The next failure doubles the lock-out.
        fail(&throttle, ADA, None, later);
        assert_eq!(throttle.begin_at(ADA, None, later).err().unwrap(), 2 * BASE_LOCKOUT.as_secs());
    }

    #[test]
    fn attempts_in_flight_count_before_they_fail() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let burst: Vec<Attempt> = (0..FREE_ATTEMPTS).map(|_| throttle.begin_at(ADA, None, now).unwrap()).collect();
        assert_eq!(throttle.begin_at(ADA, None, now).err(), Some(1), "a sixth guess waits for the five in flight");
        drop(burst);
        assert!(throttle.begin_at(ADA, None, now).is_ok(), "ended without a verdict, they no longer count");
        let ok = throttle.begin_at(ADA, None, now).unwrap();
        ok.succeeded();
    }

    #[test]
    fn one_address_guessing_many_accounts_is_locked_out_too() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let attacker: IpAddr = "203.0.113.9".parse().unwrap();
        for i in 0..FREE_ATTEMPTS_PER_ADDRESS {
            fail(&throttle, &format!("user{i}@example.test"), Some(attacker), now);
        }
        assert!(throttle.begin_at("fresh@example.test", Some(attacker), now).is_err());
        assert!(throttle.begin_at("fresh@example.test", Some("198.51.100.1".parse().unwrap()), now).is_ok(), "other addresses are not");
    }

    #[test]
    fn a_flood_of_made_up_accounts_stays_bounded() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_RECORDS * 3) {
            fail(&throttle, &format!("nobody{i}@example.test"), None, now);
        }
        assert!(LoginThrottle::lock(&throttle.state).accounts.len() <= MAX_RECORDS);
    }
}
