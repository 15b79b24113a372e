//! The daily send in `serve`: once the Europe/Rome time of day passes `commissioner.send_at`,
//! the day's report is sent, once. Each gateway looks every [`CHECK_INTERVAL`]; before sending it
//! claims the day in the store, so of several gateways sharing PostgreSQL, or a gateway and its
//! restart, exactly one sends it. A failed send gives the claim back and is tried again after
//! [`RETRY_AFTER_FAILURE`]; a claim left by a gateway that died mid-send is taken over after
//! [`STALE_CLAIM`] (longer than a send with every retry can take).

use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};

use super::pec::PecSender;
use super::{Delivered, ReportError};
use crate::audit::Actor;
use crate::clock::rome_day;
use crate::store::Store;

pub const CHECK_INTERVAL: Duration = Duration::from_secs(60);
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(15 * 60);
pub const STALE_CLAIM: chrono::Duration = chrono::Duration::hours(2);

/// What one look at the schedule did.
#[derive(Debug)]
pub enum DailyOutcome {
    /// Rome's time of day is before `send_at`.
    NotDue,
    /// Today's report was sent already (by this gateway or another).
    AlreadySent,
    /// Another gateway is sending it now.
    ClaimedElsewhere,
    Sent(Delivered),
}

/// Sends today's report if it is due and nobody sent or is sending it.
pub async fn run_once(
    store: &dyn Store,
    sender: &PecSender,
    send_at: NaiveTime,
    now: DateTime<Utc>,
) -> Result<DailyOutcome, ReportError> {
    let rome = now.with_timezone(&chrono_tz::Europe::Rome);
    if rome.time() < send_at {
        return Ok(DailyOutcome::NotDue);
    }
    let today = rome_day(now);
    let reports = store.commissioner();
    if reports.daily_send_done(today).await? {
        return Ok(DailyOutcome::AlreadySent);
    }
    let claimant = uuid::Uuid::new_v4().to_string();
    if !reports
        .claim_daily_send(today, &claimant, now, now - STALE_CLAIM)
        .await?
    {
        return Ok(if reports.daily_send_done(today).await? {
            DailyOutcome::AlreadySent
        } else {
            DailyOutcome::ClaimedElsewhere
        });
    }
    let actor = Actor::Gateway {
        task: "commissioner-report",
    };
    match super::send(store, sender, actor, now).await {
        Ok(delivered) => {
            reports
                .complete_daily_send(today, &claimant, Utc::now(), &delivered.sha256)
                .await?;
            Ok(DailyOutcome::Sent(delivered))
        }
        Err(error) => {
            if let Err(release) = reports.release_daily_send(today, &claimant).await {
                tracing::error!(error = %release, "cannot give back the claim of today's report");
            }
            Err(error)
        }
    }
}

/// Looks at the schedule every [`CHECK_INTERVAL`] for as long as the task runs.
pub async fn keep_sending(store: std::sync::Arc<dyn Store>, sender: PecSender, send_at: NaiveTime) {
    let mut tick = tokio::time::interval(CHECK_INTERVAL);
    loop {
        tick.tick().await;
        match run_once(store.as_ref(), &sender, send_at, Utc::now()).await {
            Ok(DailyOutcome::Sent(delivered)) => tracing::info!(
                archive = %delivered.archive_name,
                sha256 = %delivered.sha256,
                recipients = %delivered.to,
                "the Commissioner's report was sent"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::error!(
                    error = %format!("{:#}", anyhow::Error::new(error)),
                    retry_in_s = RETRY_AFTER_FAILURE.as_secs(),
                    "the Commissioner's report was not sent"
                );
                tokio::time::sleep(RETRY_AFTER_FAILURE).await;
            }
        }
    }
}
