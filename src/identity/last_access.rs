//! "Ultimo accesso": when an operator was last identified. Written on the request path, so at
//! most once per user per [`WRITE_EVERY`] from each gateway: the store's value is the last
//! access to within that interval, and a burst of calls costs one write.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How stale a stored last access may be.
pub const WRITE_EVERY: Duration = Duration::from_secs(60);
/// Users remembered at most; beyond, the memory is forgotten (a few more writes, no growth).
const MAX_REMEMBERED: usize = 10_000;

/// When this gateway last wrote each user's last access.
#[derive(Debug, Default)]
pub struct LastAccessWrites {
    written: Mutex<HashMap<String, Instant>>,
}

impl LastAccessWrites {
    /// Whether `user_id`'s access at `now` should be written; if so, it counts as written.
    pub fn due(&self, user_id: &str, now: Instant) -> bool {
        let Ok(mut written) = self.written.lock() else {
            return true;
        };
        match written.get(user_id) {
            Some(at) if now.saturating_duration_since(*at) < WRITE_EVERY => false,
            _ => {
                if written.len() >= MAX_REMEMBERED {
                    written.clear();
                }
                written.insert(user_id.to_owned(), now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_write_per_user_per_interval() {
        let writes = LastAccessWrites::default();
        let start = Instant::now();
        assert!(writes.due("a", start));
        assert!(!writes.due("a", start + Duration::from_secs(59)));
        assert!(writes.due("b", start + Duration::from_secs(1)));
        assert!(writes.due("a", start + WRITE_EVERY));
    }
}
