//! Administrators' failed passwords lock them as operators' do (`auth.max_failures` in a row
//! lock for `auth.lockout_minutes`, [`FailureCount::after_failure`]'s rule), counted from the
//! access log rather than a table of their own: every refused authentication of an
//! administrator is already an `admin-authenticate` entry there, under the id claimed, so the
//! hash-chained log is the count. What resets it is recorded there too: an `admin-authenticate`
//! done (written when an administrator authenticates after failures) and an `admin-unlock` done
//! on them by a central administrator. Administrative commands are rare, and both lookups use
//! the log's administrative indexes (by caller and by target).

use chrono::{DateTime, Utc};

use crate::audit::AdminOperation;
use crate::store::{AccessLogFilter, FailureCount, LockoutPolicy, Store, StoreError};

/// Entries read per query page.
const PAGE: i64 = 500;

/// What an entry of the log does to an administrator's count.
enum Event {
    Failure(DateTime<Utc>),
    Reset,
}

/// `admin_id`'s consecutive failed authentications and lock, as the access log tells them.
pub async fn failure_count(
    store: &dyn Store,
    admin_id: &str,
    policy: LockoutPolicy,
) -> Result<FailureCount, StoreError> {
    let authentications = AccessLogFilter {
        administrative: true,
        actor: Some(admin_id.to_owned()),
        operation: Some(AdminOperation::AdminAuthenticate.as_str().to_owned()),
        ..AccessLogFilter::default()
    };
    let unlocks = AccessLogFilter {
        administrative: true,
        target: Some(admin_id.to_owned()),
        operation: Some(AdminOperation::AdminUnlock.as_str().to_owned()),
        ..AccessLogFilter::default()
    };
    let mut events = Vec::new();
    for entry in all(store, &authentications).await? {
        // `actor` also matches an operator CF equal to the id: keep this id's own entries.
        if entry.1.caller_id != admin_id {
            continue;
        }
        let event = match entry.1.outcome == DONE {
            true => Event::Reset,
            false => Event::Failure(entry.1.at),
        };
        events.push((entry.0, event));
    }
    for entry in all(store, &unlocks).await? {
        if entry.1.outcome == DONE {
            events.push((entry.0, Event::Reset));
        }
    }
    events.sort_by_key(|(seq, _)| *seq);
    Ok(events
        .into_iter()
        .fold(FailureCount::default(), |count, (_, event)| match event {
            Event::Failure(at) => count.after_failure(at, policy),
            Event::Reset => FailureCount::default(),
        }))
}

/// The outcome the access log records for an action done.
const DONE: &str = "ok";

/// Every entry `filter` selects, with its seq, oldest first.
async fn all(
    store: &dyn Store,
    filter: &AccessLogFilter,
) -> Result<Vec<(i64, crate::store::AccessLogEntry)>, StoreError> {
    let mut found = Vec::new();
    let mut after = 0;
    loop {
        let page = store.access_log().search(filter, after, PAGE).await?;
        let full = page.len() as i64 == PAGE;
        for chained in page {
            after = chained.seq;
            found.push((chained.seq, chained.entry));
        }
        if !full {
            return Ok(found);
        }
    }
}
