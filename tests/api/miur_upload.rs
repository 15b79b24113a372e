//! The Ministry's upload of MIUR files (`POST /miur/<kind>`) over real mutual TLS: the
//! certificate the gateway CA issues the Ministry uploads each kind and gets the import's
//! report; a region's certificate, an operator's card or no certificate are refused, and the
//! Ministry's certificate gets nothing else (SOAP refuses it); a file of another kind is refused
//! whole; a body over the cap is refused while it streams. Every upload is in the access log.
//! The files are `tests/fixtures/miur/` (their README gives the expected figures).

use serde_json::Value;
use tsgate::pki::ca::Subject;
use tsgate::store::MiurKind;

use crate::helpers::{spawn_app, spawn_app_with, As, Reply, TestApp, TestResult};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/miur")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The raw HTTP/1.1 upload of `body` to `/miur/<kind>`, with its length declared.
fn upload_request(kind: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /miur/{kind} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// The same, chunked: no length announced, so only the streaming can stop it.
fn chunked_upload_request(kind: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let mut request = format!(
        "POST /miur/{kind} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    request
}

fn ministry(app: &TestApp) -> As {
    app.issue(&app.ca(), &Subject::Ministry, 30)
}

fn json(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", reply.body))
}

/// The access-log entries of `operation`, oldest first.
async fn logged(app: &TestApp, operation: &str) -> Vec<tsgate::store::AccessLogEntry> {
    app.access_log()
        .await
        .into_iter()
        .map(|chained| chained.entry)
        .filter(|entry| entry.operation == operation)
        .collect()
}

/// `tsgate certs issue ministry`, as the operator of the gateway runs it: the certificate's
/// holder, and its serial as printed.
async fn issued_by_the_cli(app: &TestApp) -> Result<(As, String), Box<dyn std::error::Error>> {
    let out = app.dir.path().join("miur");
    let output = app
        .cli(
            &[
                "certs",
                "issue",
                "ministry",
                "--out",
                &out.display().to_string(),
            ],
            &[],
        )
        .await;
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let serial = printed
        .split("(serial ")
        .nth(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_hexdigit).collect())
        .ok_or("a serial is printed")?;
    let holder = As::Certificate {
        cert_pem: std::fs::read_to_string(out.with_extension("pem"))?,
        key_pem: std::fs::read_to_string(app.dir.path().join("miur-key.pem"))?,
    };
    Ok((holder, serial))
}

#[tokio::test]
async fn the_ministry_uploads_each_kind_and_gets_the_import_report() -> TestResult {
    let app = spawn_app().await;
    let (ministry, serial) = issued_by_the_cli(&app).await.map_err(|e| e.to_string())?;

    let reply = app
        .exchange(
            ministry.clone(),
            &upload_request("statali", &fixture("statali.csv")),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let report = json(&reply);
    assert_eq!(report["esito"], "importato");
    assert_eq!(report["tipo"], "statali");
    assert_eq!(
        (
            &report["righe_lette"],
            &report["righe_accettate"],
            &report["righe_scartate"]
        ),
        (&Value::from(9), &Value::from(8), &Value::from(1))
    );
    assert_eq!(report["scarti"][0]["riga"], 10);
    assert!(
        report["scarti"][0]["motivo"]
            .as_str()
            .unwrap()
            .contains("\"NOT-A-CF\" is not valid"),
        "{report}"
    );
    assert_eq!(report["elenco"]["in_elenco"], 6);
    assert_eq!(report["elenco"]["rimossi"], 2);
    let statistic = &report["statistica"];
    assert_eq!(statistic["codici_fiscali_validati"], 7);
    assert_eq!(statistic["totale"]["soggetti_con_medico"], 6);
    assert_eq!(statistic["totale"]["soggetti_senza_medico"], 1);

    let reply = app
        .exchange(
            ministry.clone(),
            &upload_request("trento-bolzano", &fixture("trento-bolzano.csv")),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let report = json(&reply);
    assert_eq!(
        (&report["righe_lette"], &report["righe_scartate"]),
        (&Value::from(3), &Value::from(1))
    );
    assert_eq!(report["scarti"][0]["riga"], 4);
    assert_eq!(report["elenco"]["in_elenco"], 1);
    let totals = &report["statistica"]["totale"];
    assert_eq!(
        (
            &totals["soggetti_con_medico"],
            &totals["soggetti_paritarie"]
        ),
        (&Value::from(1), &Value::from(1))
    );

    let reply = app
        .exchange(
            ministry.clone(),
            &upload_request("paritarie", &fixture("paritarie.csv")),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let report = json(&reply);
    assert_eq!(report["elenco"], Value::Null, "the paritarie have no list");
    assert_eq!(report["righe_scartate"], 1);
    let unplaced: u64 = report["statistica"]["non_attribuiti"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["soggetti_paritarie"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(unplaced, 43, "{report}");

    // Each kind's statistic is the store's latest, as `tsgate stats miur` prints it.
    let statistics = app.store().miur_statistics();
    for kind in MiurKind::ALL {
        assert!(statistics.latest(kind).await?.is_some(), "{kind}");
    }
    // Every upload in the access log: the Ministry's certificate, its address, the outcome.
    let uploads = logged(&app, "miur-import").await;
    assert_eq!(uploads.len(), 3);
    for (entry, kind) in uploads
        .iter()
        .zip(["statali", "trento-bolzano", "paritarie"])
    {
        assert_eq!(entry.caller_kind.as_str(), "ministry");
        assert_eq!(entry.caller_id, serial);
        assert_eq!(entry.target.as_deref(), Some(kind));
        assert_eq!(entry.outcome, "ok");
        assert_eq!(entry.client_address.as_deref(), Some("127.0.0.1"));
        assert!(entry.detail.as_deref().unwrap().contains(kind), "{entry:?}");
    }
    assert_eq!(logged(&app, "miur-statistic").await.len(), 3);
    Ok(())
}

#[tokio::test]
async fn only_the_ministrys_certificate_uploads_and_it_does_nothing_else() -> TestResult {
    let app = spawn_app().await;
    let file = fixture("statali.csv");
    for (who, presented) in [
        (As::Region, "region 120"),
        (As::Card, "card certificate"),
        (As::Anonymous, "no client certificate"),
    ] {
        let reply = app.exchange(who, &upload_request("statali", &file)).await?;
        assert_eq!(reply.status, 403, "{}", reply.body);
        let refusal = json(&reply);
        assert_eq!(refusal["esito"], "rifiutato");
        assert!(
            refusal["motivo"].as_str().unwrap().contains(presented),
            "{refusal}"
        );
    }
    assert_eq!(
        app.store()
            .miur_statistics()
            .latest(MiurKind::Statali)
            .await?,
        None,
        "nothing was imported"
    );
    let refusals = logged(&app, "miur-import").await;
    assert_eq!(refusals.len(), 3);
    assert!(refusals
        .iter()
        .all(|e| e.outcome.starts_with("refused: only the Ministry's system")));

    // The Ministry's certificate is no SOAP caller.
    let reply = app.call_catalogue(ministry(&app)).await;
    assert_ne!(reply.status, 200, "{}", reply.body);
    assert!(reply.fault_code().is_some(), "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn a_file_of_another_kind_is_refused_whole() -> TestResult {
    let app = spawn_app().await;
    let reply = app
        .exchange(
            ministry(&app),
            &upload_request("statali", &fixture("paritarie.csv")),
        )
        .await?;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let refusal = json(&reply);
    assert!(
        refusal["motivo"]
            .as_str()
            .unwrap()
            .contains("this is a paritarie file"),
        "{refusal}"
    );
    assert_eq!(
        app.store()
            .miur_statistics()
            .latest(MiurKind::Statali)
            .await?,
        None
    );
    let reply = app
        .exchange(ministry(&app), &upload_request("insegnanti", b"x"))
        .await?;
    assert_eq!(reply.status, 404, "{}", reply.body);
    let uploads = logged(&app, "miur-import").await;
    assert_eq!(uploads.len(), 2);
    assert!(uploads[0].outcome.contains("this is a paritarie file"));
    Ok(())
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_while_it_streams() -> TestResult {
    let app = spawn_app_with(|config| config.miur.max_upload_bytes = 100).await;
    let file = fixture("statali.csv");
    assert!(file.len() > 100);
    // Declared too large: refused before a byte is read.
    let reply = app
        .exchange(ministry(&app), &upload_request("statali", &file))
        .await?;
    assert_eq!(reply.status, 413, "{}", reply.body);
    // Not declared: refused once the streamed bytes pass the cap, nothing imported.
    let (head, tail) = file.split_at(60);
    let reply = app
        .exchange(
            ministry(&app),
            &chunked_upload_request("statali", &[head, tail]),
        )
        .await?;
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(
        json(&reply)["motivo"]
            .as_str()
            .unwrap()
            .contains("larger than 100 bytes"),
        "{}",
        reply.body
    );
    assert_eq!(
        app.store()
            .miur_statistics()
            .latest(MiurKind::Statali)
            .await?,
        None
    );
    Ok(())
}
