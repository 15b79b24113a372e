//! Recent failed web logins, per client address and per user id typed, so the login page can
//! ask for the captcha after a few (seed 004 §3.5d). Unlike the address budget of
//! [`crate::identity`], which regains a failure every few seconds, a failure is remembered here
//! for [`WINDOW`]: a slow guesser meets the captcha too. Any user id typed is counted, known
//! or not, so asking for the captcha tells nothing about which ids exist.
//!
//! In memory, per gateway instance; bounded: when full, what is over the window is dropped,
//! and if that is not enough the table starts again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a failed login is remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// At most this many addresses and user ids are remembered.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    User(String),
}

/// Failures since an instant, per key.
pub struct LoginFailures {
    /// From this many failures on, the captcha is asked; 0: always.
    threshold: u32,
    table: Mutex<HashMap<Key, (u32, Instant)>>,
}

/// The user id as the login compares it.
fn user_key(user_id: &str) -> Key {
    Key::User(user_id.trim().to_uppercase())
}

impl LoginFailures {
    pub fn new(threshold: u32) -> LoginFailures {
        LoginFailures {
            threshold,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a login from `client` must answer the captcha.
    pub fn captcha_for_address(&self, client: IpAddr) -> bool {
        self.reached(&Key::Address(client))
    }

    /// Whether a login as `user_id` must answer the captcha.
    pub fn captcha_for_user(&self, user_id: &str) -> bool {
        self.reached(&user_key(user_id))
    }

    /// Counts a failed login from `client` as `user_id`.
    pub fn failed(&self, client: IpAddr, user_id: &str) {
        let now = Instant::now();
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.len() + 2 > MAX_TRACKED {
            table.retain(|_, (_, since)| now.saturating_duration_since(*since) < WINDOW);
            if table.len() + 2 > MAX_TRACKED {
                tracing::warn!(
                    bound = MAX_TRACKED,
                    "failed-login table over its bound; resetting it"
                );
                table.clear();
            }
        }
        for key in [Key::Address(client), user_key(user_id)] {
            let entry = table.entry(key).or_insert((0, now));
            if now.saturating_duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 = entry.0.saturating_add(1);
        }
    }

    fn reached(&self, key: &Key) -> bool {
        if self.threshold == 0 {
            return true;
        }
        let now = Instant::now();
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.get(key).is_some_and(|(count, since)| {
            now.saturating_duration_since(*since) < WINDOW && *count >= self.threshold
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_captcha_is_asked_from_the_threshold_on_per_address_and_per_user() {
        let failures = LoginFailures::new(2);
        let (here, there) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        failures.failed(here, "mario");
        assert!(!failures.captcha_for_address(here));
        failures.failed(here, "luigi");
        assert!(failures.captcha_for_address(here));
        assert!(!failures.captcha_for_address(there));
        assert!(!failures.captcha_for_user("MARIO"));
        failures.failed(there, " Mario ");
        assert!(
            failures.captcha_for_user("MARIO"),
            "the same id, however typed"
        );
        assert!(
            LoginFailures::new(0).captcha_for_address(there),
            "0: always"
        );
    }
}
