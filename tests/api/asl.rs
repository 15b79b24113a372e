//! The ASL services (seed 003 §4): the daily count over SOAP, and the per-MMG file of the
//! operator's own ASL, whose every download — granted or refused — is in the access log.

use tsgate::domain::{AslCode, OperatorCf, RegionCode};
use tsgate::server::asl_download::{PATH, PINCODE_HEADER};

use crate::helpers::{basic, seed, spawn_app, As, TestResult, ASL_OPERATOR, MMG, PINCODE};

#[tokio::test]
async fn the_daily_count_is_recorded_with_its_transaction() -> TestResult {
    let app = spawn_app().await;
    let reply = app
        .request("asl/InvioNumeroTest.xml")
        .by(As::User(ASL_OPERATOR))
        .send()
        .await;
    assert_eq!(reply.cod_esito(), Some("0000"), "{}", reply.body);
    let id = reply.transaction_id().expect("id");
    assert!(id.bytes().all(|b| b.is_ascii_digit()));
    let counts = app
        .store()
        .asl_counts()
        .sent_by(&OperatorCf::parse(ASL_OPERATOR.cf)?)
        .await?;
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].1, 42);
    Ok(())
}

#[tokio::test]
async fn the_per_mmg_file_lists_the_operators_asl_and_every_download_is_logged() -> TestResult {
    let app = spawn_app().await;
    let pin = app.encrypted_pincode(PINCODE);
    let auth = basic(ASL_OPERATOR.id, seed::PASSWORD);
    let reply = app
        .get_with(
            As::Anonymous,
            PATH,
            &[("Authorization", &auth), (PINCODE_HEADER, &pin)],
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/csv")));
    let mut lines = reply.body.lines();
    assert_eq!(lines.next(), Some("cf_medico;numero_assistiti"));
    let rows: Vec<(&str, u64)> = lines
        .filter_map(|l| l.split_once(';'))
        .map(|(cf, n)| (cf, n.parse().unwrap_or(u64::MAX)))
        .collect();
    assert!(rows.contains(&(MMG.cf, 5)), "{}", reply.body);
    let expected = app
        .store()
        .patients()
        .staff_per_mmg(RegionCode::parse(seed::REGION)?, AslCode::parse(seed::ASL)?)
        .await?;
    assert_eq!(rows.len(), expected.len());
    let granted_id = reply.header("x-transaction-id").expect("id").to_owned();

    // Wrong pincode: 401. A doctor: 403. Both recorded too.
    let wrong = app
        .get_with(
            As::Anonymous,
            PATH,
            &[("Authorization", &auth), (PINCODE_HEADER, "AAAA")],
        )
        .await?;
    assert_eq!(wrong.status, 401);
    let doctor = basic(MMG.id, seed::PASSWORD);
    let refused = app
        .get_with(
            As::Anonymous,
            PATH,
            &[("Authorization", &doctor), (PINCODE_HEADER, &pin)],
        )
        .await?;
    assert_eq!(refused.status, 403);
    let region = app.get_with(As::Region, PATH, &[]).await?;
    assert_eq!(region.status, 403);

    let log = app.access_log().await;
    let downloads: Vec<_> = log
        .iter()
        .filter(|e| e.entry.operation == "ScaricoAssistitiPerMedico")
        .collect();
    assert_eq!(downloads.len(), 4);
    let granted = downloads
        .iter()
        .find(|e| e.entry.transaction_id == granted_id)
        .expect("the granted download is logged");
    assert_eq!(
        (
            granted.entry.operator_cf.as_deref(),
            granted.entry.outcome.as_str()
        ),
        (Some(ASL_OPERATOR.cf), "0000")
    );
    // Each download, granted or refused, carries the client's address (the test connects
    // over loopback).
    assert!(
        downloads
            .iter()
            .all(|e| e.entry.client_address.as_deref() == Some("127.0.0.1")),
        "{downloads:?}"
    );
    Ok(())
}
