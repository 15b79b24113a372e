//! Access-log retention (docs/access-log.md, from seed 004 §2.5, seed 003 §3.5: twelve months). The
//! gateway purges on its own, at start and every few hours, and `tsgate purge` on demand, both
//! through `jobs::retention`, which purges the other data sets too.
//! A purge removes only the oldest prefix and moves the chain's anchor in the same transaction, so
//! the retained log still verifies.

use chrono::{DateTime, Months, Utc};

use super::{Store, StoreError};

/// The instant before which entries are expired, keeping `months` months back from `now`.
pub fn cutoff(now: DateTime<Utc>, months: u32) -> Option<DateTime<Utc>> {
    now.checked_sub_months(Months::new(months))
}

/// Removes entries older than `months` months; returns how many, and the cutoff used.
pub async fn purge_expired(
    store: &dyn Store,
    months: u32,
) -> Result<(u64, DateTime<Utc>), StoreError> {
    let cutoff = cutoff(Utc::now(), months).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let purged = store.access_log().purge_before(cutoff).await?;
    Ok((purged, cutoff))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn twelve_months_back_to_the_same_instant() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        assert_eq!(
            cutoff(now, 12),
            Some(Utc.with_ymd_and_hms(2025, 11, 23, 10, 0, 0).unwrap())
        );
        // 29 February has no twin: chrono clamps to the month's last day.
        let leap = Utc.with_ymd_and_hms(2028, 2, 29, 0, 0, 0).unwrap();
        assert_eq!(
            cutoff(leap, 12),
            Some(Utc.with_ymd_and_hms(2027, 2, 28, 0, 0, 0).unwrap())
        );
    }
}
