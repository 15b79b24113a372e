//! `tsgate miur import` and `tsgate stats miur` as an operator types them, on a fresh
//! demo-layout directory (no gateway running): a generated registry, its state-school file
//! imported and counted, a file of the wrong kind refused whole with a clear message, and the
//! statistic printed as CSV and JSON.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::TestResult;

fn tsgate(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_state_school_file_is_imported_counted_and_printed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("registry");
    let generated = Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["registry", "generate", "--assistiti", "2000", "--out"])
        .arg(&csv)
        .output()?;
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let from = csv.to_string_lossy().into_owned();
    let imported = tsgate(dir.path(), &["registry", "import", "--from", &from])?;
    assert!(imported.status.success(), "{}", text(&imported.stderr));

    let file = csv.join("personale-statali.csv");
    let file = file.to_string_lossy().into_owned();
    let wrong = tsgate(
        dir.path(),
        &["miur", "import", "--kind", "paritarie", &file],
    )?;
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("this is a statali file"),
        "{}",
        text(&wrong.stderr)
    );

    let done = tsgate(dir.path(), &["miur", "import", "--kind", "statali", &file])?;
    assert!(done.status.success(), "{}", text(&done.stderr));
    let printed = text(&done.stdout);
    assert!(
        printed.contains("statali") && printed.contains("CFs validated"),
        "{printed}"
    );

    let stats = tsgate(dir.path(), &["stats", "miur"])?;
    assert!(stats.status.success(), "{}", text(&stats.stderr));
    let stats = text(&stats.stdout);
    let mut lines = stats.lines();
    assert_eq!(lines.next(), Some(tsgate::jobs::stats_output::CSV_HEADER));
    let total: Vec<&str> = lines.next().unwrap_or_default().split(';').collect();
    assert_eq!((total[0], total[2]), ("statali", "totale"), "{stats}");
    assert!(stats.lines().any(|l| l.contains(";asl;")), "{stats}");

    let json = tsgate(dir.path(), &["stats", "miur", "--format", "json"])?;
    let json: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    assert_eq!(json[0]["tipo"], "statali");
    assert_eq!(json[0]["codici_fiscali_validati"].to_string(), total[5]);
    Ok(())
}
