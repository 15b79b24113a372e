//! What a refused password costs the gateway under a flood of wrong passwords from one address:
//! `Identity::identify` on an in-memory store, with the address's failure budget still open
//! (every attempt is checked in full: the pincode decrypted, two argon2 verifications, the
//! failure counted in the store) and once it is spent (refused before any of that).
//!
//! ```text
//! cargo bench --profile dev --bench credentials
//! ```
//!
//! The dev profile builds dependencies (argon2, aws-lc) optimised and tsgate itself not, so the
//! figures hold for a release build within a few percent on the full check, and overstate the
//! refusal's cost (all tsgate code) if anything. Reports wall time and process CPU time (user +
//! system, from `/proc/self/stat`) per request; `TSGATE_BENCH_CHECKED` (default 100) and
//! `TSGATE_BENCH_REFUSED` (default 100,000) set how many of each are made.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use tsgate::config::AuthConfig;
use tsgate::domain::CodiceFiscale;
use tsgate::identity::password::hash_secret;
use tsgate::identity::second_factor::SecondFactor;
use tsgate::identity::{Credentials, Identity, Peer, Refused};
use tsgate::metrics::Metrics;
use tsgate::pki::{pincode, PincodeKey};
use tsgate::store::{self, UserRecord};

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// This process's CPU time so far (user + system), from `/proc/self/stat` (clock ticks of
/// 10 ms: runs are long enough for that not to matter).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

async fn build_identity(auth: &AuthConfig) -> (Identity, String, Arc<Metrics>) {
    let store = store::connect("sqlite::memory:").await.expect("store");
    let (certificate, key) = pincode::generate("bench pincode").expect("pincode key");
    store
        .directory()
        .add_user(&UserRecord {
            user_id: "OP1".into(),
            cf: CodiceFiscale::parse("RSSMRA80A01H501U").expect("CF"),
            display_name: String::new(),
            password_hash: hash_secret("password").expect("hash"),
            pincode_hash: hash_secret("1234567890").expect("hash"),
            asl: None,
            region: None,
            enabled: true,
            details: Default::default(),
            last_access: None,
        })
        .await
        .expect("user");
    let version = store.directory().version().await.expect("version");
    let key = PincodeKey::from_pem(&key).expect("key");
    let metrics = Arc::new(Metrics::new());
    let second_factor = SecondFactor::off(store.clone());
    let identity = Identity::new(store, key, second_factor, version, auth, metrics.clone());
    (identity, certificate, metrics)
}

/// `count` wrong passwords for OP1 from [`CLIENT`]; what each cost.
async fn flood(identity: &Identity, pin: &str, count: u64) -> (Duration, Duration, u64) {
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("OP1:wrong")
    );
    let credentials = Credentials::from_http(&Peer::Anonymous, CLIENT, Some(&header), Some(pin));
    let (wall, cpu) = (Instant::now(), cpu_time());
    let mut throttled = 0;
    for _ in 0..count {
        match identity.identify(&credentials).await {
            Err(Refused::Throttled { .. }) => throttled += 1,
            Err(_) => {}
            Ok(_) => panic!("a wrong password was accepted"),
        }
    }
    let per = |d: Duration| d / u32::try_from(count).unwrap_or(u32::MAX);
    (per(wall.elapsed()), per(cpu_time() - cpu), throttled)
}

fn report(what: &str, count: u64, (wall, cpu, throttled): (Duration, Duration, u64)) {
    println!(
        "{what}: {count} refused ({throttled} before any check): \
         wall {:.1} µs, CPU {:.1} µs per request",
        wall.as_secs_f64() * 1e6,
        cpu.as_secs_f64() * 1e6
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let checked = env_number("TSGATE_BENCH_CHECKED", 100);
    let refused = env_number("TSGATE_BENCH_REFUSED", 100_000);

    // The budget never runs out, nor does the account lock: every attempt is checked in full.
    let open = AuthConfig {
        max_failures: u32::MAX,
        address_failure_burst: u32::MAX,
        ..AuthConfig::default()
    };
    let (identity, certificate, metrics) = build_identity(&open).await;
    let pin = pincode::encrypt_for_certificate(&certificate, "1234567890").expect("pin");
    report(
        "budget open (full check)",
        checked,
        flood(&identity, &pin, checked).await,
    );
    assert_eq!(metrics.password_checks.get(), checked);

    // The default budget (20 failures, 10 a minute regained), spent by the first 20.
    let (identity, certificate, metrics) = build_identity(&AuthConfig::default()).await;
    let pin = pincode::encrypt_for_certificate(&certificate, "1234567890").expect("pin");
    flood(&identity, &pin, 20).await;
    report(
        "budget spent (refused before any check)",
        refused,
        flood(&identity, &pin, refused).await,
    );
    assert_eq!(
        metrics.password_checks.get(),
        20,
        "no argon2 after the budget"
    );
}
