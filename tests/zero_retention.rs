//! Zero retention (seed 004 §2.5, docs/design.md "Privacy"): OTP and symptom date are never written
//! anywhere. Unique OTPs and dates go through every access mode and every outcome — success,
//! each local refusal, a schema Fault, each upstream failure — with logs captured at TRACE in
//! the production (JSON) format; then the database files, everything else under the data
//! directory, the captured logs, `/metrics` and the replies are searched for them.
//!
//! Its own test binary, so the process-wide TRACE subscriber sees only this gateway.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

#[allow(dead_code, unused_imports)] // the helpers of every API test; this one uses a few
#[path = "api/helpers/mod.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "api/immuni_upstream.rs"]
mod immuni_upstream;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, TimeDelta};
use helpers::{spawn_app_with, As, TestApp, TestResult, OPERATOR};
use immuni_upstream::{Behaviour, Upstream};
use tsgate::config::{ImmuniConfig, LogConfig, LogFormat};
use tsgate::domain::Otp;

/// Everything the subscriber writes, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The secrets sent so far, in every spelling they travelled in.
#[derive(Default)]
struct Secrets(Vec<String>);

/// One request: `template` from the kit with its OTP and date set to the given values.
struct Probe<'a> {
    who: As,
    template: &'a str,
    otp: String,
    date: String,
}

async fn send(app: &TestApp, probe: Probe<'_>, secrets: &mut Secrets) -> helpers::Reply {
    secrets.0.push(probe.otp.clone());
    secrets.0.push(probe.otp.replace('-', "").to_uppercase());
    secrets.0.push(probe.date.clone());
    let reply = app
        .request(&format!("otp/{}", probe.template))
        .by(probe.who)
        .set("{OTP_AS_TYPED}", &probe.otp)
        .set("{OTP}", &probe.otp)
        .set("{TODAY}", &probe.date)
        .send()
        .await;
    for secret in &secrets.0 {
        assert!(
            !reply.body.contains(secret.as_str()),
            "the reply echoes {secret}: {}",
            reply.body
        );
    }
    reply
}

fn fresh_otp() -> String {
    Otp::generate().as_upstream_str().to_owned()
}

/// Dates that the data directory does not hold before the test (the seeded registry has dates
/// of its own) and that no timestamp of today can contain: finding one later means the gateway
/// wrote it.
struct Dates {
    /// The gateway's today.
    today: NaiveDate,
    before: Vec<u8>,
    used: Vec<String>,
}

impl Dates {
    /// The first unused date from `from`, moving by `step` days, written with `format`.
    fn unseen(&mut self, from: NaiveDate, step: i64, format: &str) -> String {
        let mut day = from;
        loop {
            let text = day.format(format).to_string();
            let held = self
                .before
                .windows(text.len())
                .any(|w| w == text.as_bytes());
            if !held && !self.used.contains(&text) {
                self.used.push(text.clone());
                return text;
            }
            day += TimeDelta::days(step);
        }
    }

    /// A date inside the window.
    fn valid(&mut self) -> String {
        self.unseen(self.today - TimeDelta::days(20), -1, "%Y-%m-%d")
    }
}

#[tokio::test]
async fn no_otp_and_no_symptom_date_reach_a_disk_a_log_or_the_metrics() -> TestResult {
    let logs = Captured::default();
    let writer = logs.clone();
    tsgate::telemetry::init_with_writer(
        &LogConfig {
            format: LogFormat::Json,
            level: "trace".into(),
        },
        move || writer.clone(),
    );
    let upstream = Upstream::start(Behaviour::Contract).await;
    let url = upstream.url.clone();
    let app = spawn_app_with(move |config| {
        config.immuni = Some(ImmuniConfig {
            base_url: url,
            timeout_ms: 500,
            ..ImmuniConfig::default()
        })
    })
    .await;
    // Noon: Rome's today is the backend's too.
    app.pin_clock_at_utc_noon();
    let mut secrets = Secrets::default();
    let before = files_under(app.dir.path())?;
    let mut dates = Dates {
        today: app.today(),
        before: before.into_iter().flat_map(|(_, bytes)| bytes).collect(),
        used: Vec::new(),
    };

    for (who, template) in [
        (As::Region, "InvioOTP-region.xml"),
        (As::Card, "InvioOTP-card-own-cf.xml"),
        (As::User(OPERATOR), "InvioOTP-operator.xml"),
    ] {
        // Success, then the same OTP again (409).
        upstream.set(Behaviour::Contract);
        let otp = fresh_otp();
        for expected in ["0000", "9999"] {
            let probe = Probe {
                who: who.clone(),
                template,
                otp: otp.clone(),
                date: dates.valid(),
            };
            assert_eq!(
                send(&app, probe, &mut secrets).await.outcome(),
                Some(expected)
            );
        }
        // As typed: lower case, grouped.
        let typed = fresh_otp();
        let typed = format!("{}-{}-{}", &typed[..3], &typed[3..7], &typed[7..]).to_lowercase();
        let probe = Probe {
            who: who.clone(),
            template,
            otp: typed,
            date: dates.valid(),
        };
        assert_eq!(
            send(&app, probe, &mut secrets).await.outcome(),
            Some("0000")
        );
        // Local refusals: a mistyped OTP, a date out of the window or malformed.
        let valid = fresh_otp();
        let mistyped = format!(
            "{}{}",
            &valid[..9],
            if valid.ends_with('A') { 'E' } else { 'A' }
        );
        let today = app.today();
        for (otp, date) in [
            (mistyped, dates.valid()),
            (format!("{}0", &valid[..9]), dates.valid()),
            (
                fresh_otp(),
                dates.unseen(today + TimeDelta::days(3), 1, "%Y-%m-%d"),
            ),
            (
                fresh_otp(),
                dates.unseen(today - TimeDelta::days(400), -1, "%Y-%m-%d"),
            ),
            (
                fresh_otp(),
                dates.unseen(today - TimeDelta::days(9), -1, "%d/%m/%Y"),
            ),
        ] {
            let probe = Probe {
                who: who.clone(),
                template,
                otp,
                date,
            };
            assert_eq!(
                send(&app, probe, &mut secrets).await.outcome(),
                Some("9999")
            );
        }
        // A schema Fault on the OTP's length: its message must not quote the value.
        let long = format!(
            "{}{}{}{}",
            fresh_otp(),
            fresh_otp(),
            fresh_otp(),
            fresh_otp()
        );
        let probe = Probe {
            who: who.clone(),
            template,
            otp: long,
            date: dates.valid(),
        };
        assert_eq!(
            send(&app, probe, &mut secrets).await.outcome(),
            Some("SCHEMA")
        );
        // Every way the backend can fail.
        for behaviour in [
            Behaviour::Status(400),
            Behaviour::Status(500),
            Behaviour::Hang,
            Behaviour::Garbage,
            Behaviour::HangUp,
        ] {
            upstream.set(behaviour);
            let probe = Probe {
                who: who.clone(),
                template,
                otp: fresh_otp(),
                date: dates.valid(),
            };
            assert_eq!(
                send(&app, probe, &mut secrets).await.outcome(),
                Some("9999")
            );
        }
    }

    let metrics = app.admin_get("/metrics").await?.body;
    let log_text = String::from_utf8_lossy(&logs.0.lock().map_err(|_| "poisoned")?).into_owned();
    assert!(
        log_text.contains("\"level\":\"TRACE\""),
        "logs were captured at TRACE"
    );
    assert!(
        log_text.len() > 10_000,
        "the capture holds the gateway's logs ({} bytes)",
        log_text.len()
    );
    let files = files_under(app.dir.path())?;
    assert!(
        files.iter().any(|(p, _)| p.ends_with("tsgate.db")),
        "the database was searched"
    );
    let upper: Vec<String> = secrets.0.iter().map(|s| s.to_uppercase()).collect();
    for secret in secrets.0.iter().chain(&upper) {
        assert!(
            !log_text.contains(secret.as_str()),
            "the logs hold {secret}"
        );
        assert!(
            !metrics.contains(secret.as_str()),
            "/metrics holds {secret}"
        );
        for (path, bytes) in &files {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{} holds {secret}", path.display());
        }
    }
    // The access log did record each of those transactions.
    let entries = app.access_log().await;
    assert!(
        entries
            .iter()
            .filter(|e| e.entry.service == "InvioOTP")
            .count()
            >= 3 * 12
    );
    Ok(())
}

/// Every file under `dir` (the database and its WAL, certificates, samples), with its bytes.
fn files_under(dir: &Path) -> std::io::Result<Vec<(std::path::PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path)?;
                out.push((path, bytes));
            }
        }
    }
    Ok(out)
}
