//! Three gateways on one PostgreSQL behind the real HAProxy (issue 13, scale-out), started by
//! `scripts/cluster.sh` as an operator would: HAProxy in TCP mode with `send-proxy-v2`, mutual
//! TLS ending at the gateways. Everything that once assumed one process is checked across the
//! three: transaction ids, the access log's one chain (`tsgate audit verify`), the client's
//! address, region permissions, a disabled user (the credential cache) and certificate
//! revocation changed through the command line and in force on every instance within the stated
//! bound, a smart-card web session ended on every instance by its card's revocation, and a
//! kill -9 under load that loses nothing a client was told was committed.
//!
//! They need haproxy and PostgreSQL (`TSGATE_TEST_PG_URL`), so a plain `cargo test` lists them
//! as ignored; `.ci/run` installs haproxy and runs them.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::PgPoolOptions;
use sqlx::Executor;
use tsgate::config::Config;
use tsgate::domain::CodiceFiscale;
use tsgate::pki::files;
use tsgate::pki::{CertificateAuthority, Subject};
use tsgate::web::session::hash_id;

use crate::helpers::browser::{assert_sent_home, location, Browser};
use crate::helpers::client::plain_get;
use crate::helpers::{
    prepare, seed, write_config, As, Reply, Request, Target, TestResult, MMG, OPERATOR,
};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/cluster.sh");
const INSTANCES: usize = 3;
/// `tls.reload_interval_ms` in these tests: a revocation's stated bound.
const TLS_RELOAD_MS: u64 = 1_000;
/// `store.directory_refresh_ms` (its default): a region permission's stated bound.
const DIRECTORY_REFRESH_MS: u64 = 1_000;
/// How long past a bound the tests wait before failing: the machine is shared and loaded, and
/// the figure printed is what was observed.
const SLACK: Duration = Duration::from_secs(20);

/// A database of its own on `TSGATE_TEST_PG_URL`, dropped with the cluster.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    async fn create() -> BoxResult<Database> {
        let admin_url = std::env::var("TSGATE_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .ok_or("this test needs PostgreSQL: set TSGATE_TEST_PG_URL")?;
        let name = format!("tsgate_cluster_{}", uuid::Uuid::new_v4().simple());
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url)
            .await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await;
        let base = admin_url.split('?').next().unwrap_or(&admin_url);
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        let url = format!("{server}/{name}");
        Ok(Database {
            admin_url,
            name,
            url,
        })
    }

    async fn drop_it(admin_url: String, name: String) -> BoxResult<()> {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url)
            .await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await?;
        admin.close().await;
        Ok(())
    }
}

/// One gateway of the cluster, as the script started it.
struct Instance {
    public: SocketAddr,
    admin: SocketAddr,
    pid: u32,
}

/// HAProxy and three gateways on a database of their own; stopped (and the database dropped)
/// when dropped, a failed test included.
struct Cluster {
    dir: tempfile::TempDir,
    address: SocketAddr,
    database: Database,
}

impl Cluster {
    async fn start() -> BoxResult<Cluster> {
        let database = Database::create().await?;
        let dir = tempfile::tempdir()?;
        let address: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let mut config = Config::in_directory(dir.path(), address);
        config.store.url = database.url.clone();
        config.store.directory_refresh_ms = DIRECTORY_REFRESH_MS;
        config.tls.reload_interval_ms = TLS_RELOAD_MS;
        // Regions may call Sierologici only with the extension on; the region's permission
        // then decides (the directory test below).
        config.extensions.region_callers_on_sierologici_asl = true;
        prepare(dir.path(), &config).await?;
        write_config(dir.path(), &config)?;
        let cluster = Cluster {
            dir,
            address,
            database,
        };
        let started = tokio::process::Command::new("bash")
            .arg(SCRIPT)
            .arg("start")
            .arg("--config")
            .arg(cluster.dir.path().join("tsgate.toml"))
            .arg("--run")
            .arg(cluster.run())
            .arg("--listen")
            .arg(address.to_string())
            .arg("--instances")
            .arg(INSTANCES.to_string())
            .arg("--bin")
            .arg(env!("CARGO_BIN_EXE_tsgate"))
            .env("TSGATE_LOG_LEVEL", "warn")
            .output()
            .await?;
        if !started.status.success() {
            let logs = cluster.logs();
            return Err(format!(
                "cluster.sh start failed: {}\n{logs}",
                String::from_utf8_lossy(&started.stderr)
            )
            .into());
        }
        Ok(cluster)
    }

    fn run(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn certs(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    /// Every process's log, for a failure's message.
    fn logs(&self) -> String {
        let mut text = String::new();
        if let Ok(entries) = std::fs::read_dir(self.run()) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "log") {
                    let log = std::fs::read_to_string(&path).unwrap_or_default();
                    let tail: String = log.chars().rev().take(3000).collect();
                    let tail: String = tail.chars().rev().collect();
                    text.push_str(&format!("--- {}\n{tail}\n", path.display()));
                }
            }
        }
        text
    }

    fn instance(&self, number: usize) -> BoxResult<Instance> {
        let run = self.run();
        let ports = std::fs::read_to_string(run.join(format!("gateway-{number}.ports")))?;
        let mut ports = ports.split_whitespace().map(str::parse::<u16>);
        let (Some(Ok(public)), Some(Ok(admin))) = (ports.next(), ports.next()) else {
            return Err("gateway-N.ports holds two ports".into());
        };
        let pid = std::fs::read_to_string(run.join(format!("gateway-{number}.pid")))?;
        Ok(Instance {
            public: SocketAddr::from(([127, 0, 0, 1], public)),
            admin: SocketAddr::from(([127, 0, 0, 1], admin)),
            pid: pid.trim().parse()?,
        })
    }

    fn instances(&self) -> BoxResult<Vec<Instance>> {
        (1..=INSTANCES).map(|n| self.instance(n)).collect()
    }

    /// Requests through HAProxy.
    fn through_haproxy(&self) -> Target {
        Target::new(self.address, &self.certs())
    }

    /// Requests straight to one instance, as HAProxy sends them (its PROXY header first).
    fn straight_to(&self, instance: &Instance) -> Target {
        Target::new(instance.public, &self.certs())
    }

    /// `tsgate <args> --config DIR/tsgate.toml`, as an operator runs it on one of the hosts.
    async fn cli(&self, args: &[&str]) -> BoxResult<Output> {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
            .args(args)
            .arg("--config")
            .arg(self.dir.path().join("tsgate.toml"))
            .env("TSGATE_ADMIN_PASSWORD", seed::PASSWORD)
            .output()
            .await?;
        if !output.status.success() {
            return Err(format!(
                "tsgate {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(output)
    }

    /// How many requests `instance` has answered (its own /metrics).
    async fn requests_served(&self, instance: &Instance) -> BoxResult<f64> {
        let metrics = plain_get(instance.admin, "/metrics").await?;
        Ok(metrics
            .body
            .lines()
            .filter(|l| l.starts_with("tsgate_requests_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    /// `tsgate audit verify`: the one chain holds every instance's entries, unbroken.
    async fn audit_verify(&self) -> BoxResult<String> {
        let output = self.cli(&["audit", "verify"]).await?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(SCRIPT)
            .arg("stop")
            .arg("--run")
            .arg(self.run())
            .status();
        let (admin_url, name) = (self.database.admin_url.clone(), self.database.name.clone());
        // The test's runtime may be gone (a panic): drop the database from a runtime of its own.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(Database::drop_it(admin_url, name)))
        })
        .join();
        if !matches!(dropped, Ok(Ok(Ok(())))) {
            eprintln!("the test database {} was not dropped", self.database.name);
        }
    }
}

/// A committed send: 200, `0000`, and its numeric id.
fn sent_id(reply: &Reply) -> BoxResult<u64> {
    if (reply.status, reply.outcome()) != (200, Some("0000")) {
        return Err(format!("not committed: {} {}", reply.status, reply.body).into());
    }
    Ok(reply.transaction_id().ok_or("an id")?.parse()?)
}

fn send_test(target: Target) -> Request {
    Request::sample(target, "sierologici/InvioTest.xml").by(As::User(MMG))
}

/// Every numeric id of the MMG's tests as the cluster lists them.
async fn listed_tests(cluster: &Cluster) -> BoxResult<HashSet<u64>> {
    let list = Request::sample(cluster.through_haproxy(), "sierologici/ElencoTest.xml")
        .by(As::User(MMG))
        .try_send()
        .await?;
    if list.outcome() != Some("0000") {
        return Err(format!("ElencoTest: {}", list.body).into());
    }
    Ok(list
        .texts("idTransazioneInvio")
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect())
}

/// Polls `check` on every instance until all say yes; how long that took.
async fn until_every_instance<F, Fut>(
    cluster: &Cluster,
    bound: Duration,
    check: F,
) -> BoxResult<Duration>
where
    F: Fn(Target) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    let instances = cluster.instances()?;
    let mut pending: Vec<&Instance> = instances.iter().collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for instance in pending {
            if !check(cluster.straight_to(instance)).await {
                still.push(instance);
            }
        }
        pending = still;
        if started.elapsed() > bound + SLACK {
            return Err(format!(
                "{} instance(s) still disagree after {:?}\n{}",
                pending.len(),
                started.elapsed(),
                cluster.logs()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(started.elapsed())
}

/// A client address only the test uses, so the access log can show HAProxy relayed it.
const CLIENT: [u8; 4] = [127, 0, 0, 3];

#[tokio::test]
#[ignore = "needs haproxy and PostgreSQL: set TSGATE_TEST_PG_URL and run with --include-ignored"]
async fn three_gateways_behind_haproxy_share_ids_the_log_and_every_change() -> TestResult {
    let cluster = Cluster::start().await?;

    // Ids: numeric (InvioTest) and alphanumeric (the catalogue), all distinct, all three
    // instances serving. HAProxy relays the client's own address.
    let mut numeric = Vec::new();
    for _ in 0..4 * INSTANCES {
        let reply = send_test(cluster.through_haproxy())
            .try_send_from(IpAddr::from(CLIENT))
            .await?;
        numeric.push(sent_id(&reply)?);
    }
    let mut all_ids: HashSet<String> = numeric.iter().map(u64::to_string).collect();
    for _ in 0..2 * INSTANCES {
        let reply = Request::sample(cluster.through_haproxy(), "servizi/ElencoServizi.xml")
            .by(As::Region)
            .try_send_from(IpAddr::from(CLIENT))
            .await?;
        assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);
        assert!(all_ids.insert(reply.transaction_id().ok_or("an id")?.to_owned()));
    }
    assert_eq!(
        all_ids.len(),
        6 * INSTANCES,
        "every id distinct: {all_ids:?}"
    );
    for instance in cluster.instances()? {
        assert!(
            cluster.requests_served(&instance).await? > 0.0,
            "HAProxy spread the calls over every instance"
        );
    }
    let listed = listed_tests(&cluster).await?;
    assert!(
        numeric.iter().all(|id| listed.contains(id)),
        "{numeric:?} {listed:?}"
    );
    let store = tsgate::store::connect(&cluster.database.url).await?;
    let log = store.access_log().read(0, 100_000).await?;
    let relayed = log
        .iter()
        .filter(|e| all_ids.contains(&e.entry.transaction_id))
        .filter(|e| e.entry.client_address.as_deref() == Some("127.0.0.3"))
        .count();
    assert_eq!(
        relayed,
        all_ids.len(),
        "the access log records the client, not HAProxy"
    );

    // Region permissions: enabled and disabled through the command line, in force on every
    // instance within store.directory_refresh_ms.
    let list_as_region = |target: Target| async move {
        Request::sample(target, "sierologici/ElencoAssistiti-regione.xml")
            .by(As::Region)
            .try_send_relaying("192.0.2.120:4000".parse().ok()?)
            .await
            .ok()
    };
    cluster
        .cli(&[
            "regions",
            "enable",
            "--code",
            seed::REGION,
            "--service",
            "Sierologici",
        ])
        .await?;
    let bound = Duration::from_millis(DIRECTORY_REFRESH_MS);
    let took = until_every_instance(&cluster, bound, |target| async move {
        list_as_region(target)
            .await
            .is_some_and(|reply| reply.outcome() == Some("0000"))
    })
    .await?;
    eprintln!("region enabled on every instance after {took:?} (bound {bound:?})");
    cluster
        .cli(&[
            "regions",
            "disable",
            "--code",
            seed::REGION,
            "--service",
            "Sierologici",
        ])
        .await?;
    let took = until_every_instance(&cluster, bound, |target| async move {
        list_as_region(target)
            .await
            .is_some_and(|reply| reply.message() == Some("9001"))
    })
    .await?;
    eprintln!("region disabled on every instance after {took:?} (bound {bound:?})");

    // Revocation: a region certificate issued and revoked through the command line on the
    // shared certs/ folder; every instance refuses it within tls.reload_interval_ms.
    let out = cluster.dir.path().join("region-160");
    cluster
        .cli(&[
            "certs",
            "issue",
            "region",
            "--code",
            "160",
            "--days",
            "30",
            "--out",
            &out.display().to_string(),
        ])
        .await?;
    let holder = As::Certificate {
        cert_pem: std::fs::read_to_string(out.with_extension("pem"))?,
        key_pem: std::fs::read_to_string(Path::new(&format!("{}-key.pem", out.display())))?,
    };
    let catalogue = |target: Target, who: As| async move {
        Request::sample(target, "servizi/ElencoServizi.xml")
            .by(who)
            .try_send_relaying("192.0.2.160:4000".parse().ok()?)
            .await
            .ok()
    };
    let bound = Duration::from_millis(TLS_RELOAD_MS);
    until_every_instance(&cluster, bound, |target| {
        let holder = holder.clone();
        async move {
            catalogue(target, holder)
                .await
                .is_some_and(|reply| reply.outcome() == Some("0000"))
        }
    })
    .await?;
    cluster.cli(&["certs", "revoke", "--code", "160"]).await?;
    let took = until_every_instance(&cluster, bound, |target| {
        let holder = holder.clone();
        // Refused: the handshake fails, or (an open session resumed) a credentials Fault.
        async move {
            catalogue(target, holder)
                .await
                .is_none_or(|reply| reply.outcome() != Some("0000"))
        }
    })
    .await?;
    eprintln!(
        "certificate refused by every instance {took:?} after its revocation (bound {bound:?})"
    );
    // Region 120's own certificate is still accepted everywhere.
    until_every_instance(&cluster, Duration::ZERO, |target| async move {
        catalogue(target, As::Region)
            .await
            .is_some_and(|reply| reply.outcome() == Some("0000"))
    })
    .await?;

    // The credential cache: the MMG's verified password is remembered by every instance (its
    // sends above went round all three); disabled through the command line, it is refused by
    // every instance within store.directory_refresh_ms, and accepted again once enabled.
    let list_as_mmg = |target: Target| async move {
        Request::sample(target, "sierologici/ElencoAssistiti.xml")
            .by(As::User(MMG))
            .try_send_relaying("192.0.2.200:4000".parse().ok()?)
            .await
            .ok()
    };
    let as_admin = |action| {
        [
            "users",
            action,
            "--as",
            seed::ASL_ADMIN,
            "--user-id",
            MMG.id,
        ]
    };
    cluster.cli(&as_admin("disable")).await?;
    let bound = Duration::from_millis(DIRECTORY_REFRESH_MS);
    let took = until_every_instance(&cluster, bound, |target| async move {
        list_as_mmg(target)
            .await
            .is_some_and(|reply| reply.outcome() == Some("CREDENZIALI_INVALIDE"))
    })
    .await?;
    eprintln!("a disabled user refused by every instance after {took:?} (bound {bound:?})");
    cluster.cli(&as_admin("enable")).await?;
    until_every_instance(&cluster, bound, |target| async move {
        list_as_mmg(target)
            .await
            .is_some_and(|reply| reply.outcome() == Some("0000"))
    })
    .await?;

    let verified = cluster.audit_verify().await?;
    assert!(verified.contains("the access log is intact"), "{verified}");
    store.close().await;
    Ok(())
}

#[tokio::test]
#[ignore = "needs haproxy and PostgreSQL: set TSGATE_TEST_PG_URL and run with --include-ignored"]
async fn kill_9_of_one_gateway_under_load_loses_nothing_acknowledged() -> TestResult {
    let cluster = Arc::new(Cluster::start().await?);
    let acknowledged = Arc::new(Mutex::new(Vec::<u64>::new()));
    let retried = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..6 {
        let (cluster, acknowledged, retried, stop) = (
            cluster.clone(),
            acknowledged.clone(),
            retried.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                // A client retries what was not acknowledged: on another instance, as HAProxy
                // chooses (a new transaction: the first may or may not have been committed).
                match send_test(cluster.through_haproxy()).try_send().await {
                    Ok(reply) if reply.outcome() == Some("0000") => {
                        if let Ok(id) = sent_id(&reply) {
                            acknowledged.lock().unwrap().push(id);
                        }
                    }
                    _ => {
                        retried.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    let count = || acknowledged.lock().unwrap().len();
    let started = Instant::now();
    while count() < 60 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let victim = cluster.instance(2)?;
    let before_kill = count();
    let killed = std::process::Command::new("kill")
        .args(["-9", &victim.pid.to_string()])
        .status()?;
    assert!(killed.success());
    let killed_at = Instant::now();
    while count() < before_kill + 60 && killed_at.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await?;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!(
        "{} acknowledged ({} before the kill -9), {} retried",
        acknowledged.len(),
        before_kill,
        retried.load(Ordering::Relaxed)
    );
    assert!(
        acknowledged.len() >= before_kill + 60,
        "the cluster kept acknowledging after the kill\n{}",
        cluster.logs()
    );
    let distinct: HashSet<u64> = acknowledged.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        acknowledged.len(),
        "an id acknowledged twice"
    );

    // Every acknowledged send is committed: listed by the survivors, and in the access log.
    let listed = listed_tests(&cluster).await?;
    let lost: Vec<&u64> = acknowledged
        .iter()
        .filter(|id| !listed.contains(id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let store = tsgate::store::connect(&cluster.database.url).await?;
    let logged: HashSet<String> = store
        .access_log()
        .read(0, 1_000_000)
        .await?
        .into_iter()
        .map(|e| e.entry.transaction_id)
        .collect();
    assert!(acknowledged
        .iter()
        .all(|id| logged.contains(&id.to_string())));
    store.close().await;
    let verified = cluster.audit_verify().await?;
    assert!(verified.contains("the access log is intact"), "{verified}");
    Ok(())
}

/// A browser straight to `instance`, relayed as HAProxy relays `client`, connecting as `who`.
fn browser_at(cluster: &Cluster, instance: &Instance, who: As, client: SocketAddr) -> Browser {
    Browser::new(instance.public, cluster.certs(), who).relaying(client)
}

/// The same session cookie, from a browser on `instance` that presents no card.
fn carrying(cluster: &Cluster, instance: &Instance, cookie: &Option<String>) -> Browser {
    let mut browser = browser_at(
        cluster,
        instance,
        As::Anonymous,
        SocketAddr::from(([192, 0, 2, 41], 4000)),
    );
    browser.cookie = cookie.clone();
    browser
}

#[tokio::test]
#[ignore = "needs haproxy and PostgreSQL: set TSGATE_TEST_PG_URL and run with --include-ignored"]
async fn a_smart_card_web_session_ends_on_every_instance_once_the_card_is_revoked() -> TestResult {
    let cluster = Cluster::start().await?;
    let instances = cluster.instances()?;
    let opener = &instances[0];
    // The operator's card, from the shared gateway CA, so that `tsgate certs revoke` can
    // revoke it (the CA the cluster's connections and cards are checked against).
    let ca = CertificateAuthority::load(
        &files::read_text(&cluster.certs().join("ca.pem"))?,
        &files::read_text(&cluster.certs().join("ca-key.pem"))?,
    )?;
    let issued = ca.issue(
        &Subject::Operator {
            cf: CodiceFiscale::parse(OPERATOR.cf)?,
            name: "MARIO ROSSI".into(),
        },
        30,
    )?;
    let card = As::Certificate {
        cert_pem: issued.cert_pem.clone(),
        key_pem: issued.key_pem.clone(),
    };

    // One card session for each instance to judge, all opened on the first with
    // "Accedi con smart card"; each opens the home on every instance, the row being shared.
    let mut cookies = Vec::new();
    for _ in &instances {
        let client = SocketAddr::from(([192, 0, 2, 40], 4000));
        let mut browser = browser_at(&cluster, opener, card.clone(), client);
        assert_sent_home(&browser.log_in_with_card().await);
        cookies.push(browser.cookie.clone());
    }
    // And a session opened with the password, on another instance.
    let mut by_password = browser_at(
        &cluster,
        &instances[1],
        As::Anonymous,
        SocketAddr::from(([192, 0, 2, 42], 4000)),
    );
    assert_eq!(
        location(&by_password.log_in(OPERATOR.id, seed::PASSWORD, &[]).await),
        "/web/"
    );
    for cookie in &cookies {
        for instance in &instances {
            let home = carrying(&cluster, instance, cookie).get("/web/").await;
            assert_eq!(home.status, 200, "{}", home.body);
        }
    }

    // Revoked on the shared certs/ folder, as an operator does on one of the hosts.
    cluster
        .cli(&["certs", "revoke", "--serial", &issued.serial_hex])
        .await?;
    let revoked_at = Instant::now();
    let bound = Duration::from_millis(TLS_RELOAD_MS);

    // Each instance, once it has re-read crl.pem, ends the session whose cookie reaches it
    // (from a connection without the card, as after the browser stops offering it) and says
    // why; until then the session still opens the home. The first instance's session is
    // judged by the first instance, the others' by instances that did not open them.
    let mut pending: Vec<usize> = (0..instances.len()).collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for &n in &pending {
            let reply = carrying(&cluster, &instances[n], &cookies[n])
                .get("/web/")
                .await;
            match (reply.status, location(&reply)) {
                (303, "/web/login?fine=carta-revocata") => {
                    assert!(reply
                        .header("set-cookie")
                        .is_some_and(|c| c.contains("Max-Age=0")));
                    eprintln!(
                        "card session ended on instance {} {:?} after the revocation",
                        n + 1,
                        revoked_at.elapsed()
                    );
                }
                (200, _) => still.push(n),
                other => return Err(format!("instance {}: {other:?}", n + 1).into()),
            }
        }
        pending = still;
        if revoked_at.elapsed() > bound + SLACK {
            return Err(format!(
                "instances {pending:?} still open the revoked card's session after {:?}\n{}",
                revoked_at.elapsed(),
                cluster.logs()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The rows are gone: no cookie opens anything on any instance, the one that opened them
    // included, and the page says why.
    let store = tsgate::store::connect(&cluster.database.url).await?;
    for cookie in &cookies {
        let id = cookie
            .as_deref()
            .and_then(|c| c.split_once('='))
            .map(|(_, id)| id)
            .ok_or("a session cookie")?;
        assert!(store.web_sessions().find(&hash_id(id)).await?.is_none());
        for instance in &instances {
            let home = carrying(&cluster, instance, cookie).get("/web/").await;
            assert_eq!(
                (home.status, location(&home)),
                (303, "/web/login"),
                "{}",
                home.body
            );
        }
    }
    let login = carrying(&cluster, &instances[1], &None)
        .get("/web/login?fine=carta-revocata")
        .await;
    assert!(
        login.body.contains(
            "Sessione terminata: il certificato della smart card con cui era stata aperta è \
             stato revocato."
        ),
        "{}",
        login.body
    );
    // The password's session goes on, on every instance.
    for instance in &instances {
        let home = carrying(&cluster, instance, &by_password.cookie)
            .get("/web/")
            .await;
        assert_eq!(home.status, 200, "{}", home.body);
    }
    store.close().await;
    Ok(())
}
