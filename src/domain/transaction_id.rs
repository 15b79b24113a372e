//! Transaction ids: issued by the gateway, one per request that reaches identification.
//!
//! Two shapes, chosen per service (docs/design.md "Transaction ids"):
//! - alphanumeric: a time-ordered UUID (v7), as the OTP outcome page shows — sorts by issue time
//!   (strictly, within a process) and never collides across restarts;
//! - numeric: DEM style, the Europe/Rome time `yyMMddHHmmss` followed by a 6-digit sequence, as
//!   the serology and ASL services specify.
//!
//! Numeric ids stay unique across restarts, crashes and instances:
//! - a process starts strictly after the highest numeric id already committed (the store tells
//!   it), so a restart never goes back, even within the same second or with a clock that did;
//! - each process issues from an [`IssuerSlot`] `i` of `N`, leased in the store: every id it
//!   issues is `≡ i (mod N)` (with `N` dividing a million, the last digits of the sequence are
//!   `counter * N + i`), so processes sharing a database never issue the same id, and each one's
//!   ids still increase, also when the sequence borrows from the next second;
//! - a lease that may have passed to another process stops numeric ids (see
//!   [`TransactionIds::extend_lease`]) until it is renewed or replaced.
//!
//! An id issued but never committed (a crash before the commit) was never shown to anyone:
//! replies, and the Faults that carry an id, leave only after their access-log entry committed.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

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

/// Which share of the numeric ids a process issues: those `≡ index (mod count)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuerSlot {
    pub index: u64,
    pub count: u64,
}

impl IssuerSlot {
    /// Every id: the slot of a process that is its store's only issuer (SQLite).
    pub const SOLE: IssuerSlot = IssuerSlot { index: 0, count: 1 };

    /// The smallest id `>= at` that belongs to this slot.
    fn first_at_or_after(self, at: u64) -> u64 {
        let count = self.count.max(1);
        at + (self.index % count + count - at % count) % count
    }
}

/// Numeric ids can't be issued: the issuer slot's lease ran out (or was never renewed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no issuer slot is held for numeric transaction ids")]
pub struct NoIssuerSlot;

/// Issues ids of either kind.
#[derive(Debug)]
pub struct TransactionIds {
    numeric: Mutex<Numeric>,
    /// (Unix milliseconds, random bits) of the last UUID issued.
    last_uuid: Mutex<(u64, u128)>,
}

#[derive(Debug)]
struct Numeric {
    /// The last id issued, or the highest committed one at start-up.
    last: u64,
    slot: IssuerSlot,
    /// Until when the slot is surely ours; `None`: for ever (the store has no leases).
    lease_until: Option<Instant>,
}

impl Default for TransactionIds {
    fn default() -> TransactionIds {
        TransactionIds::continuing(IssuerSlot::SOLE, 0, None)
    }
}

impl TransactionIds {
    /// The sole issuer of a fresh store.
    pub fn new() -> TransactionIds {
        TransactionIds::default()
    }

    /// Issues from `slot`, strictly after `after` (the highest numeric id already committed),
    /// while the slot's lease lasts (`None`: no lease needed).
    pub fn continuing(
        slot: IssuerSlot,
        after: u64,
        lease_until: Option<Instant>,
    ) -> TransactionIds {
        TransactionIds {
            numeric: Mutex::new(Numeric {
                last: after,
                slot,
                lease_until,
            }),
            last_uuid: Mutex::new((0, 0)),
        }
    }

    /// The slot's lease was renewed: numeric ids may be issued until `until`.
    pub fn extend_lease(&self, until: Instant) {
        let mut numeric = self.lock_numeric();
        numeric.lease_until = numeric.lease_until.map(|old| old.max(until));
    }

    /// Moves to another slot (the old lease was lost), strictly after `after` and every id
    /// issued so far.
    pub fn move_to(&self, slot: IssuerSlot, after: u64, lease_until: Instant) {
        let mut numeric = self.lock_numeric();
        numeric.slot = slot;
        numeric.last = numeric.last.max(after);
        numeric.lease_until = Some(lease_until);
    }

    /// The slot ids are issued from.
    pub fn slot(&self) -> IssuerSlot {
        self.lock_numeric().slot
    }

    pub fn issue(&self, kind: TransactionIdKind) -> Result<TransactionId, NoIssuerSlot> {
        Ok(match kind {
            TransactionIdKind::Alphanumeric => {
                TransactionId::Alphanumeric(self.next_uuid(Utc::now()))
            }
            TransactionIdKind::Numeric => TransactionId::Numeric(self.next_numeric(Utc::now())?),
        })
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

    /// The next numeric id at time `now`: the first id of the slot in that second, or the
    /// slot's next id after the last one issued if that is larger (a burst beyond the second's
    /// share, a clock that stepped back, or a restart within the same second).
    pub fn next_numeric(&self, now: DateTime<Utc>) -> Result<u64, NoIssuerSlot> {
        let floor = time_prefix(now) * SEQUENCE_SPAN;
        let mut numeric = self.lock_numeric();
        if numeric
            .lease_until
            .is_some_and(|until| Instant::now() >= until)
        {
            return Err(NoIssuerSlot);
        }
        let next = numeric.slot.first_at_or_after(floor.max(numeric.last + 1));
        numeric.last = next;
        Ok(next)
    }

    fn lock_numeric(&self) -> std::sync::MutexGuard<'_, Numeric> {
        self.numeric.lock().unwrap_or_else(PoisonError::into_inner)
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
        assert_eq!(ids.next_numeric(at), Ok(261_120_153_005_000_000));
        assert_eq!(ids.next_numeric(at), Ok(261_120_153_005_000_001));
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
        let first = ids.next_numeric(later).unwrap();
        assert_eq!(ids.next_numeric(earlier), Ok(first + 1));
    }

    #[test]
    fn numeric_ids_are_unique_across_threads() {
        let ids = std::sync::Arc::new(TransactionIds::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ids = ids.clone();
                std::thread::spawn(move || {
                    (0..1000)
                        .filter_map(|_| ids.next_numeric(Utc::now()).ok())
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

    #[test]
    #[allow(clippy::inconsistent_digit_grouping)] // yyMMddHHmmss_sequence
    fn a_restart_continues_after_the_highest_committed_id_even_in_the_same_second() {
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 5).unwrap();
        let before = TransactionIds::new();
        let issued: Vec<u64> = (0..3).map(|_| before.next_numeric(at).unwrap()).collect();
        // Restarted in the same second, and with a clock 10 minutes behind.
        let after = TransactionIds::continuing(IssuerSlot::SOLE, issued[2], None);
        assert_eq!(after.next_numeric(at), Ok(261_120_153_005_000_003));
        let behind = TransactionIds::continuing(IssuerSlot::SOLE, issued[2], None);
        assert_eq!(
            behind.next_numeric(at - chrono::Duration::minutes(10)),
            Ok(261_120_153_005_000_003)
        );
    }

    #[test]
    #[allow(clippy::inconsistent_digit_grouping)] // yyMMddHHmmss_sequence
    fn slots_partition_the_ids_and_each_keeps_increasing_across_seconds() {
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 5).unwrap();
        let count = 10;
        let issuers: Vec<TransactionIds> = (0..count)
            .map(|index| TransactionIds::continuing(IssuerSlot { index, count }, 0, None))
            .collect();
        assert_eq!(issuers[3].next_numeric(at), Ok(261_120_153_005_000_003));
        assert_eq!(issuers[3].next_numeric(at), Ok(261_120_153_005_000_013));
        let mut all = Vec::new();
        for (index, ids) in issuers.iter().enumerate() {
            let mut last = 0;
            // Past a second's share (100,000 ids a slot): the sequence borrows from the next
            // second and keeps both the order and the slot.
            for step in 0..100_010 {
                let now = at + chrono::Duration::milliseconds(step / 200);
                let id = ids.next_numeric(now).unwrap();
                assert_eq!(id % count, index as u64, "{id} is slot {index}'s");
                assert!(id > last, "{id} after {last}");
                last = id;
                all.push(id);
            }
            assert_eq!(
                last / SEQUENCE_SPAN,
                261_120_153_006,
                "borrowed from 15:30:06"
            );
        }
        let issued = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), issued, "no id issued by two slots");
    }

    #[test]
    fn a_slot_taken_over_continues_after_the_ids_committed_by_every_slot() {
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 5).unwrap();
        let slot = |index| IssuerSlot { index, count: 10 };
        let old = TransactionIds::continuing(slot(4), 0, None);
        let last_of_old = (0..5)
            .map(|_| old.next_numeric(at).unwrap())
            .last()
            .unwrap();
        // Another process leases slot 4 after the old holder died, in the same second.
        let new = TransactionIds::continuing(slot(4), last_of_old, None);
        let first = new.next_numeric(at).unwrap();
        assert!(first > last_of_old && first % 10 == 4, "{first}");
        // A process that lost its lease moves to another slot, never going back.
        let moved = TransactionIds::continuing(slot(1), 0, None);
        let before = moved.next_numeric(at).unwrap();
        moved.move_to(
            slot(7),
            0,
            Instant::now() + std::time::Duration::from_secs(60),
        );
        let after = moved.next_numeric(at).unwrap();
        assert!(after > before && after % 10 == 7, "{before} then {after}");
    }

    #[test]
    fn numeric_ids_stop_when_the_lease_runs_out_and_resume_when_renewed() {
        let now = Instant::now();
        let ids = TransactionIds::continuing(
            IssuerSlot {
                index: 0,
                count: 10,
            },
            0,
            Some(now),
        );
        assert_eq!(ids.next_numeric(Utc::now()), Err(NoIssuerSlot));
        assert_eq!(
            ids.issue(TransactionIdKind::Numeric).map(|_| ()),
            Err(NoIssuerSlot)
        );
        assert!(
            ids.issue(TransactionIdKind::Alphanumeric).is_ok(),
            "UUIDs need no lease"
        );
        ids.extend_lease(now + std::time::Duration::from_secs(60));
        assert!(ids.next_numeric(Utc::now()).is_ok());
    }
}
