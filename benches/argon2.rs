//! What one argon2id verification costs on this machine, at the parameters the gateway hashes
//! with and at other sets OWASP or RFC 9106 name: one check alone (`single`), and two at once on
//! two threads (`two in parallel`, what two logins arriving together cost each other on this
//! 2-core machine; criterion reports the wall time of the pair).
//!
//! ```text
//! cargo bench --profile dev --bench argon2
//! ```
//!
//! The dev profile builds dependencies, argon2 among them, optimised (see Cargo.toml), so the
//! figures are those of a release build.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use criterion::{criterion_group, criterion_main, Criterion};
use tsgate::identity::password::{hash_secret, verify};

/// (name, m KiB, t, p): the gateway's own first, then the alternatives weighed against it.
const SETS: [(&str, u32, u32, u32); 5] = [
    ("OWASP m=7168 t=5 p=1", 7168, 5, 1),
    ("OWASP m=19456 t=2 p=1", 19456, 2, 1),
    ("OWASP m=47104 t=1 p=1", 47104, 1, 1),
    ("m=65536 t=2 p=1", 65536, 2, 1),
    ("RFC 9106 m=65536 t=3 p=1", 65536, 3, 1),
];

fn hash_with(m: u32, t: u32, p: u32) -> String {
    let params = Params::new(m, t, p, None).expect("params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(b"password", &SaltString::generate(&mut OsRng))
        .expect("hash")
        .to_string()
}

fn bench(c: &mut Criterion) {
    let mut hashes: Vec<(String, String)> = vec![(
        "gateway (hash_secret)".into(),
        hash_secret("password").expect("hash"),
    )];
    hashes.extend(
        SETS.iter()
            .map(|&(name, m, t, p)| (name.to_string(), hash_with(m, t, p))),
    );
    for (_, phc) in &hashes {
        assert!(PasswordHash::new(phc).is_ok());
        assert!(verify(phc, "password"));
    }

    let mut group = c.benchmark_group("argon2id verify");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, phc) in &hashes {
        group.bench_function(format!("single {name}"), |b| {
            b.iter(|| verify(std::hint::black_box(phc), "password"))
        });
        group.bench_function(format!("two in parallel {name}"), |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    let other = s.spawn(|| verify(std::hint::black_box(phc), "password"));
                    let mine = verify(std::hint::black_box(phc), "password");
                    mine && other.join().unwrap()
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
