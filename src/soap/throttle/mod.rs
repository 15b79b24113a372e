//! Stage 5 — per-client rate limits. This instance's own limits ([`local`]) answer first, with
//! no round trip; a request they allow is then checked against the cluster's limits in Redis
//! ([`cluster`]) when `throttle.redis_url` is set, so several instances together allow no more
//! than one quota per client. Without Redis (not configured, or not answering), the instance's
//! limits alone decide.

pub mod cluster;
pub mod local;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use self::cluster::{ClusterLimits, ClusterVerdict};
use self::local::LocalLimits;
use crate::config::{Quota, ThrottleConfig};
use crate::metrics::Metrics;

/// Which limit refused a request (the `limit` label of `tsgate_throttled_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Instance,
    Cluster,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Instance => "instance",
            Limit::Cluster => "cluster",
        }
    }
}

/// A request over quota: which limit refused it, and when the client may retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub limit: Limit,
    pub wait: Duration,
}

pub struct Throttle {
    local: LocalLimits,
    cluster: Option<ClusterLimits>,
    default: Quota,
    overrides: BTreeMap<String, Quota>,
}

impl Throttle {
    /// Fails only on a `throttle.redis_url` that is not a Redis URL; Redis itself is reached
    /// when the first request needs it.
    pub fn new(
        config: &ThrottleConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Throttle, redis::RedisError> {
        let cluster = ClusterLimits::from_config(config, metrics)?;
        if let Some(cluster) = &cluster {
            tracing::info!(
                redis = cluster.address(),
                "per-client rate limits hold for the cluster"
            );
        }
        Ok(Throttle {
            local: LocalLimits::new(config),
            cluster,
            default: config.default,
            overrides: config.clients.clone(),
        })
    }

    /// Counts one request of `client`; `Err` when it is over quota.
    pub async fn check(&self, client: &str) -> Result<(), Throttled> {
        self.local.check(client).map_err(|wait| Throttled {
            limit: Limit::Instance,
            wait,
        })?;
        let Some(cluster) = &self.cluster else {
            return Ok(());
        };
        match cluster.check(client, self.quota_of(client)).await {
            ClusterVerdict::Allowed | ClusterVerdict::Unavailable => Ok(()),
            ClusterVerdict::Refused(wait) => Err(Throttled {
                limit: Limit::Cluster,
                wait,
            }),
        }
    }

    fn quota_of(&self, client: &str) -> Quota {
        self.overrides.get(client).copied().unwrap_or(self.default)
    }

    /// Forgets this instance's idle buckets (Redis expires its own).
    pub fn forget_idle(&self) {
        self.local.forget_idle();
    }

    pub fn tracked_clients(&self) -> usize {
        self.local.tracked_clients()
    }
}

/// Whole seconds for `Retry-After`, never 0.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(2001)), 3);
    }

    #[tokio::test]
    async fn without_redis_the_instance_decides_alone() {
        let config = ThrottleConfig {
            default: Quota {
                per_second: 1,
                burst: 2,
            },
            ..ThrottleConfig::default()
        };
        let throttle = Throttle::new(&config, Arc::default()).unwrap();
        assert!(throttle.check("region:120").await.is_ok());
        assert!(throttle.check("region:120").await.is_ok());
        let refused = throttle.check("region:120").await.unwrap_err();
        assert_eq!(refused.limit, Limit::Instance);
        assert!(refused.wait > Duration::ZERO);
    }
}
