//! Failed credentials per client address, counted before the expensive checks. Each address has
//! a budget of failures (a leaky bucket: `burst` at once, `per_minute` regained); once it is
//! spent, the address's password attempts are refused at once, without decrypting the pincode
//! or running argon2, so a flood of wrong passwords from one address costs almost nothing.
//! Only failures spend the budget: an address whose callers succeed is never refused.
//!
//! In memory, per gateway instance (account locks, which must hold everywhere, are in the
//! store). An IPv6 address counts by its /64, which one client can rotate within. Memory stays
//! bounded: when the table is full, addresses back to a full budget are dropped, and if that is
//! not enough the table is cleared (everyone starts again with a full budget, never less).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub struct AddressFailures {
    burst: f64,
    per_second: f64,
    max_tracked: usize,
    /// Per address: failures not yet regained, as of an instant.
    spent: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl AddressFailures {
    pub fn new(burst: u32, per_minute: u32, max_tracked: usize) -> AddressFailures {
        AddressFailures {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_minute.max(1)) / 60.0,
            max_tracked: max_tracked.max(1),
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when `client` has no failure left to spend: it may try again after `wait`.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let spent = self
            .table()
            .get(&key(client))
            .map_or(0.0, |&s| self.left(s, now));
        let over = spent + 1.0 - self.burst;
        if over > 0.0 {
            Err(Duration::from_secs_f64(over / self.per_second))
        } else {
            Ok(())
        }
    }

    /// Spends one failure of `client`'s budget.
    pub fn failed(&self, client: IpAddr) {
        let now = Instant::now();
        let mut table = self.table();
        if table.len() >= self.max_tracked && !table.contains_key(&key(client)) {
            table.retain(|_, spent| self.left(*spent, now) > 0.0);
            if table.len() >= self.max_tracked {
                tracing::warn!(
                    bound = self.max_tracked,
                    "failed-credentials table over its bound; resetting it"
                );
                table.clear();
            }
        }
        let spent = table.get(&key(client)).map_or(0.0, |&s| self.left(s, now));
        table.insert(key(client), ((spent + 1.0).min(self.burst + 1.0), now));
    }

    /// How many addresses are remembered.
    pub fn tracked(&self) -> usize {
        self.table().len()
    }

    /// What is still spent of `(spent, at)` at `now`.
    fn left(&self, (spent, at): (f64, Instant), now: Instant) -> f64 {
        let regained = now.saturating_duration_since(at).as_secs_f64() * self.per_second;
        (spent - regained).max(0.0)
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (f64, Instant)>> {
        self.spent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The address a budget belongs to: IPv4 as is (also when mapped into IPv6), IPv6 by its /64.
fn key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn a_spent_budget_refuses_with_a_wait_and_only_that_address() {
        let failures = AddressFailures::new(3, 60, 100);
        let client = ip("192.0.2.1");
        for _ in 0..3 {
            assert!(failures.check(client).is_ok());
            failures.failed(client);
        }
        let wait = failures.check(client).expect_err("budget spent");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(failures.check(ip("192.0.2.2")).is_ok());
    }

    #[test]
    fn the_budget_is_regained_over_time() {
        // 6000 a minute: one failure regained every 10 ms.
        let failures = AddressFailures::new(1, 6000, 100);
        let client = ip("192.0.2.1");
        failures.failed(client);
        assert!(failures.check(client).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(failures.check(client).is_ok());
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let failures = AddressFailures::new(1, 1, 100);
        failures.failed(ip("2001:db8:1:2::1"));
        assert!(failures.check(ip("2001:db8:1:2:ffff::9")).is_err());
        assert!(failures.check(ip("2001:db8:1:3::1")).is_ok());
        failures.failed(ip("::ffff:192.0.2.7"));
        assert!(failures.check(ip("192.0.2.7")).is_err());
    }

    #[test]
    fn memory_stays_bounded() {
        let failures = AddressFailures::new(5, 1, 1000);
        for i in 0..5000u32 {
            failures.failed(IpAddr::V4(i.into()));
        }
        assert!(failures.tracked() <= 1000);
    }
}
