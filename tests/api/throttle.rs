//! Per-client quotas: over quota → HTTP 429 with Retry-After and a Fault, recorded in the log.

use crate::helpers::{spawn_app_with, As, TestResult};
use tsgate::config::Quota;

#[tokio::test]
async fn over_quota_is_429_with_retry_after() -> TestResult {
    let app = spawn_app_with(|c| {
        c.throttle.default = Quota {
            per_second: 1,
            burst: 2,
        };
        c.throttle.clients.insert(
            "region:120".into(),
            Quota {
                per_second: 1,
                burst: 3,
            },
        );
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.call_catalogue(As::Region).await.status,
            200,
            "region override allows a burst of 3"
        );
    }
    let reply = app.call_catalogue(As::Region).await;
    assert_eq!(
        (reply.status, reply.outcome()),
        (429, Some("LIMITE_RICHIESTE"))
    );
    assert!(reply
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| s >= 1));
    assert!(reply.transaction_id().is_some());

    // The card operator has its own bucket (default quota: burst 2).
    for _ in 0..2 {
        assert_eq!(app.call_catalogue(As::Card).await.status, 200);
    }
    assert_eq!(app.call_catalogue(As::Card).await.status, 429);
    assert_eq!(app.metric("tsgate_throttled_total"), 2.0);

    let entries = app.access_log().await;
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.entry.outcome == "throttled")
            .count(),
        2
    );
    Ok(())
}
