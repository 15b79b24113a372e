//! Envelope parse + schema validation of sample requests: the per-request XML cost.
//! Run: `cargo bench --bench envelope`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tsgate::soap::envelope;
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

fn bench(c: &mut Criterion) {
    let schemas = compile_schemas().expect("shipped schemas compile");
    let mut group = c.benchmark_group("envelope");
    for name in [
        "servizi/ElencoServizi.xml",
        "servizi/ElencoServizi-pincode.xml",
        "otp/InvioOTP-region.xml",
        "otp/InvioOTP-operator.xml",
    ] {
        let bytes = sample(name);
        assert!(
            envelope::read(&bytes, SoapVersion::V11, &schemas, 32).is_ok(),
            "{name} is valid"
        );
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("read+validate {name}"), |b| {
            b.iter(|| envelope::read(std::hint::black_box(&bytes), SoapVersion::V11, &schemas, 32))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
