//! `certs/`: `tsgate certs init` fills a deployment's folder, `certs issue` adds a region's
//! certificate to it, and `tsgate serve` runs from a configuration laid out as the production
//! example (paths relative to the file, under `certs/`).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::helpers::{As, Request, Target, TestResult};

fn tsgate(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .current_dir(dir)
        .args(args)
        .output()
}

fn succeeded(output: &Output) -> bool {
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
    output.status.success()
}

#[tokio::test]
async fn a_folder_filled_by_certs_init_serves_region_calls() -> TestResult {
    let dir = tempfile::tempdir()?;
    let init = tsgate(dir.path(), &["certs", "init", "--host", "localhost"])?;
    assert!(succeeded(&init));
    let printed = String::from_utf8_lossy(&init.stdout);
    for file in ["ca.pem", "crl.pem", "server.pem", "pincode.pem"] {
        assert!(
            printed.contains(&format!("created certs/{file}")),
            "{printed}"
        );
    }

    // A second init keeps every file: a region certificate issued later chains to the same CA.
    let again = tsgate(dir.path(), &["certs", "init", "--host", "localhost"])?;
    assert!(succeeded(&again));
    assert!(!String::from_utf8_lossy(&again.stdout).contains("created"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/serve-with-certs-folder.toml"),
    )?
    .replace("{LISTEN}", &format!("127.0.0.1:{port}"))
    .replace(
        "{DATABASE}",
        &dir.path().join("tsgate.db").display().to_string(),
    );
    let config_path = dir.path().join("tsgate.toml");
    std::fs::write(&config_path, config)?;
    let issue = tsgate(
        dir.path(),
        &[
            "certs",
            "issue",
            "region",
            "--code",
            "120",
            "--config",
            "tsgate.toml",
            "--out",
            "certs/region-120",
        ],
    )?;
    assert!(succeeded(&issue));
    // Started from elsewhere: the paths must resolve against the configuration file.
    let _server = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .current_dir(std::env::temp_dir())
        .arg("serve")
        .arg("--config")
        .arg(&config_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;

    let address = format!("127.0.0.1:{port}").parse()?;
    let target = Target::new(address, &dir.path().join("certs"));
    let mut attempts = 0;
    let reply = loop {
        let catalogue = Request::sample(target.clone(), "servizi/ElencoServizi.xml").by(As::Region);
        match catalogue.try_send().await {
            Ok(reply) => break reply,
            Err(_) if attempts < 300 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => return Err(format!("the gateway never answered: {error}").into()),
        }
    };
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.outcome(), Some("0000"), "{}", reply.body);

    // The register holds what `certs issue` recorded and the server certificate `certs init`
    // issued, which the gateway recorded when it started.
    let list = tsgate(
        dir.path(),
        &["certs", "list", "--config", "tsgate.toml", "--json"],
    )?;
    assert!(succeeded(&list));
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout)?;
    let mut kinds: Vec<&str> = listed
        .as_array()
        .ok_or("a JSON array")?
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["region", "server"], "{listed}");
    Ok(())
}
