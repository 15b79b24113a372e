//! The real `tsgate` binary as a process, the way an operator runs it: killed with SIGKILL and
//! restarted at once, and started twice on one SQLite store.
//!
//! - Numeric transaction ids are never reused across a kill -9 and a restart within the same
//!   second (the sequence used to restart at start-up: the restarted gateway re-issued the
//!   ids of that second, so sends failed with 503 on the test table's key, and an `ElencoTest`
//!   was acknowledged with an id another transaction already had).
//! - A second gateway on the same SQLite store refuses to start, with a clear message; the
//!   first keeps serving; once the first is killed, a new one starts (no stale lock).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::{Timelike, Utc};
use tokio::process::{Child, Command};

use crate::helpers::{prepare, write_config, As, Reply, Request, Target, TestResult, MMG};

/// A gateway's directory (certificates, seeded store, `tsgate.toml`) and how to call into it.
struct Site {
    dir: tempfile::TempDir,
    port: u16,
}

impl Site {
    async fn prepare() -> Result<Site, Box<dyn std::error::Error + Send + Sync>> {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let config =
            tsgate::config::Config::in_directory(dir.path(), format!("127.0.0.1:{port}").parse()?);
        prepare(dir.path(), &config).await?;
        write_config(dir.path(), &config)?;
        Ok(Site { dir, port })
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("tsgate.toml")
    }

    /// `tsgate serve --config DIR/tsgate.toml`, as a child process; its standard error is
    /// kept for `wait_with_output` when `stderr` is piped.
    fn spawn(&self, stderr: Stdio) -> std::io::Result<Child> {
        Command::new(env!("CARGO_BIN_EXE_tsgate"))
            .arg("serve")
            .arg("--config")
            .arg(self.config())
            .env("TSGATE_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
    }

    /// Starts a gateway and waits until it accepts connections.
    async fn start(&self) -> Result<Child, Box<dyn std::error::Error + Send + Sync>> {
        let mut child = self.spawn(Stdio::null())?;
        for _ in 0..600 {
            if let Some(status) = child.try_wait()? {
                return Err(format!("the gateway exited at start-up: {status}").into());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(child);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err("the gateway did not start listening".into())
    }

    /// Sends a Sierologici sample as the MMG (Basic + pincode), placeholders filled.
    async fn send(&self, sample: &str) -> Result<Reply, Box<dyn std::error::Error + Send + Sync>> {
        let target = Target::new(
            format!("127.0.0.1:{}", self.port).parse()?,
            &self.dir.path().join("certs"),
        );
        Ok(Request::sample(target, &format!("sierologici/{sample}"))
            .by(As::User(MMG))
            .try_send()
            .await?)
    }
}

/// A committed send: 200, `0000`, and its numeric id.
fn sent_id(reply: &Reply) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    assert_eq!(
        (reply.status, reply.outcome()),
        (200, Some("0000")),
        "{}",
        reply.body
    );
    Ok(reply.transaction_id().ok_or("an id")?.parse()?)
}

/// The `yyMMddHHmmss` part of a numeric id.
fn second_of(id: u64) -> u64 {
    id / 1_000_000
}

/// SIGKILL: no shutdown, no flush, the lock and the lease left as a crash leaves them.
async fn kill_9(child: &mut Child) -> TestResult {
    child.start_kill()?;
    child.wait().await?;
    Ok(())
}

#[tokio::test]
async fn numeric_ids_are_never_reused_across_kill_9_and_a_restart_in_the_same_second() -> TestResult
{
    let site = Site::prepare().await?;
    let mut ids = Vec::new();
    let mut listed_ids = Vec::new();
    let mut same_second_restarts = 0;
    let mut gateway = site.start().await?;
    // A warm-up send: the first Basic check pays for argon2, later ones hit the cache.
    ids.push(sent_id(&site.send("InvioTest.xml").await?)?);
    for _cycle in 0..5 {
        // Start at the top of a second, so the restart has the rest of it to land in.
        while Utc::now().nanosecond() > 100_000_000 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut before = Vec::new();
        for _ in 0..3 {
            before.push(sent_id(&site.send("InvioTest.xml").await?)?);
        }
        let list = site.send("ElencoTest.xml").await?;
        assert_eq!(list.outcome(), Some("0000"), "{}", list.body);
        listed_ids.push(list.transaction_id().ok_or("an id")?.parse::<u64>()?);
        kill_9(&mut gateway).await?;
        gateway = site.start().await?;
        let list = site.send("ElencoTest.xml").await?;
        assert_eq!(list.outcome(), Some("0000"), "{}", list.body);
        let first_after: u64 = list.transaction_id().ok_or("an id")?.parse()?;
        listed_ids.push(first_after);
        let mut after = Vec::new();
        for _ in 0..3 {
            after.push(sent_id(&site.send("InvioTest.xml").await?)?);
        }
        let last_before = *before.last().ok_or("sent")?;
        assert!(
            first_after > last_before,
            "the restarted gateway went back: {first_after} after {last_before}"
        );
        if second_of(first_after) == second_of(last_before) {
            same_second_restarts += 1;
        }
        ids.extend(before);
        ids.extend(after);
        if same_second_restarts >= 2 {
            break;
        }
    }
    // What the probe covered: on this machine a restart takes well under a second.
    eprintln!("{same_second_restarts} restart(s) landed in the second of the last id before");

    let mut all: Vec<u64> = ids.iter().chain(&listed_ids).copied().collect();
    let issued = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(
        all.len(),
        issued,
        "an id was issued twice: {ids:?} {listed_ids:?}"
    );

    // Every acknowledged send is committed, under its own id.
    let list = site.send("ElencoTest.xml").await?;
    let listed = list.texts("idTransazioneInvio");
    for id in &ids {
        assert!(
            listed.contains(&id.to_string().as_str()),
            "send {id} is not listed"
        );
    }
    kill_9(&mut gateway).await?;
    Ok(())
}

#[tokio::test]
async fn a_second_gateway_on_the_same_sqlite_store_refuses_to_start() -> TestResult {
    let site = Site::prepare().await?;
    let mut first = site.start().await?;
    let pid = first.id().ok_or("pid")?;

    let second = site.spawn(Stdio::piped())?.wait_with_output().await?;
    assert!(
        !second.status.success(),
        "the second gateway exited non-zero"
    );
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(
        message.contains("already served by another tsgate process")
            && message.contains(&format!("pid {pid}"))
            && message.contains("tsgate.db")
            && message.contains("PostgreSQL"),
        "{message}"
    );
    // `demo` on the same directory is refused the same way, before touching it.
    let demo = Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["demo", "--dir"])
        .arg(site.dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await?;
    assert!(!demo.status.success());
    assert!(
        String::from_utf8_lossy(&demo.stderr).contains("already served"),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );

    // The first one was not disturbed.
    sent_id(&site.send("InvioTest.xml").await?)?;
    assert!(first.try_wait()?.is_none(), "the first gateway still runs");

    // A crash leaves no stale lock: a new gateway starts and serves.
    kill_9(&mut first).await?;
    let mut third = site.start().await?;
    sent_id(&site.send("InvioTest.xml").await?)?;
    kill_9(&mut third).await?;
    Ok(())
}
