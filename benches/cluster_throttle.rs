//! What the cluster's rate limit costs a request: the throttle stage (`Throttle::check`) with
//! this instance's limits alone, then with the limits kept in Redis too (one EVALSHA of the
//! GCRA script on one shared multiplexed connection), one request at a time and 32 at once.
//!
//! ```text
//! cargo bench --profile dev --bench cluster_throttle
//! redis-cli INFO commandstats | grep evalsha   # Redis's own CPU per script run (usec_per_call)
//! ```
//!
//! Needs Redis at `TSGATE_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`); the keys go under
//! a prefix of their own and expire by themselves. Quotas are high enough that nothing is refused:
//! every check runs the whole script.
#![allow(clippy::unwrap_used, clippy::expect_used)] // bench code: a failed set-up is a failed bench

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tsgate::config::{Quota, ThrottleConfig};
use tsgate::metrics::Metrics;
use tsgate::soap::throttle::Throttle;

const IN_FLIGHT: usize = 32;

fn config(redis_url: Option<String>) -> ThrottleConfig {
    ThrottleConfig {
        default: Quota {
            per_second: 1_000_000,
            burst: 1_000_000,
        },
        redis_url,
        redis_timeout_ms: 1_000,
        redis_key_prefix: format!("tsgate-bench:{}:", std::process::id()),
        ..ThrottleConfig::default()
    }
}

fn throttle(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = std::env::var("TSGATE_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".into());
    let metrics = Arc::new(Metrics::new());
    let local = Arc::new(Throttle::new(&config(None), metrics.clone()).expect("throttle"));
    let cluster = Arc::new(Throttle::new(&config(Some(url)), metrics.clone()).expect("throttle"));
    runtime.block_on(async {
        cluster.check("region:120").await.expect("allowed");
    });
    assert!(
        !metrics
            .render()
            .contains("tsgate_cluster_throttle_fallbacks_total{"),
        "Redis must answer: the bench would measure the fallback"
    );

    let mut group = c.benchmark_group("throttle");
    group.throughput(Throughput::Elements(1));
    for (name, throttle) in [("instance only", &local), ("instance + Redis", &cluster)] {
        group.bench_function(format!("{name}, one at a time"), |b| {
            b.iter(|| {
                runtime
                    .block_on(throttle.check("region:120"))
                    .expect("allowed")
            })
        });
    }
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    for (name, throttle) in [("instance only", &local), ("instance + Redis", &cluster)] {
        group.bench_function(format!("{name}, {IN_FLIGHT} at once"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let checks: Vec<_> = (0..IN_FLIGHT)
                        .map(|i| {
                            let throttle = throttle.clone();
                            tokio::spawn(async move {
                                throttle.check(&format!("operator:{i}")).await.is_ok()
                            })
                        })
                        .collect();
                    for check in checks {
                        assert!(check.await.expect("task"));
                    }
                })
            })
        });
    }
    group.finish();
    assert!(
        !metrics
            .render()
            .contains("tsgate_cluster_throttle_fallbacks_total{"),
        "Redis answered every check"
    );
}

criterion_group!(benches, throttle);
criterion_main!(benches);
