//! Envelope parse + schema validation: the per-request XML cost of the sample requests, the
//! cost of hostile shapes at growing sizes (time per byte must stay flat: linear), and what a
//! hand-off to the blocking pool would add to a small request.
//! Run: `cargo bench --bench envelope`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

#[path = "../tests/hostile/shapes.rs"]
mod shapes;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tsgate::soap::envelope::{self, Payloads};
use tsgate::soap::envelope_reader::{EnvelopeReader, INLINE_MAX_BYTES};
use tsgate::soap::xml_limits::XmlLimits;
use tsgate::soap::SoapVersion;
use tsgate::startup::compile_schemas;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/envelopes/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // A realistic 2048-bit pinCode: 344 base64 characters; the kit's OTP placeholders.
    text.replace("{PINCODE}", &"A".repeat(342).replace("AA", "Ab"))
        .replace("{OTP}", "KJ23IWY5UJ")
        .replace("{TODAY}", "2026-11-20")
        .into_bytes()
}

fn samples(c: &mut Criterion) {
    let schemas = compile_schemas().expect("shipped schemas compile");
    let limits = XmlLimits::default();
    let mut group = c.benchmark_group("envelope");
    for name in [
        "servizi/ElencoServizi.xml",
        "servizi/ElencoServizi-pincode.xml",
        "otp/InvioOTP-region.xml",
        "otp/InvioOTP-operator.xml",
    ] {
        let bytes = sample(name);
        let read = || {
            envelope::read(
                std::hint::black_box(&bytes),
                SoapVersion::V11,
                &schemas,
                &limits,
                Payloads::Any,
            )
        };
        assert!(read().is_ok(), "{name} is valid");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("read+validate {name}"), |b| b.iter(read));
    }
    group.finish();
}

/// Every hostile shape, without limits so it is read to the end, at 64 KiB, 256 KiB and just
/// under the 1 MiB body cap: criterion's throughput (bytes/s) must not fall with the size.
fn hostile(c: &mut Criterion) {
    let schemas = compile_schemas().expect("shipped schemas compile");
    let limits = XmlLimits::unbounded();
    let mut group = c.benchmark_group("hostile");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for shape in shapes::SHAPES {
        for size in [64 << 10, 256 << 10, 1000 << 10] {
            let bytes = (shape.build)(size);
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.bench_function(format!("{} {} KiB", shape.name, size >> 10), |b| {
                b.iter(|| {
                    envelope::read(
                        std::hint::black_box(&bytes),
                        SoapVersion::V11,
                        &schemas,
                        &limits,
                        Payloads::Any,
                    )
                })
            });
        }
    }
    group.finish();
}

/// A small request read inline (what the gateway does up to 8 KiB) against the same request
/// handed to tokio's blocking pool, both from inside a multi-threaded runtime.
fn dispatch(c: &mut Criterion) {
    let schemas = Arc::new(compile_schemas().expect("shipped schemas compile"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let requests = [("urn:tsgate:ws:servizi:richiesta", "ElencoServiziRichiesta")];
    let body = Bytes::from(sample("servizi/ElencoServizi.xml"));
    let mut group = c.benchmark_group("dispatch");
    for (name, inline_max) in [("inline", INLINE_MAX_BYTES), ("blocking pool", 0)] {
        let reader = EnvelopeReader::new(schemas.clone(), XmlLimits::default(), inline_max);
        group.bench_function(format!("ElencoServizi.xml {name}"), |b| {
            b.iter(|| runtime.block_on(reader.read(body.clone(), SoapVersion::V11, &requests)))
        });
    }
    group.finish();
}

criterion_group!(benches, samples, hostile, dispatch);
criterion_main!(benches);
