//! Cluster-wide rate limits through a real Redis (`throttle.redis_url`): two gateways sharing it
//! allow one quota per client between them; the GCRA script's verdicts, waits and expiry; the
//! script loaded again after `SCRIPT FLUSH`; and the documented fallback when Redis is
//! unreachable or silent: the instance's own limits decide, counted, and a dead Redis is not
//! asked again before `throttle.redis_retry_ms`.
//!
//! They need Redis: `#[ignore = "needs Redis"]`, run by `.ci/run` (`--include-ignored`) with
//! `TSGATE_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`), where an unreachable Redis fails
//! them. Each test uses a key prefix of its own, so they never share a bucket.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::{spawn_app_with, As, TestApp, TestResult};
use tsgate::config::{Config, Quota, ThrottleConfig};
use tsgate::metrics::Metrics;
use tsgate::soap::throttle::cluster::{key_for, ClusterLimits, ClusterVerdict};

const REDIS_ENV: &str = "TSGATE_TEST_REDIS_URL";

fn redis_url() -> String {
    std::env::var(REDIS_ENV)
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".into())
}

/// A prefix no other test (nor an earlier run) uses.
fn fresh_prefix() -> String {
    format!("tsgate-test:{}:", uuid::Uuid::new_v4().simple())
}

async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("a Redis URL")
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "this test needs Redis at {} ({REDIS_ENV}): {e}",
                redis_url()
            )
        })
}

fn quota(per_second: u32, burst: u32) -> Quota {
    Quota { per_second, burst }
}

/// Limits kept in `url` under `prefix`, every caller at `default`.
fn cluster_settings(config: &mut Config, url: String, prefix: &str, default: Quota) {
    config.throttle.default = default;
    config.throttle.redis_url = Some(url);
    config.throttle.redis_key_prefix = prefix.to_owned();
}

async fn allowed_of(app: &TestApp, calls: usize) -> usize {
    let mut allowed = 0;
    for _ in 0..calls {
        let reply = app.call_catalogue(As::Region).await;
        match reply.status {
            200 => allowed += 1,
            429 => assert_eq!(reply.outcome(), Some("LIMITE_RICHIESTE")),
            other => panic!("unexpected status {other}"),
        }
    }
    allowed
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored, as .ci/run does (TSGATE_TEST_REDIS_URL)"]
async fn two_instances_sharing_redis_allow_one_quota_between_them() -> TestResult {
    let prefix = fresh_prefix();
    let burst = 5;
    let (a, b) = (
        spawn_app_with(|c| cluster_settings(c, redis_url(), &prefix, quota(1, burst))).await,
        spawn_app_with(|c| cluster_settings(c, redis_url(), &prefix, quota(1, burst))).await,
    );
    let started = Instant::now();
    // Each instance's own limits allow a burst of 5: alone, they would allow 10 between them.
    let allowed = allowed_of(&a, 5).await + allowed_of(&b, 5).await;
    let refilled = started.elapsed().as_secs() as usize + 1; // 1 request a second, rounded up
    assert!(
        allowed <= burst as usize + refilled,
        "{allowed} allowed in {:?}: more than the quota for the cluster",
        started.elapsed()
    );
    assert!(allowed >= burst as usize, "the burst itself is allowed");
    assert!(
        b.metric("tsgate_throttled_total{caller_kind=\"region\",limit=\"cluster\"}") >= 1.0,
        "the second instance refuses what the first used up"
    );
    assert_eq!(
        a.metric("tsgate_cluster_throttle_fallbacks_total")
            + b.metric("tsgate_cluster_throttle_fallbacks_total"),
        0.0
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored, as .ci/run does (TSGATE_TEST_REDIS_URL)"]
async fn the_script_counts_a_burst_then_says_how_long_to_wait() -> TestResult {
    let config = ThrottleConfig {
        redis_url: Some(redis_url()),
        redis_key_prefix: fresh_prefix(),
        redis_timeout_ms: 2_000,
        ..ThrottleConfig::default()
    };
    let limits =
        ClusterLimits::from_config(&config, Arc::new(Metrics::new()))?.expect("configured");
    let q = quota(2, 3);
    for _ in 0..3 {
        assert_eq!(limits.check("operator:X", q).await, ClusterVerdict::Allowed);
    }
    match limits.check("operator:X", q).await {
        ClusterVerdict::Refused(wait) => assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "one request every 500 ms: {wait:?}"
        ),
        other => panic!("over the burst: {other:?}"),
    }
    assert_eq!(
        limits.check("operator:Y", q).await,
        ClusterVerdict::Allowed,
        "another client has its own bucket"
    );

    // The key lives only until the bucket is full again (3 × 500 ms), never for good.
    let mut redis = redis().await;
    let key = key_for(&config.redis_key_prefix, "operator:X");
    let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut redis).await?;
    assert!((1..=1_500).contains(&ttl), "PTTL {ttl}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored, as .ci/run does (TSGATE_TEST_REDIS_URL)"]
async fn after_script_flush_the_script_is_sent_again() -> TestResult {
    let config = ThrottleConfig {
        redis_url: Some(redis_url()),
        redis_key_prefix: fresh_prefix(),
        redis_timeout_ms: 2_000,
        ..ThrottleConfig::default()
    };
    let metrics = Arc::new(Metrics::new());
    let limits = ClusterLimits::from_config(&config, metrics.clone())?.expect("configured");
    let q = quota(1, 2);
    assert_eq!(limits.check("region:130", q).await, ClusterVerdict::Allowed);
    let mut redis = redis().await;
    let () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut redis)
        .await?;
    // EVALSHA now answers NOSCRIPT: EVAL runs it, and the bucket goes on where it was.
    assert_eq!(limits.check("region:130", q).await, ClusterVerdict::Allowed);
    assert!(matches!(
        limits.check("region:130", q).await,
        ClusterVerdict::Refused(_)
    ));
    assert!(!metrics
        .render()
        .contains("tsgate_cluster_throttle_fallbacks_total{"));
    Ok(())
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored, as .ci/run does (TSGATE_TEST_REDIS_URL)"]
async fn an_unreachable_redis_leaves_the_instance_limits_in_force() -> TestResult {
    // A port nothing listens on: Redis stopped.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let url = format!("redis://{closed}/");
    let app = spawn_app_with(|c| cluster_settings(c, url, &fresh_prefix(), quota(1, 3))).await;
    assert_eq!(
        allowed_of(&app, 5).await,
        3,
        "the instance's own burst of 3"
    );
    assert_eq!(
        app.metric("tsgate_throttled_total{caller_kind=\"region\",limit=\"instance\"}"),
        2.0
    );
    assert_eq!(
        app.metric("tsgate_cluster_throttle_fallbacks_total{reason=\"error\"}"),
        1.0,
        "the refused connection"
    );
    assert_eq!(
        app.metric("tsgate_cluster_throttle_fallbacks_total{reason=\"unavailable\"}"),
        2.0,
        "then not asked again within redis_retry_ms (the 2 over the burst never got that far)"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored, as .ci/run does (TSGATE_TEST_REDIS_URL)"]
async fn a_silent_redis_costs_one_timeout_then_is_left_alone() -> TestResult {
    // Accepts connections and never answers: a hung Redis.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = silent.local_addr()?;
    let accepted = Arc::new(AtomicUsize::new(0));
    let held = {
        let accepted = accepted.clone();
        tokio::spawn(async move {
            let mut sockets = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                sockets.push(socket);
            }
        })
    };
    let url = format!("redis://{address}/");
    let app = spawn_app_with(|c| {
        cluster_settings(c, url, &fresh_prefix(), quota(100, 100));
        c.throttle.redis_timeout_ms = 200;
        c.throttle.redis_retry_ms = 600_000;
    })
    .await;
    assert_eq!(
        allowed_of(&app, 4).await,
        4,
        "answered, by the instance's limits"
    );
    assert_eq!(
        app.metric("tsgate_cluster_throttle_fallbacks_total{reason=\"timeout\"}"),
        1.0
    );
    assert_eq!(
        app.metric("tsgate_cluster_throttle_fallbacks_total{reason=\"unavailable\"}"),
        3.0
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "within redis_retry_ms the silent Redis is not asked again"
    );
    held.abort();
    Ok(())
}
