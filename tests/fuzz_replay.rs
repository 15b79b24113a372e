//! The fuzz target's property, run by `cargo test` (no nightly needed): the envelope reader and
//! schema validator answer every input, `Ok` or a clear error, and never panic. The corpus is
//! every sample of the conformance kits (`tests/envelopes/`, requests and replies) plus the
//! regression inputs in `fuzz/corpus/envelope/`; each is replayed as it is, then as a bounded
//! number of mutants made by a seeded generator (so a failure reproduces), the way a fuzzer
//! would start from them. `cargo +nightly fuzz run envelope fuzz/corpus/envelope tests/envelopes`
//! explores further, without bound.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tsgate::soap::envelope::{self, Payloads};
use tsgate::soap::xml_limits::XmlLimits;
use tsgate::soap::SoapVersion;
use tsgate::xsd::SchemaSet;

/// Mutants per corpus entry: enough to reach every kind of mutation on every sample, few enough
/// that the whole replay takes seconds in a debug build.
const MUTANTS_PER_ENTRY: usize = 200;

/// Fragments a mutation may insert: the XML and encoding constructs the reader must refuse or
/// handle, whole or cut.
const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"=\"",
    b" a=\"1\"",
    b" xmlns:p=\"urn:p\"",
    b" xmlns=\"\"",
    b"p:",
    b"&amp;",
    b"&undeclared;",
    b"&#0;",
    b"&#x110000;",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?pi x?>",
    b"<!DOCTYPE a [<!ENTITY e \"x\">]>",
    b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
    b"\xEF\xBB\xBF",
    b"\xFF",
    b"\xC3",
    b"\xED\xA0\x80",
    b"\x00",
];

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("tests/envelopes"), &mut files);
    collect(&root.join("fuzz/corpus/envelope"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path
            .extension()
            .is_none_or(|ext| ext != "toml" && ext != "md")
        {
            files.push(path);
        }
    }
}

/// One to four random edits of `input`, some taking bytes from `other`.
fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..7) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                bytes.splice(at..at, token.iter().copied());
            }
            2 => {
                let end = rng.random_range(at..=bytes.len());
                bytes.drain(at..end);
            }
            3 => bytes.truncate(at),
            4 => {
                // Repeat a slice many times: long names, many attributes, deep nesting.
                let end = rng.random_range(at..=bytes.len().min(at + 64));
                let piece = bytes[at..end].to_vec();
                let times = rng.random_range(2..200);
                for _ in 0..times {
                    bytes.splice(at..at, piece.iter().copied());
                }
            }
            5 if !other.is_empty() => {
                let from = rng.random_range(0..other.len());
                let to = rng.random_range(from..=other.len());
                bytes.splice(at..at, other[from..to].iter().copied());
            }
            _ => bytes.insert(at, rng.random()),
        }
    }
    bytes
}

fn read_both_versions(schemas: &SchemaSet, input: &[u8], what: &str) {
    let limits = XmlLimits::default();
    for version in [SoapVersion::V11, SoapVersion::V12] {
        let outcome = std::panic::catch_unwind(|| {
            let _ = envelope::read(input, version, schemas, &limits, Payloads::Any);
        });
        if outcome.is_err() {
            let kept =
                std::env::temp_dir().join(format!("tsgate-fuzz-panic-{}", std::process::id()));
            std::fs::write(&kept, input).unwrap();
            panic!(
                "the envelope reader panicked on {what} ({version:?}); input kept in {}: add it to fuzz/corpus/envelope/",
                kept.display()
            );
        }
    }
}

#[test]
fn every_corpus_entry_and_its_mutants_get_an_answer() {
    let schemas = tsgate::startup::compile_schemas().unwrap();
    let corpus = corpus();
    assert!(
        corpus.len() > 100,
        "the kits' samples are the corpus: {}",
        corpus.len()
    );
    let mut rng = StdRng::seed_from_u64(0x7590_a7e5);
    for (index, (path, bytes)) in corpus.iter().enumerate() {
        read_both_versions(&schemas, bytes, &path.display().to_string());
        let other = &corpus[(index * 7 + 3) % corpus.len()].1;
        for mutant in 0..MUTANTS_PER_ENTRY {
            let input = mutate(&mut rng, bytes, other);
            read_both_versions(
                &schemas,
                &input,
                &format!("mutant {mutant} of {}", path.display()),
            );
        }
    }
}
