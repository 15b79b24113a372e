//! Transaction ids: issued by the gateway, one per request that reaches identification.
//!
//! Two shapes, chosen per service (DESIGN "Transaction ids"):
//! - alphanumeric: a time-ordered UUID (v7), as the OTP outcome page shows — sorts by issue time
//!   (strictly, within a process) and never collides across restarts;
//! - numeric: DEM style, the Europe/Rome time `yyMMddHHmmss` followed by a 6-digit sequence, as
//!   the serology and ASL services specify — unique and strictly increasing within a process, and
//!   across restarts as long as the clock does not go back.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

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

/// The 74 bits of a UUIDv7 that are not its timestamp, version or variant.
const UUID_RANDOM_BITS: u32 = 74;

/// Issues ids of either kind; the numeric ones from one shared, lock-free counter.
#[derive(Debug, Default)]
pub struct TransactionIds {
    last_numeric: AtomicU64,
    /// (Unix milliseconds, random bits) of the last UUID issued.
    last_uuid: Mutex<(u64, u128)>,
}

impl TransactionIds {
    pub fn new() -> TransactionIds {
        TransactionIds::default()
    }

    pub fn issue(&self, kind: TransactionIdKind) -> TransactionId {
        match kind {
            TransactionIdKind::Alphanumeric => {
                TransactionId::Alphanumeric(self.next_uuid(Utc::now()))
            }
            TransactionIdKind::Numeric => TransactionId::Numeric(self.next_numeric(Utc::now())),
        }
    }

    /// The next UUIDv7 at time `now`, after every one this issuer made (RFC 9562 §6.2, method 2:
    /// a new millisecond draws new random bits, the same or an earlier one counts them up).
    /// The bits come from the thread's generator: `Uuid::now_v7` made a system call for each.
    pub fn next_uuid(&self, now: DateTime<Utc>) -> uuid::Uuid {
        let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let fresh = || rand::random::<u128>() >> (128 - UUID_RANDOM_BITS);
        let mut last = self
            .last_uuid
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (last_millis, last_random) = *last;
        let next = if millis > last_millis {
            (millis, fresh())
        } else if last_random + 1 < 1 << UUID_RANDOM_BITS {
            (last_millis, last_random + 1)
        } else {
            (last_millis + 1, fresh())
        };
        *last = next;
        drop(last);
        let (millis, random) = next;
        let rand_a = random >> 62; // 12 bits after the version
        let rand_b = random & ((1 << 62) - 1); // 62 bits after the variant
        uuid::Uuid::from_u128(
            (u128::from(millis) & ((1 << 48) - 1)) << 80
                | 0x7 << 76
                | rand_a << 64
                | 0b10 << 62
                | rand_b,
        )
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
    fn uuids_are_version_7_carry_the_time_and_keep_increasing() {
        let ids = TransactionIds::new();
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 5).unwrap();
        let first = ids.next_uuid(at);
        assert_eq!(first.get_version(), Some(uuid::Version::SortRand));
        assert_eq!(first.get_variant(), uuid::Variant::RFC4122);
        let (seconds, nanos) = first.get_timestamp().expect("v7 has a timestamp").to_unix();
        assert_eq!((seconds, nanos), (at.timestamp() as u64, 0));
        // The same millisecond, then a clock that stepped back: still increasing.
        let second = ids.next_uuid(at);
        let third = ids.next_uuid(at - chrono::Duration::seconds(30));
        assert!(first < second && second < third, "{first} {second} {third}");
        // Random bits that run out carry into the next millisecond.
        *ids.last_uuid.lock().unwrap() = (1, (1 << UUID_RANDOM_BITS) - 1);
        let carried = ids.next_uuid(DateTime::UNIX_EPOCH);
        assert_eq!(carried.as_u128() >> 80, 2);
        // Ids from different issuers (processes) differ in their random bits.
        assert_ne!(TransactionIds::new().next_uuid(at), first);
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
