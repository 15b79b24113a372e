//! The cluster's per-client rate limits, kept in the Redis every instance shares: one GCRA
//! bucket per client, checked and counted by one Lua script (`gcra.lua`), run with EVALSHA and,
//! when Redis does not know the script yet (a restart, `SCRIPT FLUSH`), with EVAL.
//!
//! Redis must never hang a request: each check waits at most `throttle.redis_timeout_ms`. When
//! Redis is unreachable, failing or slower than that, the instance's own limits decide alone
//! (the cluster may then allow up to one quota per instance), the fallback is counted in
//! `tsgate_cluster_throttle_fallbacks_total{reason}` and logged once, and Redis is not asked again
//! for `throttle.redis_retry_ms`, so a dead Redis costs no request a timeout after the first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ErrorKind, RedisError, ServerErrorKind};

use crate::config::{Quota, ThrottleConfig};
use crate::metrics::{Metrics, ReasonLabels};

const SCRIPT: &str = include_str!("gcra.lua");

/// What Redis said about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterVerdict {
    Allowed,
    /// Over the cluster's quota: retry after this long.
    Refused(Duration),
    /// Redis did not answer in time, or not at all: the instance's limits decide.
    Unavailable,
}

pub struct ClusterLimits {
    client: redis::Client,
    /// `host:port` only: the URL may carry a password.
    address: String,
    script: redis::Script,
    key_prefix: String,
    timeout: Duration,
    retry_after_failure: Duration,
    /// The multiplexed connection every request shares; `None` until connected, or after a failure.
    connection: RwLock<Option<MultiplexedConnection>>,
    /// While a failure is recent, Redis is not asked.
    quiet_until: Mutex<Option<Instant>>,
    /// One connection attempt at a time; requests arriving meanwhile decide locally.
    connecting: tokio::sync::Mutex<()>,
    /// Whether the last attempt failed: the log says so once per outage, not once per request.
    degraded: AtomicBool,
    metrics: Arc<Metrics>,
}

impl ClusterLimits {
    /// `None` when `throttle.redis_url` is not set. Connects lazily: an instance starts, and
    /// serves under its own limits, while Redis is down.
    pub fn from_config(
        config: &ThrottleConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Option<ClusterLimits>, RedisError> {
        let Some(url) = &config.redis_url else {
            return Ok(None);
        };
        let client = redis::Client::open(url.as_str())?;
        let address = client.get_connection_info().addr().to_string();
        Ok(Some(ClusterLimits {
            client,
            address,
            script: redis::Script::new(SCRIPT),
            key_prefix: config.redis_key_prefix.clone(),
            timeout: Duration::from_millis(config.redis_timeout_ms.max(1)),
            retry_after_failure: Duration::from_millis(config.redis_retry_ms.max(1)),
            connection: RwLock::new(None),
            quiet_until: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            degraded: AtomicBool::new(false),
            metrics,
        }))
    }

    /// Where the limits are kept, for the start-up log (no credentials).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Checks and counts one request of `client` against `quota`, cluster-wide.
    pub async fn check(&self, client: &str, quota: Quota) -> ClusterVerdict {
        let key = key_for(&self.key_prefix, client);
        let asked = tokio::time::timeout(self.timeout, self.ask(&key, quota)).await;
        let failure = match asked {
            Ok(Ok(wait_micros)) => {
                self.recovered();
                return match wait_micros {
                    0 => ClusterVerdict::Allowed,
                    wait => ClusterVerdict::Refused(Duration::from_micros(wait)),
                };
            }
            Ok(Err(Failure::Quiet)) => {
                self.count_fallback("unavailable");
                return ClusterVerdict::Unavailable;
            }
            // The client's own timeouts (connecting, answering) are the same bound as ours.
            Ok(Err(Failure::Redis(error))) if error.is_timeout() => Failed::Timeout,
            Ok(Err(Failure::Redis(error))) => Failed::Error(error),
            Err(_elapsed) => Failed::Timeout,
        };
        self.failed(&failure);
        ClusterVerdict::Unavailable
    }

    /// The script's answer: 0, or the microseconds to wait.
    async fn ask(&self, key: &str, quota: Quota) -> Result<u64, Failure> {
        let mut connection = self.connection().await?;
        let interval = (1_000_000 / u64::from(quota.per_second.max(1))).max(1);
        let burst = quota.burst.max(1);
        let evalsha = redis::cmd("EVALSHA")
            .arg(self.script.get_hash())
            .arg(1)
            .arg(key)
            .arg(interval)
            .arg(burst)
            .to_owned();
        match evalsha.query_async(&mut connection).await {
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                // EVAL also caches the script, so the next EVALSHA finds it.
                redis::cmd("EVAL")
                    .arg(SCRIPT)
                    .arg(1)
                    .arg(key)
                    .arg(interval)
                    .arg(burst)
                    .query_async(&mut connection)
                    .await
                    .map_err(Failure::Redis)
            }
            answer => answer.map_err(Failure::Redis),
        }
    }

    async fn connection(&self) -> Result<MultiplexedConnection, Failure> {
        if let Some(connection) = self.shared_connection() {
            return Ok(connection);
        }
        let quiet = self
            .quiet_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|until| Instant::now() < until);
        if quiet {
            return Err(Failure::Quiet);
        }
        let Ok(_connecting) = self.connecting.try_lock() else {
            return Err(Failure::Quiet);
        };
        if let Some(connection) = self.shared_connection() {
            return Ok(connection);
        }
        let settings = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&settings)
            .await
            .map_err(Failure::Redis)?;
        *self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }

    fn shared_connection(&self) -> Option<MultiplexedConnection> {
        self.connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Drops the connection (the next attempt reconnects) and keeps Redis quiet for a while.
    fn failed(&self, failure: &Failed) {
        *self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        *self
            .quiet_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            Some(Instant::now() + self.retry_after_failure);
        let reason = match failure {
            Failed::Timeout => "timeout",
            Failed::Error(_) => "error",
        };
        self.count_fallback(reason);
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                redis = %self.address,
                reason,
                error = %failure,
                retry_ms = self.retry_after_failure.as_millis(),
                "cluster rate limits unavailable: this instance's own limits decide until Redis answers again"
            );
        }
    }

    fn recovered(&self) {
        if self.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!(redis = %self.address, "cluster rate limits answered again");
        }
    }

    fn count_fallback(&self, reason: &str) {
        self.metrics
            .cluster_throttle_fallbacks
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }
}

enum Failure {
    /// Not asked: a recent failure, or a connection attempt already under way.
    Quiet,
    Redis(RedisError),
}

enum Failed {
    Timeout,
    Error(RedisError),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Timeout => f.write_str("no answer within throttle.redis_timeout_ms"),
            Failed::Error(error) => write!(f, "{error}"),
        }
    }
}

/// A client's key in Redis: the prefix and a SHA-256 digest of the client key, so an operator's
/// CF is not written into Redis in clear.
pub fn key_for(prefix: &str, client: &str) -> String {
    let digest = digest::digest(&digest::SHA256, client.as_bytes());
    let mut key = String::with_capacity(prefix.len() + 32);
    key.push_str(prefix);
    key.push_str(&hex::encode(&digest.as_ref()[..16]));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_client_by_digest_under_the_prefix() {
        let key = key_for("tsgate:throttle:", "operator:RSSMRA80A01H501U");
        assert!(key.starts_with("tsgate:throttle:"));
        assert!(!key.contains("RSSMRA"), "{key}");
        assert_eq!(key.len(), "tsgate:throttle:".len() + 32);
        assert_ne!(
            key,
            key_for("tsgate:throttle:", "operator:RSSMRA80A01H501V")
        );
        assert_eq!(
            key,
            key_for("tsgate:throttle:", "operator:RSSMRA80A01H501U")
        );
    }

    #[test]
    fn a_url_that_is_not_redis_is_refused() {
        let config = ThrottleConfig {
            redis_url: Some("http://127.0.0.1:6379".into()),
            ..ThrottleConfig::default()
        };
        assert!(ClusterLimits::from_config(&config, Arc::default()).is_err());
    }
}
