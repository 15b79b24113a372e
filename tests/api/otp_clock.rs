//! `InvioOTP` around midnight, with the gateway's clock pinned: from Rome's midnight until the
//! Immuni backend's (UTC: 01:00 in winter, 02:00 in summer) Rome's today is still tomorrow
//! upstream. The gateway answers that case itself (`1014`, naming the Rome time to try again),
//! sends nothing, and measures the far end of the window from the backend's today.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use tsgate::config::ImmuniConfig;

use crate::helpers::{spawn_app_with, As, Reply, TestApp, TestResult};
use crate::immuni_upstream::{Behaviour, Upstream};

/// A gateway whose upstream is `upstream`, the backend's time zone `zone`.
async fn app_with(upstream: &Upstream, zone: &str) -> TestApp {
    let url = upstream.url.clone();
    let zone = zone.parse().expect("a time zone");
    spawn_app_with(move |config| {
        config.immuni = Some(ImmuniConfig {
            base_url: url,
            backend_time_zone: zone,
            ..ImmuniConfig::default()
        })
    })
    .await
}

/// `h:m` on `day`, Rome's wall clock.
fn rome(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    Rome.from_local_datetime(&day.and_hms_opt(h, m, 0).expect("a time"))
        .single()
        .expect("one instant")
        .with_timezone(&Utc)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// The region sample, with `date` as the symptom-onset date.
async fn send_dated(app: &TestApp, date: NaiveDate) -> Reply {
    app.request("otp/InvioOTP-region.xml")
        .by(As::Region)
        .set("{TODAY}", &date.format("%Y-%m-%d").to_string())
        .send()
        .await
}

/// The first message's code and text.
fn message(reply: &Reply) -> (Option<&str>, Option<&str>) {
    let first = reply.messages().first().cloned();
    (first.as_ref().map(|m| m.code), first.map(|m| m.text))
}

#[tokio::test]
async fn romes_today_before_the_backends_midnight_is_answered_here_and_not_sent() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, "UTC").await;
    for (now, today, again_at) in [
        (rome(day(2026, 1, 16), 0, 30), day(2026, 1, 16), "01:00"),
        (rome(day(2026, 1, 16), 0, 59), day(2026, 1, 16), "01:00"),
        (rome(day(2026, 7, 16), 0, 30), day(2026, 7, 16), "02:00"),
        (rome(day(2026, 7, 16), 1, 30), day(2026, 7, 16), "02:00"),
    ] {
        app.pin_clock(now);
        let reply = send_dated(&app, today).await;
        let (code, text) = message(&reply);
        assert_eq!(
            (reply.outcome(), code),
            (Some("9999"), Some("1014")),
            "{now}: {}",
            reply.body
        );
        let text = text.unwrap_or_default();
        assert!(
            text.contains(&format!("dopo le ore {again_at} (ora italiana)")),
            "{now}: {text}"
        );
    }
    assert_eq!(upstream.received(), 0, "nothing was sent upstream");
    Ok(())
}

#[tokio::test]
async fn once_the_backends_day_begins_the_same_date_is_judged_as_usual() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, "UTC").await;
    // 01:00 in winter, 02:00 in summer: the backend's midnight. The test backend judges the
    // dates on the real clock, so its answer is not the point: that they are sent is.
    for now in [rome(day(2026, 1, 16), 1, 0), rome(day(2026, 7, 16), 2, 0)] {
        app.pin_clock(now);
        let today = now.with_timezone(&Rome).date_naive();
        let reply = send_dated(&app, today).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_ne!(message(&reply).0, Some("1014"), "{now}: {}", reply.body);
    }
    assert_eq!(upstream.received(), 2);
    Ok(())
}

#[tokio::test]
async fn a_backend_configured_in_rome_gets_romes_today_at_once() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, "Europe/Rome").await;
    app.pin_clock(rome(day(2026, 1, 16), 0, 30));
    let reply = send_dated(&app, day(2026, 1, 16)).await;
    assert_ne!(message(&reply).0, Some("1014"), "{}", reply.body);
    assert_eq!(upstream.received(), 1, "sent upstream");
    Ok(())
}

/// Pinned at 00:30 in Rome on the real backend's tomorrow: the backend's today is the real UTC
/// date, so what the gateway forwards the test backend (on the real clock) accepts.
#[tokio::test]
async fn in_that_hour_the_backends_today_and_its_180_days_are_accepted_and_sent() -> TestResult {
    let upstream = Upstream::start(Behaviour::Contract).await;
    let app = app_with(&upstream, "UTC").await;
    let backend_today = Utc::now().date_naive();
    app.pin_clock(rome(backend_today + TimeDelta::days(1), 0, 30));
    for date in [backend_today, backend_today - TimeDelta::days(180)] {
        let reply = send_dated(&app, date).await;
        assert_eq!(reply.outcome(), Some("0000"), "{date}: {}", reply.body);
    }
    assert_eq!(upstream.received(), 2);
    // 181 days before the backend's today (182 before Rome's) is too old for both.
    let reply = send_dated(&app, backend_today - TimeDelta::days(181)).await;
    assert_eq!(message(&reply).0, Some("1013"), "{}", reply.body);
    assert_eq!(upstream.received(), 2, "not sent");
    Ok(())
}
