//! The store's behaviour, written once and run on both backends.
//!
//! Each test body takes a [`TestDb`]; `on_both_backends!` runs it on a fresh SQLite file and on
//! a fresh PostgreSQL schema. The PostgreSQL half is `#[ignore = "needs PostgreSQL…"]`: a plain
//! `cargo test` lists it as ignored, with the reason; `.ci/run` sets `TSGATE_TEST_PG_URL` and
//! runs it with `--include-ignored`, where a missing variable fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};
use tokio::sync::Semaphore;

use tsgate::domain::{AslCode, CodiceFiscale, OperatorCf, Profile, RegionCode};
use tsgate::store::access_log::verify_chain_paged;
use tsgate::store::postgres::PostgresStore;
use tsgate::store::{
    self, verify_chain, AccessLog, AccessLogAnchor, AccessLogEntry, AccessLogFilter,
    AccessLogWriter, BatchDelay, CallerKind, CertificateKind, CertificateRecord, CertificateStatus,
    ChainProblem, ChainReport, ChainedEntry, OfTitolare, RecordError, SentTestQuery, Store,
    StoreError, UserRecord,
};

const PG_ENV: &str = "TSGATE_TEST_PG_URL";

/// A codice fiscale the test knows to be valid.
fn cf(text: &str) -> CodiceFiscale {
    CodiceFiscale::parse(text).expect("a valid codice fiscale")
}

fn operator(text: &str) -> OperatorCf {
    OperatorCf::parse(text).expect("an operator's codice fiscale")
}

fn region(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("a region code")
}

fn asl(text: &str) -> AslCode {
    AslCode::parse(text).expect("an ASL code")
}

// --- harness ----------------------------------------------------------------------------------

/// A fresh database of one backend, with raw access for tampering.
struct TestDb {
    store: Arc<dyn Store>,
    kind: Kind,
}

enum Kind {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: PgPool,
        schema: String,
        options: Box<PgConnectOptions>,
    },
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        // A subdirectory that does not exist yet: connect() must create it.
        let path = dir.path().join("data").join("tsgate.sqlite");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let store = store::connect(&url).await.expect("open SQLite store");
        TestDb {
            store,
            kind: Kind::Sqlite { _dir: dir, url },
        }
    }

    /// A fresh schema on `TSGATE_TEST_PG_URL`. The PostgreSQL tests are `#[ignore]`d, so this
    /// runs only when asked for (`--include-ignored`, as `.ci/run` does): then a missing
    /// variable is a failure, never a silent skip.
    async fn postgres() -> TestDb {
        let url = std::env::var(PG_ENV)
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| panic!("this test needs PostgreSQL: set {PG_ENV}"));
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("connect to TSGATE_TEST_PG_URL");
        let schema = unique_schema_name();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("create test schema");
        let options = PgConnectOptions::from_str(&url)
            .expect("parse TSGATE_TEST_PG_URL")
            .options([("search_path", schema.as_str())]);
        let store = PostgresStore::connect_with(options.clone())
            .await
            .expect("open PostgreSQL store");
        TestDb {
            store: Arc::new(store),
            kind: Kind::Postgres {
                admin,
                schema,
                options: Box::new(options),
            },
        }
    }

    /// Another store on the same database, as after a restart.
    async fn open_again(&self) -> Arc<dyn Store> {
        match &self.kind {
            Kind::Sqlite { url, .. } => store::connect(url).await.expect("reopen SQLite"),
            Kind::Postgres { options, .. } => Arc::new(
                PostgresStore::connect_with((**options).clone())
                    .await
                    .expect("reopen PostgreSQL"),
            ),
        }
    }

    /// Runs `sql` as a plain client would, append-only guards in force.
    async fn exec_guarded(&self, sql: &str) -> Result<(), sqlx::Error> {
        match &self.kind {
            Kind::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
            }
            Kind::Postgres { options, .. } => {
                let mut conn = sqlx::PgConnection::connect_with(options).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
            }
        }
        Ok(())
    }

    /// Runs `sql` past the append-only guards, as an attacker with database access would.
    async fn tamper(&self, sql: &str) {
        match &self.kind {
            Kind::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
                let mut tx = conn.begin().await.expect("begin");
                let trigger: String = sqlx::query_scalar(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' \
                     AND name = 'access_log_no_update'",
                )
                .fetch_one(&mut *tx)
                .await
                .expect("read trigger");
                sqlx::raw_sql(
                    "DROP TRIGGER access_log_no_update; \
                     INSERT INTO purge_in_progress (id) VALUES (1);",
                )
                .execute(&mut *tx)
                .await
                .expect("lift guards");
                sqlx::raw_sql(sql).execute(&mut *tx).await.expect("tamper");
                sqlx::raw_sql("DELETE FROM purge_in_progress")
                    .execute(&mut *tx)
                    .await
                    .expect("restore marker");
                sqlx::raw_sql(&trigger)
                    .execute(&mut *tx)
                    .await
                    .expect("restore trigger");
                tx.commit().await.expect("commit tamper");
            }
            Kind::Postgres { options, .. } => {
                let mut conn = sqlx::PgConnection::connect_with(options)
                    .await
                    .expect("connect");
                let mut tx = conn.begin().await.expect("begin");
                sqlx::query("SELECT set_config('tsgate.purge', 'on', true)")
                    .execute(&mut *tx)
                    .await
                    .expect("lift guard");
                sqlx::raw_sql(sql).execute(&mut *tx).await.expect("tamper");
                tx.commit().await.expect("commit tamper");
            }
        }
    }

    fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    async fn cleanup(&self) {
        self.store.close().await;
        if let Kind::Postgres { admin, schema, .. } = &self.kind {
            let dropped = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(admin)
                .await;
            if let Err(error) = dropped {
                eprintln!("could not drop test schema {schema}: {error}");
            }
            admin.close().await;
        }
    }
}

fn unique_schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "tsgate_test_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `body`, then drops the database, even if the body panicked.
async fn run<F, Fut>(db: TestDb, body: F)
where
    F: FnOnce(Arc<TestDb>) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = Arc::new(db);
    let guard = DropSchemaOnPanic(match &db.kind {
        Kind::Postgres { schema, .. } => Some(schema.clone()),
        Kind::Sqlite { .. } => None,
    });
    body(db.clone()).await;
    drop(guard);
    db.cleanup().await;
}

/// Drops a test schema when a test body panics, so failed runs leave nothing behind.
struct DropSchemaOnPanic(Option<String>);

impl Drop for DropSchemaOnPanic {
    fn drop(&mut self) {
        let (Some(schema), true) = (self.0.take(), std::thread::panicking()) else {
            return;
        };
        let Ok(url) = std::env::var(PG_ENV) else {
            return;
        };
        // Drop cannot await: do it on a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<(), String>(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop a test schema: {error}");
        }
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::run(super::TestDb::sqlite().await, super::$name).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set TSGATE_TEST_PG_URL and run with --include-ignored"]
            async fn postgres() {
                super::run(super::TestDb::postgres().await, super::$name).await;
            }
        }
    )*};
}

on_both_backends!(
    many_entries_verify_intact,
    entries_round_trip_exactly,
    append_is_all_or_nothing,
    concurrent_records_are_contiguous_and_grouped,
    altered_columns_are_detected,
    unreadable_row_is_reported_as_altered,
    deleted_middle_entry_is_missing,
    swapped_entries_are_detected,
    append_only_is_enforced,
    purge_keeps_the_chain_verifiable,
    purge_of_everything_keeps_the_head,
    reopened_store_continues_the_chain,
    shutdown_commits_what_was_queued,
    entries_arriving_within_the_batch_delay_share_a_commit,
    no_entry_waits_for_others_beyond_the_batch_delay,
    an_idle_writer_commits_at_once_despite_the_batch_delay,
    shutdown_ends_the_batch_delay_and_commits,
    failed_commit_fails_the_batch_and_the_chain_recovers,
    users_round_trip_and_duplicates_are_refused,
    profiles_and_region_services,
    users_are_edited_enabled_and_listed_by_asl,
    operator_records_round_trip,
    administrators_round_trip_and_bootstrap_happens_once,
    old_otp_profile_grants_are_renamed_by_the_migration,
    tampered_admin_entry_fails_verification,
    admin_appends_while_the_writer_runs_keep_one_chain,
    two_gateways_writers_racing_for_the_head_all_commit,
    search_filters_by_actor_target_operation_and_time,
    certificate_register_records_renewals_and_revocations,
);

// --- certificate register -----------------------------------------------------------------------

fn certificate(serial: &str, days_left: i64, replaces: Option<&str>) -> CertificateRecord {
    let issued = base_time();
    CertificateRecord {
        serial: serial.to_owned(),
        kind: CertificateKind::Region,
        subject: "CN=SAR-120, OU=SAR, O=tsgate".to_owned(),
        region: Some(region("120")),
        not_before: issued - chrono::Duration::days(1),
        not_after: issued + chrono::Duration::days(days_left),
        issued_at: issued,
        revoked_at: None,
        replaces: replaces.map(str::to_owned),
    }
}

async fn certificate_register_records_renewals_and_revocations(db: Arc<TestDb>) {
    let register = db.store.certificates();
    let old = certificate("0a11", 20, None);
    let renewed = certificate("0b22", 400, Some("0a11"));
    let server = CertificateRecord {
        kind: CertificateKind::Server,
        subject: "CN=localhost".to_owned(),
        region: None,
        ..certificate("0c33", 800, None)
    };
    register.record(&renewed).await.expect("record");
    register.record(&old).await.expect("record");
    register.record(&server).await.expect("record");
    let duplicate = register.record(&old).await.expect_err("same serial twice");
    assert!(
        matches!(&duplicate, StoreError::Duplicate { what: "certificate", key } if key == "0a11"),
        "{duplicate:?}"
    );
    assert_eq!(
        register.list().await.expect("list"),
        [old.clone(), renewed.clone(), server.clone()],
        "soonest expiry first"
    );
    assert_eq!(register.find("0b22").await.expect("find"), Some(renewed));
    assert_eq!(register.find("ffff").await.expect("find"), None);

    let now = base_time();
    assert_eq!(old.status(now), CertificateStatus::Valid);
    assert_eq!(
        old.status(now + chrono::Duration::days(21)),
        CertificateStatus::Expired
    );
    let at = now + chrono::Duration::hours(1);
    assert!(register.revoke("0a11", at).await.expect("revoke"));
    assert!(!register.revoke("0a11", at).await.expect("again: no-op"));
    let revoked = register.find("0a11").await.expect("find").expect("there");
    assert_eq!(revoked.revoked_at, Some(at));
    assert_eq!(revoked.status(at), CertificateStatus::Revoked);
    let unknown = register
        .revoke("ffff", at)
        .await
        .expect_err("unknown serial");
    assert!(
        matches!(
            &unknown,
            StoreError::NotFound {
                what: "certificate",
                ..
            }
        ),
        "{unknown:?}"
    );

    db.exec_guarded("UPDATE certificates SET kind = 'wizard' WHERE serial = '0c33'")
        .await
        .expect("a foreign writer");
    let corrupt = register.find("0c33").await.expect_err("unknown kind");
    assert!(
        matches!(
            &corrupt,
            StoreError::CorruptRow {
                table: "certificates",
                column: "kind",
                ..
            }
        ),
        "{corrupt:?}"
    );
}

// --- helpers ----------------------------------------------------------------------------------

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, 1, 9, 30, 0)
        .single()
        .expect("valid time")
}

/// A varied entry: every caller kind, and optional fields None, Some("") and Some(value).
fn entry(i: i64, at: DateTime<Utc>) -> AccessLogEntry {
    let kind = match i % 5 {
        0 => CallerKind::Region,
        1 => CallerKind::OperatorCertificate,
        2 => CallerKind::OperatorPassword,
        3 => CallerKind::Administrator,
        _ => CallerKind::Cli,
    };
    let optional = |n: i64, value: &str| match (i + n) % 3 {
        0 => None,
        1 => Some(String::new()),
        _ => Some(value.to_owned()),
    };
    AccessLogEntry {
        transaction_id: format!("TX{i:08}"),
        at,
        caller_kind: kind,
        caller_id: format!("caller-{}", i % 7),
        region: optional(0, "080"),
        operator_cf: optional(1, "RSSMRA80A01H501U"),
        titolare_cf: optional(2, "VRDLGI70B02F205X"),
        declared_auth: optional(1, "SPID"),
        service: "OtpService".to_owned(),
        operation: "inviaOtp".to_owned(),
        outcome: if i % 5 == 0 { "9999" } else { "0000" }.to_owned(),
        client_address: optional(2, "192.0.2.7"),
        target: optional(0, "ASL02"),
        detail: optional(1, "profile ASL Numero test"),
    }
}

/// Appends `count` entries directly (no writer), one minute apart from `start`.
async fn append_entries(store: &dyn Store, count: i64, start: DateTime<Utc>) -> Vec<ChainedEntry> {
    let (mut seq, mut prev) = store
        .access_log()
        .head()
        .await
        .expect("head")
        .unwrap_or((0, [0; 32]));
    let mut all = Vec::new();
    let mut batch = Vec::new();
    for i in 0..count {
        seq += 1;
        let chained =
            ChainedEntry::link(seq, prev, entry(seq, start + chrono::Duration::minutes(i)));
        prev = chained.hash;
        batch.push(chained);
        if batch.len() == 1000 {
            store.access_log().append(&batch).await.expect("append");
            all.append(&mut batch);
        }
    }
    store.access_log().append(&batch).await.expect("append");
    all.append(&mut batch);
    all
}

async fn read_all(store: &dyn Store) -> Vec<ChainedEntry> {
    store.access_log().read(0, 1_000_000).await.expect("read")
}

fn intact(entries: u64, first_seq: i64, last_seq: i64) -> ChainReport {
    ChainReport::Intact {
        entries,
        first_seq,
        last_seq,
    }
}

fn broken(seq: i64, problem: ChainProblem) -> ChainReport {
    ChainReport::Broken { seq, problem }
}

async fn verify(store: &dyn Store) -> ChainReport {
    verify_chain(store).await.expect("verify")
}

fn sql_text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn sql_opt(value: &Option<String>) -> String {
    value.as_deref().map_or_else(|| "NULL".to_owned(), sql_text)
}

/// An UPDATE giving row `seq` the content of `from` (and its links, if `links`).
fn overwrite_row(seq: i64, from: &ChainedEntry, links: bool) -> String {
    let e = &from.entry;
    let mut sql = format!(
        "UPDATE access_log SET transaction_id = {}, at_ms = {}, caller_kind = {}, \
         caller_id = {}, region = {}, operator_cf = {}, titolare_cf = {}, declared_auth = {}, \
         service = {}, operation = {}, outcome = {}",
        sql_text(&e.transaction_id),
        e.at_ms(),
        sql_text(e.caller_kind.as_str()),
        sql_text(&e.caller_id),
        sql_opt(&e.region),
        sql_opt(&e.operator_cf),
        sql_opt(&e.titolare_cf),
        sql_opt(&e.declared_auth),
        sql_text(&e.service),
        sql_text(&e.operation),
        sql_text(&e.outcome),
    );
    if links {
        sql.push_str(&format!(
            ", prev_hash = '{}', hash = '{}'",
            hex::encode(from.prev_hash),
            hex::encode(from.hash)
        ));
    }
    sql.push_str(&format!(" WHERE seq = {seq};"));
    sql
}

// --- access log -------------------------------------------------------------------------------

/// Crosses several verification pages (10,000 entries each).
async fn many_entries_verify_intact(db: Arc<TestDb>) {
    let store = &*db.store;
    assert_eq!(
        verify(store).await,
        intact(0, 1, 0),
        "an empty log is intact"
    );
    append_entries(store, 25_000, base_time()).await;
    assert_eq!(verify(store).await, intact(25_000, 1, 25_000));
    assert_eq!(
        verify_chain_paged(store, 7).await.expect("verify"),
        intact(25_000, 1, 25_000),
        "page size does not change the verdict"
    );
    let head = store
        .access_log()
        .head()
        .await
        .expect("head")
        .expect("some");
    assert_eq!(head.0, 25_000);
}

async fn entries_round_trip_exactly(db: Arc<TestDb>) {
    let store = &*db.store;
    let written = append_entries(store, 30, base_time()).await;
    assert_eq!(read_all(store).await, written);
    let page = store.access_log().read(10, 5).await.expect("read");
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![11, 12, 13, 14, 15]
    );
    assert_eq!(
        written[0].prev_hash, [0; 32],
        "the first entry links to zeros"
    );
    assert_eq!(
        store.access_log().anchor().await.expect("anchor"),
        AccessLogAnchor::GENESIS
    );
}

/// A batch that cannot be stored whole leaves nothing behind.
async fn append_is_all_or_nothing(db: Arc<TestDb>) {
    let store = &*db.store;
    let written = append_entries(store, 5, base_time()).await;
    let head = written[4].hash;
    let six = ChainedEntry::link(6, head, entry(6, base_time()));
    let seven = ChainedEntry::link(7, six.hash, entry(7, base_time()));
    let stale_five = ChainedEntry::link(5, head, entry(5, base_time()));
    let failed = store
        .access_log()
        .append(&[six, seven, stale_five])
        .await
        .expect_err("seq 5 is taken");
    assert!(
        matches!(&failed, StoreError::Conflict { on, .. } if on.contains("access_log")),
        "unexpected error: {failed:?}"
    );
    assert_eq!(
        store.access_log().head().await.expect("head"),
        Some((5, head))
    );
    assert_eq!(verify(store).await, intact(5, 1, 5));
}

async fn concurrent_records_are_contiguous_and_grouped(db: Arc<TestDb>) {
    let (writer, handle) = AccessLogWriter::start(db.store.clone(), 512)
        .await
        .expect("start writer");
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.record(entry(i, base_time())).await })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.expect("task").expect("recorded"));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
    let stats = writer.stats();
    eprintln!("200 concurrent records: {} batches", stats.batches);
    assert_eq!(stats.entries, 200);
    assert!(
        stats.batches < 200,
        "200 concurrent records should share commits, got {} batches",
        stats.batches
    );
    handle.shutdown().await;
    assert_eq!(verify(&*db.store).await, intact(200, 1, 200));
}

async fn altered_columns_are_detected(db: Arc<TestDb>) {
    let store = &*db.store;
    let written = append_entries(store, 20, base_time()).await;
    // (row, tampering, undo): each is caught at that row, and undoing it restores the chain.
    let region_of_9 = sql_opt(&written[8].entry.region);
    let cases = [
        (
            7,
            "UPDATE access_log SET outcome = '0001' WHERE seq = 7".to_owned(),
            format!(
                "UPDATE access_log SET outcome = {} WHERE seq = 7",
                sql_text(&written[6].entry.outcome)
            ),
        ),
        (
            3,
            "UPDATE access_log SET at_ms = at_ms + 1 WHERE seq = 3".to_owned(),
            "UPDATE access_log SET at_ms = at_ms - 1 WHERE seq = 3".to_owned(),
        ),
        (
            9,
            // Flips None and Some(""): the encoding tells them apart.
            format!(
                "UPDATE access_log SET region = {} WHERE seq = 9",
                if written[8].entry.region.is_none() {
                    "''"
                } else {
                    "NULL"
                }
            ),
            format!("UPDATE access_log SET region = {region_of_9} WHERE seq = 9"),
        ),
        (
            20,
            "UPDATE access_log SET caller_id = 'someone-else' WHERE seq = 20".to_owned(),
            format!(
                "UPDATE access_log SET caller_id = {} WHERE seq = 20",
                sql_text(&written[19].entry.caller_id)
            ),
        ),
    ];
    for (seq, tampering, undo) in cases {
        db.tamper(&tampering).await;
        let report = verify(store).await;
        assert_eq!(report, broken(seq, ChainProblem::Altered), "{tampering}");
        assert_eq!(
            report.to_string(),
            format!("entry {seq} was altered: its content no longer matches its hash")
        );
        db.tamper(&undo).await;
        assert_eq!(verify(store).await, intact(20, 1, 20), "{undo}");
    }
}

/// A row tampered beyond decoding is reported in order, not as a read error.
async fn unreadable_row_is_reported_as_altered(db: Arc<TestDb>) {
    let store = &*db.store;
    append_entries(store, 12, base_time()).await;
    db.tamper("UPDATE access_log SET hash = 'not hex' WHERE seq = 8")
        .await;
    assert!(matches!(
        store.access_log().read(0, 100).await,
        Err(StoreError::CorruptAccessLogRow { seq: 8, .. })
    ));
    assert_eq!(verify(store).await, broken(8, ChainProblem::Altered));
    db.tamper("UPDATE access_log SET outcome = 'x' WHERE seq = 4")
        .await;
    assert_eq!(
        verify(store).await,
        broken(4, ChainProblem::Altered),
        "the first problem in seq order is reported"
    );
}

async fn deleted_middle_entry_is_missing(db: Arc<TestDb>) {
    let store = &*db.store;
    append_entries(store, 20, base_time()).await;
    db.tamper("DELETE FROM access_log WHERE seq = 10").await;
    let report = verify(store).await;
    assert_eq!(
        report,
        broken(11, ChainProblem::Missing { expected_seq: 10 })
    );
    assert_eq!(
        report.to_string(),
        "entry 10 is missing: the log jumps to entry 11"
    );
    db.tamper("DELETE FROM access_log WHERE seq = 1").await;
    assert_eq!(
        verify(store).await,
        broken(2, ChainProblem::Missing { expected_seq: 1 }),
        "a missing first entry is caught against the anchor"
    );
}

async fn swapped_entries_are_detected(db: Arc<TestDb>) {
    let store = &*db.store;
    let written = append_entries(store, 10, base_time()).await;
    let (five, six) = (&written[4], &written[5]);

    // Whole rows swapped, seq kept: entry 5 no longer links to entry 4.
    db.tamper(&format!(
        "{} {}",
        overwrite_row(5, six, true),
        overwrite_row(6, five, true)
    ))
    .await;
    let report = verify(store).await;
    assert_eq!(report, broken(5, ChainProblem::Relinked));
    assert!(report.to_string().starts_with("entry 5 is out of place"));

    // Content swapped but hashes left in place: entry 5's content no longer matches its hash.
    db.tamper(&format!(
        "{} {}",
        overwrite_row(5, five, true),
        overwrite_row(6, six, true)
    ))
    .await;
    assert_eq!(verify(store).await, intact(10, 1, 10), "restored");
    db.tamper(&format!(
        "{} {}",
        overwrite_row(5, six, false),
        overwrite_row(6, five, false)
    ))
    .await;
    assert_eq!(verify(store).await, broken(5, ChainProblem::Altered));
}

async fn append_only_is_enforced(db: Arc<TestDb>) {
    let store = &*db.store;
    append_entries(store, 5, base_time()).await;
    for sql in [
        "UPDATE access_log SET outcome = '0001' WHERE seq = 2",
        "DELETE FROM access_log WHERE seq = 2",
        "UPDATE access_log_anchor SET first_seq = 3",
        "DELETE FROM access_log_anchor",
    ] {
        let refused = db.exec_guarded(sql).await;
        assert!(refused.is_err(), "{sql} should be refused");
    }
    if db.is_postgres() {
        assert!(db.exec_guarded("TRUNCATE access_log").await.is_err());
    }
    assert_eq!(verify(store).await, intact(5, 1, 5));
}

async fn purge_keeps_the_chain_verifiable(db: Arc<TestDb>) {
    let store = &*db.store;
    let now = Utc::now();
    let old = append_entries(store, 10, now - chrono::Duration::days(400)).await;
    append_entries(store, 10, now - chrono::Duration::days(10)).await;
    let cutoff = now - chrono::Duration::days(365);

    assert_eq!(
        store
            .access_log()
            .purge_before(cutoff)
            .await
            .expect("purge"),
        10
    );
    assert_eq!(
        store.access_log().anchor().await.expect("anchor"),
        AccessLogAnchor {
            first_seq: 11,
            prev_hash: old[9].hash
        }
    );
    assert_eq!(verify(store).await, intact(10, 11, 20));
    assert_eq!(
        store
            .access_log()
            .purge_before(cutoff)
            .await
            .expect("purge"),
        0,
        "nothing older is left"
    );

    // The writer continues after a purge.
    let (writer, handle) = AccessLogWriter::start(db.store.clone(), 64)
        .await
        .expect("start writer");
    assert_eq!(writer.record(entry(21, now)).await.expect("record"), 21);
    handle.shutdown().await;
    assert_eq!(verify(store).await, intact(11, 11, 21));

    // Tampering is still caught after a purge: in the middle, and at the anchor.
    db.tamper("DELETE FROM access_log WHERE seq = 15").await;
    assert_eq!(
        verify(store).await,
        broken(16, ChainProblem::Missing { expected_seq: 15 })
    );
    db.tamper("DELETE FROM access_log WHERE seq = 11").await;
    assert_eq!(
        verify(store).await,
        broken(12, ChainProblem::Missing { expected_seq: 11 })
    );
}

async fn purge_of_everything_keeps_the_head(db: Arc<TestDb>) {
    let store = &*db.store;
    assert_eq!(
        store
            .access_log()
            .purge_before(Utc::now())
            .await
            .expect("purge"),
        0,
        "purging an empty log is a no-op"
    );
    let written = append_entries(store, 6, base_time()).await;
    assert_eq!(
        store
            .access_log()
            .purge_before(Utc::now())
            .await
            .expect("purge"),
        6
    );
    assert_eq!(
        store.access_log().head().await.expect("head"),
        Some((6, written[5].hash)),
        "numbering never restarts"
    );
    assert_eq!(verify(store).await, intact(0, 7, 6));

    let reopened = db.open_again().await;
    let (writer, handle) = AccessLogWriter::start(reopened.clone(), 64)
        .await
        .expect("start writer");
    assert_eq!(
        writer.record(entry(7, Utc::now())).await.expect("record"),
        7
    );
    handle.shutdown().await;
    assert_eq!(verify(&*reopened).await, intact(1, 7, 7));
    let seven = reopened.access_log().read(0, 10).await.expect("read");
    assert_eq!(seven[0].prev_hash, written[5].hash);
    reopened.close().await;
}

async fn reopened_store_continues_the_chain(db: Arc<TestDb>) {
    let (writer, handle) = AccessLogWriter::start(db.store.clone(), 16)
        .await
        .expect("start writer");
    for i in 1..=5 {
        assert_eq!(
            writer.record(entry(i, base_time())).await.expect("record"),
            i
        );
    }
    handle.shutdown().await;
    db.store.close().await;

    let reopened = db.open_again().await;
    let (writer, handle) = AccessLogWriter::start(reopened.clone(), 16)
        .await
        .expect("restart writer");
    assert_eq!(
        writer.record(entry(6, base_time())).await.expect("record"),
        6
    );
    handle.shutdown().await;
    assert_eq!(verify(&*reopened).await, intact(6, 1, 6));
    reopened.close().await;
}

async fn shutdown_commits_what_was_queued(db: Arc<TestDb>) {
    // Hold the first commit so the rest of the entries are certainly queued at shutdown.
    let gated = Arc::new(Instrumented::new(db.store.clone()));
    gated.hold_appends();
    let (writer, handle) = AccessLogWriter::start(gated.clone(), 8)
        .await
        .expect("start writer");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.record(entry(i, base_time())).await })
        })
        .collect();
    // The writer is blocked in its first append; every other entry is in the queue.
    let held = loop {
        let held = gated.entries_in_held_append();
        if held > 0 && held + writer.queued() == 50 {
            break held;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let shutdown = tokio::spawn(handle.shutdown());
    // Wait for the shutdown message to be queued behind them before letting the writer go.
    while writer.queued() < 50 - held + 1 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    gated.release_appends();
    shutdown.await.expect("shutdown");

    for task in tasks {
        task.await
            .expect("task")
            .expect("queued entries are committed");
    }
    assert_eq!(writer.stats().entries, 50);
    assert!(matches!(
        writer.record(entry(51, base_time())).await,
        Err(RecordError::Stopped)
    ));
    assert_eq!(verify(&*db.store).await, intact(50, 1, 50));
}

/// Records `entry(i)` on its own task and says how long it took to be acknowledged.
fn timed_record(
    writer: &AccessLogWriter,
    i: i64,
) -> tokio::task::JoinHandle<(Result<i64, RecordError>, Duration)> {
    let writer = writer.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let recorded = writer.record(entry(i, base_time())).await;
        (recorded, started.elapsed())
    })
}

async fn entries_arriving_within_the_batch_delay_share_a_commit(db: Arc<TestDb>) {
    // A bound far beyond the gaps below, and a batch of three committed at once.
    let delay = BatchDelay {
        bound: Duration::from_secs(20),
        enough: 3,
    };
    let (writer, handle) = AccessLogWriter::start_with(db.store.clone(), 64, delay)
        .await
        .expect("start writer");
    // The first entry: nothing arrived before it, so it is committed at once, alone.
    assert_eq!(
        writer.record(entry(1, base_time())).await.expect("record"),
        1
    );
    assert_eq!(writer.stats().batches, 1);
    // Three more, 30 ms apart: entries are arriving, so the batch of the first waits for the
    // other two, and is committed once it holds three (long before the bound).
    let started = std::time::Instant::now();
    let mut records = Vec::new();
    for i in 2..=4 {
        records.push(timed_record(&writer, i));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut seqs = Vec::new();
    for record in records {
        let (recorded, _) = record.await.expect("task");
        seqs.push(recorded.expect("committed"));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, vec![2, 3, 4]);
    let stats = writer.stats();
    assert_eq!(
        (stats.batches, stats.entries),
        (2, 4),
        "the three shared one commit"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a full batch does not wait for the bound"
    );
    handle.shutdown().await;
    assert_eq!(verify(&*db.store).await, intact(4, 1, 4));
}

async fn no_entry_waits_for_others_beyond_the_batch_delay(db: Arc<TestDb>) {
    let bound = Duration::from_secs(1);
    let (writer, handle) =
        AccessLogWriter::start_with(db.store.clone(), 64, BatchDelay::up_to(bound))
            .await
            .expect("start writer");
    writer.record(entry(1, base_time())).await.expect("record");
    // Right after another, so the writer waits for a companion that never comes: it commits
    // the entry alone once the bound has passed.
    let (recorded, waited) = timed_record(&writer, 2).await.expect("task");
    assert_eq!(recorded.expect("committed"), 2);
    assert!(waited >= bound, "it waited for others first: {waited:?}");
    assert!(
        waited < bound + Duration::from_secs(5),
        "but not much beyond the bound: {waited:?}"
    );
    // That wait gathered nothing, so the next entries are committed without one.
    let (recorded, waited) = timed_record(&writer, 3).await.expect("task");
    assert_eq!(recorded.expect("committed"), 3);
    assert!(
        waited < bound,
        "after a fruitless wait the writer does not wait: {waited:?}"
    );
    let stats = writer.stats();
    assert_eq!((stats.batches, stats.entries), (3, 3));
    handle.shutdown().await;
    assert_eq!(verify(&*db.store).await, intact(3, 1, 3));
}

async fn an_idle_writer_commits_at_once_despite_the_batch_delay(db: Arc<TestDb>) {
    let bound = Duration::from_secs(2);
    let (writer, handle) =
        AccessLogWriter::start_with(db.store.clone(), 64, BatchDelay::up_to(bound))
            .await
            .expect("start writer");
    // The first entry ever, then one after a pause longer than the bound: neither finds
    // entries arriving, so neither waits for a companion.
    let (recorded, waited) = timed_record(&writer, 1).await.expect("task");
    assert_eq!(recorded.expect("committed"), 1);
    assert!(waited < bound / 2, "{waited:?}");
    tokio::time::sleep(bound + bound / 4).await;
    let (recorded, waited) = timed_record(&writer, 2).await.expect("task");
    assert_eq!(recorded.expect("committed"), 2);
    assert!(waited < bound / 2, "{waited:?}");
    let stats = writer.stats();
    assert_eq!((stats.batches, stats.entries), (2, 2));
    handle.shutdown().await;
    assert_eq!(verify(&*db.store).await, intact(2, 1, 2));
}

async fn shutdown_ends_the_batch_delay_and_commits(db: Arc<TestDb>) {
    let bound = Duration::from_secs(30);
    let (writer, handle) =
        AccessLogWriter::start_with(db.store.clone(), 64, BatchDelay::up_to(bound))
            .await
            .expect("start writer");
    writer.record(entry(1, base_time())).await.expect("record");
    // The writer holds this one's batch open for more...
    let waiting = timed_record(&writer, 2);
    while writer.queued() > 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "held open for more entries");
    // ...until shutdown, which commits it at once rather than after the bound.
    let started = std::time::Instant::now();
    handle.shutdown().await;
    assert!(started.elapsed() < bound / 2, "{:?}", started.elapsed());
    let (recorded, waited) = waiting.await.expect("task");
    assert_eq!(recorded.expect("committed at shutdown"), 2);
    assert!(waited < bound / 2, "{waited:?}");
    assert!(matches!(
        writer.record(entry(3, base_time())).await,
        Err(RecordError::Stopped)
    ));
    assert_eq!(verify(&*db.store).await, intact(2, 1, 2));
}

async fn failed_commit_fails_the_batch_and_the_chain_recovers(db: Arc<TestDb>) {
    let flaky = Arc::new(Instrumented::new(db.store.clone()));
    let (writer, handle) = AccessLogWriter::start(flaky.clone(), 64)
        .await
        .expect("start writer");
    assert_eq!(
        writer.record(entry(1, base_time())).await.expect("record"),
        1
    );

    flaky.fail_next_append();
    let failed = writer.record(entry(2, base_time())).await;
    assert!(
        matches!(failed, Err(RecordError::CommitFailed(_))),
        "{failed:?}"
    );
    // The failed entry took no seq: the next one is 2, linked to entry 1.
    assert_eq!(
        writer.record(entry(3, base_time())).await.expect("record"),
        2
    );
    let stats = writer.stats();
    assert_eq!((stats.entries, stats.failed_batches), (2, 1));
    handle.shutdown().await;
    assert_eq!(verify(&*db.store).await, intact(2, 1, 2));
}

// --- users and authorisation ------------------------------------------------------------------

fn user(id: &str, cf: &str) -> UserRecord {
    UserRecord {
        user_id: id.to_owned(),
        cf: crate::cf(cf),
        display_name: format!("User {id}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        pincode_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaDI".to_owned(),
        asl: Some(asl("201")),
        region: None,
        enabled: true,
        details: Default::default(),
        last_access: None,
    }
}

async fn users_round_trip_and_duplicates_are_refused(db: Arc<TestDb>) {
    let store = &*db.store;
    let alice = user("alice", "RSSMRA80A01H501U");
    let bob = UserRecord {
        asl: None,
        region: Some(region("080")),
        enabled: false,
        ..user("bob", "VRDLGI70B02F205J")
    };
    store.directory().add_user(&alice).await.expect("add alice");
    store.directory().add_user(&bob).await.expect("add bob");

    assert_eq!(
        store.directory().find_user("alice").await.expect("find"),
        Some(alice.clone())
    );
    assert_eq!(
        store.directory().find_user("bob").await.expect("find"),
        Some(bob.clone())
    );
    assert_eq!(
        store.directory().find_user("carol").await.expect("find"),
        None
    );
    assert_eq!(
        store
            .directory()
            .find_user_by_cf(&cf("VRDLGI70B02F205J"))
            .await
            .expect("find"),
        Some(bob)
    );
    assert_eq!(
        store
            .directory()
            .find_user_by_cf(&cf("BNCGNN75C03L219Z"))
            .await
            .expect("find"),
        None
    );

    let same_id = store
        .directory()
        .add_user(&user("alice", "BNCGNN75C03L219Z"))
        .await
        .expect_err("duplicate id");
    assert!(
        matches!(&same_id, StoreError::Duplicate { what: "user", key } if key == "alice"),
        "{same_id:?}"
    );
    let same_cf = store
        .directory()
        .add_user(&user("alice2", "RSSMRA80A01H501U"))
        .await
        .expect_err("duplicate CF");
    assert!(
        matches!(&same_cf, StoreError::Duplicate { key, .. } if key == "RSSMRA80A01H501U"),
        "{same_cf:?}"
    );
    assert_eq!(
        store.directory().find_user("alice").await.expect("find"),
        Some(alice)
    );
}

async fn profiles_and_region_services(db: Arc<TestDb>) {
    let store = &*db.store;
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    assert!(store
        .directory()
        .profiles_of("alice")
        .await
        .expect("profiles")
        .is_empty());
    store
        .directory()
        .grant_profile("alice", Profile::SierologiciMmg)
        .await
        .expect("grant");
    store
        .directory()
        .grant_profile("alice", Profile::AslNumeroTest)
        .await
        .expect("grant");
    store
        .directory()
        .grant_profile("alice", Profile::SierologiciMmg)
        .await
        .expect("grant twice is a no-op");
    assert_eq!(
        store
            .directory()
            .profiles_of("alice")
            .await
            .expect("profiles"),
        vec![Profile::AslNumeroTest, Profile::SierologiciMmg],
        "sorted by name"
    );
    store
        .directory()
        .revoke_profile("alice", Profile::SierologiciMmg)
        .await
        .expect("revoke");
    store
        .directory()
        .revoke_profile("alice", Profile::InvioCodiceOtp)
        .await
        .expect("revoke is a no-op");
    assert_eq!(
        store
            .directory()
            .profiles_of("alice")
            .await
            .expect("profiles"),
        vec![Profile::AslNumeroTest]
    );
    let nobody = store
        .directory()
        .grant_profile("nobody", Profile::SierologiciMmg)
        .await
        .expect_err("unknown user");
    assert!(
        matches!(&nobody, StoreError::NotFound { key, .. } if key == "nobody"),
        "{nobody:?}"
    );

    assert!(store
        .directory()
        .region_services(region("080"))
        .await
        .expect("list")
        .is_empty());
    store
        .directory()
        .enable_region_service(region("080"), "OtpService")
        .await
        .expect("enable");
    store
        .directory()
        .enable_region_service(region("080"), "ElencoScuole")
        .await
        .expect("enable");
    store
        .directory()
        .enable_region_service(region("080"), "OtpService")
        .await
        .expect("enable twice");
    store
        .directory()
        .enable_region_service(region("120"), "OtpService")
        .await
        .expect("enable");
    assert_eq!(
        store
            .directory()
            .region_services(region("080"))
            .await
            .expect("list"),
        vec!["ElencoScuole", "OtpService"]
    );
    store
        .directory()
        .disable_region_service(region("080"), "OtpService")
        .await
        .expect("disable");
    store
        .directory()
        .disable_region_service(region("080"), "Unknown")
        .await
        .expect("disable is a no-op");
    assert_eq!(
        store
            .directory()
            .region_services(region("080"))
            .await
            .expect("list"),
        vec!["ElencoScuole"]
    );
    assert_eq!(
        store
            .directory()
            .region_services(region("120"))
            .await
            .expect("list"),
        vec!["OtpService"]
    );
}

/// Every field of the operator record comes back as written, edited and cleared; the last
/// access only moves forward and is not a directory change.
async fn operator_records_round_trip(db: Arc<TestDb>) {
    use chrono::{NaiveDate, TimeZone as _, Utc};
    use tsgate::domain::{Email, PhoneNumber, Sex};
    use tsgate::store::OperatorDetails;
    let directory = db.store.directory();
    let details = OperatorDetails {
        surname: Some("D'Annunzio Rossi".into()),
        given_name: Some("Maria Grazia".into()),
        birth_date: NaiveDate::from_ymd_opt(1980, 1, 1),
        sex: Some(Sex::Female),
        birth_place: Some("Roma".into()),
        work_address: Some("Via della Salute 1, 00100 Roma".into()),
        phone: PhoneNumber::parse("+39 06 1234 5678").ok(),
        fax: PhoneNumber::parse("06 1234 5679").ok(),
        email: Email::parse("m.rossi@asl201.it").ok(),
    };
    let alice = UserRecord {
        details: details.clone(),
        ..user("alice", "RSSMRA80A01H501U")
    };
    directory.add_user(&alice).await.expect("add");
    assert_eq!(
        directory.find_user("alice").await.expect("find"),
        Some(alice.clone())
    );

    let edited = OperatorDetails {
        fax: None,
        email: Email::parse("maria.rossi@asl201.it").ok(),
        ..details
    };
    assert!(directory
        .edit_user("alice", &alice.cf, "Maria Grazia", &edited)
        .await
        .expect("edit"));
    let found = directory
        .find_user("alice")
        .await
        .expect("find")
        .expect("alice");
    assert_eq!(
        (found.display_name.as_str(), &found.details),
        ("Maria Grazia", &edited)
    );
    assert_eq!(found.last_access, None);

    let version = directory.version().await.expect("version");
    let at = |s: i64| {
        Utc.timestamp_millis_opt(1_700_000_000_000 + s * 1000)
            .single()
    };
    for when in [at(60), at(0)] {
        directory
            .record_access("alice", when.expect("time"))
            .await
            .expect("record access");
    }
    let by_cf = directory
        .find_user_by_cf(&alice.cf)
        .await
        .expect("find")
        .expect("alice");
    assert_eq!(by_cf.last_access, at(60), "the later access stays");
    let listed = directory.list_users(None).await.expect("list");
    assert_eq!(
        listed.iter().map(|u| u.last_access).collect::<Vec<_>>(),
        [at(60)]
    );
    assert_eq!(directory.version().await.expect("version"), version);
    let nobody = directory.record_access("nobody", Utc::now()).await;
    assert!(
        matches!(nobody, Err(StoreError::NotFound { .. })),
        "{nobody:?}"
    );
}

async fn users_are_edited_enabled_and_listed_by_asl(db: Arc<TestDb>) {
    let store = &*db.store;
    let directory = store.directory();
    let of = |id: &str, cf: &str, asl_code: &str| UserRecord {
        region: Some(region("120")),
        asl: Some(asl(asl_code)),
        ..user(id, cf)
    };
    for record in [
        of("bob", "VRDLGI70B02F205J", "201"),
        of("alice", "RSSMRA80A01H501U", "201"),
        of("carol", "BNCGNN75C03L219Z", "202"),
        UserRecord {
            region: None,
            ..user("dave", "BNCGNN65C12H501E")
        },
    ] {
        directory.add_user(&record).await.expect("add");
    }
    let ids = |users: Vec<UserRecord>| users.into_iter().map(|u| u.user_id).collect::<Vec<_>>();
    let asl_201 = Some((region("120"), asl("201")));
    assert_eq!(
        ids(directory.list_users(asl_201).await.expect("list")),
        ["alice", "bob"]
    );
    assert_eq!(
        ids(directory.list_users(None).await.expect("list")),
        ["alice", "bob", "carol", "dave"]
    );
    assert!(directory
        .list_users(Some((region("030"), asl("201"))))
        .await
        .expect("list")
        .is_empty());

    assert!(directory
        .edit_user(
            "alice",
            &cf("RSSMRA80A01H501U"),
            "Alice Rossi",
            &Default::default()
        )
        .await
        .expect("edit"));
    assert!(!directory
        .edit_user("nobody", &cf("RSSMRA80A01H501U"), "x", &Default::default())
        .await
        .expect("edit nobody"));
    let taken = directory
        .edit_user(
            "alice",
            &cf("VRDLGI70B02F205J"),
            "Alice",
            &Default::default(),
        )
        .await
        .expect_err("bob's CF");
    assert!(
        matches!(&taken, StoreError::Duplicate { key, .. } if key == "VRDLGI70B02F205J"),
        "{taken:?}"
    );
    let before = directory.version().await.expect("version");
    assert!(directory
        .set_user_enabled("alice", false)
        .await
        .expect("disable"));
    assert!(!directory
        .set_user_enabled("nobody", false)
        .await
        .expect("disable nobody"));
    assert!(directory.version().await.expect("version") > before);
    let alice = directory.find_user("alice").await.expect("find");
    assert_eq!(
        alice.map(|a| (a.display_name, a.enabled)),
        Some(("Alice Rossi".to_owned(), false))
    );
}

async fn administrators_round_trip_and_bootstrap_happens_once(db: Arc<TestDb>) {
    use tsgate::store::{AdministratorRecord, AdministratorScope};
    let store = &*db.store;
    let admins = store.administrators();
    let central = AdministratorRecord {
        admin_id: "central".into(),
        cf: cf("RSSMRA80A01H501U"),
        display_name: "Central".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        scope: AdministratorScope::Central,
        enabled: true,
    };
    assert!(admins.bootstrap(&central).await.expect("bootstrap"));
    let second = AdministratorRecord {
        admin_id: "second".into(),
        ..central.clone()
    };
    assert!(!admins.bootstrap(&second).await.expect("bootstrap again"));
    assert_eq!(admins.find("second").await.expect("find"), None);

    let of_asl = |id: &str, asl_code: &str| AdministratorRecord {
        admin_id: id.into(),
        scope: AdministratorScope::Asl {
            region: region("120"),
            asl: asl(asl_code),
        },
        ..central.clone()
    };
    admins.add(&of_asl("asl202", "202")).await.expect("add");
    admins.add(&of_asl("asl201", "201")).await.expect("add");
    let taken = admins
        .add(&of_asl("asl201", "203"))
        .await
        .expect_err("same id");
    assert!(
        matches!(&taken, StoreError::Duplicate { key, .. } if key == "asl201"),
        "{taken:?}"
    );
    assert_eq!(
        admins.find("asl201").await.expect("find"),
        Some(of_asl("asl201", "201"))
    );
    let listed = admins.list().await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|a| a.admin_id.as_str())
            .collect::<Vec<_>>(),
        ["central", "asl201", "asl202"],
        "central first, then by ASL"
    );
    assert!(admins.set_enabled("asl201", false).await.expect("disable"));
    assert!(!admins.set_enabled("nobody", false).await.expect("nobody"));
    assert!(admins
        .find("asl201")
        .await
        .expect("find")
        .is_some_and(|a| !a.enabled));

    db.exec_guarded("UPDATE administrators SET asl = 'A01' WHERE admin_id = 'asl202'")
        .await
        .expect("tamper");
    let corrupt = admins.find("asl202").await.expect_err("corrupt");
    assert!(
        matches!(
            &corrupt,
            StoreError::CorruptRow {
                table: "administrators",
                column: "asl",
                ..
            }
        ),
        "{corrupt:?}"
    );
}

/// Grants of the OTP profile under its earlier name ("Invio codice OTP") keep granting it, under
/// the catalogue's name: the migration's statements, run again over such rows.
async fn old_otp_profile_grants_are_renamed_by_the_migration(db: Arc<TestDb>) {
    let store = &*db.store;
    for (id, cf) in [("alice", "RSSMRA80A01H501U"), ("bob", "BNCGNN65C12H501E")] {
        store
            .directory()
            .add_user(&user(id, cf))
            .await
            .expect("add");
    }
    store
        .directory()
        .grant_profile("bob", Profile::InvioCodiceOtp)
        .await
        .expect("grant");
    let old = "INSERT INTO user_profiles (user_id, profile) VALUES \
               ('alice', 'Invio codice OTP'), ('alice', 'Sierologici MMG'), \
               ('bob', 'Invio codice OTP');";
    db.exec_guarded(old).await.expect("old rows");
    let migration = if db.is_postgres() {
        include_str!("../migrations/postgres/0009_roles_and_profile_catalogue.sql")
    } else {
        include_str!("../migrations/sqlite/0008_roles_and_profile_catalogue.sql")
    };
    let renames = migration
        .split("-- Security administrators")
        .next()
        .expect("the rename comes first");
    db.exec_guarded(renames).await.expect("migration");
    for (id, expected) in [
        (
            "alice",
            vec![Profile::SierologiciMmg, Profile::InvioCodiceOtp],
        ),
        ("bob", vec![Profile::InvioCodiceOtp]),
    ] {
        assert_eq!(
            store.directory().profiles_of(id).await.expect("profiles"),
            expected,
            "{id}"
        );
    }
}

// --- connect() --------------------------------------------------------------------------------

#[tokio::test]
async fn connect_accepts_both_sqlite_url_forms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a").join("b").join("db.sqlite");
    let store = store::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("sqlite:path");
    assert_eq!(store.backend(), "sqlite");
    append_entries(&*store, 3, base_time()).await;
    store.close().await;
    assert!(path.exists(), "file and directories created");
    let again = store::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("sqlite://path?mode=rwc");
    assert_eq!(verify(&*again).await, intact(3, 1, 3));
    again.close().await;
}

#[tokio::test]
async fn connect_rejects_an_unknown_scheme_without_echoing_the_url() {
    let error = match store::connect("mysql://root:secret@localhost/db").await {
        Ok(_) => panic!("mysql is not a backend"),
        Err(error) => error,
    };
    assert!(matches!(error, StoreError::UnsupportedUrl { .. }));
    assert!(!error.to_string().contains("secret"), "{error}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set TSGATE_TEST_PG_URL and run with --include-ignored"]
async fn connect_accepts_a_postgres_url() {
    let db = TestDb::postgres().await;
    let Kind::Postgres { schema, .. } = &db.kind else {
        unreachable!("postgres() gives a PostgreSQL database");
    };
    let base = std::env::var(PG_ENV).expect("set");
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema}");
    let store = store::connect(&url).await.expect("connect by URL");
    assert_eq!(store.backend(), "postgres");
    assert_eq!(verify(&*store).await, intact(0, 1, 0));
    store.close().await;
    db.cleanup().await;
}

// --- a store wrapper that can hold or fail appends --------------------------------------------

/// Delegates to a real store; can hold appends until released, or fail the next one.
struct Instrumented {
    inner: Arc<dyn Store>,
    hold: AtomicBool,
    gate: Semaphore,
    held_entries: AtomicUsize,
    fail_next: AtomicBool,
}

impl Instrumented {
    fn new(inner: Arc<dyn Store>) -> Instrumented {
        Instrumented {
            inner,
            hold: AtomicBool::new(false),
            gate: Semaphore::new(0),
            held_entries: AtomicUsize::new(0),
            fail_next: AtomicBool::new(false),
        }
    }

    fn hold_appends(&self) {
        self.hold.store(true, Ordering::SeqCst);
    }

    fn release_appends(&self) {
        self.hold.store(false, Ordering::SeqCst);
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }

    fn entries_in_held_append(&self) -> usize {
        self.held_entries.load(Ordering::SeqCst)
    }

    fn fail_next_append(&self) {
        self.fail_next.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl Store for Instrumented {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn close(&self) {
        self.inner.close().await
    }
    fn access_log(&self) -> &dyn AccessLog {
        self
    }
    fn administrators(&self) -> &dyn tsgate::store::Administrators {
        self.inner.administrators()
    }
    fn directory(&self) -> &dyn tsgate::store::Directory {
        self.inner.directory()
    }
    fn patients(&self) -> &dyn tsgate::store::Patients {
        self.inner.patients()
    }
    fn staging(&self) -> &dyn tsgate::store::Staging {
        self.inner.staging()
    }
    fn substitutions(&self) -> &dyn tsgate::store::Substitutions {
        self.inner.substitutions()
    }
    fn serology(&self) -> &dyn tsgate::store::Serology {
        self.inner.serology()
    }
    fn asl_counts(&self) -> &dyn tsgate::store::AslCounts {
        self.inner.asl_counts()
    }
    fn issuers(&self) -> &dyn tsgate::store::Issuers {
        self.inner.issuers()
    }
    fn credential_failures(&self) -> &dyn tsgate::store::CredentialFailures {
        self.inner.credential_failures()
    }
    fn passwords(&self) -> &dyn tsgate::store::Passwords {
        self.inner.passwords()
    }
    fn sign_in_states(&self) -> &dyn tsgate::store::SignInStates {
        self.inner.sign_in_states()
    }
    fn pincodes(&self) -> &dyn tsgate::store::Pincodes {
        self.inner.pincodes()
    }
    fn certificates(&self) -> &dyn tsgate::store::Certificates {
        self.inner.certificates()
    }

    fn commissioner(&self) -> &dyn tsgate::store::Commissioner {
        self.inner.commissioner()
    }

    fn data_retention(&self) -> &dyn tsgate::store::DataRetention {
        self.inner.data_retention()
    }
    fn totp(&self) -> &dyn tsgate::store::Totp {
        self.inner.totp()
    }

    fn miur_statistics(&self) -> &dyn tsgate::store::MiurStatistics {
        self.inner.miur_statistics()
    }
    fn miur_lists(&self) -> &dyn tsgate::store::MiurLists {
        self.inner.miur_lists()
    }

    fn web_sessions(&self) -> &dyn tsgate::store::WebSessions {
        self.inner.web_sessions()
    }
    fn web_captchas(&self) -> &dyn tsgate::store::WebCaptchas {
        self.inner.web_captchas()
    }
    fn web_pincode_checks(&self) -> &dyn tsgate::store::WebPincodeChecks {
        self.inner.web_pincode_checks()
    }
    fn web_spent_challenges(&self) -> &dyn tsgate::store::WebSpentChallenges {
        self.inner.web_spent_challenges()
    }
}

/// Appends pass through the holds and failures the test asks for.
#[async_trait]
impl AccessLog for Instrumented {
    async fn append_with(
        &self,
        batch: &[ChainedEntry],
        writes: &[tsgate::store::PendingWrite],
    ) -> Result<(), StoreError> {
        if self.hold.load(Ordering::SeqCst) {
            self.held_entries.store(batch.len(), Ordering::SeqCst);
            let _permit = self.gate.acquire().await;
        }
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Query {
                context: "injected failure",
                source: sqlx::Error::PoolTimedOut,
            });
        }
        self.inner.access_log().append_with(batch, writes).await
    }
    async fn head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError> {
        self.inner.access_log().head().await
    }
    async fn anchor(&self) -> Result<AccessLogAnchor, StoreError> {
        self.inner.access_log().anchor().await
    }
    async fn read(&self, after: i64, limit: i64) -> Result<Vec<ChainedEntry>, StoreError> {
        self.inner.access_log().read(after, limit).await
    }
    async fn search(
        &self,
        filter: &AccessLogFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>, StoreError> {
        self.inner.access_log().search(filter, after, limit).await
    }
    async fn purge_before(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        self.inner.access_log().purge_before(cutoff).await
    }
}

#[tokio::test]
async fn sqlite_is_durable_before_acknowledging() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
    let store = tsgate::store::sqlite::SqliteStore::connect(&url)
        .await
        .expect("open");
    let pool = store.pool();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .expect("journal_mode");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .expect("synchronous");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .expect("foreign_keys");
    assert_eq!(journal, "wal");
    assert_eq!(synchronous, 2, "synchronous=FULL");
    assert_eq!(foreign_keys, 1);
    store.close().await;
}

/// A connection's `cache_size` bounds its memory only if its page cache is its own. The SQLite
/// that libsqlite3-sys bundles is built with `SQLITE_ENABLE_MEMORY_MANAGEMENT`, which pools the
/// caches of every connection up to the sum of their sizes: a MIUR import's list replace then
/// grew with the positions it wrote (199 MB for 2.7 million). `.cargo/config.toml` builds it
/// without; a build that loses that setting fails here.
#[tokio::test]
async fn sqlite_page_caches_are_each_connections_own() {
    let store = tsgate::store::sqlite::SqliteStore::connect("sqlite::memory:")
        .await
        .expect("open");
    let pooled: i64 =
        sqlx::query_scalar("SELECT sqlite_compileoption_used('ENABLE_MEMORY_MANAGEMENT')")
            .fetch_one(store.pool())
            .await
            .expect("compile options");
    assert_eq!(
        pooled, 0,
        "SQLite built with SQLITE_ENABLE_MEMORY_MANAGEMENT"
    );
    store.close().await;
}

/// The request path's reads of a SQLite file run in place, on connections of their own, not
/// on sqlx's pool: with every pool connection taken (by a MIUR import, say) a sign-in, a
/// serology read and a patient list are still answered at once; after `close` they fail.
#[tokio::test]
async fn sqlite_request_reads_need_no_pool_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
    let store = tsgate::store::sqlite::SqliteStore::connect(&url)
        .await
        .expect("open");
    let pool = store.pool();
    let mut taken = Vec::new();
    while let Ok(Ok(connection)) =
        tokio::time::timeout(Duration::from_millis(200), pool.acquire()).await
    {
        taken.push(connection);
    }
    assert!(taken.len() >= 5, "the pool handed out {}", taken.len());
    let reads = async {
        let state = store.sign_in_states().sign_in_state("NOBODY").await?;
        let send = store
            .serology()
            .find_send_of_titolare("TX1", &operator(PINNED_MMG), None)
            .await?;
        let list = store
            .patients()
            .patient_list_of_titolare(&operator(PINNED_MMG))
            .await?;
        Ok::<_, StoreError>((state, send, list))
    };
    let (state, send, list) = tokio::time::timeout(Duration::from_secs(5), reads)
        .await
        .expect("the reads waited for the pool")
        .expect("the reads");
    assert_eq!(state, tsgate::store::SignInState::default());
    assert_eq!(
        (send, list),
        (None, None),
        "no such MMG in an empty registry"
    );
    drop(taken);
    store.close().await;
    let closed = store.sign_in_states().sign_in_state("NOBODY").await;
    assert!(
        matches!(closed, Err(StoreError::Closed { .. })),
        "{closed:?}"
    );
}

#[tokio::test]
async fn sqlite_in_memory_works_for_throwaway_runs() {
    let store = store::connect("sqlite::memory:").await.expect("open");
    let (writer, handle) = AccessLogWriter::start(store.clone(), 8)
        .await
        .expect("start writer");
    assert_eq!(
        writer.record(entry(1, base_time())).await.expect("record"),
        1
    );
    handle.shutdown().await;
    assert_eq!(verify(&*store).await, intact(1, 1, 1));
    store.close().await;
}

// --- registry, substitutes, serology tests (issue #4) ----------------------------------------

on_both_backends!(
    registry_import_matches_staff_and_serves_the_lists,
    a_bad_assistiti_file_imports_nothing_of_itself,
    imports_stage_apart_and_abandoned_staging_is_removed,
    substitutions_round_trip,
    serology_tests_commit_with_their_entry_and_cancel_by_rule,
    a_failing_write_fails_its_whole_batch,
    a_cancel_commits_with_its_entry_or_not_at_all,
);

const PINNED_MMG: &str = "BNCGNN65C12H501E";

async fn registry_import_matches_staff_and_serves_the_lists(db: Arc<TestDb>) {
    let store = &*db.store;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = tsgate::registry::GenerateOptions::new(3000);
    options.patients_per_mmg = 200;
    options.pinned.push(tsgate::registry::PinnedMmg {
        cf: PINNED_MMG.into(),
        surname: "BIANCHI".into(),
        name: "GIOVANNI".into(),
        region_code: "120".into(),
        asl_code: "201".into(),
        staff_patients: 7,
    });
    let generated = tsgate::registry::generate(dir.path(), &options).expect("generate");
    assert_eq!(generated.assistiti, 3000);
    assert!(generated.omocodic > 0, "every set has omocodia cases");

    let first = tsgate::registry::import(store, dir.path())
        .await
        .expect("import");
    assert!(first.files.contains(&("assistiti.csv", 3000)), "{first:?}");
    // The generated MIUR state-school file makes the lists.
    let intake = tsgate::jobs::miur::Intake {
        store,
        actor: tsgate::audit::Actor::cli(),
        progress: &tsgate::jobs::Silent,
    };
    let report = intake
        .import_file(
            tsgate::store::MiurKind::Statali,
            &dir.path().join(tsgate::registry::PERSONALE_STATALI),
        )
        .await
        .expect("MIUR import");
    assert_eq!(report.statistic.rows_read, generated.staff, "{report:?}");
    let listed = report.list.expect("a list").listed;
    assert_eq!(listed, report.statistic.total().with_mmg, "{report:?}");
    assert!(listed >= 7 && report.statistic.validated_cfs <= Some(generated.staff));
    // Importing the registry again updates in place and moves no one.
    let second = tsgate::registry::import(store, dir.path())
        .await
        .expect("import again");
    assert_eq!((second.staff.matched, second.staff.removed), (listed, 0));

    let list = store
        .patients()
        .patient_list(&operator(PINNED_MMG))
        .await
        .expect("list");
    assert_eq!(list.len(), 7);
    assert!(list.windows(2).all(|w| w[0].surname <= w[1].surname));
    assert!(store
        .patients()
        .is_on_list(&operator(PINNED_MMG), &list[0].cf)
        .await
        .expect("on list"));
    assert!(!store
        .patients()
        .is_on_list(&operator("RSSMRA80A01H501U"), &list[0].cf)
        .await
        .expect("on list"));
    // The same reads with the titolare's MMG record, in one query each; none for a CF that is
    // no MMG's.
    let patients = store.patients();
    let of_pinned = patients
        .patient_list_of_titolare(&operator(PINNED_MMG))
        .await
        .expect("list");
    assert_eq!(
        of_pinned,
        Some(OfTitolare {
            region_code: region("120"),
            read: list.clone()
        })
    );
    let not_mmg = operator("RSSMRA80A01H501U");
    assert_eq!(
        patients
            .patient_list_of_titolare(&not_mmg)
            .await
            .expect("list"),
        None
    );
    for (titolare, assistito, expected) in [
        (PINNED_MMG, Some(&list[0].cf), Some(true)),
        (PINNED_MMG, Some(&list[6].cf), Some(true)),
        (PINNED_MMG, Some(&cf("RSSMRA80A01H501U")), Some(false)),
        (PINNED_MMG, None, Some(false)),
        ("RSSMRA80A01H501U", Some(&list[0].cf), None),
    ] {
        let read = patients
            .is_on_list_of_titolare(&operator(titolare), assistito)
            .await
            .expect("on list");
        assert_eq!(
            read,
            expected.map(|on_list| OfTitolare {
                region_code: region("120"),
                read: on_list
            }),
            "{titolare} {assistito:?}"
        );
    }
    let mmg = store
        .patients()
        .find_mmg(&operator(PINNED_MMG))
        .await
        .expect("mmg")
        .expect("known");
    assert_eq!(
        (mmg.region_code.as_str(), mmg.asl_code.as_str()),
        ("120", "201")
    );
    let assistito = store
        .patients()
        .find_assistito(&list[0].cf)
        .await
        .expect("assistito")
        .expect("known");
    assert_eq!(assistito.mmg_cf, Some(operator(PINNED_MMG)));
    let per_mmg = store
        .patients()
        .staff_per_mmg(region("120"), asl("201"))
        .await
        .expect("per MMG");
    assert!(per_mmg.contains(&(operator(PINNED_MMG), 7)), "{per_mmg:?}");
    assert!(
        per_mmg
            .windows(2)
            .all(|w| w[0].0.as_str() < w[1].0.as_str()),
        "one row per MMG, by CF"
    );

    // An assistito who dies leaves the list; matching again drops them from the staff list.
    let mut gone = assistito;
    gone.status = tsgate::store::AssistitoStatus::Deceduto;
    store
        .patients()
        .upsert_assistiti(&[gone])
        .await
        .expect("update");
    assert_eq!(
        store
            .patients()
            .patient_list(&operator(PINNED_MMG))
            .await
            .expect("list")
            .len(),
        6
    );
    assert_eq!(
        store
            .patients()
            .patient_list_of_titolare(&operator(PINNED_MMG))
            .await
            .expect("list")
            .map(|of| of.read.len()),
        Some(6)
    );
    let rematched = store
        .staging()
        .match_school_staff(tsgate::clock::rome_day(Utc::now()))
        .await
        .expect("match");
    assert_eq!(rematched.removed, 1);
}

/// The assistiti file is applied whole or not at all: a CF on two lines (here in different
/// staging batches) or a malformed row leaves the registry as it was and the staging empty.
async fn a_bad_assistiti_file_imports_nothing_of_itself(db: Arc<TestDb>) {
    let store = &*db.store;
    let dir = tempfile::tempdir().expect("temp dir");
    tsgate::registry::generate(dir.path(), &tsgate::registry::GenerateOptions::new(21_000))
        .expect("generate");
    tsgate::registry::import(store, dir.path())
        .await
        .expect("import");
    let file = dir.path().join("assistiti.csv");
    let original = std::fs::read_to_string(&file).expect("read");
    let lines: Vec<&str> = original.lines().collect();
    let first_cf = cf(lines[1].split(';').next().expect("cf"));
    let renamed = {
        let mut fields: Vec<&str> = lines[1].split(';').collect();
        fields[1] = "RENAMED";
        fields.join(";")
    };
    let name_of_first = || async {
        store
            .patients()
            .find_assistito(&first_cf)
            .await
            .expect("lookup")
            .expect("known")
            .name
    };
    let before = name_of_first().await;

    // The first row renamed, and the second row again at the end.
    let mut duplicated = vec![lines[0], &renamed];
    duplicated.extend(&lines[2..]);
    duplicated.push(lines[2]);
    std::fs::write(&file, duplicated.join("\n")).expect("write");
    let error = tsgate::registry::import(store, dir.path())
        .await
        .expect_err("a duplicated CF is refused");
    let last_line = duplicated.len();
    let second_cf = lines[2].split(';').next().expect("cf");
    assert!(
        format!("{error:#}").contains(&format!("{second_cf} is on lines 3 and {last_line}")),
        "{error:#}"
    );
    assert_eq!(name_of_first().await, before, "nothing of the file applied");

    // A malformed row past the first staging batch stops the import, naming its line.
    let mut malformed = vec![lines[0], &renamed];
    malformed.extend(&lines[2..20_500]);
    malformed.push("NOTACF;A;B;120;201;;vivo");
    malformed.extend(&lines[20_500..]);
    std::fs::write(&file, malformed.join("\n")).expect("write");
    let error = tsgate::registry::import(store, dir.path())
        .await
        .expect_err("a malformed row is refused");
    assert!(
        format!("{error:#}").contains("assistiti.csv: line 20501"),
        "{error:#}"
    );
    assert_eq!(name_of_first().await, before, "nothing of the file applied");

    // Nothing was left staged.
    assert_eq!(
        store
            .staging()
            .purge_abandoned(Utc::now() + chrono::Duration::days(1))
            .await
            .expect("purge"),
        0
    );
    // And the corrected file imports.
    let mut corrected = vec![lines[0], &renamed];
    corrected.extend(&lines[2..]);
    std::fs::write(&file, corrected.join("\n")).expect("write");
    tsgate::registry::import(store, dir.path())
        .await
        .expect("import");
    assert_eq!(name_of_first().await, "RENAMED");
}

/// Two imports staging at the same time (same line numbers) each apply only their own rows;
/// rows an interrupted import left a day ago are removed by the next import.
async fn imports_stage_apart_and_abandoned_staging_is_removed(db: Arc<TestDb>) {
    use tsgate::store::{StagedApply, StagedAssistito, StagedImport};
    let staging = db.store.staging();
    let patients = db.store.patients();
    let row = |line: u64, text: &str, name: &str| StagedAssistito {
        line,
        assistito: tsgate::store::Assistito {
            cf: cf(text),
            name: name.into(),
            surname: "ROSSI".into(),
            region_code: region("120"),
            asl_code: asl("201"),
            mmg_cf: None,
            status: tsgate::store::AssistitoStatus::Vivo,
        },
    };
    let now = Utc::now();
    let abandoned = StagedImport::begin(now - chrono::Duration::days(2));
    let first = StagedImport::begin(now);
    let second = StagedImport::begin(now);
    staging
        .stage_assistiti(&abandoned, &[row(2, "BNCGNN65C12H501E", "LEFT")])
        .await
        .expect("stage");
    staging
        .stage_assistiti(&first, &[row(2, "RSSMRA80A01H501U", "MARIO")])
        .await
        .expect("stage");
    staging
        .stage_assistiti(
            &second,
            &[
                row(2, "VRDLCU75D52H501Z", "LUCIA"),
                row(3, "RSSMRA80A01H501U", "MARIA"),
            ],
        )
        .await
        .expect("stage");
    assert_eq!(
        staging.apply_staged_assistiti(&first).await.expect("apply"),
        StagedApply::Applied { rows: 1 }
    );
    let name = |text: &'static str| async move {
        patients
            .find_assistito(&cf(text))
            .await
            .expect("lookup")
            .map(|a| a.name)
    };
    assert_eq!(name("RSSMRA80A01H501U").await.as_deref(), Some("MARIO"));
    assert_eq!(
        name("VRDLCU75D52H501Z").await,
        None,
        "the other import's rows wait"
    );
    assert_eq!(
        staging
            .apply_staged_assistiti(&second)
            .await
            .expect("apply"),
        StagedApply::Applied { rows: 2 }
    );
    assert_eq!(name("RSSMRA80A01H501U").await.as_deref(), Some("MARIA"));
    assert_eq!(
        name("BNCGNN65C12H501E").await,
        None,
        "abandoned rows never apply"
    );

    // An import removes what was abandoned a day or more ago, and leaves nothing of its own.
    let dir = tempfile::tempdir().expect("temp dir");
    tsgate::registry::generate(dir.path(), &tsgate::registry::GenerateOptions::new(100))
        .expect("generate");
    tsgate::registry::import(&*db.store, dir.path())
        .await
        .expect("import");
    assert_eq!(
        staging
            .purge_abandoned(Utc::now() + chrono::Duration::days(1))
            .await
            .expect("purge"),
        0
    );
}

async fn substitutions_round_trip(db: Arc<TestDb>) {
    let store = &*db.store;
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2020, 9, d).expect("date");
    let first = tsgate::store::Substitution {
        titolare_cf: operator(PINNED_MMG),
        substitute_cf: operator("VRDLCU75D52H501Z"),
        from: day(1),
        to: day(15),
    };
    let later = tsgate::store::Substitution {
        from: day(20),
        to: day(30),
        ..first.clone()
    };
    store.substitutions().add(&first).await.expect("add");
    store.substitutions().add(&later).await.expect("add");
    let duplicate = store
        .substitutions()
        .add(&first)
        .await
        .expect_err("duplicate");
    assert!(
        matches!(duplicate, StoreError::Duplicate { .. }),
        "{duplicate:?}"
    );
    let all = store
        .substitutions()
        .of_titolare(&operator(PINNED_MMG), None)
        .await
        .expect("list");
    assert_eq!(all, vec![first.clone(), later.clone()]);
    assert!(first.covers(day(1)) && first.covers(day(15)) && !first.covers(day(16)));
    // The substitute's side: whom they may act for.
    assert_eq!(
        store
            .substitutions()
            .of_substitute(&operator("VRDLCU75D52H501Z"))
            .await
            .expect("list"),
        vec![first.clone(), later.clone()]
    );
    assert_eq!(
        store
            .substitutions()
            .of_substitute(&operator(PINNED_MMG))
            .await
            .expect("list"),
        vec![]
    );
    assert_eq!(
        store
            .substitutions()
            .of_titolare(&operator(PINNED_MMG), Some(&operator("RSSMRA80A01H501U")))
            .await
            .expect("list"),
        vec![]
    );
    assert_eq!(
        store
            .substitutions()
            .revoke(&operator(PINNED_MMG), &operator("VRDLCU75D52H501Z"))
            .await
            .expect("revoke"),
        2
    );
    assert!(store
        .substitutions()
        .of_titolare(&operator(PINNED_MMG), None)
        .await
        .expect("list")
        .is_empty());
}

fn serology(doctor: &str, assistito: &str) -> tsgate::store::TransactionWrite {
    tsgate::store::TransactionWrite::SerologyTest(tsgate::store::NewSerologyTest {
        test_date: chrono::NaiveDate::from_ymd_opt(2021, 3, 1).expect("date"),
        doctor_cf: operator(doctor),
        titolare_cf: operator(PINNED_MMG),
        assistito_cf: cf(assistito),
        on_list: doctor == PINNED_MMG,
    })
}

async fn serology_tests_commit_with_their_entry_and_cancel_by_rule(db: Arc<TestDb>) {
    let store = db.store.clone();
    let (writer, handle) = AccessLogWriter::start(store.clone(), 64)
        .await
        .expect("writer");
    let substitute = "VRDLCU75D52H501Z";
    let patient = "RSSMRA80A01H501U";
    let sends = [(1, PINNED_MMG), (2, substitute), (3, PINNED_MMG)];
    // Concurrent sends share group commits; each test row lands with its own entry.
    let tasks: Vec<_> = sends
        .iter()
        .map(|(i, doctor)| {
            let writer = writer.clone();
            let entry = entry(*i, base_time() + chrono::Duration::milliseconds(*i));
            let write = serology(doctor, patient);
            tokio::spawn(async move { writer.record_with(entry, Some(write)).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("recorded");
    }
    let count = tsgate::store::TransactionWrite::AslTestCount(tsgate::store::NewAslTestCount {
        operator_cf: operator("NREPLA82T50H501W"),
        region_code: Some(region("120")),
        asl_code: Some(asl("201")),
        test_date: chrono::NaiveDate::from_ymd_opt(2021, 3, 1).expect("date"),
        tests: 12,
    });
    writer
        .record_with(entry(4, base_time()), Some(count))
        .await
        .expect("count");
    handle.shutdown().await;
    assert_eq!(
        store
            .asl_counts()
            .sent_by(&operator("NREPLA82T50H501W"))
            .await
            .expect("counts"),
        vec![(
            chrono::NaiveDate::from_ymd_opt(2021, 3, 1).expect("date"),
            12
        )]
    );

    let day = base_time().date_naive();
    let query = |sent_by: Option<&str>| SentTestQuery {
        titolare_cf: operator(PINNED_MMG),
        sent_by: sent_by.map(operator),
        from: day,
        to: day,
    };
    let all = store
        .serology()
        .sent_tests(&query(None))
        .await
        .expect("list");
    assert_eq!(
        all.iter()
            .map(|t| t.transaction_id.as_str())
            .collect::<Vec<_>>(),
        vec!["TX00000001", "TX00000002", "TX00000003"]
    );
    assert_eq!(all[0].sent_on, day);
    assert!(all[0].on_list && !all[1].on_list);
    let own = store
        .serology()
        .sent_tests(&query(Some(substitute)))
        .await
        .expect("list");
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].doctor_cf, operator(substitute));
    let earlier = SentTestQuery {
        from: day - chrono::Duration::days(10),
        to: day - chrono::Duration::days(1),
        ..query(None)
    };
    assert!(store
        .serology()
        .sent_tests(&earlier)
        .await
        .expect("list")
        .is_empty());
    // With the titolare's MMG record, in one query: none while the titolare is no MMG, then
    // the same lists; without dates, no test.
    let serology = store.serology();
    let of_titolare = |sent_by: Option<&'static str>, dates| {
        let store = store.clone();
        async move {
            store
                .serology()
                .sent_tests_of_titolare(
                    &operator(PINNED_MMG),
                    sent_by.map(operator).as_ref(),
                    dates,
                )
                .await
                .expect("list")
        }
    };
    assert_eq!(of_titolare(None, Some((day, day))).await, None);
    store
        .patients()
        .upsert_mmgs(&[tsgate::store::Mmg {
            cf: operator(PINNED_MMG),
            surname: "BIANCHI".into(),
            name: "GIOVANNI".into(),
            region_code: region("120"),
            asl_code: asl("201"),
        }])
        .await
        .expect("MMG");
    let listed = |read: Option<OfTitolare<Vec<tsgate::store::SentTest>>>| {
        let read = read.expect("an MMG");
        assert_eq!(read.region_code, region("120"));
        read.read
    };
    assert_eq!(listed(of_titolare(None, Some((day, day))).await), all);
    assert_eq!(
        listed(of_titolare(Some(substitute), Some((day, day))).await),
        own
    );
    assert!(listed(of_titolare(None, None).await).is_empty());
    assert!(listed(of_titolare(None, Some((earlier.from, earlier.to))).await).is_empty());
    // An MMG whose list is empty has a record, and no patient.
    assert_eq!(
        store
            .patients()
            .patient_list_of_titolare(&operator(PINNED_MMG))
            .await
            .expect("list"),
        Some(OfTitolare {
            region_code: region("120"),
            read: Vec::new()
        })
    );
    for (send_id, assistito, expected) in [
        (
            "TX00000002",
            Some(patient),
            Some(Some(operator(substitute))),
        ),
        ("TX00000099", Some(patient), Some(None)),
        ("TX00000002", None, Some(None)),
        ("TX00000002", Some("BNCGNN65C12H501E"), Some(None)),
    ] {
        let read = serology
            .find_send_of_titolare(send_id, &operator(PINNED_MMG), assistito.map(cf).as_ref())
            .await
            .expect("find");
        assert_eq!(
            read,
            expected.map(|doctor| OfTitolare {
                region_code: region("120"),
                read: doctor.map(|doctor_cf| tsgate::store::SendState {
                    doctor_cf,
                    cancelled: false
                })
            }),
            "{send_id} {assistito:?}"
        );
    }
    assert_eq!(
        serology
            .find_send_of_titolare("TX00000002", &operator(substitute), Some(&cf(patient)))
            .await
            .expect("find"),
        None,
        "the substitute is no MMG"
    );

    let find = |id: &'static str| {
        let store = store.clone();
        async move {
            store
                .serology()
                .find_send(id, &operator(PINNED_MMG), &cf(patient))
                .await
                .expect("find")
        }
    };
    assert_eq!(find("TX00000099").await, None);
    assert_eq!(
        find("TX00000002").await,
        Some(tsgate::store::SendState {
            doctor_cf: operator(substitute),
            cancelled: false
        })
    );
    // A cancel is written with its entry, like a send.
    let (writer, handle) = AccessLogWriter::start(store.clone(), 64)
        .await
        .expect("writer");
    writer
        .record_with(entry(5, base_time()), Some(cancel_of("TX00000001")))
        .await
        .expect("cancel");
    handle.shutdown().await;
    assert!(find("TX00000001").await.expect("stored").cancelled);
    let left = store
        .serology()
        .sent_tests(&query(None))
        .await
        .expect("list");
    assert_eq!(
        left.iter()
            .map(|t| t.transaction_id.as_str())
            .collect::<Vec<_>>(),
        vec!["TX00000002", "TX00000003"]
    );
}

fn cancel_of(send_id: &str) -> tsgate::store::TransactionWrite {
    tsgate::store::TransactionWrite::SerologyCancel(tsgate::store::SerologyCancel {
        send_transaction_id: send_id.into(),
        titolare_cf: operator(PINNED_MMG),
        assistito_cf: cf("RSSMRA80A01H501U"),
    })
}

/// Whether the send is cancelled: as the cancel reads it, and as the list shows it.
async fn is_cancelled(store: &dyn Store, send_id: &'static str) -> bool {
    let day = base_time().date_naive();
    let listed = store
        .serology()
        .sent_tests(&SentTestQuery {
            titolare_cf: operator(PINNED_MMG),
            sent_by: None,
            from: day,
            to: day,
        })
        .await
        .expect("list");
    let found = store
        .serology()
        .find_send(send_id, &operator(PINNED_MMG), &cf("RSSMRA80A01H501U"))
        .await
        .expect("find")
        .expect("the send is stored");
    assert_eq!(
        found.cancelled,
        !listed.iter().any(|t| t.transaction_id == send_id),
        "a test is listed exactly while it is not cancelled"
    );
    found.cancelled
}

/// Item 11 of issue 8: a cancellation commits with its access-log entry or not at all, and a
/// test is never cancelled twice, even by cancels decided on the same stale read.
async fn a_cancel_commits_with_its_entry_or_not_at_all(db: Arc<TestDb>) {
    let store = &*db.store;
    let pending = |id: &str, write| tsgate::store::PendingWrite {
        transaction_id: id.into(),
        at: base_time(),
        write,
    };
    let first = ChainedEntry::link(1, [0; 32], entry(1, base_time()));
    store
        .access_log()
        .append_with(
            std::slice::from_ref(&first),
            &[pending(
                "TX00000001",
                serology(PINNED_MMG, "RSSMRA80A01H501U"),
            )],
        )
        .await
        .expect("the send");
    let second = ChainedEntry::link(2, first.hash, entry(2, base_time()));

    // The log entry fails (its seq is taken): the cancel is not applied.
    let failed = store
        .access_log()
        .append_with(
            std::slice::from_ref(&first),
            &[pending("TX00000002", cancel_of("TX00000001"))],
        )
        .await;
    assert!(failed.is_err());
    assert!(!is_cancelled(store, "TX00000001").await);
    // A later statement of the batch fails after the cancel ran: it is rolled back too.
    let failed = store
        .access_log()
        .append_with(
            std::slice::from_ref(&second),
            &[
                pending("TX00000002", cancel_of("TX00000001")),
                pending("TX00000001", serology(PINNED_MMG, "RSSMRA80A01H501U")),
            ],
        )
        .await;
    assert!(failed.is_err());
    assert!(!is_cancelled(store, "TX00000001").await);
    assert_eq!(
        store.access_log().head().await.expect("head").map(|h| h.0),
        Some(1)
    );

    // Two cancels of one send in one batch: the database refuses the second, so the batch.
    let third = ChainedEntry::link(3, second.hash, entry(3, base_time()));
    let failed = store
        .access_log()
        .append_with(
            &[second.clone(), third.clone()],
            &[
                pending("TX00000002", cancel_of("TX00000001")),
                pending("TX00000003", cancel_of("TX00000001")),
            ],
        )
        .await;
    assert!(failed.is_err(), "a test was cancelled twice");
    assert!(!is_cancelled(store, "TX00000001").await);

    // One cancel commits; a later one (decided on a stale read) fails its own commit.
    store
        .access_log()
        .append_with(
            std::slice::from_ref(&second),
            &[pending("TX00000002", cancel_of("TX00000001"))],
        )
        .await
        .expect("the cancel");
    assert!(is_cancelled(store, "TX00000001").await);
    let failed = store
        .access_log()
        .append_with(&[third], &[pending("TX00000003", cancel_of("TX00000001"))])
        .await;
    assert!(failed.is_err(), "a test was cancelled twice");
    assert_eq!(
        store.access_log().head().await.expect("head").map(|h| h.0),
        Some(2)
    );
}

async fn a_failing_write_fails_its_whole_batch(db: Arc<TestDb>) {
    let store = &*db.store;
    let first = ChainedEntry::link(1, [0; 32], entry(1, base_time()));
    let second = ChainedEntry::link(2, first.hash, entry(2, base_time()));
    let write = |id: &str| tsgate::store::PendingWrite {
        transaction_id: id.into(),
        at: base_time(),
        write: serology(PINNED_MMG, "RSSMRA80A01H501U"),
    };
    // Two tests under one transaction id: the second violates the key, nothing is stored.
    let failed = store
        .access_log()
        .append_with(
            &[first.clone(), second.clone()],
            &[write("TX00000001"), write("TX00000001")],
        )
        .await;
    assert!(failed.is_err());
    assert_eq!(store.access_log().head().await.expect("head"), None);
    store
        .access_log()
        .append_with(&[first, second], &[write("TX00000001")])
        .await
        .expect("append");
    assert_eq!(
        store.access_log().head().await.expect("head").map(|h| h.0),
        Some(2)
    );
}

// --- transaction ids: conflicts named, issuer slots, where a restart continues ------------------

on_both_backends!(
    a_failed_commit_names_the_key_that_conflicted,
    a_restart_continues_after_the_highest_numeric_id,
    issuer_slots_are_leased_apart,
);

/// The log of a failed group commit said "access-log seq … already exists" for any unique
/// violation; it must name what actually conflicted.
async fn a_failed_commit_names_the_key_that_conflicted(db: Arc<TestDb>) {
    let store = &*db.store;
    let first = ChainedEntry::link(1, [0; 32], entry(1, base_time()));
    let second = ChainedEntry::link(2, first.hash, entry(2, base_time()));
    let write = |id: &str| tsgate::store::PendingWrite {
        transaction_id: id.into(),
        at: base_time(),
        write: serology(PINNED_MMG, "RSSMRA80A01H501U"),
    };
    let message = store
        .access_log()
        .append_with(
            &[first.clone(), second.clone()],
            &[write("261130120000000001"), write("261130120000000001")],
        )
        .await
        .expect_err("the second test row reuses the id")
        .to_string();
    assert!(
        message.contains("serology_tests") && !message.contains("seq"),
        "{message}"
    );
    store
        .access_log()
        .append_with(std::slice::from_ref(&first), &[])
        .await
        .expect("append");
    let message = store
        .access_log()
        .append_with(&[first], &[])
        .await
        .expect_err("seq 1 is taken")
        .to_string();
    assert!(message.contains("access_log"), "{message}");
    assert!(!message.contains("serology"), "{message}");
}

async fn a_restart_continues_after_the_highest_numeric_id(db: Arc<TestDb>) {
    let issuers = db.store.issuers();
    assert_eq!(issuers.highest_numeric_id().await.expect("read"), None);
    let ids = [
        "261130120000000007",
        "261130120001000003",
        "019ad2a4-7b8e-7cc1-8a55-3d2f1c0e9b77",
        "261130115959999999",
        "TX00000001",
        "99",
    ];
    let (mut seq, mut prev) = (0, [0; 32]);
    let mut batch = Vec::new();
    for id in ids {
        seq += 1;
        let mut e = entry(seq, base_time());
        e.transaction_id = id.to_owned();
        let linked = ChainedEntry::link(seq, prev, e);
        prev = linked.hash;
        batch.push(linked);
    }
    db.store.access_log().append(&batch).await.expect("append");
    assert_eq!(
        issuers.highest_numeric_id().await.expect("read"),
        Some(261_130_120_001_000_003)
    );
    // A gateway started on this store issues after it, in the same second or not.
    let (ids, _lease) = tsgate::issuer_lease::start(db.store.as_ref())
        .await
        .expect("lease");
    let at = Utc
        .with_ymd_and_hms(2026, 11, 30, 11, 0, 0)
        .single()
        .expect("time");
    let next = ids.next_numeric(at).expect("issued");
    assert!(next > 261_130_120_001_000_003, "{next}");
}

async fn issuer_slots_are_leased_apart(db: Arc<TestDb>) {
    let issuers = db.store.issuers();
    let ttl = Duration::from_secs(60);
    let a = issuers
        .lease("a", ttl)
        .await
        .expect("lease")
        .expect("a slot");
    if !a.expires {
        // SQLite: the sole issuer (the lock file keeps other gateways out).
        assert_eq!(a.slot, tsgate::domain::IssuerSlot::SOLE);
        assert!(issuers.renew(&a, ttl).await.expect("renew"));
        return;
    }
    let mut held = vec![a.clone()];
    while let Some(lease) = issuers
        .lease(&format!("g{}", held.len()), ttl)
        .await
        .expect("lease")
    {
        held.push(lease);
        assert!(held.len() <= 64, "leases never run out");
    }
    let mut slots: Vec<u64> = held.iter().map(|l| l.slot.index).collect();
    slots.sort_unstable();
    slots.dedup();
    assert_eq!(
        slots.len(),
        held.len(),
        "every gateway has a slot of its own"
    );
    assert!(held.iter().all(|l| l.slot.count == held.len() as u64));

    assert!(issuers.renew(&a, ttl).await.expect("renew"));
    let impostor = tsgate::store::Lease {
        holder: "someone else".into(),
        ..a.clone()
    };
    assert!(!issuers.renew(&impostor, ttl).await.expect("renew"));
    // Released at a clean stop: the next gateway gets it.
    issuers.release(&a).await.expect("release");
    let b = issuers
        .lease("b", ttl)
        .await
        .expect("lease")
        .expect("freed slot");
    assert_eq!(b.slot, a.slot);
    // A crashed holder's lease expires (here at once), and then passes on: the old holder
    // can no longer renew it.
    assert!(issuers.renew(&b, Duration::ZERO).await.expect("renew"));
    let c = issuers
        .lease("c", ttl)
        .await
        .expect("lease")
        .expect("expired slot");
    assert_eq!(c.slot, b.slot);
    assert!(!issuers.renew(&b, ttl).await.expect("renew"));
}

on_both_backends!(the_directory_version_moves_with_every_change);

/// Gateways poll this version to drop what they cached about callers: every kind of change to
/// users, profiles and region permissions must move it, whoever writes.
async fn the_directory_version_moves_with_every_change(db: Arc<TestDb>) {
    let directory = db.store.directory();
    let mut last = directory.version().await.expect("version");
    let mut moved = |now: i64, what: &str| {
        assert!(
            now > last,
            "{what} did not move the version ({last} → {now})"
        );
        last = now;
    };
    directory
        .add_user(&user("U1", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    moved(directory.version().await.expect("version"), "adding a user");
    directory
        .grant_profile("U1", Profile::InvioCodiceOtp)
        .await
        .expect("grant");
    moved(
        directory.version().await.expect("version"),
        "granting a profile",
    );
    directory
        .revoke_profile("U1", Profile::InvioCodiceOtp)
        .await
        .expect("revoke");
    moved(
        directory.version().await.expect("version"),
        "revoking a profile",
    );
    directory
        .enable_region_service(region("120"), "Sierologici")
        .await
        .expect("enable");
    moved(
        directory.version().await.expect("version"),
        "enabling a region",
    );
    directory
        .disable_region_service(region("120"), "Sierologici")
        .await
        .expect("disable");
    moved(
        directory.version().await.expect("version"),
        "disabling a region",
    );
    db.exec_guarded("UPDATE users SET enabled = false WHERE user_id = 'U1'")
        .await
        .expect("update");
    moved(
        directory.version().await.expect("version"),
        "changing a user",
    );
}

// --- corruption ---------------------------------------------------------------------------------

on_both_backends!(
    a_tampered_anchor_is_a_corrupt_anchor,
    stored_values_that_do_not_parse_are_corrupt_rows,
    a_stored_operator_record_that_does_not_parse_is_a_corrupt_row,
    legacy_directory_values_are_made_typed_by_the_migration,
);

/// The anchor tampered beyond decoding: reading it, and the head of an empty log, say so.
async fn a_tampered_anchor_is_a_corrupt_anchor(db: Arc<TestDb>) {
    let store = &*db.store;
    db.tamper("UPDATE access_log_anchor SET prev_hash = 'not hex' WHERE id = 1")
        .await;
    for error in [
        store.access_log().anchor().await.expect_err("anchor"),
        store.access_log().head().await.expect_err("head"),
        verify_chain(store).await.expect_err("verify"),
    ] {
        assert!(
            matches!(&error, StoreError::CorruptAnchor { detail } if detail.contains("not hex")),
            "{error:?}"
        );
    }
}

/// Each typed field of the operator record read back from a value no write path stores.
async fn a_stored_operator_record_that_does_not_parse_is_a_corrupt_row(db: Arc<TestDb>) {
    let db = &*db;
    let store = &*db.store;
    let write = |sql: &'static str| async move { db.exec_guarded(sql).await.expect(sql) };
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    for (column, bad, expected) in [
        (
            "birth_date",
            "1980-02-30",
            "UPDATE users SET birth_date = '1980-02-30'",
        ),
        ("sex", "X", "UPDATE users SET birth_date = NULL, sex = 'X'"),
        ("phone", "abc", "UPDATE users SET sex = NULL, phone = 'abc'"),
        ("fax", "1", "UPDATE users SET phone = NULL, fax = '1'"),
        (
            "email",
            "rossi",
            "UPDATE users SET fax = NULL, email = 'rossi'",
        ),
    ] {
        write(expected).await;
        let error = store
            .directory()
            .find_user("alice")
            .await
            .expect_err(column);
        assert_eq!(corrupt_cell(error), cell("users", "alice", column, bad));
    }
    write("UPDATE users SET email = NULL").await;
    assert!(store
        .directory()
        .find_user("alice")
        .await
        .expect("clean")
        .is_some());
}

/// The table, row, column and value of a [`StoreError::CorruptRow`].
fn corrupt_cell(error: StoreError) -> (&'static str, String, &'static str, String) {
    match error {
        StoreError::CorruptRow {
            table,
            key,
            column,
            value,
            ..
        } => (table, key, column, value),
        other => panic!("expected a corrupt row, got {other:?}"),
    }
}

fn cell(
    table: &'static str,
    key: &str,
    column: &'static str,
    value: &str,
) -> (&'static str, String, &'static str, String) {
    (table, key.to_owned(), column, value.to_owned())
}

/// Every value the store parses when it reads it back — dates, CFs, region and ASL codes,
/// profile names — is a [`StoreError::CorruptRow`] naming where it is when it does not parse.
async fn stored_values_that_do_not_parse_are_corrupt_rows(db: Arc<TestDb>) {
    let db = &*db;
    let store = &*db.store;
    let write = |sql: &'static str| async move { db.exec_guarded(sql).await.expect(sql) };

    // A user's region, and a profile name the gateway does not know.
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    write("UPDATE users SET region = '12' WHERE user_id = 'alice'").await;
    let error = store
        .directory()
        .find_user("alice")
        .await
        .expect_err("region");
    assert_eq!(
        error.to_string(),
        "users row \"alice\": region \"12\" is not a 3-digit region code"
    );
    assert_eq!(corrupt_cell(error), cell("users", "alice", "region", "12"));
    write("INSERT INTO user_profiles (user_id, profile) VALUES ('alice', 'operatore-asl')").await;
    let error = store
        .directory()
        .profiles_of("alice")
        .await
        .expect_err("profile");
    assert_eq!(
        corrupt_cell(error),
        cell("user_profiles", "alice", "profile", "operatore-asl")
    );

    // An MMG whose CF is not one, and another whose ASL code is not one.
    write(
        "INSERT INTO mmg (cf, surname, name, region_code, asl_code) \
         VALUES ('NOT A CF', 'ROSSI', 'MARIO', '120', '201')",
    )
    .await;
    let error = store
        .patients()
        .staff_per_mmg(region("120"), asl("201"))
        .await
        .expect_err("MMG CF");
    assert_eq!(
        corrupt_cell(error),
        cell("mmg", "NOT A CF", "cf", "NOT A CF")
    );
    write(
        "INSERT INTO mmg (cf, surname, name, region_code, asl_code) \
         VALUES ('BNCGNN65C12H501E', 'BIANCHI', 'GIOVANNI', '120', 'ASL1')",
    )
    .await;
    let error = store
        .patients()
        .find_mmg(&operator("BNCGNN65C12H501E"))
        .await
        .expect_err("ASL code");
    assert_eq!(
        corrupt_cell(error),
        cell("mmg", "BNCGNN65C12H501E", "asl_code", "ASL1")
    );

    // A substitution whose dates are not dates.
    write(
        "INSERT INTO substitutes (titolare_cf, substitute_cf, valid_from, valid_to) \
         VALUES ('BNCGNN65C12H501E', 'VRDLCU75D52H501Z', '2020-13-01', '2020-13-02')",
    )
    .await;
    let error = store
        .substitutions()
        .of_titolare(&operator("BNCGNN65C12H501E"), None)
        .await
        .expect_err("date");
    assert_eq!(
        corrupt_cell(error),
        cell(
            "substitutes",
            "BNCGNN65C12H501E → VRDLCU75D52H501Z from 2020-13-01",
            "valid_from",
            "2020-13-01"
        )
    );

    // A serology test sent by a doctor whose CF is not one.
    write(
        "INSERT INTO serology_tests (transaction_id, test_date, doctor_cf, titolare_cf, \
         assistito_cf, on_list, sent_at_ms, sent_on) VALUES ('T1', '2021-03-01', 'NOT A CF', \
         'BNCGNN65C12H501E', 'RSSMRA80A01H501U', false, 0, '2021-03-01')",
    )
    .await;
    let error = store
        .serology()
        .find_send("T1", &operator("BNCGNN65C12H501E"), &cf("RSSMRA80A01H501U"))
        .await
        .expect_err("doctor CF");
    assert_eq!(
        corrupt_cell(error),
        cell("serology_tests", "T1", "doctor_cf", "NOT A CF")
    );
}

/// What earlier CLIs stored unparsed (any `--profile`, `--region`, `--asl`) becomes what it meant,
/// so such a user still identifies: the migration's statements, run again over such rows.
async fn legacy_directory_values_are_made_typed_by_the_migration(db: Arc<TestDb>) {
    let store = &*db.store;
    for (id, cf) in [("alice", "RSSMRA80A01H501U"), ("bob", "BNCGNN65C12H501E")] {
        store
            .directory()
            .add_user(&user(id, cf))
            .await
            .expect("add");
    }
    let legacy = "UPDATE users SET region = ' 120 ', asl = 'ASL1' WHERE user_id = 'alice'; \
                  UPDATE users SET region = '12', asl = '201' WHERE user_id = 'bob'; \
                  INSERT INTO user_profiles (user_id, profile) VALUES \
                  ('alice', 'operatore-asl'), ('alice', 'Sierologici MMG');";
    db.exec_guarded(legacy).await.expect("legacy rows");
    let migration = if db.is_postgres() {
        include_str!("../migrations/postgres/0008_directory_typed_values.sql")
    } else {
        include_str!("../migrations/sqlite/0007_directory_typed_values.sql")
    };
    db.exec_guarded(migration).await.expect("migration");

    let alice = store.directory().find_user("alice").await.expect("alice");
    let alice = alice.expect("alice is there");
    assert_eq!(
        (alice.region.map(|r| r.to_string()), alice.asl),
        (Some("120".to_owned()), None),
        "spaces trimmed, a code that is not 3 digits dropped"
    );
    let bob = store.directory().find_user("bob").await.expect("bob");
    let bob = bob.expect("bob is there");
    assert_eq!(
        (bob.region, bob.asl.map(|a| a.to_string())),
        (None, Some("201".to_owned()))
    );
    assert_eq!(
        store
            .directory()
            .profiles_of("alice")
            .await
            .expect("profiles"),
        vec![Profile::SierologiciMmg],
        "a name no operation knows granted nothing, and is gone"
    );
}

// --- failed credentials and account locks (issue #10) -----------------------------------------

on_both_backends!(
    failures_lock_an_account_and_a_lock_expires,
    concurrent_failures_are_all_counted,
);

fn lockout(max_failures: u32, minutes: i64) -> tsgate::store::LockoutPolicy {
    tsgate::store::LockoutPolicy {
        max_failures,
        lock_for: chrono::Duration::minutes(minutes),
    }
}

async fn failures_lock_an_account_and_a_lock_expires(db: Arc<TestDb>) {
    let store = &*db.store;
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    let failures = store.credential_failures();
    let (policy, now) = (lockout(3, 15), base_time());
    assert_eq!(
        failures.count("alice").await.expect("count"),
        Default::default()
    );
    for n in 1..=2u32 {
        let recorded = failures
            .record_failure("alice", now, policy)
            .await
            .expect("failure");
        assert_eq!((recorded.count.failures, recorded.locked_now), (n, false));
        assert!(!recorded.count.locked_at(now));
    }
    let third = failures
        .record_failure("alice", now, policy)
        .await
        .expect("failure");
    let until = now + chrono::Duration::minutes(15);
    assert!(third.locked_now);
    assert_eq!(third.count.locked_until, Some(until));
    // Failures while locked are counted but neither extend the lock nor lock it again.
    let later = now + chrono::Duration::minutes(5);
    let fourth = failures
        .record_failure("alice", later, policy)
        .await
        .expect("failure");
    assert_eq!(
        (
            fourth.count.failures,
            fourth.count.locked_until,
            fourth.locked_now
        ),
        (4, Some(until), false)
    );
    let count = failures.count("alice").await.expect("count");
    assert!(count.locked_at(later) && !count.locked_at(until));
    // After the lock, failures count from one again.
    let after = until + chrono::Duration::seconds(1);
    let fresh = failures
        .record_failure("alice", after, policy)
        .await
        .expect("failure");
    assert_eq!((fresh.count.failures, fresh.count.locked_until), (1, None));
    // A success or an administrator clears it; clearing nothing says so.
    assert!(failures.clear("alice").await.expect("clear"));
    assert!(!failures.clear("alice").await.expect("clear"));
    assert_eq!(
        failures.count("alice").await.expect("count"),
        Default::default()
    );
    // The count goes with its user.
    failures
        .record_failure("alice", now, policy)
        .await
        .expect("failure");
    db.exec_guarded("DELETE FROM users WHERE user_id = 'alice'")
        .await
        .expect("delete");
    assert_eq!(
        failures.count("alice").await.expect("count"),
        Default::default()
    );
}

async fn concurrent_failures_are_all_counted(db: Arc<TestDb>) {
    let store = db.store.clone();
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    let (policy, now) = (lockout(5, 15), base_time());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .credential_failures()
                    .record_failure("alice", now, policy)
                    .await
                    .expect("failure")
            })
        })
        .collect();
    let mut locked_now = 0;
    for task in tasks {
        locked_now += usize::from(task.await.expect("task").locked_now);
    }
    let count = store
        .credential_failures()
        .count("alice")
        .await
        .expect("count");
    assert_eq!(count.failures, 20, "every failure counted");
    assert_eq!(locked_now, 1, "exactly one failure locked the account");
    assert!(count.locked_at(now));
}

// --- sign-in state: one query for what a password sign-in reads on every call ------------------

on_both_backends!(the_sign_in_state_is_what_the_three_reads_find);

/// `sign_in_states` reads in one query what `credential_failures().count`,
/// `passwords().state`, `directory().profiles_of` and the user's region and ASL of
/// `directory().find_user` read one by one, as they change.
async fn the_sign_in_state_is_what_the_three_reads_find(db: Arc<TestDb>) {
    let store = &*db.store;
    let separately = |user_id: &'static str| async move {
        let user = store.directory().find_user(user_id).await.expect("user");
        tsgate::store::SignInState {
            region: user.as_ref().and_then(|user| user.region),
            asl: user.as_ref().and_then(|user| user.asl),
            failures: store
                .credential_failures()
                .count(user_id)
                .await
                .expect("count"),
            password: store.passwords().state(user_id).await.expect("state"),
            profiles: store
                .directory()
                .profiles_of(user_id)
                .await
                .expect("profiles"),
        }
    };
    let in_one = |user_id: &'static str| async move {
        store
            .sign_in_states()
            .sign_in_state(user_id)
            .await
            .expect("sign-in state")
    };
    assert_eq!(in_one("nobody").await, Default::default());
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    let added = in_one("alice").await;
    assert!(
        added.password.is_some(),
        "a new user's password has a state"
    );
    assert!(added.profiles.is_empty());
    assert_eq!((added.region, added.asl), (None, Some(asl("201"))));
    assert_eq!(added, separately("alice").await);

    for profile in [Profile::SierologiciMmg, Profile::AslNumeroTest] {
        store
            .directory()
            .grant_profile("alice", profile)
            .await
            .expect("grant");
    }
    let (policy, now) = (lockout(2, 15), base_time());
    for _ in 0..2 {
        store
            .credential_failures()
            .record_failure("alice", now, policy)
            .await
            .expect("failure");
    }
    store
        .passwords()
        .require_change("alice", now)
        .await
        .expect("mark");
    let changed = in_one("alice").await;
    assert_eq!(changed.failures.failures, 2);
    assert!(changed.failures.locked_at(now), "{changed:?}");
    assert_eq!(changed.password.map(|state| state.must_change), Some(true));
    assert_eq!(changed.profiles.len(), 2);
    assert_eq!(changed, separately("alice").await);

    // Another user's rows are not mixed in.
    store
        .directory()
        .add_user(&UserRecord {
            asl: None,
            region: Some(region("080")),
            ..user("bob", "VRDLGI70B02F205J")
        })
        .await
        .expect("add");
    assert_eq!(in_one("bob").await, separately("bob").await);
    assert_eq!(
        (in_one("bob").await.region, in_one("bob").await.asl),
        (Some(region("080")), None)
    );
    store
        .directory()
        .assign_asl("bob", region("080"), asl("101"))
        .await
        .expect("assign");
    assert_eq!(in_one("bob").await.asl, Some(asl("101")), "read fresh");
    assert!(in_one("bob").await.profiles.is_empty());
    assert_eq!(in_one("bob").await.failures.failures, 0);
}

// --- password lifecycle (issue #10) --------------------------------------------------------------

on_both_backends!(passwords_change_keep_the_replaced_and_bump_the_directory);

/// A new user's password is ready (a trigger); registration marks it to change; each change
/// keeps the replaced hash (only the most recent `keep_replaced`), sets the state, and bumps
/// the directory version.
async fn passwords_change_keep_the_replaced_and_bump_the_directory(db: Arc<TestDb>) {
    use tsgate::store::{NewPassword, PasswordState};
    let store = &*db.store;
    let passwords = store.passwords();
    assert_eq!(passwords.state("alice").await.expect("state"), None);
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let mut alice = user("alice", "RSSMRA80A01H501U");
    alice.password_hash = "hash-0".into();
    store.directory().add_user(&alice).await.expect("add");
    let added = passwords
        .state("alice")
        .await
        .expect("state")
        .expect("a state");
    assert!(!added.must_change, "ready to use when added");
    assert!(added.changed_at > before, "{added:?}");

    let at = base_time();
    let version = store.directory().version().await.expect("version");
    assert!(passwords.require_change("alice", at).await.expect("mark"));
    assert!(!passwords.require_change("nobody", at).await.expect("mark"));
    assert_eq!(
        passwords.state("alice").await.expect("state"),
        Some(PasswordState {
            must_change: true,
            changed_at: at
        })
    );
    assert!(store.directory().version().await.expect("version") > version);

    for n in 1..=4 {
        let hash = format!("hash-{n}");
        let new = NewPassword {
            hash: &hash,
            must_change: false,
            at: at + chrono::Duration::minutes(n),
            keep_replaced: 2,
        };
        assert!(passwords.set_password("alice", new).await.expect("set"));
    }
    let stored = store.directory().find_user("alice").await.expect("find");
    assert_eq!(stored.map(|u| u.password_hash).as_deref(), Some("hash-4"));
    assert_eq!(
        passwords.replaced("alice", 10).await.expect("replaced"),
        vec!["hash-3".to_owned(), "hash-2".to_owned()],
        "the two most recent replaced, newest first"
    );
    assert_eq!(
        passwords.replaced("alice", 1).await.expect("replaced"),
        vec!["hash-3".to_owned()]
    );
    assert_eq!(
        passwords.state("alice").await.expect("state"),
        Some(PasswordState {
            must_change: false,
            changed_at: at + chrono::Duration::minutes(4)
        })
    );
    let reset = NewPassword {
        hash: "hash-5",
        must_change: true,
        at,
        keep_replaced: 2,
    };
    assert!(passwords.set_password("alice", reset).await.expect("reset"));
    assert!(passwords
        .state("alice")
        .await
        .expect("state")
        .is_some_and(|s| s.must_change));
    assert!(!passwords.set_password("nobody", reset).await.expect("set"));
    assert!(passwords
        .replaced("nobody", 5)
        .await
        .expect("none")
        .is_empty());
}

// --- an ASL for users without one (issue #10) ----------------------------------------------------

on_both_backends!(a_user_without_an_asl_is_assigned_one_and_only_once);

/// `assign_asl` sets region and ASL of a user who lacks either, never of one who has both, and
/// bumps the directory version.
async fn a_user_without_an_asl_is_assigned_one_and_only_once(db: Arc<TestDb>) {
    let store = &*db.store;
    let directory = store.directory();
    let orphan = UserRecord {
        asl: None,
        region: None,
        ..user("orphan", "RSSMRA80A01H501U")
    };
    directory.add_user(&orphan).await.expect("add");
    let version = directory.version().await.expect("version");
    assert!(directory
        .assign_asl("orphan", region("120"), asl("201"))
        .await
        .expect("assign"));
    assert!(directory.version().await.expect("version") > version);
    let stored = directory
        .find_user("orphan")
        .await
        .expect("find")
        .expect("user");
    assert_eq!(
        (stored.region, stored.asl),
        (Some(region("120")), Some(asl("201")))
    );
    assert!(!directory
        .assign_asl("orphan", region("120"), asl("202"))
        .await
        .expect("assign"));
    assert!(!directory
        .assign_asl("nobody", region("120"), asl("201"))
        .await
        .expect("assign"));
    let stored = directory
        .find_user("orphan")
        .await
        .expect("find")
        .expect("user");
    assert_eq!(stored.asl, Some(asl("201")), "kept");
}

// --- pincode second halves (issue #10) -----------------------------------------------------------

on_both_backends!(pincode_second_halves_are_kept_and_a_replaced_pincode_bumps_the_directory);

/// A sealed second half is kept for an existing user only; replacing the pincode writes the new
/// hash and half in one go and bumps the directory version (gateways drop cached checks of the
/// old one); a user from before has none.
async fn pincode_second_halves_are_kept_and_a_replaced_pincode_bumps_the_directory(
    db: Arc<TestDb>,
) {
    let store = &*db.store;
    let pincodes = store.pincodes();
    let mut alice = user("alice", "RSSMRA80A01H501U");
    alice.pincode_hash = "pin-hash-0".into();
    store.directory().add_user(&alice).await.expect("add");
    assert_eq!(
        pincodes.sealed_second_half("alice").await.expect("read"),
        None
    );
    let at = base_time();
    assert!(pincodes
        .keep_second_half("alice", "v1.first", at)
        .await
        .expect("keep"));
    assert!(!pincodes
        .keep_second_half("nobody", "v1.x", at)
        .await
        .expect("keep"));
    assert_eq!(
        pincodes
            .sealed_second_half("alice")
            .await
            .expect("read")
            .as_deref(),
        Some("v1.first")
    );
    assert_eq!(
        pincodes.sealed_second_half("nobody").await.expect("read"),
        None
    );

    let version = store.directory().version().await.expect("version");
    assert!(pincodes
        .replace("alice", "pin-hash-1", "v1.second", at)
        .await
        .expect("replace"));
    assert!(store.directory().version().await.expect("version") > version);
    let stored = store.directory().find_user("alice").await.expect("find");
    assert_eq!(
        stored.map(|u| u.pincode_hash).as_deref(),
        Some("pin-hash-1")
    );
    assert_eq!(
        pincodes
            .sealed_second_half("alice")
            .await
            .expect("read")
            .as_deref(),
        Some("v1.second")
    );
    assert!(!pincodes
        .replace("nobody", "h", "v1.x", at)
        .await
        .expect("replace"));
    assert_eq!(
        pincodes.sealed_second_half("nobody").await.expect("read"),
        None
    );
}

// --- administrative actions ---------------------------------------------------------------------

/// An administrative action by the command line on `target`.
fn admin_action(
    operation: tsgate::audit::AdminOperation,
    target: &str,
) -> tsgate::audit::AdminAction {
    tsgate::audit::AdminAction {
        actor: tsgate::audit::Actor::Cli {
            os_user: "auditor-test".into(),
        },
        operation,
        target: Some(target.into()),
        detail: Some("profile ASL Numero test".into()),
        outcome: tsgate::audit::AdminOutcome::Done,
        client_address: Some("192.0.2.9".parse().expect("an address")),
    }
}

/// Entries written before the new columns (all NULL) and administrative entries (all set) verify
/// side by side; altering any new column of an administrative row is caught at that row.
async fn tampered_admin_entry_fails_verification(db: Arc<TestDb>) {
    use tsgate::audit::{record_admin_action, AdminOperation};
    let store = &*db.store;
    append_entries(store, 3, base_time()).await;
    let grant = admin_action(AdminOperation::UserGrant, "ASL02");
    assert_eq!(record_admin_action(store, &grant).await.expect("record"), 4);
    let region = admin_action(AdminOperation::RegionEnable, "120");
    assert_eq!(
        record_admin_action(store, &region).await.expect("record"),
        5
    );
    assert_eq!(verify(store).await, intact(5, 1, 5));

    for (tampering, undo) in [
        ("target = 'ASL03'", "target = 'ASL02'"),
        ("outcome = 'refused: no'", "outcome = 'ok'"),
        ("client_address = NULL", "client_address = '192.0.2.9'"),
        (
            "detail = 'profile Invio codice OTP'",
            "detail = 'profile ASL Numero test'",
        ),
        ("operation = 'user-revoke'", "operation = 'user-grant'"),
        ("caller_id = 'someone-else'", "caller_id = 'auditor-test'"),
    ] {
        db.tamper(&format!("UPDATE access_log SET {tampering} WHERE seq = 4"))
            .await;
        assert_eq!(
            verify(store).await,
            broken(4, ChainProblem::Altered),
            "{tampering}"
        );
        db.tamper(&format!("UPDATE access_log SET {undo} WHERE seq = 4"))
            .await;
        assert_eq!(verify(store).await, intact(5, 1, 5), "{undo}");
    }
}

/// The command line appends from its own process while a gateway's writer runs: whoever loses
/// the race for a seq chains again onto the new head, so nothing is refused and the chain stays
/// one line. Here the "command line" is a second store on the same database.
async fn admin_appends_while_the_writer_runs_keep_one_chain(db: Arc<TestDb>) {
    use tsgate::audit::{record_admin_action, AdminOperation};
    let (writer, handle) = AccessLogWriter::start(db.store.clone(), 16)
        .await
        .expect("start writer");
    assert_eq!(
        writer.record(entry(1, base_time())).await.expect("record"),
        1
    );

    // The writer's cached head (1) is now stale: its next batch must chain after the CLI's.
    let cli = db.open_again().await;
    let seq = record_admin_action(cli.as_ref(), &admin_action(AdminOperation::UserCreate, "A"))
        .await
        .expect("CLI append");
    assert_eq!(seq, 2);
    assert_eq!(
        writer.record(entry(3, base_time())).await.expect("record"),
        3
    );

    // Both at once, many times.
    let gateway = (0..60).map(|i| {
        let writer = writer.clone();
        tokio::spawn(async move { writer.record(entry(10 + i, base_time())).await })
    });
    let gateway: Vec<_> = gateway.collect();
    let command_line = (0..20).map(|i| {
        let cli = cli.clone();
        tokio::spawn(async move {
            let action = admin_action(AdminOperation::UserGrant, &format!("U{i}"));
            record_admin_action(cli.as_ref(), &action).await
        })
    });
    let command_line: Vec<_> = command_line.collect();
    for task in gateway {
        task.await.expect("task").expect("gateway entry recorded");
    }
    for task in command_line {
        task.await.expect("task").expect("CLI entry recorded");
    }
    handle.shutdown().await;
    cli.close().await;
    assert_eq!(verify(&*db.store).await, intact(83, 1, 83));
}

/// Two gateways' writers on one database (as behind a load balancer), each fed by many
/// requests at once: every batch commits, however often the other writer took the head first
/// (an optimistic retry could lose the race over and over; a batch that lost once appends with
/// the head read under the chain's lock), and the chain is one line.
async fn two_gateways_writers_racing_for_the_head_all_commit(db: Arc<TestDb>) {
    const PER_GATEWAY: i64 = 3000;
    let other = db.open_again().await;
    let mut handles = Vec::new();
    let mut writers = Vec::new();
    let mut tasks = Vec::new();
    for (gateway, store) in [db.store.clone(), other.clone()].into_iter().enumerate() {
        let (writer, handle) = AccessLogWriter::start(store, 1)
            .await
            .expect("start writer");
        handles.push(handle);
        writers.push(writer.clone());
        let first = 1 + gateway as i64 * PER_GATEWAY;
        for n in first..first + PER_GATEWAY {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                writer.record(entry(n, base_time())).await
            }));
        }
    }
    let mut refused = 0;
    for task in tasks {
        if task.await.expect("task").is_err() {
            refused += 1;
        }
    }
    let lost: u64 = writers.iter().map(|w| w.stats().lost_races).sum();
    for handle in handles {
        handle.shutdown().await;
    }
    other.close().await;
    assert_eq!(refused, 0, "entries refused");
    assert!(lost > 0, "the two writers raced for the head");
    let all = 2 * PER_GATEWAY as u64;
    assert_eq!(verify(&*db.store).await, intact(all, 1, all as i64));
}

/// `audit show`'s questions: by actor (caller id or operator CF), target, operation and period.
async fn search_filters_by_actor_target_operation_and_time(db: Arc<TestDb>) {
    use tsgate::audit::{record_admin_action, AdminOperation};
    let store = &*db.store;
    append_entries(store, 10, base_time()).await;
    for (operation, target) in [
        (AdminOperation::UserCreate, "OP-A"),
        (AdminOperation::UserGrant, "OP-A"),
        (AdminOperation::UserGrant, "OP-B"),
    ] {
        record_admin_action(store, &admin_action(operation, target))
            .await
            .expect("record");
    }
    let seqs = |filter: AccessLogFilter, after: i64, limit: i64| async move {
        store
            .access_log()
            .search(&filter, after, limit)
            .await
            .expect("search")
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    let by = |actor: Option<&str>, target: Option<&str>, operation: Option<&str>| AccessLogFilter {
        actor: actor.map(Into::into),
        target: target.map(Into::into),
        operation: operation.map(Into::into),
        ..AccessLogFilter::default()
    };
    assert_eq!(
        seqs(by(Some("auditor-test"), None, None), 0, 100).await,
        [11, 12, 13]
    );
    assert_eq!(seqs(by(None, Some("OP-A"), None), 0, 100).await, [11, 12]);
    assert_eq!(
        seqs(by(None, None, Some("user-grant")), 0, 100).await,
        [12, 13]
    );
    assert_eq!(
        seqs(
            by(Some("auditor-test"), Some("OP-A"), Some("user-grant")),
            0,
            100
        )
        .await,
        [12]
    );
    // Paging: after a seq, at most a limit.
    assert_eq!(
        seqs(by(Some("auditor-test"), None, None), 11, 1).await,
        [12]
    );
    // The operator's CF is an actor too (entries 2, 5, 8 of the fixture carry it).
    let with_cf: Vec<i64> = (1..=10)
        .filter(|i| entry(*i, base_time()).operator_cf.as_deref() == Some("RSSMRA80A01H501U"))
        .collect();
    assert_eq!(
        seqs(by(Some("RSSMRA80A01H501U"), None, None), 0, 100).await,
        with_cf
    );
    // The period: the fixture's entries are a minute apart from base_time; from is inclusive,
    // until exclusive.
    let period = AccessLogFilter {
        from: Some(base_time() + chrono::Duration::minutes(2)),
        until: Some(base_time() + chrono::Duration::minutes(5)),
        ..AccessLogFilter::default()
    };
    assert_eq!(seqs(period, 0, 100).await, [3, 4, 5]);
    // Administrative actions only: the same questions, on the partial indexes.
    let admin = |filter: AccessLogFilter| AccessLogFilter {
        administrative: true,
        ..filter
    };
    assert_eq!(
        seqs(admin(by(Some("auditor-test"), None, None)), 0, 100).await,
        [11, 12, 13]
    );
    assert!(
        seqs(admin(by(Some("RSSMRA80A01H501U"), None, None)), 0, 100)
            .await
            .is_empty()
    );
    assert_eq!(
        seqs(admin(by(None, Some("OP-A"), Some("user-grant"))), 0, 100).await,
        [12]
    );
    assert_eq!(
        seqs(admin(AccessLogFilter::default()), 11, 100).await,
        [12, 13]
    );
    assert!(seqs(by(Some("nobody"), None, None), 0, 100)
        .await
        .is_empty());
}

// --- the Commissioner's report and the retention purge ---------------------------------------

#[path = "commissioner/fixture.rs"]
mod commissioner_fixture;

on_both_backends!(
    commissioner_figures_count_per_asl_and_a_day_is_sent_once,
    retention_purges_old_data_and_the_chain_still_verifies,
);

async fn commissioner_figures_count_per_asl_and_a_day_is_sent_once(db: Arc<TestDb>) {
    use commissioner_fixture as fixture;
    let store = db.store.clone();
    fixture::registry(store.as_ref(), base_time().date_naive()).await;
    assert_eq!(
        fixture::figures(store.as_ref()).await,
        vec![
            ("120".to_owned(), "201".to_owned(), [0, 3, 0, 0]),
            ("120".to_owned(), "202".to_owned(), [0, 2, 0, 0]),
            ("130".to_owned(), "201".to_owned(), [0, 0, 0, 0]),
        ],
        "kits before any test"
    );
    fixture::activity(store.clone(), base_time(), "TX").await;
    assert_eq!(fixture::figures(store.as_ref()).await, fixture::expected());
    let names = store.commissioner().figures().await.expect("figures");
    assert_eq!(
        (names[0].region_name.as_str(), names[1].asl_name.as_str()),
        ("Lazio", "Roma 2")
    );

    // One day, one send: a second claim loses; a released claim may be taken again; a sent day
    // is never claimed again, even long after.
    let reports = store.commissioner();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let now = Utc::now();
    let stale = now - chrono::Duration::hours(2);
    assert!(reports
        .claim_daily_send(day, "a", now, stale)
        .await
        .unwrap());
    assert!(!reports
        .claim_daily_send(day, "b", now, stale)
        .await
        .unwrap());
    assert!(!reports.daily_send_done(day).await.unwrap());
    reports.release_daily_send(day, "b").await.unwrap();
    assert!(
        !reports
            .claim_daily_send(day, "b", now, stale)
            .await
            .unwrap(),
        "only the claimant releases"
    );
    reports.release_daily_send(day, "a").await.unwrap();
    assert!(reports
        .claim_daily_send(day, "b", now, stale)
        .await
        .unwrap());
    // A claim older than the stale bound (its gateway died) is taken over.
    let later = now + chrono::Duration::hours(3);
    assert!(reports
        .claim_daily_send(day, "c", later, later - chrono::Duration::hours(2))
        .await
        .unwrap());
    reports
        .complete_daily_send(day, "c", later, "ab12")
        .await
        .unwrap();
    assert!(reports.daily_send_done(day).await.unwrap());
    let much_later = later + chrono::Duration::days(1);
    assert!(!reports
        .claim_daily_send(day, "d", much_later, much_later)
        .await
        .unwrap());
    assert!(!reports
        .daily_send_done(day.succ_opt().unwrap())
        .await
        .unwrap());
}

async fn retention_purges_old_data_and_the_chain_still_verifies(db: Arc<TestDb>) {
    use commissioner_fixture as fixture;
    use tsgate::jobs::retention::{purge_recorded, RetentionPolicy};
    let store = db.store.clone();
    let now = Utc::now();
    let old = now - chrono::Duration::days(400);
    // Staff last updated 400 days ago: past 12 months.
    fixture::registry(store.as_ref(), old.date_naive()).await;
    fixture::activity(store.clone(), old, "OLD").await;
    fixture::activity(store.clone(), now - chrono::Duration::days(30), "NEW").await;
    let old_day = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    assert!(store
        .commissioner()
        .claim_daily_send(old_day, "x", now, now)
        .await
        .unwrap());
    store
        .commissioner()
        .complete_daily_send(old_day, "x", now, "ab")
        .await
        .unwrap();
    // Tests count twice; the later ASL counts of the same test days replace the older ones.
    let doubled: Vec<_> = fixture::expected()
        .into_iter()
        .map(|(r, a, c)| (r, a, [c[0] * 2, c[1], c[2] * 2, c[3]]))
        .collect();
    assert_eq!(fixture::figures(store.as_ref()).await, doubled);
    // MIUR statistics of 400 and 30 days ago, and staff CFs staged by an import interrupted
    // two days ago beside those of one running now.
    let statistic = |computed_at| tsgate::store::MiurStatistic {
        kind: tsgate::store::MiurKind::Statali,
        computed_at,
        validated_cfs: Some(5),
        rows_read: 5,
        rows_rejected: 0,
        per_asl: vec![tsgate::store::AslFigures {
            region_code: region("120"),
            asl_code: asl("201"),
            figures: tsgate::store::Figures {
                with_mmg: 5,
                ..Default::default()
            },
        }],
        unplaced: vec![],
    };
    // Stored to the millisecond.
    let recent = chrono::DateTime::<Utc>::from_timestamp_millis(
        (now - chrono::Duration::days(30)).timestamp_millis(),
    )
    .unwrap();
    let recent_statistic = statistic(recent);
    for computed_at in [old, recent_statistic.computed_at] {
        store
            .miur_statistics()
            .record(&statistic(computed_at))
            .await
            .unwrap();
    }
    let entries_before = read_all(store.as_ref()).await.len();

    let policy = RetentionPolicy {
        access_log_months: 12,
        serology_months: 12,
        asl_counts_months: 12,
        staff_list_months: 12,
        statistics_months: 12,
    };
    let cli = tsgate::audit::Actor::Cli {
        os_user: "tester".into(),
    };
    let purged = purge_recorded(store.as_ref(), &policy, cli, now, true)
        .await
        .expect("purge");
    assert_eq!(
        (
            purged.data.serology_tests,
            purged.data.asl_counts,
            purged.data.staff_list,
            purged.data.miur_statistics,
            purged.data.report_sends,
        ),
        (5, 4, 5, 1, 1),
        "{purged}"
    );
    // The recent statistic is kept whole.
    assert_eq!(
        store
            .miur_statistics()
            .computed_since(DateTime::<Utc>::MIN_UTC)
            .await
            .unwrap(),
        [recent_statistic]
    );
    // The old sends' entries went with them (10 of them, 400 days old).
    assert_eq!(purged.access_log.map(|(n, _)| n), Some(10));
    // What is left: the recent tests; the staff list is gone, so are the kits.
    let left: Vec<_> = fixture::expected()
        .into_iter()
        .map(|(r, a, c)| (r, a, [c[0], 0, c[2], c[3]]))
        .collect();
    assert_eq!(fixture::figures(store.as_ref()).await, left);
    let entries = read_all(store.as_ref()).await;
    assert_eq!(entries.len(), entries_before - 10 + 1);
    let last = &entries.last().unwrap().entry;
    assert_eq!(
        (
            last.operation.as_str(),
            last.caller_kind,
            last.outcome.as_str()
        ),
        ("purge", CallerKind::Cli, "ok")
    );
    assert!(
        last.detail.as_deref().unwrap().contains(
            "5 serology tests, 4 ASL counts, 5 staff-list positions, 1 MIUR statistics, \
                 1 report sends"
        ),
        "{last:?}"
    );
    assert!(matches!(
        verify(store.as_ref()).await,
        ChainReport::Intact { entries: 11, .. }
    ));
    // Again: nothing left to remove, and the gateway's periodic run records nothing then.
    let gateway = tsgate::audit::Actor::Gateway { task: "retention" };
    let again = purge_recorded(store.as_ref(), &policy, gateway, now, false)
        .await
        .expect("purge again");
    assert_eq!(again.total(), 0);
    assert_eq!(read_all(store.as_ref()).await.len(), entries.len());
}

// --- TOTP second factor (issue #10 item 9) -------------------------------------------------------

on_both_backends!(
    totp_enrollment_is_confirmed_once_and_reset,
    totp_steps_are_accepted_once_even_concurrently,
);

/// An enrollment starts unconfirmed (replaceable), is confirmed only for the secret that was
/// shown, then stays until reset; it goes with its user.
async fn totp_enrollment_is_confirmed_once_and_reset(db: Arc<TestDb>) {
    let store = &*db.store;
    let totp = store.totp();
    let at = base_time();
    assert!(!totp
        .start_enrollment("alice", "sealed-0", at)
        .await
        .expect("start"));
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    assert_eq!(totp.totp("alice").await.expect("read"), None);
    assert!(totp
        .start_enrollment("alice", "sealed-1", at)
        .await
        .expect("start"));
    // Started again before it was confirmed: the new secret replaces the first.
    assert!(totp
        .start_enrollment("alice", "sealed-2", at)
        .await
        .expect("again"));
    let pending = totp.totp("alice").await.expect("read").expect("a row");
    assert_eq!(
        (
            pending.sealed_secret.as_str(),
            pending.confirmed,
            pending.last_step
        ),
        ("sealed-2", false, None)
    );
    assert_eq!(pending.created_at, at);
    assert!(
        !format!("{pending:?}").contains("sealed-2"),
        "Debug hides it"
    );
    // A pending secret accepts no code; only the secret shown can be confirmed.
    assert!(!totp
        .accept_step("alice", "sealed-2", 100, store::StepReuse::Never)
        .await
        .expect("accept"));
    assert!(!totp
        .confirm("alice", "sealed-1", 100)
        .await
        .expect("confirm"));
    assert!(totp
        .confirm("alice", "sealed-2", 100)
        .await
        .expect("confirm"));
    assert!(!totp.confirm("alice", "sealed-2", 101).await.expect("twice"));
    let enrolled = totp.totp("alice").await.expect("read").expect("a row");
    assert_eq!((enrolled.confirmed, enrolled.last_step), (true, Some(100)));
    // Confirmed: a new enrollment is refused until an administrator resets it.
    assert!(!totp
        .start_enrollment("alice", "sealed-3", at)
        .await
        .expect("start"));
    assert!(totp.reset("alice").await.expect("reset"));
    assert!(!totp.reset("alice").await.expect("nothing left"));
    assert_eq!(totp.totp("alice").await.expect("read"), None);
    assert!(totp
        .start_enrollment("alice", "sealed-3", at)
        .await
        .expect("start"));
    db.exec_guarded("DELETE FROM users WHERE user_id = 'alice'")
        .await
        .expect("delete");
    assert_eq!(totp.totp("alice").await.expect("read"), None);
}

/// A step is accepted once (a person), or again within the same step (software); never an
/// earlier one; and of many gateways racing with one code, exactly one wins.
async fn totp_steps_are_accepted_once_even_concurrently(db: Arc<TestDb>) {
    use tsgate::store::StepReuse::{Never, SameStep};
    let store = db.store.clone();
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    let totp = store.totp();
    totp.start_enrollment("alice", "sealed", base_time())
        .await
        .expect("start");
    assert!(totp.confirm("alice", "sealed", 10).await.expect("confirm"));
    for (step, reuse, accepted) in [
        (10, Never, false),
        (9, SameStep, false),
        (10, SameStep, true),
        (11, Never, true),
        (11, Never, false),
        (11, SameStep, true),
        (10, SameStep, false),
        (13, SameStep, true),
    ] {
        assert_eq!(
            totp.accept_step("alice", "sealed", step, reuse)
                .await
                .expect("accept"),
            accepted,
            "step {step} {reuse:?}"
        );
    }
    assert!(
        !totp
            .accept_step("alice", "other", 20, Never)
            .await
            .expect("accept"),
        "another secret"
    );
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .totp()
                    .accept_step("alice", "sealed", 14, Never)
                    .await
                    .expect("accept")
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.expect("task"));
    }
    assert_eq!(winners, 1, "one code, one acceptance");
    let row = totp.totp("alice").await.expect("read").expect("row");
    assert_eq!(row.last_step, Some(14));
}

on_both_backends!(miur_statistics_round_trip_latest_first_and_purge);

/// A MIUR statistic is stored whole (its ASLs, what it could not place, paritarie without
/// validated CFs), the latest of a kind is the last computed, and the retention purge removes
/// the older ones with their rows.
async fn miur_statistics_round_trip_latest_first_and_purge(db: Arc<TestDb>) {
    use tsgate::store::{AslFigures, Figures, MiurKind, MiurStatistic, Unplaced};
    let statistics = db.store.miur_statistics();
    let at = |minutes: i64| base_time() + chrono::Duration::minutes(minutes);
    let figures =
        |region_code: &str, asl_code: &str, with_mmg, without_mmg, paritarie| AslFigures {
            region_code: region(region_code),
            asl_code: asl(asl_code),
            figures: Figures {
                with_mmg,
                without_mmg,
                paritarie,
            },
        };
    assert_eq!(
        statistics.latest(MiurKind::Statali).await.expect("latest"),
        None
    );
    let older = MiurStatistic {
        kind: MiurKind::Statali,
        computed_at: at(0),
        validated_cfs: Some(3),
        rows_read: 4,
        rows_rejected: 1,
        per_asl: vec![figures("120", "201", 2, 1, 0)],
        unplaced: vec![],
    };
    let newer = MiurStatistic {
        computed_at: at(10),
        validated_cfs: Some(7),
        rows_read: 7,
        rows_rejected: 0,
        per_asl: vec![
            figures("030", "301", 1, 0, 0),
            figures("120", "201", 4, 1, 0),
            figures("120", "202", 0, 1, 0),
        ],
        ..older.clone()
    };
    let paritarie = MiurStatistic {
        kind: MiurKind::Paritarie,
        computed_at: at(5),
        validated_cfs: None,
        rows_read: 3,
        rows_rejected: 0,
        per_asl: vec![figures("120", "201", 0, 0, 250)],
        unplaced: vec![Unplaced {
            region: "Atlantide".into(),
            province: "AT".into(),
            staff: 12,
            reason: "unknown region".into(),
        }],
    };
    for statistic in [&newer, &older, &paritarie] {
        statistics.record(statistic).await.expect("record");
    }
    assert_eq!(
        statistics.latest(MiurKind::Statali).await.expect("latest"),
        Some(newer.clone())
    );
    assert_eq!(
        statistics
            .latest(MiurKind::Paritarie)
            .await
            .expect("latest"),
        Some(paritarie.clone())
    );
    assert_eq!(
        statistics
            .latest(MiurKind::TrentoBolzano)
            .await
            .expect("latest"),
        None
    );
    assert_eq!(
        statistics.computed_since(at(1)).await.expect("since"),
        [paritarie.clone(), newer.clone()]
    );
    // The retention purge removes the computations older than its cutoff, with their rows.
    let never = DateTime::<Utc>::MIN_UTC;
    let purged = db
        .store
        .data_retention()
        .purge_data(&tsgate::store::DataCutoffs {
            serology_tests: never,
            asl_counts: never,
            staff_list: never,
            statistics: at(6),
        })
        .await
        .expect("purge");
    assert_eq!(purged.miur_statistics, 2);
    assert_eq!(
        statistics.computed_since(at(-60)).await.expect("since"),
        [newer]
    );
    assert_eq!(
        statistics
            .latest(MiurKind::Paritarie)
            .await
            .expect("latest"),
        None
    );
}

on_both_backends!(
    miur_files_are_counted_before_the_deletions_and_replace_their_lists,
    a_miur_file_of_another_kind_or_without_valid_rows_changes_nothing,
    a_staff_staging_is_its_import_s_own_and_ends_with_it,
);

// A small registry whose figures are checked by hand: Lazio (120) with ASLs 201, 202, 203,
// Lombardia (030) with 321, Trento (042) with 101. Rome's province (RM) is split: ASL 201
// covers one of its municipalities, 202 two, so it goes to 202. Latina's (LT) is a tie, one
// municipality each in 201 and 203: it goes to the lowest code, 201.
const MIUR_M1: &str = "MRNPLA60A01H501G"; // MMG, 120/201
const MIUR_M2: &str = "MRNGNN62B02H501G"; // MMG, 120/202
const MIUR_M3: &str = "SCNNTN77L07H501J"; // MMG, 042/101
const MIUR_A1: &str = "BNCLRA80A41H501D"; // alive, M1, 120/201
const MIUR_A2: &str = "CLMMRC75B12H501A"; // alive, M2, 120/202
const MIUR_A3: &str = "DLCFNC70C43H501Z"; // alive, no MMG, 120/202
const MIUR_A4: &str = "FRRLGU68D14H501O"; // deceased, 120/201
const MIUR_A5: &str = "GLLSRA85E45H501W"; // emigrated, 030/321
const MIUR_A6: &str = "RSSPLA66H10F205Q"; // alive, M1, 120/201
const MIUR_UNKNOWN: &str = "LTNFRN79M08H501W"; // not in the registry
const MIUR_T1: &str = "TRNLCU71C03L378F"; // alive, M3, 042/101
const MIUR_T2: &str = "TRNMRA72D44L378Y"; // alive, no MMG, 042/101
const MIUR_T3: &str = "TRNGPP73E05L378F"; // alive, M3, 042/101
const MIUR_T4: &str = "TRNANN74H46L378D"; // deceased, 042/101

async fn miur_registry(store: &dyn Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: String| {
        std::fs::write(dir.path().join(name), text).expect("write registry file")
    };
    write(
        "regioni.csv",
        "codice;nome\n120;Lazio\n030;Lombardia\n042;P.A. Trento\n".into(),
    );
    write(
        "asl.csv",
        "codice_regione;codice_asl;nome\n120;201;Roma 1\n120;202;Roma 2\n120;203;Latina\n\
         030;321;Milano\n042;101;APSS Trento\n"
            .into(),
    );
    write(
        "comuni.csv",
        "codice_belfiore;nome;sigla_provincia;codice_regione;codice_asl\n\
         H501;Roma;RM;120;201\nH501;Roma;RM;120;202\nG811;Pomezia;RM;120;202\n\
         E472;Latina;LT;120;203\nD662;Fondi;LT;120;201\nF205;Milano;MI;030;321\n\
         L378;Trento;TN;042;101\n"
            .into(),
    );
    write(
        "mmg.csv",
        format!(
            "cf;cognome;nome;codice_regione;codice_asl\n{MIUR_M1};MARINI;PAOLO;120;201\n\
             {MIUR_M2};MARINI;GIANNI;120;202\n{MIUR_M3};SCANU;ANTONIO;042;101\n"
        ),
    );
    let person = |cf: &str, region: &str, asl: &str, mmg: &str, status: &str| {
        format!("{cf};NOME;COGNOME;{region};{asl};{mmg};{status}\n")
    };
    write(
        "assistiti.csv",
        [
            "cf;nome;cognome;codice_regione;codice_asl;cf_mmg;stato\n".to_owned(),
            person(MIUR_A1, "120", "201", MIUR_M1, "vivo"),
            person(MIUR_A2, "120", "202", MIUR_M2, "vivo"),
            person(MIUR_A3, "120", "202", "", "vivo"),
            person(MIUR_A4, "120", "201", MIUR_M1, "deceduto"),
            person(MIUR_A5, "030", "321", MIUR_M1, "emigrato"),
            person(MIUR_A6, "120", "201", MIUR_M1, "vivo"),
            person(MIUR_T1, "042", "101", MIUR_M3, "vivo"),
            person(MIUR_T2, "042", "101", "", "vivo"),
            person(MIUR_T3, "042", "101", MIUR_M3, "vivo"),
            person(MIUR_T4, "042", "101", "", "deceduto"),
        ]
        .concat(),
    );
    tsgate::registry::import(store, dir.path())
        .await
        .expect("registry import");
}

fn intake(store: &dyn Store) -> tsgate::jobs::miur::Intake<'_> {
    tsgate::jobs::miur::Intake {
        store,
        actor: tsgate::audit::Actor::cli(),
        progress: &tsgate::jobs::Silent,
    }
}

fn figures(
    region_code: &str,
    asl_code: &str,
    with_mmg: u64,
    without_mmg: u64,
    paritarie: u64,
) -> tsgate::store::AslFigures {
    tsgate::store::AslFigures {
        region_code: region(region_code),
        asl_code: asl(asl_code),
        figures: tsgate::store::Figures {
            with_mmg,
            without_mmg,
            paritarie,
        },
    }
}

async fn listed(store: &dyn Store, mmg: &str) -> Vec<(String, chrono::NaiveDate)> {
    store
        .patients()
        .patient_list(&operator(mmg))
        .await
        .expect("list")
        .into_iter()
        .map(|p| (p.cf.to_string(), p.updated_on))
        .collect()
}

fn day(text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// The three kinds on a hand-checked registry: each statistic as the §2.4 tables define it,
/// stored and logged before the §2.5 deletions; the lists replaced per kind, with "Data ultimo
/// aggiornamento" set by the system; nothing of the files left staged.
async fn miur_files_are_counted_before_the_deletions_and_replace_their_lists(db: Arc<TestDb>) {
    use tsgate::store::{MiurKind, Unplaced};
    let store = &*db.store;
    miur_registry(store).await;
    let at = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .expect("an instant")
            .with_timezone(&Utc)
    };

    // §2.4.1, as a spreadsheet writes it: BOM, CRLF, a quoted CF, a stray separator.
    let statali = format!(
        "\u{feff}codice_fiscale\r\n{MIUR_A1}\r\n{MIUR_A2}\r\n\"{MIUR_A3}\"\r\n{MIUR_A4};\r\n\
         {MIUR_A5}\r\n{MIUR_UNKNOWN}\r\nNOTACF\r\n{MIUR_A1}\r\n{MIUR_A2};extra\r\n"
    );
    let first = intake(store)
        .import(
            MiurKind::Statali,
            statali.as_bytes(),
            at("2026-09-01T08:00:00Z"),
        )
        .await
        .expect("statali");
    let problems: Vec<u64> = first.problems.iter().map(|p| p.line).collect();
    assert_eq!(problems, [8, 10], "{first:?}");
    assert!(first.problems[0].reason.contains("NOTACF"), "{first:?}");
    let statistic = &first.statistic;
    assert_eq!(
        (
            statistic.rows_read,
            statistic.rows_rejected,
            statistic.validated_cfs
        ),
        (9, 2, Some(5))
    );
    assert_eq!(
        statistic.per_asl,
        [
            figures("030", "321", 0, 1, 0),
            figures("120", "201", 1, 1, 0),
            figures("120", "202", 1, 1, 0),
        ]
    );
    let regions: Vec<(String, u64, u64)> = statistic
        .per_region()
        .into_iter()
        .map(|(code, f)| (code.to_string(), f.with_mmg, f.without_mmg))
        .collect();
    assert_eq!(regions, [("030".into(), 0, 1), ("120".into(), 2, 2)]);
    assert_eq!(
        first.list.map(|l| (l.listed, l.removed)),
        Some((2, 0)),
        "only the living with an MMG are listed"
    );
    assert_eq!(
        listed(store, MIUR_M1).await,
        [(MIUR_A1.into(), day("2026-09-01"))]
    );
    assert_eq!(
        listed(store, MIUR_M2).await,
        [(MIUR_A2.into(), day("2026-09-01"))]
    );

    // Re-sent: the new file replaces the list. A1 leaves it, A6 joins it on its day, A2 keeps
    // the day its position was created.
    let again = format!("codice_fiscale\n{MIUR_A2}\n{MIUR_A6}\n");
    let second = intake(store)
        .import(
            MiurKind::Statali,
            again.as_bytes(),
            at("2026-09-10T08:00:00Z"),
        )
        .await
        .expect("statali again");
    assert_eq!(second.list.map(|l| (l.listed, l.removed)), Some((2, 1)));
    assert_eq!(
        listed(store, MIUR_M1).await,
        [(MIUR_A6.into(), day("2026-09-10"))]
    );
    assert_eq!(
        listed(store, MIUR_M2).await,
        [(MIUR_A2.into(), day("2026-09-01"))]
    );
    // A2 moves to M1: the registry import's matching moves them, dated that day.
    let mut moved = store
        .patients()
        .find_assistito(&cf(MIUR_A2))
        .await
        .expect("find")
        .expect("known");
    moved.mmg_cf = Some(operator(MIUR_M1));
    store
        .patients()
        .upsert_assistiti(&[moved])
        .await
        .expect("move");
    let rematched = store
        .staging()
        .match_school_staff(day("2026-09-15"))
        .await
        .expect("match");
    assert_eq!((rematched.matched, rematched.removed), (2, 0));
    assert_eq!(
        listed(store, MIUR_M1).await,
        [
            (MIUR_A2.into(), day("2026-09-15")),
            (MIUR_A6.into(), day("2026-09-10"))
        ]
    );
    assert!(listed(store, MIUR_M2).await.is_empty());

    // §2.4.2: a split province, a tie, a duplicate, and rows the registry cannot place.
    let paritarie = "regione;provincia;totale_personale\nLazio;RM;100\n120;LT;40\n\"LAZIO\";rm;5\n\
         Lombardia;MI;30\nAtlantide;XX;7\nLazio;MI;3\nLazio;ZZ;2\nLazio;RMA;1\nLazio;FR;-4\n";
    let report = intake(store)
        .import(
            MiurKind::Paritarie,
            paritarie.as_bytes(),
            at("2026-09-02T08:00:00Z"),
        )
        .await
        .expect("paritarie");
    let problems: Vec<u64> = report.problems.iter().map(|p| p.line).collect();
    assert_eq!(problems, [4, 9, 10], "{report:?}");
    assert!(report.problems[0].reason.contains("line 2"), "{report:?}");
    assert_eq!(report.list, None);
    let statistic = &report.statistic;
    assert_eq!(
        (
            statistic.rows_read,
            statistic.rows_rejected,
            statistic.validated_cfs
        ),
        (9, 3, None)
    );
    assert_eq!(
        statistic.per_asl,
        [
            figures("030", "321", 0, 0, 30),
            figures("120", "201", 0, 0, 40),
            figures("120", "202", 0, 0, 100),
        ]
    );
    let unplaced: Vec<(&str, &str, u64)> = statistic
        .unplaced
        .iter()
        .map(|u: &Unplaced| (u.region.as_str(), u.province.as_str(), u.staff))
        .collect();
    assert_eq!(
        unplaced,
        [
            ("Atlantide", "XX", 7),
            ("Lazio", "MI", 3),
            ("Lazio", "ZZ", 2)
        ]
    );
    assert!(
        statistic.unplaced[1].reason.contains("030"),
        "{statistic:?}"
    );

    // §2.4.3: state staff join the lists, paritaria staff are only counted.
    let trento = format!(
        "codice_fiscale;tipologia\n{MIUR_T1};statale\n{MIUR_T2};STATALE\n{MIUR_T3};paritaria\n\
         {MIUR_T4};Paritaria\n{MIUR_A1};privata\n"
    );
    let report = intake(store)
        .import(
            MiurKind::TrentoBolzano,
            trento.as_bytes(),
            at("2026-09-03T08:00:00Z"),
        )
        .await
        .expect("trento-bolzano");
    let statistic = &report.statistic;
    assert_eq!(
        (
            statistic.rows_read,
            statistic.rows_rejected,
            statistic.validated_cfs
        ),
        (5, 1, Some(4))
    );
    assert_eq!(statistic.per_asl, [figures("042", "101", 1, 1, 2)]);
    assert_eq!(report.list.map(|l| (l.listed, l.removed)), Some((1, 0)));
    assert_eq!(
        listed(store, MIUR_M3).await,
        [(MIUR_T1.into(), day("2026-09-03"))]
    );
    assert_eq!(
        listed(store, MIUR_M1).await.len(),
        2,
        "the statali list is another kind's"
    );
    let per_mmg = store
        .patients()
        .staff_per_mmg(region("042"), asl("101"))
        .await
        .expect("per MMG");
    assert_eq!(per_mmg, [(operator(MIUR_M3), 1)]);

    // Stored, latest first, each computation logged; no CF left staged.
    let statistics = store.miur_statistics();
    assert_eq!(
        statistics
            .latest(MiurKind::Statali)
            .await
            .expect("latest")
            .map(|s| s.computed_at),
        Some(at("2026-09-10T08:00:00Z"))
    );
    assert_eq!(
        statistics
            .latest(MiurKind::TrentoBolzano)
            .await
            .expect("latest")
            .as_ref(),
        Some(&report.statistic)
    );
    let logged = store
        .access_log()
        .read(0, 100)
        .await
        .expect("log")
        .into_iter()
        .filter(|e| e.entry.operation == "miur-statistic")
        .map(|e| e.entry.target.unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(
        logged,
        ["statali", "statali", "paritarie", "trento-bolzano"]
    );
    assert_eq!(
        store
            .miur_lists()
            .open_staging()
            .await
            .expect("staging")
            .figures()
            .await
            .expect("figures")
            .validated_cfs,
        0,
        "the staged CFs went with their imports"
    );
    let csv = tsgate::jobs::stats_output::csv(std::slice::from_ref(&report.statistic));
    assert!(
        csv.lines()
            .any(|line| line == "trento-bolzano;2026-09-03 10:00:00;asl;042;101;;1;1;2;;;"),
        "{csv}"
    );
}

/// Two imports staging at once each count only their own CFs (a CF on two lines, or in two
/// calls, once, with its kinds merged; one not in the registry not at all; one staged after a
/// count, at the next count), and what one staged is gone once its staging is dropped.
async fn a_staff_staging_is_its_import_s_own_and_ends_with_it(db: Arc<TestDb>) {
    use tsgate::store::StagedStaff;
    let store = &*db.store;
    miur_registry(store).await;
    let staff = |text: &str, paritaria| StagedStaff {
        cf: cf(text),
        paritaria,
    };
    let lists = store.miur_lists();
    let mut first = lists.open_staging().await.expect("first staging");
    let mut second = lists.open_staging().await.expect("second staging");
    first
        .stage(&[
            staff(MIUR_T1, false),
            staff(MIUR_T2, true),
            staff(MIUR_T1, true),
            staff(MIUR_UNKNOWN, false),
        ])
        .await
        .expect("stage");
    first
        .stage(&[staff(MIUR_T2, false), staff(MIUR_A3, false)])
        .await
        .expect("stage again");
    second
        .stage(&[staff(MIUR_A1, false)])
        .await
        .expect("stage the second");
    let counted = first.figures().await.expect("figures");
    assert_eq!(counted.validated_cfs, 3);
    assert_eq!(
        counted.per_asl,
        [
            figures("042", "101", 1, 1, 2),
            figures("120", "202", 0, 1, 0)
        ]
    );
    let counted = second.figures().await.expect("figures");
    assert_eq!(
        (counted.validated_cfs, counted.per_asl),
        (1, vec![figures("120", "201", 1, 0, 0)])
    );
    // Staged after a count: the next count matches it too.
    first
        .stage(&[staff(MIUR_A6, false), staff(MIUR_T1, false)])
        .await
        .expect("stage after the count");
    let counted = first.figures().await.expect("figures again");
    assert_eq!(counted.validated_cfs, 4);
    assert_eq!(
        counted.per_asl,
        [
            figures("042", "101", 1, 1, 2),
            figures("120", "201", 1, 0, 0),
            figures("120", "202", 0, 1, 0)
        ]
    );
    drop(first);
    drop(second);
    for _ in 0..3 {
        let mut next = lists.open_staging().await.expect("next staging");
        assert_eq!(
            next.figures().await.expect("figures"),
            tsgate::store::StaffFigures::default(),
            "nothing staged is left"
        );
    }
}

/// A file whose header is another kind's is refused whole, as is one with no valid row: the
/// list in force and the latest statistic stay as they were.
async fn a_miur_file_of_another_kind_or_without_valid_rows_changes_nothing(db: Arc<TestDb>) {
    use tsgate::jobs::miur::MiurImportError;
    use tsgate::store::MiurKind;
    let store = &*db.store;
    miur_registry(store).await;
    let statali = format!("codice_fiscale\n{MIUR_A1}\n");
    intake(store)
        .import(MiurKind::Statali, statali.as_bytes(), Utc::now())
        .await
        .expect("statali");
    let before = store
        .miur_statistics()
        .latest(MiurKind::Statali)
        .await
        .expect("latest");

    type Expected = fn(&MiurImportError) -> bool;
    let refusals: [(&str, MiurKind, Expected); 5] = [
        (
            "regione;provincia;totale_personale\nLazio;RM;3\n",
            MiurKind::Statali,
            |e| {
                matches!(
                    e,
                    MiurImportError::WrongKind {
                        found: MiurKind::Paritarie,
                        ..
                    }
                )
            },
        ),
        (
            "codice_fiscale;tipologia\nBNCLRA80A41H501D;statale\n",
            MiurKind::Statali,
            |e| {
                matches!(
                    e,
                    MiurImportError::WrongKind {
                        found: MiurKind::TrentoBolzano,
                        ..
                    }
                )
            },
        ),
        ("BNCLRA80A41H501D\n", MiurKind::Statali, |e| {
            // A data row is named as such, its CF never echoed.
            matches!(e, MiurImportError::BadHeader { .. })
                && !e.to_string().contains("BNCLRA80A41H501D")
        }),
        ("codice_fiscale\nNOTACF\n\n", MiurKind::Statali, |e| {
            matches!(
                e,
                MiurImportError::NoValidRow {
                    rows: 1,
                    rejected: 1,
                    ..
                }
            )
        }),
        ("", MiurKind::Paritarie, |e| {
            matches!(e, MiurImportError::Empty { .. })
        }),
    ];
    for (text, kind, expected) in refusals {
        let error = intake(store)
            .import(kind, text.as_bytes(), Utc::now())
            .await
            .expect_err("refused");
        assert!(expected(&error), "{text:?}: {error}");
        assert!(
            error.to_string().contains("refused") || matches!(error, MiurImportError::Empty { .. }),
            "{error}"
        );
    }
    assert_eq!(
        store
            .miur_statistics()
            .latest(MiurKind::Statali)
            .await
            .expect("latest"),
        before
    );
    assert_eq!(
        listed(store, MIUR_M1).await.len(),
        1,
        "the list in force is unchanged"
    );
}

// --- the web application's sessions (issue #11) ------------------------------------------------

on_both_backends!(web_sessions_round_trip_and_end);

fn web_session(
    id_hash: &str,
    user_id: Option<&str>,
    at: DateTime<Utc>,
) -> tsgate::store::WebSessionRecord {
    tsgate::store::WebSessionRecord {
        id_hash: id_hash.into(),
        user_id: user_id.map(str::to_owned),
        admin_id: None,
        csrf_token: format!("csrf-{id_hash}"),
        must_change_password: user_id.is_some(),
        card_chain: None,
        created: at,
        last_seen: at,
    }
}

async fn web_sessions_round_trip_and_end(db: Arc<TestDb>) {
    let store = &*db.store;
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    let sessions = store.web_sessions();
    let now = base_time();
    let anonymous = web_session("a", None, now);
    let alice = web_session("b", Some("alice"), now);
    let alice_again = web_session("c", Some("alice"), now + chrono::Duration::hours(2));
    let by_card = tsgate::store::WebSessionRecord {
        card_chain: Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into()),
        ..web_session("d", Some("alice"), now)
    };
    for session in [&anonymous, &alice, &alice_again, &by_card] {
        sessions.create(session).await.expect("create");
    }
    assert_eq!(sessions.find("d").await.expect("find"), Some(by_card));
    assert!(sessions.delete("d").await.expect("delete"));
    assert_eq!(
        sessions.find("a").await.expect("find"),
        Some(anonymous.clone())
    );
    assert_eq!(sessions.find("b").await.expect("find"), Some(alice.clone()));
    assert_eq!(sessions.find("z").await.expect("find"), None);
    // The same id twice is refused (ids are random: a collision is a bug).
    assert!(sessions.create(&anonymous).await.is_err());

    let later = now + chrono::Duration::minutes(10);
    assert!(sessions.touch("b", later).await.expect("touch"));
    assert!(!sessions.touch("z", later).await.expect("touch"));
    assert_eq!(
        sessions.find("b").await.expect("find").map(|s| s.last_seen),
        Some(later)
    );
    // Idle since before `now + 5 min`: only the anonymous one (b was touched, c is new).
    let purged = sessions
        .purge(
            now + chrono::Duration::minutes(5),
            now - chrono::Duration::hours(1),
        )
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(sessions.find("a").await.expect("find"), None);
    // Created before `now + 1 h`: b, however busy.
    let purged = sessions
        .purge(now, now + chrono::Duration::hours(1))
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(sessions.find("b").await.expect("find"), None);

    // The titolare a substitute acts for: remembered, changed, forgotten; none for a gone session.
    sessions.create(&alice).await.expect("create");
    assert_eq!(sessions.acting_for("b").await.expect("read"), None);
    assert!(sessions
        .set_acting_for("b", Some("BNCGNN65C12H501E"))
        .await
        .expect("set"));
    assert_eq!(
        sessions.acting_for("b").await.expect("read").as_deref(),
        Some("BNCGNN65C12H501E")
    );
    assert!(sessions.set_acting_for("b", None).await.expect("unset"));
    assert_eq!(sessions.acting_for("b").await.expect("read"), None);
    assert!(!sessions
        .set_acting_for("z", Some("BNCGNN65C12H501E"))
        .await
        .expect("set"));
    assert_eq!(sessions.acting_for("z").await.expect("read"), None);
    assert!(sessions.delete("b").await.expect("delete"));
    sessions.create(&alice).await.expect("create");
    assert!(sessions.delete("b").await.expect("delete"));
    assert!(!sessions.delete("b").await.expect("delete"));
    sessions.create(&alice).await.expect("create");
    assert_eq!(sessions.delete_of_user("alice").await.expect("delete"), 2);
    assert_eq!(sessions.find("c").await.expect("find"), None);
}

on_both_backends!(an_administrators_web_sessions_end_with_a_password_reset);

/// An administrator's sessions are theirs apart from an operator's of the same id, and end
/// together; a reset password replaces the stored hash.
async fn an_administrators_web_sessions_end_with_a_password_reset(db: Arc<TestDb>) {
    use tsgate::store::{AdministratorRecord, AdministratorScope};
    let store = &*db.store;
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    store
        .administrators()
        .add(&AdministratorRecord {
            admin_id: "alice".into(),
            cf: cf("RSSMRA80A01H501U"),
            display_name: "Alice".into(),
            password_hash: hash.into(),
            scope: AdministratorScope::Central,
            enabled: true,
        })
        .await
        .expect("add");
    store
        .directory()
        .add_user(&user("alice", "RSSMRA80A01H501U"))
        .await
        .expect("add");
    let sessions = store.web_sessions();
    let now = base_time();
    let administrator = |id: &str| tsgate::store::WebSessionRecord {
        user_id: None,
        admin_id: Some("alice".into()),
        must_change_password: false,
        ..web_session(id, None, now)
    };
    for session in [administrator("a1"), administrator("a2")] {
        sessions.create(&session).await.expect("create");
    }
    let operator = web_session("o", Some("alice"), now);
    sessions.create(&operator).await.expect("create");
    assert_eq!(
        sessions.find("a1").await.expect("find"),
        Some(administrator("a1"))
    );
    assert_eq!(
        sessions
            .delete_of_administrator("alice")
            .await
            .expect("delete"),
        2
    );
    assert_eq!(sessions.find("a2").await.expect("find"), None);
    assert_eq!(sessions.find("o").await.expect("find"), Some(operator));
    assert_eq!(
        sessions
            .delete_of_administrator("nobody")
            .await
            .expect("delete"),
        0
    );

    let admins = store.administrators();
    assert!(admins
        .set_password("alice", "$argon2id$new")
        .await
        .expect("set"));
    assert!(!admins
        .set_password("nobody", "$argon2id$new")
        .await
        .expect("set"));
    assert_eq!(
        admins
            .find("alice")
            .await
            .expect("find")
            .map(|a| a.password_hash),
        Some("$argon2id$new".to_owned())
    );
}

on_both_backends!(web_captchas_one_live_per_form_used_once_and_gone_with_the_session);

fn captcha(
    id: &str,
    session: &str,
    form: &str,
    failures: u32,
    expires: DateTime<Utc>,
) -> tsgate::store::WebCaptchaRecord {
    tsgate::store::WebCaptchaRecord {
        id: id.into(),
        session_hash: session.into(),
        form: form.into(),
        sealed_answer: format!("v1.sealed-{id}"),
        failures,
        expires,
    }
}

async fn web_captchas_one_live_per_form_used_once_and_gone_with_the_session(db: Arc<TestDb>) {
    let store = &*db.store;
    let now = base_time();
    for id in ["s1", "s2"] {
        store
            .web_sessions()
            .create(&web_session(id, None, now))
            .await
            .expect("session");
    }
    let captchas = store.web_captchas();
    let later = now + chrono::Duration::minutes(5);
    let first = captcha("c1", "s1", "login", 0, later);
    captchas.replace(&first).await.expect("replace");
    assert_eq!(
        captchas.find("s1", "c1").await.expect("find"),
        Some(first.clone())
    );
    assert_eq!(
        captchas.find("s2", "c1").await.expect("find"),
        None,
        "another session's"
    );
    // A new challenge for the same form replaces the old one; another form's stays.
    let second = captcha("c2", "s1", "login", 2, later);
    captchas.replace(&second).await.expect("replace");
    let otp = captcha("c3", "s1", "otp", 0, now + chrono::Duration::minutes(1));
    captchas.replace(&otp).await.expect("replace");
    assert_eq!(captchas.find("s1", "c1").await.expect("find"), None);
    assert_eq!(
        captchas.find_for_form("s1", "login").await.expect("find"),
        Some(second.clone())
    );
    // Used once: the first take wins, the second finds nothing.
    assert!(
        !captchas.take("s2", "c2").await.expect("take"),
        "not its session's"
    );
    assert!(captchas.take("s1", "c2").await.expect("take"));
    assert!(!captchas.take("s1", "c2").await.expect("take"));
    // Expired ones are purged.
    assert_eq!(
        captchas
            .purge(now + chrono::Duration::minutes(2))
            .await
            .expect("purge"),
        1
    );
    assert_eq!(captchas.find("s1", "c3").await.expect("find"), None);
    // A session's challenges and pincode check go with it.
    captchas
        .replace(&captcha("c4", "s2", "otp", 1, later))
        .await
        .expect("replace");
    let checks = store.web_pincode_checks();
    assert!(!checks.passed("s2").await.expect("passed"));
    checks.record("s2", now).await.expect("record");
    checks.record("s2", later).await.expect("again");
    assert!(checks.passed("s2").await.expect("passed"));
    assert!(!checks.passed("s1").await.expect("passed"));
    assert!(store.web_sessions().delete("s2").await.expect("delete"));
    assert_eq!(captchas.find("s2", "c4").await.expect("find"), None);
    assert!(!checks.passed("s2").await.expect("passed"));
}

on_both_backends!(web_spent_challenges_serve_once_and_are_forgotten_after_expiry);

async fn web_spent_challenges_serve_once_and_are_forgotten_after_expiry(db: Arc<TestDb>) {
    let spent = db.store.web_spent_challenges();
    let now = base_time();
    let expires = now + chrono::Duration::minutes(5);
    assert!(spent.spend("d1", expires, now).await.expect("spend"));
    assert!(
        !spent.spend("d1", expires, now).await.expect("spend"),
        "a second time"
    );
    assert!(spent.spend("d2", expires, now).await.expect("spend"));
    // Once expired it is forgotten (the challenge itself is refused by then).
    let after = expires + chrono::Duration::seconds(1);
    assert!(spent
        .spend("d1", after + chrono::Duration::minutes(5), after)
        .await
        .expect("spend"));
}
