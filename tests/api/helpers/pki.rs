//! The certificates and keys of a test gateway, made once per test binary with the gateway's
//! own PKI (`tsgate::pki`) and copied into each test's `certs/`, named as `tsgate certs init`
//! names them (the CLI's `certs revoke --ca-dir` finds `ca.pem`, `ca-key.pem` and `crl.pem`).
//! Generating them per test (four CAs and an RSA key) was most of a test's set-up.

use std::path::Path;
use std::sync::LazyLock;

use tsgate::domain::{CodiceFiscale, RegionCode};
use tsgate::pki::ca::{CertificateAuthority, Subject};
use tsgate::pki::pincode;
use tsgate::pki::sealing::SealingKey;

use super::seed::{OPERATOR, REGION};

/// Days the certificates are valid.
const DAYS: i64 = 825;

/// `(file name, PEM)` for every file of `certs/`.
static FILES: LazyLock<Vec<(String, String)>> =
    LazyLock::new(|| generate().unwrap_or_else(|e| panic!("test PKI: {e}")));

fn generate() -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    let mut add_ca = |name: &str, ca: &CertificateAuthority| {
        files.push((format!("{name}.pem"), ca.cert_pem().to_owned()));
        files.push((format!("{name}-key.pem"), ca.key_pem()));
    };
    let ca = CertificateAuthority::create("tsgate test CA")?;
    let card_ca = CertificateAuthority::create("tsgate test national-card CA")?;
    let immuni_ca = CertificateAuthority::create("tsgate test Immuni CA")?;
    add_ca("ca", &ca);
    add_ca("card-ca", &card_ca);
    add_ca("immuni-ca", &immuni_ca);
    files.push(("crl.pem".into(), ca.crl(&[], 1, 30)?));
    let localhost = || vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let issued = [
        (
            "server",
            &ca,
            Subject::Server {
                hosts: [localhost(), vec!["::1".into()]].concat(),
            },
        ),
        (
            "region-120",
            &ca,
            Subject::Region {
                code: RegionCode::parse(REGION)?,
            },
        ),
        (
            "operator-card",
            &card_ca,
            Subject::Operator {
                cf: CodiceFiscale::parse(OPERATOR.cf)?,
                name: "MARIO ROSSI".into(),
            },
        ),
        (
            "immuni-server",
            &immuni_ca,
            Subject::Server { hosts: localhost() },
        ),
        (
            "immuni-client",
            &immuni_ca,
            Subject::Client {
                name: "tsgate test gateway".into(),
            },
        ),
    ];
    for (name, issuer, subject) in issued {
        let certificate = issuer.issue(&subject, DAYS)?;
        files.push((format!("{name}.pem"), certificate.cert_pem));
        files.push((format!("{name}-key.pem"), certificate.key_pem));
    }
    let (cert, key) = pincode::generate("tsgate test pincode encryption")?;
    files.push(("pincode.pem".into(), cert));
    files.push(("pincode-key.pem".into(), key));
    files.push(("secrets.key".into(), SealingKey::generate_file_text()?));
    Ok(files)
}

/// Writes every file into `certs` (created if needed).
pub fn write(certs: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(certs)?;
    for (name, pem) in FILES.iter() {
        std::fs::write(certs.join(name), pem)?;
    }
    Ok(())
}
