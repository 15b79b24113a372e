//! The directory version (users, profiles, region services) as this gateway last read it.
//!
//! Every administrative change bumps the store's version in its own transaction (database
//! triggers), whichever process or instance makes it. The gateway polls it every
//! `store.directory_refresh_ms`; what it caches about callers (region permissions, verified
//! passwords) is kept under the version it was read at and counts only while that is still the
//! version seen. A change is therefore in force on every gateway within one polling interval,
//! at the cost of one tiny query per interval instead of one per request.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Identity;
use crate::store::{Store, StoreError};

#[derive(Debug)]
pub struct DirectoryVersion {
    seen: AtomicI64,
}

impl DirectoryVersion {
    /// Starts at `version`, read from the store at start-up.
    pub fn new(version: i64) -> DirectoryVersion {
        DirectoryVersion {
            seen: AtomicI64::new(version),
        }
    }

    /// The version caches are valid for. Read it *before* reading what is cached under it.
    pub fn current(&self) -> i64 {
        self.seen.load(Ordering::Acquire)
    }

    /// Reads the store's version; `true` if it moved (every cached entry is stale).
    pub async fn refresh(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let version = store.directory().version().await?;
        Ok(self.seen.swap(version, Ordering::AcqRel) != version)
    }
}

/// Polls the store's version every `every`, for as long as the gateway runs.
pub async fn keep_refreshing(identity: Arc<Identity>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match identity.refresh_directory_version().await {
            Ok(true) => tracing::info!("users or region permissions changed: cached ones dropped"),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "reading the directory version failed"),
        }
    }
}
