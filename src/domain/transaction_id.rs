//! Transaction ids: issued by the gateway, one per request that reaches identification.
//!
//! Two shapes, chosen per service (DESIGN "Transaction ids"):
//! - alphanumeric: a time-ordered UUID (v7), as the OTP outcome page shows — sorts by issue time
//!   and never collides across restarts;
//! - numeric: DEM style, the Europe/Rome time `yyMMddHHmmss` followed by a 6-digit sequence, as
//!   the serology and ASL services specify — unique and strictly increasing within a process, and
//!   across restarts as long as the clock does not go back.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Rome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionId {
    Alphanumeric(uuid::Uuid),
    Numeric(u64),
}

/// Which shape of id a service issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionIdKind {
    Alphanumeric,
    Numeric,
}

impl TransactionId {
    pub fn new() -> TransactionId {
        TransactionId::Alphanumeric(uuid::Uuid::now_v7())
    }
}

impl Default for TransactionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionId::Alphanumeric(uuid) => uuid.hyphenated().fmt(f),
            TransactionId::Numeric(n) => n.fmt(f),
        }
    }
}

/// Ids per second before the sequence borrows from the next second (still increasing).
const SEQUENCE_SPAN: u64 = 1_000_000;

/// Issues ids of either kind; the numeric ones from one shared, lock-free counter.
#[derive(Debug, Default)]
pub struct TransactionIds {
    last_numeric: AtomicU64,
}

impl TransactionIds {
    pub fn new() -> TransactionIds {
        TransactionIds::default()
    }

    pub fn issue(&self, kind: TransactionIdKind) -> TransactionId {
        match kind {
            TransactionIdKind::Alphanumeric => TransactionId::new(),
            TransactionIdKind::Numeric => TransactionId::Numeric(self.next_numeric(Utc::now())),
        }
    }

    /// The next numeric id at time `now`: the second's first id, or one more than the last id
    /// issued if that is larger (a burst beyond a million a second, or a clock that stepped back).
    pub fn next_numeric(&self, now: DateTime<Utc>) -> u64 {
        let floor = time_prefix(now) * SEQUENCE_SPAN;
        let mut last = self.last_numeric.load(Ordering::Relaxed);
        loop {
            let next = floor.max(last + 1);
            match self.last_numeric.compare_exchange_weak(
                last,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(current) => last = current,
            }
        }
    }
}

/// `yyMMddHHmmss` of the Europe/Rome time, as a number.
fn time_prefix(now: DateTime<Utc>) -> u64 {
    let text = now.with_timezone(&Rome).format("%y%m%d%H%M%S").to_string();
    // Twelve ASCII digits always parse; 0 would only make the id smaller, never reused.
    text.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    #[allow(clippy::inconsistent_digit_grouping)] // yyMMddHHmmss_sequence
    fn numeric_ids_carry_the_rome_time_and_a_sequence() {
        let ids = TransactionIds::new();
        // 14:30:05 UTC on 20 Nov 2026 is 15:30:05 in Rome (CET).
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 5).unwrap();
        assert_eq!(ids.next_numeric(at), 261_120_153_005_000_000);
        assert_eq!(ids.next_numeric(at), 261_120_153_005_000_001);
    }

    #[test]
    fn numeric_ids_keep_increasing_when_the_clock_steps_back() {
        let ids = TransactionIds::new();
        let later = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 5).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
        let first = ids.next_numeric(later);
        assert_eq!(ids.next_numeric(earlier), first + 1);
    }

    #[test]
    fn numeric_ids_are_unique_across_threads() {
        let ids = std::sync::Arc::new(TransactionIds::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ids = ids.clone();
                std::thread::spawn(move || {
                    (0..1000)
                        .map(|_| ids.next_numeric(Utc::now()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<u64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect();
        let issued = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!((issued, all.len()), (4000, 4000));
    }
}
