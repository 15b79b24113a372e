//! This instance's per-client rate limits (governor, GCRA). One bucket per caller: a default
//! quota for everyone, and per-client overrides from the configuration (`region:120`,
//! `operator:<CF>`).
//!
//! Memory stays bounded: keys are identified callers only (never unauthenticated input), and
//! `forget_idle` — run periodically — drops every bucket that is back to full, so the map holds
//! only clients active within one refill period.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::RwLock;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{Quota as QuotaConfig, ThrottleConfig};

pub struct LocalLimits {
    /// Behind a lock only so a flood of distinct clients can be forgotten at once.
    default: RwLock<DefaultKeyedRateLimiter<String>>,
    default_quota: Quota,
    overrides: HashMap<String, DefaultDirectRateLimiter>,
    clock: DefaultClock,
    max_tracked: usize,
}

impl LocalLimits {
    pub fn new(config: &ThrottleConfig) -> LocalLimits {
        LocalLimits {
            default: RwLock::new(RateLimiter::keyed(quota(config.default))),
            default_quota: quota(config.default),
            overrides: config
                .clients
                .iter()
                .map(|(client, q)| (client.clone(), RateLimiter::direct(quota(*q))))
                .collect(),
            clock: DefaultClock::default(),
            max_tracked: config.max_tracked_clients,
        }
    }

    /// `Err(wait)` when the client is over quota: it may retry after `wait`.
    pub fn check(&self, client: &str) -> Result<(), Duration> {
        let outcome = match self.overrides.get(client) {
            Some(limiter) => limiter.check(),
            None => match self.default.read() {
                Ok(limiter) => limiter.check_key(&client.to_owned()),
                Err(poisoned) => poisoned.into_inner().check_key(&client.to_owned()),
            },
        };
        outcome.map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Drops buckets that are full again; if a flood of distinct clients still exceeds the
    /// bound, forgets them all (they start again with a full burst, never with less).
    pub fn forget_idle(&self) {
        let over_bound = {
            let limiter = self.default.read().unwrap_or_else(|p| p.into_inner());
            limiter.retain_recent();
            limiter.shrink_to_fit();
            limiter.len() > self.max_tracked
        };
        if over_bound {
            tracing::warn!(
                bound = self.max_tracked,
                "rate-limit table over its bound; resetting it"
            );
            let mut limiter = self.default.write().unwrap_or_else(|p| p.into_inner());
            *limiter = RateLimiter::keyed(self.default_quota);
        }
    }

    pub fn tracked_clients(&self) -> usize {
        self.default.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

fn quota(q: QuotaConfig) -> Quota {
    let per_second = NonZeroU32::new(q.per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(q.burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_second).allow_burst(burst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(per_second: u32, burst: u32) -> ThrottleConfig {
        ThrottleConfig {
            default: QuotaConfig { per_second, burst },
            clients: BTreeMap::from([(
                "region:120".to_owned(),
                QuotaConfig {
                    per_second: 1,
                    burst: 1,
                },
            )]),
            max_tracked_clients: 1000,
            ..ThrottleConfig::default()
        }
    }

    #[test]
    fn burst_then_refused_with_a_wait() {
        let throttle = LocalLimits::new(&config(1, 3));
        for _ in 0..3 {
            assert!(throttle.check("operator:X").is_ok());
        }
        let wait = throttle.check("operator:X").err();
        assert!(wait.is_some_and(|w| w > Duration::ZERO && w <= Duration::from_secs(1)));
        assert!(
            throttle.check("operator:Y").is_ok(),
            "other clients are unaffected"
        );
    }

    #[test]
    fn overrides_apply_per_client() {
        let throttle = LocalLimits::new(&config(100, 100));
        assert!(throttle.check("region:120").is_ok());
        assert!(throttle.check("region:120").is_err(), "override burst is 1");
        assert!(throttle.check("region:130").is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_many_distinct_clients() {
        // A fast refill (1000/s, burst 1) so buckets are full again within a few milliseconds.
        let throttle = LocalLimits::new(&config(1000, 1));
        for i in 0..50_000 {
            let _ = throttle.check(&format!("operator:{i}"));
        }
        assert_eq!(throttle.tracked_clients(), 50_000);
        std::thread::sleep(Duration::from_millis(20));
        throttle.forget_idle();
        assert_eq!(throttle.tracked_clients(), 0, "idle clients are forgotten");
    }

    #[test]
    fn a_flood_of_active_clients_is_capped() {
        let mut cfg = config(1, 1);
        cfg.max_tracked_clients = 1000;
        let throttle = LocalLimits::new(&cfg);
        for i in 0..5_000 {
            let _ = throttle.check(&format!("operator:{i}"));
        }
        throttle.forget_idle();
        assert_eq!(
            throttle.tracked_clients(),
            0,
            "over the bound, the table is reset"
        );
    }
}
