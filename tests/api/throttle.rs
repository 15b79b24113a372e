//! Per-client quotas: over quota → HTTP 429 with Retry-After and a Fault, recorded in the log.

use crate::helpers::{envelope, spawn_app_with, As, TestResult};
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
    let body = envelope("servizi/ElencoServizi.xml");
    for _ in 0..3 {
        assert_eq!(
            app.soap(As::Region, "Servizi", &body).await.status,
            200,
            "region override allows a burst of 3"
        );
    }
    let reply = app.soap(As::Region, "Servizi", &body).await;
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
        assert_eq!(app.soap(As::Card, "Servizi", &body).await.status, 200);
    }
    assert_eq!(app.soap(As::Card, "Servizi", &body).await.status, 429);
    assert_eq!(app.metric("tsgate_throttled_total"), 2.0);

    let entries = app.app.store.read_access_log(0, 100).await?;
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.entry.outcome == "throttled")
            .count(),
        2
    );
    Ok(())
}
