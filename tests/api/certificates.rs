//! The gateway CA's certificate register (issue 10, item 7): `tsgate certs issue/renew/revoke/
//! list` keep the CA's files and the register in step; a renewed certificate and the one it
//! renews are both accepted until the old one is revoked; the CRL is signed again before its
//! next update and served at its public address; each certificate's seconds to expiry are a
//! gauge; a CRL past its next update fails closed; during a CA rotation the certificates of
//! both CAs are accepted.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tsgate::domain::RegionCode;
use tsgate::pki::ca::{read_crl, CertificateAuthority, Subject};
use tsgate::pki::files;
use x509_parser::prelude::FromDer;

use crate::helpers::{spawn_app, spawn_app_with, As, TestApp, TestResult};

/// `tsgate certs ARGS --config <the app's tsgate.toml>`. Awaited, not waited for: the gateway
/// runs on this test's thread, and may hold the SQLite write lock until it is polled again.
async fn certs(app: &TestApp, args: &[&str]) -> std::io::Result<Output> {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .arg("certs")
        .args(args)
        .arg("--config")
        .arg(app.dir.path().join("tsgate.toml"))
        .output()
        .await
}

fn succeeded(output: &Output) -> bool {
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
    output.status.success()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `certs issue region --code CODE --days DAYS --out DIR/NAME`: the serial, and the caller.
async fn issue_region(
    app: &TestApp,
    code: &str,
    days: &str,
    name: &str,
) -> TestResultOf<(String, As)> {
    let out = app.dir.path().join(name);
    let output = certs(
        app,
        &[
            "issue",
            "region",
            "--code",
            code,
            "--days",
            days,
            "--out",
            &out.display().to_string(),
        ],
    )
    .await?;
    assert!(succeeded(&output));
    let printed = stdout(&output);
    let serial = serial_after(&printed, "(serial ").ok_or("a serial is printed")?;
    Ok((serial, holder(&out)?))
}

type TestResultOf<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn serial_after(text: &str, marker: &str) -> Option<String> {
    let rest = &text[text.find(marker)? + marker.len()..];
    Some(
        rest.chars()
            .take_while(char::is_ascii_hexdigit)
            .collect::<String>(),
    )
}

/// The caller holding `PREFIX.pem` and `PREFIX-key.pem`.
fn holder(prefix: &Path) -> TestResultOf<As> {
    Ok(As::Certificate {
        cert_pem: files::read_text(&prefix.with_extension("pem"))?,
        key_pem: files::read_text(Path::new(&format!("{}-key.pem", prefix.display())))?,
    })
}

/// The catalogue answered with outcome 0000 (the certificate was accepted and read).
async fn accepted(app: &TestApp, who: &As) -> bool {
    match app
        .request("servizi/ElencoServizi.xml")
        .by(who.clone())
        .try_send()
        .await
    {
        Ok(reply) => reply.status == 200 && reply.outcome() == Some("0000"),
        Err(_) => false,
    }
}

/// Waits until `who` is refused (the gateway reloaded a CRL that lists it).
async fn until_refused(app: &TestApp, who: &As) -> TestResult {
    for _ in 0..100 {
        if !accepted(app, who).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the certificate is still accepted".into())
}

async fn listed(app: &TestApp, extra: &[&str]) -> TestResultOf<Vec<serde_json::Value>> {
    let output = certs(app, &[&["list", "--json"], extra].concat()).await?;
    assert!(succeeded(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    Ok(value.as_array().cloned().ok_or("a JSON array")?)
}

fn entry<'a>(list: &'a [serde_json::Value], serial: &str) -> Option<&'a serde_json::Value> {
    list.iter().find(|c| c["serial"] == serial)
}

#[tokio::test]
async fn a_renewed_certificate_and_the_one_it_renews_are_both_accepted_until_the_old_is_revoked(
) -> TestResult {
    let app = spawn_app_with(|c| c.tls.reload_interval_ms = 100).await;
    let (old_serial, old) = issue_region(&app, "150", "30", "old-150").await?;

    let out = app.dir.path().join("new-150");
    let renewal = certs(
        &app,
        &[
            "renew",
            "--code",
            "150",
            "--out",
            &out.display().to_string(),
        ],
    )
    .await?;
    assert!(succeeded(&renewal));
    let printed = stdout(&renewal);
    assert!(
        printed.contains(&format!("renews serial {old_serial}")),
        "{printed}"
    );
    let new_serial = serial_after(&printed, "(serial ").ok_or("new serial")?;
    let new = holder(&out)?;
    assert_ne!(new_serial, old_serial);

    // The overlap: both are accepted.
    assert!(accepted(&app, &old).await, "the renewed certificate");
    assert!(accepted(&app, &new).await, "its successor");
    let list = listed(&app, &[]).await?;
    let old_entry = entry(&list, &old_serial).ok_or("old listed")?;
    let new_entry = entry(&list, &new_serial).ok_or("new listed")?;
    assert_eq!(old_entry["status"], "valid");
    assert_eq!(new_entry["status"], "valid");
    assert_eq!(new_entry["replaces"], old_serial.as_str());
    assert_eq!(new_entry["region"], "150");

    // The old one revoked: refused from the next handshake on; the new one still accepted.
    let revoke = certs(&app, &["revoke", "--serial", &old_serial]).await?;
    assert!(succeeded(&revoke));
    until_refused(&app, &old).await?;
    assert!(accepted(&app, &new).await, "the successor stays accepted");
    let list = listed(&app, &[]).await?;
    assert_eq!(
        entry(&list, &old_serial).ok_or("old listed")?["status"],
        "revoked"
    );
    assert_eq!(
        entry(&list, &new_serial).ok_or("new listed")?["status"],
        "valid"
    );

    // Each action is in the access log, with the serial it concerns, and so is a refusal.
    let refused = certs(&app, &["renew", "--code", "170", "--out", "x"]).await?;
    assert!(!refused.status.success());
    let recorded: Vec<(String, Option<String>, String)> = app
        .access_log()
        .await
        .into_iter()
        .filter(|c| c.entry.operation.starts_with("certificate-"))
        .map(|c| (c.entry.operation, c.entry.target, c.entry.outcome))
        .collect();
    let done = |operation: &str, serial: &str| {
        recorded.iter().any(|(o, t, outcome)| {
            o == operation && t.as_deref() == Some(serial) && outcome == "ok"
        })
    };
    assert!(done("certificate-issue", &old_serial), "{recorded:?}");
    assert!(done("certificate-renew", &new_serial), "{recorded:?}");
    assert!(done("certificate-revoke", &old_serial), "{recorded:?}");
    assert!(
        recorded
            .iter()
            .any(|(o, _, outcome)| o == "certificate-renew"
                && outcome.starts_with("refused: region 170 has no valid certificate")),
        "{recorded:?}"
    );
    Ok(())
}

#[tokio::test]
async fn revoking_a_region_by_code_closes_its_open_connection() -> TestResult {
    let app = spawn_app_with(|c| c.tls.reload_interval_ms = 100).await;
    let (_, who) = issue_region(&app, "160", "30", "region-160").await?;
    let mut open = app.connect(who.clone()).await?;
    let revoke = certs(&app, &["revoke", "--code", "160"]).await?;
    assert!(succeeded(&revoke));
    until_refused(&app, &who).await?;
    // The connection opened before the revocation: its next request is refused and it closes.
    let body = crate::helpers::envelope("servizi/ElencoServizi.xml");
    let request = format!(
        "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    open.write_all(request.as_bytes()).await?;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), open.read_to_end(&mut reply)).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.contains("revocato"), "{reply}");
    assert!(!reply.contains("<esito>0000"), "{reply}");
    Ok(())
}

#[tokio::test]
async fn certs_list_shows_what_expires_soon_and_every_bad_argument_is_refused_clearly() -> TestResult
{
    let app = spawn_app().await;
    let (soon, _) = issue_region(&app, "150", "10", "soon").await?;
    let (later, _) = issue_region(&app, "160", "400", "later").await?;

    let expiring = listed(&app, &["--expiring", "30"]).await?;
    assert_eq!(expiring.len(), 1, "{expiring:?}");
    assert_eq!(expiring[0]["serial"], soon.as_str());
    assert_eq!(expiring[0]["status"], "valid");
    let all = listed(&app, &[]).await?;
    assert!(entry(&all, &later).is_some());
    assert!(
        all.iter().any(|c| c["kind"] == "server"),
        "the server certificate is recorded at start-up: {all:?}"
    );
    let table = stdout(&certs(&app, &["list"]).await?);
    assert!(table.contains(&soon) && table.contains(&later), "{table}");

    let refusals: [(&[&str], &str); 10] = [
        (&["list", "--expiring", "soon"], "--expiring"),
        (
            &["revoke", "--serial", "zz"],
            "--serial: invalid serial number 'zz'",
        ),
        (
            &["revoke", "--serial", "01", "--code", "150"],
            "cannot be used with",
        ),
        (&["revoke"], "--serial"),
        (
            &["renew", "--code", "12", "--out", "x"],
            "--code: region code must be exactly 3 digits",
        ),
        (
            &["renew", "--code", "170", "--out", "x"],
            "region 170 has no valid certificate to renew",
        ),
        (
            &["revoke", "--code", "170"],
            "region 170 has no certificate that is still valid",
        ),
        (
            &[
                "issue", "region", "--code", "150", "--days", "0", "--out", "x",
            ],
            "--days must be between 1 and 3650",
        ),
        (
            &["issue", "region", "--out", "x"],
            "--code: a region certificate needs",
        ),
        (
            &["issue", "wizard", "--out", "x"],
            "unknown certificate kind 'wizard'",
        ),
    ];
    for (args, says) in refusals {
        let output = certs(&app, args).await?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let without_store = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["certs", "list"])
        .output()
        .await?;
    assert!(!without_store.status.success());
    assert!(String::from_utf8_lossy(&without_store.stderr)
        .contains("give --config FILE (or --dir DIR for a demo)"));
    // Nothing refused was recorded.
    assert_eq!(listed(&app, &[]).await?.len(), all.len());
    Ok(())
}

#[tokio::test]
async fn each_certificate_has_a_gauge_of_seconds_to_expiry() -> TestResult {
    let app = spawn_app_with(|c| c.pki.check_interval_ms = 100).await;
    let (serial, _) = issue_region(&app, "150", "10", "soon").await?;
    let gauge = format!(
        "tsgate_certificate_expiry_seconds{{serial=\"{serial}\",kind=\"region\",region=\"150\"}}"
    );
    let mut seconds = 0.0;
    for _ in 0..100 {
        seconds = app.metric(&gauge);
        if seconds > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ten_days = 10.0 * 86_400.0;
    assert!(
        (ten_days - 120.0..=ten_days).contains(&seconds),
        "{seconds} s to expiry"
    );
    let scraped = app.admin_get("/metrics").await?;
    assert!(scraped.body.contains(&gauge), "{}", scraped.body);

    // What the log warns about: the certificates within 30 days of their expiry.
    let expiring = tsgate::admin::certificates::watch_expiries(
        app.store().as_ref(),
        &tsgate::metrics::CertificateExpiries::default(),
        30,
        chrono::Utc::now(),
    )
    .await?;
    let serials: Vec<&str> = expiring.iter().map(|c| c.serial.as_str()).collect();
    assert_eq!(serials, [serial.as_str()]);
    Ok(())
}

/// The CRL as served at its public address: content type and DER bytes.
async fn fetch_crl(app: &TestApp) -> TestResultOf<(String, Vec<u8>)> {
    let mut tls = app.connect(As::Anonymous).await?;
    tls.write_all(
        b"GET /pki/gateway-ca.crl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await?;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw)).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("an HTTP answer")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap_or_default()
        .to_owned();
    Ok((content_type, raw[split + 4..].to_vec()))
}

#[tokio::test]
async fn the_crl_is_signed_again_before_its_next_update_and_served_at_its_address() -> TestResult {
    // A CRL valid 6 s, signed again once less than half of that remains.
    let app = spawn_app_with(|c| {
        let certs = c.tls.client_ca.parent().expect("certs").to_path_buf();
        let ca = CertificateAuthority::load(
            &files::read_text(&certs.join("ca.pem")).expect("ca"),
            &files::read_text(&certs.join("ca-key.pem")).expect("ca key"),
        )
        .expect("ca");
        let short = ca
            .crl_valid_for(&[], 1, time::Duration::seconds(6))
            .expect("crl");
        std::fs::write(&c.tls.crls[0], short).expect("crl written");
        c.pki.ca_key = Some(certs.join("ca-key.pem"));
        c.pki.crl_valid_secs = 6;
        c.pki.check_interval_ms = 200;
        c.tls.reload_interval_ms = 100;
    })
    .await;
    let crl_path = app.certs().join("crl.pem");
    let first = read_crl(&files::read_text(&crl_path)?)?;
    let first_next = first.next_update.ok_or("a next update")?;

    // A revocation in between: the CRLs signed after it keep listing it.
    let (revoked_serial, revoked) = issue_region(&app, "150", "30", "revoked").await?;
    assert!(succeeded(
        &certs(&app, &["revoke", "--serial", &revoked_serial]).await?
    ));

    // Past the first CRL's next update, and re-signed at least twice since.
    let mut latest = first.clone();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        latest = read_crl(&files::read_text(&crl_path)?)?;
        if latest.number >= 4 && time::OffsetDateTime::now_utc() > first_next {
            break;
        }
    }
    assert!(latest.number >= 4, "CRL number {}", latest.number);
    assert!(
        latest.next_update.ok_or("next update")? > time::OffsetDateTime::now_utc(),
        "the CRL in force has not run out"
    );
    assert!(latest.lists(&revoked_serial), "{latest:?}");

    // The gateway keeps accepting its regions, and refusing the revoked one.
    assert!(accepted(&app, &As::Region).await);
    assert!(!accepted(&app, &revoked).await);

    // Served where the certificates say: DER, `application/pkix-crl`, the CRL in force.
    let (content_type, der) = fetch_crl(&app).await?;
    assert_eq!(content_type, "application/pkix-crl");
    let (_, served) = x509_parser::revocation_list::CertificateRevocationList::from_der(&der)
        .map_err(|e| e.to_string())?;
    assert!(served
        .iter_revoked_certificates()
        .any(|r| hex::encode(r.raw_serial()) == revoked_serial));
    let now = read_crl(&files::read_text(&crl_path)?)?;
    let served_number = served
        .crl_number()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or("a CRL number")?;
    assert!(served_number >= latest.number && served_number <= now.number);

    // And the certificates issued name it as their distribution point.
    let cert = files::read_text(&app.dir.path().join("revoked.pem"))?;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert.as_bytes())?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).map_err(|e| e.to_string())?;
    let url = format!(
        "{}/pki/gateway-ca.crl",
        app.config().server.public_url.trim_end_matches('/')
    );
    let named = parsed.extensions().iter().any(|ext| {
        matches!(
            ext.parsed_extension(),
            x509_parser::extensions::ParsedExtension::CRLDistributionPoints(points)
                if format!("{points:?}").contains(&url)
        )
    });
    assert!(named, "{url} is the CRL distribution point");
    Ok(())
}

/// A CRL the gateway does not sign itself (no `pki.ca_key`) and nobody refreshed: past its next
/// update the gateway fails closed for the certificates of its issuer, and says why.
#[tokio::test]
async fn past_its_next_update_a_crl_no_longer_vouches_for_its_issuers_certificates() -> TestResult {
    let app = spawn_app_with(|c| {
        let certs = c.tls.client_ca.parent().expect("certs").to_path_buf();
        let ca = CertificateAuthority::load(
            &files::read_text(&certs.join("ca.pem")).expect("ca"),
            &files::read_text(&certs.join("ca-key.pem")).expect("ca key"),
        )
        .expect("ca");
        let short = ca
            .crl_valid_for(&[], 1, time::Duration::seconds(3))
            .expect("crl");
        std::fs::write(&c.tls.crls[0], short).expect("crl written");
        c.pki.ca_key = None;
    })
    .await;
    let next_update = read_crl(&files::read_text(&app.certs().join("crl.pem"))?)?
        .next_update
        .ok_or("a next update")?;
    assert!(
        accepted(&app, &As::Region).await,
        "accepted while the CRL is current"
    );

    let left = next_update - time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_secs_f64(
        left.as_seconds_f64().max(0.0) + 1.1,
    ))
    .await;
    assert!(
        !accepted(&app, &As::Region).await,
        "refused once it ran out"
    );
    assert!(
        app.metric("tsgate_tls_handshake_failures_total{reason=\"crl_expired\"}") >= 1.0,
        "counted as an expired CRL"
    );
    // The national cards' CAs have no CRL here: an expired CRL of another issuer is no reason
    // to refuse them.
    assert!(accepted(&app, &As::Card).await);
    Ok(())
}

#[tokio::test]
async fn during_a_ca_rotation_the_certificates_of_both_cas_are_accepted() -> TestResult {
    // The README's procedure: the old CA's files stay where they were, named in
    // `tls.previous_client_cas` (its CRL stays in `tls.crls`); the new CA is `tls.client_ca`.
    let app = spawn_app_with(|c| {
        let certs = c.tls.client_ca.parent().expect("certs").to_path_buf();
        let new = CertificateAuthority::create("tsgate test CA, rotated").expect("new CA");
        std::fs::write(certs.join("new-ca.pem"), new.cert_pem()).expect("new ca");
        std::fs::write(certs.join("new-ca-key.pem"), new.key_pem()).expect("new key");
        std::fs::write(certs.join("new-crl.pem"), new.crl(&[], 1, 30).expect("crl"))
            .expect("new crl");
        c.tls.previous_client_cas = vec![c.tls.client_ca.clone()];
        c.tls.client_ca = certs.join("new-ca.pem");
        c.pki.ca_key = Some(certs.join("new-ca-key.pem"));
        c.tls.crls = vec![certs.join("new-crl.pem"), certs.join("crl.pem")];
        c.tls.reload_interval_ms = 100;
    })
    .await;
    let certs_dir = app.certs();
    let new_ca = CertificateAuthority::load(
        &files::read_text(&certs_dir.join("new-ca.pem"))?,
        &files::read_text(&certs_dir.join("new-ca-key.pem"))?,
    )?;
    let region = Subject::Region {
        code: RegionCode::parse("120")?,
    };
    let from_new_ca = app.issue(&new_ca, &region, 30);
    let stranger = app.issue(&CertificateAuthority::create("not ours")?, &region, 30);

    // The overlap: the old CA's region certificate and the new CA's are both regions.
    assert!(accepted(&app, &As::Region).await, "issued by the old CA");
    assert!(accepted(&app, &from_new_ca).await, "issued by the new CA");
    assert!(!accepted(&app, &stranger).await, "another CA's");

    // `certs issue` now signs with the new CA.
    let (serial, renewed) = issue_region(&app, "120", "30", "region-120-new").await?;
    assert!(accepted(&app, &renewed).await);
    let facts = tsgate::pki::ca::describe(&files::read_text(
        &app.dir.path().join("region-120-new.pem"),
    )?)?;
    assert_eq!(
        facts.issuer_der,
        tsgate::pki::ca::subject_der(new_ca.cert_pem())?
    );

    // The old CA's certificates can still be revoked during the overlap (its own CRL).
    let old_serial =
        tsgate::pki::ca::describe(&files::read_text(&certs_dir.join("region-120.pem"))?)?
            .serial_hex;
    let revoke = certs(
        &app,
        &[
            "revoke",
            "--serial",
            &old_serial,
            "--ca-dir",
            &certs_dir.display().to_string(),
        ],
    )
    .await?;
    assert!(succeeded(&revoke));
    until_refused(&app, &As::Region).await?;
    assert!(accepted(&app, &from_new_ca).await);
    assert!(accepted(&app, &renewed).await, "serial {serial}");
    Ok(())
}
