//! The Commissioner's report end to end (seed 003 §5): figures from a store, an AES-256 zip
//! archive, a real SMTP submission server (Debian's python3-aiosmtpd, STARTTLS with a test
//! certificate and AUTH required) receiving the archive and then the password, and a real unzip
//! tool (`7z` from p7zip-full) opening the archive with the password of the second message:
//! its §5.4 CSV holds the hand-counted figures, its MIUR CSV is what `tsgate stats miur` prints.
//! `.ci/run` installs both; a plain `cargo test` lists these tests as ignored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "commissioner/fixture.rs"]
#[allow(dead_code)] // shared with tests/store.rs, which reads the figures from the store
mod fixture;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveTime, TimeZone, Utc};
use tokio::io::{AsyncBufReadExt, BufReader};

use tsgate::audit::Actor;
use tsgate::config::CommissionerConfig;
use tsgate::jobs::commissario::{self, daily, pec::PecSender, CSV_NAME, MIUR_CSV_NAME};
use tsgate::jobs::miur::Intake;
use tsgate::store::{self, AccessLogFilter, MiurKind, Store};

const NEEDS: &str = "needs python3-aiosmtpd and 7z";
const USER: &str = "info@pec.sistemats.test";
const PASSWORD: &str = "smtp-test-password-0cf1";
const RECIPIENTS: [&str; 2] = ["commissario@pec.test", "struttura@pec.test"];

/// Debian's interpreter, where `python3-aiosmtpd` installs (another `python3` first on PATH,
/// such as a pyenv one, would not have it).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

struct PecServer {
    _child: tokio::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
    certs: tempfile::TempDir,
}

impl PecServer {
    async fn start(fail_first: bool) -> PecServer {
        let certs = tempfile::tempdir().unwrap();
        tsgate::pki::folder::init_gateway(certs.path(), vec!["localhost".into()]).unwrap();
        let maildir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/commissioner/pec_server.py");
        let mut child = tokio::process::Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .arg(certs.path().join("server.pem"))
            .arg(certs.path().join("server-key.pem"))
            .args([USER, PASSWORD])
            .arg(maildir.path())
            .env("FAIL_FIRST", if fail_first { "1" } else { "0" })
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start python3 with aiosmtpd");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the SMTP server starts within 30 s")
            .unwrap();
        assert_eq!(
            ready.as_deref(),
            Some("READY"),
            "the SMTP server did not start"
        );
        PecServer {
            _child: child,
            port,
            maildir,
            certs,
        }
    }

    fn config(&self, password: &str) -> CommissionerConfig {
        CommissionerConfig {
            smtp_ca_bundle: Some(self.certs.path().join("ca.pem")),
            recipients: RECIPIENTS.iter().map(|r| r.to_string()).collect(),
            attempts: 3,
            retry_initial_ms: 100,
            timeout_ms: 20_000,
            ..settings(self.port, Some(password))
        }
    }

    /// The messages accepted so far, in order (their number).
    fn accepted(&self) -> Vec<u32> {
        let mut numbers: Vec<u32> = std::fs::read_dir(self.maildir.path())
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".eml")?.parse().ok()
            })
            .collect();
        numbers.sort_unstable();
        numbers
    }

    fn file(&self, message: u32, suffix: &str) -> PathBuf {
        self.maildir.path().join(format!("{message:03}{suffix}"))
    }

    fn text(&self, message: u32, suffix: &str) -> String {
        std::fs::read_to_string(self.file(message, suffix)).unwrap()
    }
}

/// A PEC configuration for `localhost:port`, one recipient, quick retries.
fn settings(port: u16, password: Option<&str>) -> CommissionerConfig {
    CommissionerConfig {
        smtp_host: "localhost".into(),
        smtp_port: port,
        smtp_username: USER.into(),
        smtp_password: password.map(str::to_owned),
        smtp_ca_bundle: None,
        sender: USER.into(),
        recipients: vec![RECIPIENTS[0].into()],
        send_at: "07:00".into(),
        attempts: 2,
        retry_initial_ms: 50,
        timeout_ms: 300,
    }
}

/// The access-log entries of `operation`.
async fn logged(store: &dyn Store, operation: &str) -> Vec<tsgate::store::AccessLogEntry> {
    store
        .access_log()
        .search(
            &AccessLogFilter {
                operation: Some(operation.into()),
                ..AccessLogFilter::default()
            },
            0,
            10,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|chained| chained.entry)
        .collect()
}

/// The store of a demo-layout directory (`tsgate.db`), so that `tsgate ... --dir` reads it.
fn store_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("tsgate.db").display())
}

/// The fixture's registry and activity, and a statistic of two MIUR kinds: a state-school file
/// of the five listed staff, one CF the registry does not know and a malformed one (so the list
/// and the kits stay as the fixture made them), and the paritarie file of
/// `tests/commissioner/paritarie.csv` (provinces this registry cannot place, reported).
async fn seeded_store(dir: &Path) -> Arc<dyn Store> {
    let store = store::connect(&store_url(dir)).await.unwrap();
    fixture::registry(store.as_ref(), Utc::now().date_naive()).await;
    fixture::activity(store.clone(), Utc::now(), "TX").await;
    let mut statali = String::from("codice_fiscale\n");
    for n in [0, 1, 2, 3, 4, 99] {
        statali.push_str(&format!("{}\n", fixture::person(n)));
    }
    statali.push_str("NOT-A-CF\n");
    let intake = Intake {
        store: store.as_ref(),
        actor: Actor::Cli {
            os_user: "tester".into(),
        },
        progress: &tsgate::jobs::Silent,
    };
    let report = intake
        .import(MiurKind::Statali, statali.as_bytes(), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (
            report.statistic.validated_cfs,
            report.statistic.rows_rejected
        ),
        (Some(5), 1)
    );
    let paritarie = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/commissioner/paritarie.csv");
    intake
        .import(
            MiurKind::Paritarie,
            std::fs::File::open(paritarie).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    store
}

/// What `tsgate stats miur --dir DIR` prints.
fn stats_miur(dir: &Path) -> String {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["stats", "miur", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).unwrap()
}

/// The archive's two CSVs: the §5.4 figures and the MIUR statistics.
struct Opened {
    figures: String,
    miur: String,
}

/// Extracts `archive` with 7z and `password`; its CSVs, or 7z's complaint.
fn open_with_7z(archive: &Path, password: &str) -> Result<Opened, String> {
    let out = tempfile::tempdir().unwrap();
    let run = std::process::Command::new("7z")
        .arg("x")
        .arg(format!("-p{password}"))
        .arg(format!("-o{}", out.path().display()))
        .arg("-y")
        .arg(archive)
        .output()
        .expect("run 7z (p7zip-full)");
    if !run.status.success() {
        return Err(String::from_utf8_lossy(&run.stdout).into_owned()
            + &String::from_utf8_lossy(&run.stderr));
    }
    let read = |name| std::fs::read_to_string(out.path().join(name)).unwrap();
    Ok(Opened {
        figures: read(CSV_NAME),
        miur: read(MIUR_CSV_NAME),
    })
}

/// The CSV's ASL rows as (region, ASL, four figures); every region row must total its ASLs.
fn asl_rows(csv: &str) -> Vec<(String, String, [i64; 4])> {
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some(commissario::csv::HEADER));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let figures =
        |row: &Vec<&str>| -> [i64; 4] { std::array::from_fn(|i| row[6 + i].parse().unwrap()) };
    for region in rows.iter().filter(|r| r[1] == "regione") {
        let mut total = [0; 4];
        for asl in rows.iter().filter(|r| r[1] == "asl" && r[2] == region[2]) {
            for (t, f) in total.iter_mut().zip(figures(asl)) {
                *t += f;
            }
        }
        assert_eq!(
            figures(region),
            total,
            "region {} totals its ASLs",
            region[2]
        );
    }
    rows.iter()
        .filter(|r| r[1] == "asl")
        .map(|r| (r[2].to_owned(), r[4].to_owned(), figures(r)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs python3-aiosmtpd and 7z"]
async fn the_daily_report_goes_by_pec_archive_then_password_once() {
    let _ = NEEDS;
    // The first submission gets a transient 451: the archive is retried, then accepted.
    let server = PecServer::start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(dir.path()).await;
    let sender = PecSender::from_config(&server.config(PASSWORD)).unwrap();
    let send_at = NaiveTime::from_hms_opt(7, 0, 0).unwrap();

    // 06:59 in Rome: not yet.
    let before = Utc.with_ymd_and_hms(2026, 11, 30, 5, 59, 0).unwrap();
    let outcome = daily::run_once(store.as_ref(), &sender, send_at, before)
        .await
        .unwrap();
    assert!(
        matches!(outcome, daily::DailyOutcome::NotDue),
        "{outcome:?}"
    );
    assert!(server.accepted().is_empty());

    let due = Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 30).unwrap();
    let delivered = match daily::run_once(store.as_ref(), &sender, send_at, due).await {
        Ok(daily::DailyOutcome::Sent(delivered)) => delivered,
        other => panic!("the report was not sent: {other:?}"),
    };
    assert_eq!(delivered.archive_name, "commissario-2026-11-30.zip");
    assert_eq!(server.accepted(), vec![1, 2], "two messages");

    // The first: the archive, to the recipients, from the sender, with no password in it.
    let archive = server.file(1, "-commissario-2026-11-30.zip");
    let bytes = std::fs::read(&archive).expect("the first message carries the archive");
    assert_eq!(
        hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            &bytes
        )),
        delivered.sha256
    );
    for message in [1, 2] {
        let headers = server.text(message, ".headers");
        assert!(headers.contains(&format!("From: {USER}")), "{headers}");
        let rcpt = server.text(message, ".rcpt");
        assert_eq!(
            rcpt.lines().collect::<Vec<_>>(),
            RECIPIENTS,
            "message {message}"
        );
    }
    // The second: the password, alone; it opens the archive of the first.
    let password_text = server.text(2, ".txt");
    let password = password_text
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("the second message holds the password")
        .trim()
        .to_owned();
    assert_eq!(password.len(), 24);
    assert!(!server.text(1, ".txt").contains(&password));
    assert!(!String::from_utf8_lossy(&bytes).contains(&password));
    assert!(
        open_with_7z(&archive, "not-the-password").is_err(),
        "the archive is encrypted"
    );
    let opened = open_with_7z(&archive, &password).expect("7z opens it with the password");
    let csv = &opened.figures;
    assert!(
        csv.contains("2026-11-30 07:00:30;regione;120;Lazio;;;2;5;2;20"),
        "{csv}"
    );
    assert_eq!(asl_rows(csv), fixture::expected());
    // The §2.4 statistics: exactly what `tsgate stats miur` prints, both kinds imported.
    assert_eq!(opened.miur, stats_miur(dir.path()));
    let kinds: Vec<&str> = opened
        .miur
        .lines()
        .filter(|l| l.contains(";totale;"))
        .map(|l| l.split(';').next().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["statali", "paritarie"], "{}", opened.miur);
    assert!(
        opened
            .miur
            .lines()
            .any(|l| l.starts_with("statali;") && l.contains(";asl;120;201;;3;0;0;")),
        "{}",
        opened.miur
    );
    assert!(
        opened
            .miur
            .lines()
            .any(|l| l.starts_with("paritarie;") && l.contains(";non_attribuito;")),
        "{}",
        opened.miur
    );

    // Once a day: another look (this gateway after a restart, or another one) sends nothing.
    let later = due + chrono::Duration::hours(5);
    let outcome = daily::run_once(store.as_ref(), &sender, send_at, later)
        .await
        .unwrap();
    assert!(
        matches!(outcome, daily::DailyOutcome::AlreadySent),
        "{outcome:?}"
    );
    let other_gateway = store::connect(&store_url(dir.path())).await.unwrap();
    let outcome = daily::run_once(other_gateway.as_ref(), &sender, send_at, later)
        .await
        .unwrap();
    assert!(
        matches!(outcome, daily::DailyOutcome::AlreadySent),
        "{outcome:?}"
    );
    assert_eq!(server.accepted(), vec![1, 2]);

    // The send is in the access log: recipients, the archive's hash, the outcome.
    let entries = logged(store.as_ref(), "commissioner-report-send").await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.caller_kind.as_str(), "gateway");
    assert_eq!(entry.target.as_deref(), Some(RECIPIENTS.join(",").as_str()));
    assert!(entry.detail.as_deref().unwrap().contains(&delivered.sha256));
    assert_eq!(entry.outcome, "ok");
    assert!(matches!(
        store::verify_chain(store.as_ref()).await.unwrap(),
        store::ChainReport::Intact { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs python3-aiosmtpd and 7z"]
async fn refused_credentials_send_nothing_and_the_day_stays_open() {
    let server = PecServer::start(false).await;
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(dir.path()).await;
    let sender = PecSender::from_config(&server.config("wrong password")).unwrap();
    let send_at = NaiveTime::from_hms_opt(7, 0, 0).unwrap();
    let due = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
    let error = daily::run_once(store.as_ref(), &sender, send_at, due)
        .await
        .expect_err("AUTH is refused");
    let text = format!("{error:#}");
    assert!(
        text.contains("archive message was not accepted after 1 attempt"),
        "{text}"
    );
    assert!(
        server.accepted().is_empty(),
        "no message, so no password either"
    );
    let entries = logged(store.as_ref(), "commissioner-report-send").await;
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]
            .outcome
            .starts_with("refused: the archive message"),
        "{:?}",
        entries[0]
    );
    assert!(!entries[0].outcome.contains("wrong password"));
    // The claim was given back: with the right password the day's report goes.
    let sender = PecSender::from_config(&server.config(PASSWORD)).unwrap();
    let outcome = daily::run_once(store.as_ref(), &sender, send_at, due)
        .await
        .unwrap();
    assert!(
        matches!(outcome, daily::DailyOutcome::Sent(_)),
        "{outcome:?}"
    );
    assert_eq!(server.accepted(), vec![1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs python3-aiosmtpd and 7z"]
async fn an_exported_archive_opens_with_the_password_shown() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(dir.path()).await;
    let out = dir.path().join("report.zip");
    let cli = tsgate::audit::Actor::Cli {
        os_user: "tester".into(),
    };
    let (written, password) = commissario::export(store.as_ref(), &out, cli.clone(), Utc::now())
        .await
        .unwrap();
    assert_eq!(written.to, out.display().to_string());
    let opened = open_with_7z(&out, password.expose()).unwrap();
    assert_eq!(asl_rows(&opened.figures), fixture::expected());
    assert_eq!(opened.miur, stats_miur(dir.path()));
    // Never over an existing file, and the refusal is logged too.
    let again = commissario::export(store.as_ref(), &out, cli, Utc::now()).await;
    assert!(again.is_err());
    let entries = logged(store.as_ref(), "commissioner-report-export").await;
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .any(|e| e.outcome == "ok" && e.detail.as_deref().unwrap().contains(&written.sha256)));
    assert!(entries.iter().any(|e| e.outcome.starts_with("refused")));
}

/// A server that accepts the connection and never answers: each attempt ends at `timeout_ms`,
/// retried, then the send is reported failed (lettre alone would wait for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_fails_the_send_in_bounded_time() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(dir.path()).await;
    let config = settings(port, Some(PASSWORD));
    let sender = PecSender::from_config(&config).unwrap();
    let started = std::time::Instant::now();
    let cli = tsgate::audit::Actor::Cli {
        os_user: "tester".into(),
    };
    let error = commissario::send(store.as_ref(), &sender, cli, Utc::now())
        .await
        .expect_err("nothing answers");
    assert!(started.elapsed() < Duration::from_secs(10));
    let text = error.to_string();
    assert!(
        text.contains(
            "not accepted after 2 attempt(s): no answer from the SMTP server within 300 ms"
        ),
        "{text}"
    );
    held.abort();
}

#[test]
fn a_missing_smtp_password_is_named() {
    let config = settings(587, None);
    let error = PecSender::from_config(&config).err().expect("no password");
    assert_eq!(
        error.to_string(),
        "no SMTP password: set commissioner.smtp_password or TSGATE_COMMISSIONER_SMTP_PASSWORD"
    );
}
