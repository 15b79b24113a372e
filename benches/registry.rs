//! The registry under load: how fast one MMG's patient list comes back (the index design), and
//! how many serology sends per second the group commit records (test row + access-log entry in
//! one transaction per batch).
//!
//! Against a registry you generated and imported (the README's 10-million figures):
//!
//! ```text
//! cargo build --release
//! target/release/tsgate registry generate --assistiti 10000000 --out /data/reg10m
//! target/release/tsgate registry import --dir /data/bench --from /data/reg10m
//! TSGATE_BENCH_DB=sqlite:///data/bench/tsgate.db cargo bench --bench registry
//! ```
//!
//! Without `TSGATE_BENCH_DB` it generates and imports `TSGATE_BENCH_ASSISTITI` (default
//! 200,000) into a temporary SQLite file first. `TSGATE_BENCH_SENDS` (default 20,000) sends
//! are made by `TSGATE_BENCH_CONCURRENCY` (default 64) concurrent senders.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use tsgate::domain::{CodiceFiscale, OperatorCf};
use tsgate::store::sqlite::SqliteStore;
use tsgate::store::{
    AccessLogEntry, AccessLogWriter, CallerKind, NewSerologyTest, Store, TransactionWrite,
};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{what}: n={} p50={:.0} µs p95={:.0} µs p99={:.0} µs max={:.0} µs",
        samples.len(),
        us(percentile(&samples, 0.50)),
        us(percentile(&samples, 0.95)),
        us(percentile(&samples, 0.99)),
        us(percentile(&samples, 1.0)),
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let _temp;
    let url = match std::env::var("TSGATE_BENCH_DB") {
        Ok(url) => url,
        Err(_) => {
            let dir = tempfile::tempdir()?;
            let assistiti = env_number("TSGATE_BENCH_ASSISTITI", 200_000);
            let csv = dir.path().join("csv");
            let started = Instant::now();
            tsgate::registry::generate(&csv, &tsgate::registry::GenerateOptions::new(assistiti))?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            let store = tsgate::store::connect(&url).await?;
            tsgate::registry::import(store.as_ref(), &csv).await?;
            tsgate::jobs::miur::Intake {
                store: store.as_ref(),
                actor: tsgate::audit::Actor::cli(),
                progress: &tsgate::jobs::Silent,
            }
            .import_file(
                tsgate::store::MiurKind::Statali,
                &csv.join(tsgate::registry::PERSONALE_STATALI),
            )
            .await?;
            store.close().await;
            println!(
                "generated and imported {assistiti} assistiti in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            _temp = dir;
            url
        }
    };
    let sqlite = SqliteStore::connect(&url).await?;
    let assistiti: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assistiti")
        .fetch_one(sqlite.pool())
        .await?;
    let mmgs: Vec<String> = sqlx::query_scalar("SELECT cf FROM mmg ORDER BY random() LIMIT 2000")
        .fetch_all(sqlite.pool())
        .await?;
    let mmgs: Vec<OperatorCf> = mmgs
        .iter()
        .map(|cf| OperatorCf::parse(cf))
        .collect::<Result<_, _>>()?;
    println!(
        "registry: {assistiti} assistiti, sampling {} MMGs",
        mmgs.len()
    );
    let store: Arc<dyn Store> = Arc::new(sqlite);

    // Patient lists: one MMG after the other, first touch included (cold pages count).
    let mut samples = Vec::with_capacity(mmgs.len());
    let mut patients = 0;
    for cf in &mmgs {
        let started = Instant::now();
        patients += store.patients().patient_list(cf).await?.len();
        samples.push(started.elapsed());
    }
    println!(
        "patient lists: {:.1} school-staff patients per MMG on average",
        patients as f64 / mmgs.len().max(1) as f64
    );
    report("patient list (store, SQLite)", samples);

    // Sends through the group commit.
    let sends = env_number("TSGATE_BENCH_SENDS", 20_000);
    let concurrency = env_number("TSGATE_BENCH_CONCURRENCY", 64).max(1);
    let (writer, handle) = AccessLogWriter::start(store.clone(), 512).await?;
    let before = writer.stats();
    let started = Instant::now();
    let per_task = sends / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let writer = writer.clone();
            let mmgs = mmgs.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_task as usize);
                for i in 0..per_task {
                    let titolare = &mmgs[((task * per_task + i) as usize) % mmgs.len().max(1)];
                    let entry = AccessLogEntry {
                        transaction_id: format!("bench-{}-{task}-{i}", std::process::id()),
                        at: Utc::now(),
                        caller_kind: CallerKind::OperatorPassword,
                        caller_id: titolare.to_string(),
                        region: None,
                        operator_cf: Some(titolare.to_string()),
                        titolare_cf: Some(titolare.to_string()),
                        declared_auth: None,
                        service: "Sierologici".into(),
                        operation: "InvioTest".into(),
                        outcome: "0000".into(),
                        client_address: None,
                        target: None,
                        detail: None,
                    };
                    let write = TransactionWrite::SerologyTest(NewSerologyTest {
                        test_date: NaiveDate::from_ymd_opt(2020, 9, 14).unwrap_or_default(),
                        doctor_cf: titolare.clone(),
                        titolare_cf: titolare.clone(),
                        assistito_cf: CodiceFiscale::parse("STP1234567890123").unwrap(),
                        on_list: false,
                    });
                    let sent = Instant::now();
                    if writer.record_with(entry, Some(write)).await.is_err() {
                        break;
                    }
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    let elapsed = started.elapsed();
    let after = writer.stats();
    handle.shutdown().await;
    let recorded = latencies.len();
    println!(
        "sends: {recorded} by {concurrency} senders in {:.2} s = {:.0} sends/s, {} commits ({:.1} sends per commit)",
        elapsed.as_secs_f64(),
        recorded as f64 / elapsed.as_secs_f64(),
        after.batches - before.batches,
        recorded as f64 / (after.batches - before.batches).max(1) as f64
    );
    report("send (test row + access-log entry, committed)", latencies);
    Ok(())
}
