//! Zero retention (seed 004 §2.5, docs/design.md "Privacy"): OTP and symptom date are never written
//! anywhere. Unique OTPs and dates go through every access mode — SOAP and the web
//! application's OTP form — and every outcome — success, each local refusal, a schema Fault,
//! each upstream failure — with logs captured at TRACE in
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
use helpers::browser::{csrf_of, hidden_field, Browser};
use helpers::{spawn_app_with, As, TestApp, TestResult, OPERATOR, PINCODE};
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

/// OPERATOR signed in on the web application, past the pincode page.
async fn web_operator(app: &TestApp) -> Browser {
    let mut browser = app.browser(As::Anonymous);
    let page = browser.get("/web/login").await;
    let csrf = csrf_of(&page);
    let fields = [
        ("csrf", csrf.as_str()),
        ("user_id", OPERATOR.id),
        ("password", helpers::seed::PASSWORD),
    ];
    assert_eq!(browser.post("/web/login", &fields).await.status, 303);
    let page = browser.get("/web/immuni").await;
    let csrf = csrf_of(&page);
    let pincode = [("csrf", csrf.as_str()), ("pincode", PINCODE)];
    assert_eq!(
        browser.post("/web/immuni/pincode", &pincode).await.status,
        303
    );
    browser
}

/// `otp` and `date` sent through the web form; every answer of the exchange (the form, the
/// outcome page, and the pages that follow) is searched for every secret so far, headers too
/// (a cookie, a redirect's URL). Whether the outcome page says the operation succeeded.
async fn web_send(
    app: &TestApp,
    browser: &mut Browser,
    otp: &str,
    date: &str,
    secrets: &mut Secrets,
) -> bool {
    secrets.0.push(otp.to_owned());
    secrets.0.push(otp.replace('-', "").to_uppercase());
    secrets.0.push(date.to_owned());
    let page = browser.get("/web/immuni").await;
    let answer = app.captcha_answer(browser, &page).await;
    let (csrf, id) = (csrf_of(&page), hidden_field(&page, "captcha_id"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("captcha_id", id.as_str()),
        ("captcha", answer.as_str()),
        ("codice_otp", otp),
        ("data_inizio_sintomi", date),
    ];
    let outcome = browser.post("/web/immuni/invio", &fields).await;
    assert!(
        outcome.body.contains("Esito Transazione"),
        "{}",
        outcome.body
    );
    let after = [browser.get("/web/immuni").await, browser.get("/web/").await];
    for reply in std::iter::once(&outcome).chain(&after) {
        let headers: String = reply
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\n"))
            .collect();
        for secret in &secrets.0 {
            for (what, text) in [("body", &reply.body), ("headers", &headers)] {
                assert!(
                    !text.contains(secret.as_str()),
                    "a web page's {what} holds {secret}: {text}"
                );
            }
        }
    }
    outcome
        .body
        .contains("Operazione effettuata correttamente.")
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

    // The web application's OTP form: success, the same OTP again, a typo, a date out of the
    // window, the backend down.
    upstream.set(Behaviour::Contract);
    let mut browser = web_operator(&app).await;
    let otp = fresh_otp();
    for expected in [true, false] {
        let date = dates.valid();
        assert_eq!(
            web_send(&app, &mut browser, &otp, &date, &mut secrets).await,
            expected
        );
    }
    let valid = fresh_otp();
    let typo = format!(
        "{}{}",
        &valid[..9],
        if valid.ends_with('A') { 'E' } else { 'A' }
    );
    let date = dates.valid();
    assert!(!web_send(&app, &mut browser, &typo, &date, &mut secrets).await);
    let future = dates.unseen(app.today() + TimeDelta::days(3), 1, "%Y-%m-%d");
    assert!(!web_send(&app, &mut browser, &fresh_otp(), &future, &mut secrets).await);
    upstream.set(Behaviour::Status(500));
    let date = dates.valid();
    assert!(!web_send(&app, &mut browser, &fresh_otp(), &date, &mut secrets).await);

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
            >= 3 * 12 + 5
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
