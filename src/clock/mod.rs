//! The wall clock the date rules read. It reads the system clock, unless a test pinned it: the
//! date rules that depend on the hour (the Immuni backend's "today", see
//! [`backend_calendar`]) are tested at a chosen instant, through the real server.

pub mod backend_calendar;

use std::sync::RwLock;

use chrono::{DateTime, NaiveDate, Utc};

pub use backend_calendar::BackendTimeZone;

#[derive(Debug, Default)]
pub struct Clock {
    pinned: RwLock<Option<DateTime<Utc>>>,
}

impl Clock {
    /// The pinned instant if there is one, else the system's.
    pub fn now(&self) -> DateTime<Utc> {
        match self.pinned.read() {
            Ok(pinned) => pinned.unwrap_or_else(Utc::now),
            Err(poisoned) => poisoned.into_inner().unwrap_or_else(Utc::now),
        }
    }

    /// From now on `now()` answers `at` (for tests).
    pub fn pin(&self, at: DateTime<Utc>) {
        self.set(Some(at));
    }

    /// Back to the system clock.
    pub fn unpin(&self) {
        self.set(None);
    }

    fn set(&self, value: Option<DateTime<Utc>>) {
        match self.pinned.write() {
            Ok(mut pinned) => *pinned = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

/// The day `at` falls on in Europe/Rome, the calendar the operators' dates are in.
pub fn rome_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Rome).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_clock_answers_its_instant_until_unpinned() {
        let clock = Clock::default();
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        clock.pin(at);
        assert_eq!((clock.now(), clock.now()), (at, at));
        clock.unpin();
        assert!(clock.now() > at);
    }
}
