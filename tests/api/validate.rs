//! `tsgate validate`: the server's envelope and schema stage, offline. The conformance kit runs
//! every case through both (`conformance.rs` calls [`agrees_with_the_server`]); here the
//! command's own promises: stdin, exit status, line and column, JSON.

use std::process::Output;

use serde_json::Value;

use crate::helpers::{envelope as sample, Reply, TestResult};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The Faults of the stages before identification: what a file alone decides, and so what
/// `validate` must give exactly as the server did. Any other answer means the server found the
/// envelope valid and went on.
const BEFORE_IDENTIFICATION: &[&str] = &[
    "RICHIESTA_TROPPO_GRANDE",
    "CONTENT_TYPE",
    "SERVIZIO_SCONOSCIUTO",
    "XML_NON_BEN_FORMATO",
    "DTD_NON_AMMESSA",
    "ANNIDAMENTO_ECCESSIVO",
    "TROPPI_ATTRIBUTI",
    "TROPPI_NAMESPACE",
    "NOME_TROPPO_LUNGO",
    "NON_SOAP",
    "CODIFICA_NON_AMMESSA",
    "VERSIONE_SOAP",
    "MUST_UNDERSTAND",
    "OPERAZIONE_SCONOSCIUTA",
    "SCHEMA",
];

async fn run(args: &[&str], stdin: Option<&[u8]>) -> std::io::Result<Output> {
    use tokio::io::AsyncWriteExt as _;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.unwrap_or_default()).await?;
    }
    child.wait_with_output().await
}

/// `body`, sent to `path` with `content_type`, got `reply`: `tsgate validate` on the same bytes
/// gives the same verdict — valid when the server went past its envelope stage, else the same
/// Fault code, HTTP status and text.
pub async fn agrees_with_the_server(
    body: &[u8],
    path: &str,
    content_type: &str,
    reply: &Reply,
    what: &str,
) -> Result<(), Error> {
    let service = path.trim_start_matches("/ws/");
    let output = run(
        &[
            "validate",
            "--format",
            "json",
            "--service",
            service,
            "--content-type",
            content_type,
            "-",
        ],
        Some(body),
    )
    .await?;
    let rows: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("validate printed no JSON ({e}): {output:?}"))?;
    let row = &rows[0];
    match reply.fault_detail_code() {
        Some(code) if BEFORE_IDENTIFICATION.contains(&code) => {
            assert_eq!(row["valid"], false, "validate: {row} / server: {what}");
            assert_eq!(row["fault"], code, "validate: {row} / server: {what}");
            assert_eq!(
                row["status"], reply.status,
                "validate: {row} / server: {what}"
            );
            assert_eq!(
                row["reason"].as_str(),
                reply.fault_reason(),
                "validate: {row} / server: {what}"
            );
            assert_eq!(output.status.code(), Some(1), "{what}");
        }
        _ => {
            assert_eq!(row["valid"], true, "validate: {row} / server: {what}");
            assert_eq!(output.status.code(), Some(0), "{what}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_schema_violation_names_line_column_element_and_rule() -> TestResult {
    let body = sample("servizi/schema-unexpected-element.xml");
    let line = body
        .lines()
        .position(|l| l.contains("cfMedico"))
        .map(|at| at + 1)
        .expect("the sample has the element");
    let column = body
        .lines()
        .nth(line - 1)
        .and_then(|l| l.find('<'))
        .expect("a tag")
        + 1;

    let text = run(&["validate", "-"], Some(body.as_bytes())).await?;
    assert_eq!(text.status.code(), Some(1));
    let printed = String::from_utf8(text.stdout)?;
    assert!(
        printed.starts_with("-: invalid: SCHEMA (HTTP 500): Richiesta non conforme allo schema")
            && printed.contains(&format!(
                "riga {line}, colonna {column}, elemento 'cfMedico', regola content model"
            )),
        "{printed}"
    );

    let json = run(
        &["validate", "--format", "json", "-"],
        Some(body.as_bytes()),
    )
    .await?;
    let rows: Value = serde_json::from_slice(&json.stdout)?;
    assert_eq!(rows[0]["line"], line);
    assert_eq!(rows[0]["column"], column);
    assert_eq!(rows[0]["element"], "cfMedico");
    assert_eq!(rows[0]["rule"], "content model");
    assert_eq!(rows[0]["fault"], "SCHEMA");
    Ok(())
}

#[tokio::test]
async fn files_get_one_verdict_each_and_the_status_says_whether_all_were_valid() -> TestResult {
    let dir = tempfile::tempdir()?;
    let valid = dir.path().join("valid.xml");
    let invalid = dir.path().join("invalid.xml");
    std::fs::write(&valid, sample("servizi/ElencoServizi-soap12.xml"))?;
    std::fs::write(&invalid, sample("servizi/two-payloads.xml"))?;
    let (valid, invalid) = (valid.display().to_string(), invalid.display().to_string());

    let only_valid = run(&["validate", &valid], None).await?;
    assert_eq!(only_valid.status.code(), Some(0), "{only_valid:?}");
    assert_eq!(
        String::from_utf8(only_valid.stdout)?,
        format!("{valid}: valid (Servizi ElencoServizi)\n"),
        "SOAP 1.2 read from the envelope's own namespace"
    );

    let both = run(&["validate", "--format", "json", &valid, &invalid], None).await?;
    assert_eq!(both.status.code(), Some(1));
    let rows: Value = serde_json::from_slice(&both.stdout)?;
    assert_eq!(rows[0]["valid"], true);
    assert_eq!(rows[1]["valid"], false);
    assert_eq!(rows[1]["fault"], "NON_SOAP");
    assert_eq!(rows[1]["status"], 400);

    // As sent to another service's endpoint, or with the other SOAP version's Content-Type.
    let elsewhere = run(&["validate", "--service", "ASL", &valid], None).await?;
    assert!(String::from_utf8(elsewhere.stdout)?.contains("OPERAZIONE_SCONOSCIUTA"));
    let mismatch = run(&["validate", "--content-type", "text/xml", &valid], None).await?;
    assert!(String::from_utf8(mismatch.stdout)?.contains("VERSIONE_SOAP"));

    let missing = run(&["validate", "/nonexistent/file.xml"], None).await?;
    assert_ne!(missing.status.code(), Some(0));
    assert!(String::from_utf8(missing.stderr)?.contains("/nonexistent/file.xml"));
    Ok(())
}
