//! Reads one envelope N times, for counting instructions per read with callgrind (load-proof,
//! unlike timing): `valgrind --tool=callgrind target/release/examples/read_envelope FILE N`,
//! once with N = 0 and once with N = 20000; the difference divided by N is the cost of a read.
//! FILE is a path, or a sample under `tests/envelopes/` (placeholders filled as the bench does),
//! or `shape:NAME:BYTES` for a hostile shape of `tests/hostile/shapes.rs` read without limits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

#[path = "../tests/hostile/shapes.rs"]
mod shapes;

use tsgate::soap::envelope::{self, Payloads};
use tsgate::soap::xml_limits::XmlLimits;
use tsgate::soap::SoapVersion;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(times)) = (args.next(), args.next()) else {
        return Err("usage: read_envelope FILE N".into());
    };
    let times: usize = times.parse()?;
    let (text, limits) = match name.strip_prefix("shape:") {
        Some(shape) => {
            let (shape, size) = shape.rsplit_once(':').ok_or("shape:NAME:BYTES")?;
            let shape = shapes::SHAPES
                .iter()
                .find(|s| s.name == shape)
                .ok_or("no such shape")?;
            ((shape.build)(size.parse()?), XmlLimits::unbounded())
        }
        None => {
            let path = match std::path::Path::new(&name).exists() {
                true => name.clone(),
                false => format!("{}/tests/envelopes/{name}", env!("CARGO_MANIFEST_DIR")),
            };
            (std::fs::read(&path)?, XmlLimits::default())
        }
    };
    let bytes = String::from_utf8_lossy(&text)
        .replace("{PINCODE}", &"A".repeat(342).replace("AA", "Ab"))
        .replace("{OTP}", "KJ23IWY5UJ")
        .replace("{TODAY}", "2026-11-20")
        .into_bytes();
    let schemas = tsgate::startup::compile_schemas()?;
    let mut accepted = 0usize;
    for _ in 0..times {
        let read = envelope::read(
            std::hint::black_box(&bytes),
            SoapVersion::V11,
            &schemas,
            &limits,
            Payloads::Any,
        );
        accepted += usize::from(read.is_ok());
    }
    println!("{accepted} of {times} reads accepted");
    Ok(())
}
