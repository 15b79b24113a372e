//! The retention purge of everything the gateway keeps about people (seed 003 §2.5, §3.5, §4.5
//! and seed 004 §2.5: twelve months at most): the access log, serology tests, the ASLs' daily
//! counts, the school-staff lists, the MIUR statistics, the report's send records, and what an
//! interrupted MIUR import left staged. `tsgate purge` runs it on demand and
//! `serve` at start and every [`PURGE_INTERVAL`]. A purge is an administrative action, recorded
//! in the access log with what it removed (the gateway's periodic run only when it removed
//! something or failed, so an idle gateway does not fill the log with empty purges). The access
//! log's own purge moves the chain's anchor, so the retained log still verifies.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::audit::{record_admin_action, Actor, AdminAction, AdminOperation, AdminOutcome};
use crate::config::StoreConfig;
use crate::store::retention::cutoff;
use crate::store::{DataCutoffs, PurgedData, Store, StoreError};

/// How often the gateway purges.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(6 * 3600);

/// Months kept of each data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// The access log; 0: not purged.
    pub access_log_months: u32,
    pub serology_months: u32,
    pub asl_counts_months: u32,
    pub staff_list_months: u32,
    pub statistics_months: u32,
}

impl RetentionPolicy {
    /// The configured retention (`store.*_retention_months`).
    pub fn from_config(store: &StoreConfig) -> RetentionPolicy {
        RetentionPolicy {
            access_log_months: store.access_log_retention_months,
            serology_months: store.serology_retention_months,
            asl_counts_months: store.asl_counts_retention_months,
            staff_list_months: store.staff_list_retention_months,
            statistics_months: store.statistics_retention_months,
        }
    }

    /// Each data set's cutoff at `now`.
    pub fn data_cutoffs(&self, now: DateTime<Utc>) -> DataCutoffs {
        let back = |months| cutoff(now, months).unwrap_or(DateTime::<Utc>::MIN_UTC);
        DataCutoffs {
            serology_tests: back(self.serology_months),
            asl_counts: back(self.asl_counts_months),
            staff_list: back(self.staff_list_months),
            statistics: back(self.statistics_months),
        }
    }
}

/// What one purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Access-log entries removed, and the cutoff (`None`: the access log is not purged).
    pub access_log: Option<(u64, DateTime<Utc>)>,
    pub data: PurgedData,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.data.total() + self.access_log.map_or(0, |(n, _)| n)
    }
}

impl std::fmt::Display for Purged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.access_log {
            Some((entries, cutoff)) => write!(
                f,
                "{entries} access-log entries older than {}, ",
                cutoff.format("%Y-%m-%d %H:%M:%S UTC")
            )?,
            None => f.write_str("access log not purged, ")?,
        }
        write!(f, "{}", self.data)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("the retention purge failed")]
    Store(#[from] StoreError),
    #[error("the retention purge was done ({0}), but it could not be recorded in the access log")]
    NotRecorded(Purged, #[source] StoreError),
}

/// Purges every data set by `policy` at `now`, without recording it.
pub async fn purge(
    store: &dyn Store,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<Purged, StoreError> {
    let data = store
        .data_retention()
        .purge_data(&policy.data_cutoffs(now))
        .await?;
    let access_log = match policy.access_log_months {
        0 => None,
        months => {
            let cutoff = cutoff(now, months).unwrap_or(DateTime::<Utc>::MIN_UTC);
            Some((store.access_log().purge_before(cutoff).await?, cutoff))
        }
    };
    Ok(Purged { access_log, data })
}

/// [`purge`], recorded in the access log as `actor`'s `purge` (done, with what it removed, or
/// failed). `always_record`: also when nothing was removed.
pub async fn purge_recorded(
    store: &dyn Store,
    policy: &RetentionPolicy,
    actor: Actor,
    now: DateTime<Utc>,
    always_record: bool,
) -> Result<Purged, PurgeError> {
    let result = purge(store, policy, now).await;
    if !always_record && matches!(&result, Ok(purged) if purged.total() == 0) {
        return Ok(result?);
    }
    let detail = match &result {
        Ok(purged) => format!("removed {purged}"),
        Err(_) => format!("retention {policy:?}"),
    };
    let action = AdminAction {
        actor,
        operation: AdminOperation::Purge,
        target: None,
        detail: Some(detail),
        outcome: AdminOutcome::of(&result),
        client_address: None,
    };
    let recorded = record_admin_action(store, &action).await;
    match (result, recorded) {
        (Ok(purged), Ok(_)) => Ok(purged),
        (Ok(purged), Err(not_recorded)) => Err(PurgeError::NotRecorded(purged, not_recorded.0)),
        (Err(error), _) => Err(PurgeError::Store(error)),
    }
}

/// Purges now and then every [`PURGE_INTERVAL`], for as long as the task runs.
pub async fn keep_purging(store: Arc<dyn Store>, policy: RetentionPolicy) {
    let mut tick = tokio::time::interval(PURGE_INTERVAL);
    loop {
        tick.tick().await;
        let actor = Actor::Gateway { task: "retention" };
        match purge_recorded(store.as_ref(), &policy, actor, Utc::now(), false).await {
            Ok(purged) if purged.total() == 0 => {}
            Ok(purged) => tracing::info!(%purged, "expired data removed"),
            Err(error) => {
                tracing::error!(error = %format!("{:#}", anyhow::Error::new(error)), "retention purge failed")
            }
        }
    }
}
