//! `tsgate demo`: a working local gateway with one command. The first run creates DIR with a
//! development CA, server/region/card certificates, the pincode encryption key, a demo operator
//! and the SQLite database; later runs reuse what exists. Secrets are generated here, never shipped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

use crate::config::{
    Config, LogConfig, LogFormat, PincodeConfig, ServerConfig, StoreConfig, ThrottleConfig,
    TlsConfig,
};
use crate::domain::{CodiceFiscale, RegionCode};
use crate::pki::ca::{CertificateAuthority, Subject};
use crate::pki::{files, pincode};
use crate::soap::identify::hash_secret;
use crate::store::{self, Store, StoreError, UserRecord};

pub const DEMO_REGION: &str = "120";
pub const DEMO_OPERATOR_ID: &str = "DEMOOP01";
pub const DEMO_OPERATOR_CF: &str = "RSSMRA80A01H501U";

/// What the demo prints: where things are and how to call.
pub struct Demo {
    pub dir: PathBuf,
    pub config: Config,
    pub operator_password: String,
    pub operator_pincode: String,
}

pub fn config_for(dir: &Path, listen: SocketAddr) -> Config {
    let certs = dir.join("certs");
    let host = if listen.ip().is_loopback() || listen.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        listen.ip().to_string()
    };
    Config {
        server: ServerConfig {
            listen,
            public_url: format!("https://{host}:{}", listen.port()),
            max_connections: 10_000,
            handshake_timeout_ms: 10_000,
            header_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            max_body_bytes: 1024 * 1024,
            idle_timeout_ms: 60_000,
            shutdown_grace_ms: 30_000,
            max_xml_depth: 32,
        },
        tls: TlsConfig {
            certificate: certs.join("server.pem"),
            key: certs.join("server-key.pem"),
            client_ca: certs.join("ca.pem"),
            crls: vec![certs.join("crl.pem")],
            card_trust_anchors: vec![certs.join("card-ca.pem")],
            reload_interval_ms: 5_000,
        },
        pincode: PincodeConfig {
            certificate: certs.join("pincode.pem"),
            key: certs.join("pincode-key.pem"),
        },
        store: StoreConfig {
            url: format!("sqlite://{}", dir.join("tsgate.db").display()),
            access_log_batch: 512,
        },
        throttle: ThrottleConfig::default(),
        log: LogConfig {
            format: LogFormat::Pretty,
            level: "info".into(),
        },
    }
}

/// Creates (or reuses) everything under `dir`.
pub async fn prepare(dir: &Path, listen: SocketAddr) -> anyhow::Result<Demo> {
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs)
        .with_context(|| format!("cannot create {}", certs.display()))?;
    // `TSGATE_*` variables apply to the demo too (e.g. TSGATE_STORE_URL for PostgreSQL).
    let config = Config::with_env_overrides(&config_for(dir, listen))?;

    let ca = load_or_create_ca(&certs, "ca", "tsgate demo CA")?;
    if !certs.join("crl.pem").exists() {
        std::fs::write(certs.join("crl.pem"), ca.crl(&[], 1, 30)?)?;
    }
    ensure_issued(
        &ca,
        &certs,
        "server",
        &Subject::Server {
            hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        },
    )?;
    let region = RegionCode::parse(DEMO_REGION)?;
    ensure_issued(
        &ca,
        &certs,
        &format!("region-{DEMO_REGION}"),
        &Subject::Region { code: region },
    )?;
    let card_ca = load_or_create_ca(&certs, "card-ca", "tsgate demo national-card CA")?;
    let cf = CodiceFiscale::parse(DEMO_OPERATOR_CF)?;
    ensure_issued(
        &card_ca,
        &certs,
        "operator-card",
        &Subject::Operator {
            cf: cf.clone(),
            name: "MARIO ROSSI".into(),
        },
    )?;
    if !certs.join("pincode-key.pem").exists() {
        let (cert, key) = pincode::generate("tsgate demo pincode encryption")?;
        files::write_secret(&certs.join("pincode-key.pem"), &key)?;
        std::fs::write(certs.join("pincode.pem"), cert)?;
    }

    let (operator_password, operator_pincode) = load_or_create_operator_secrets(dir)?;
    let store = store::connect(&config.store.url).await?;
    seed_operator(store.as_ref(), &cf, &operator_password, &operator_pincode).await?;
    // Paths in the written file are relative to DIR, so `tsgate serve --config DIR/tsgate.toml` works from anywhere.
    std::fs::write(
        dir.join("tsgate.toml"),
        toml::to_string_pretty(&config_for(Path::new(""), listen))?,
    )?;
    write_samples(dir, &config)?;
    Ok(Demo {
        dir: dir.to_owned(),
        config,
        operator_password,
        operator_pincode,
    })
}

fn load_or_create_ca(
    certs: &Path,
    name: &str,
    common_name: &str,
) -> anyhow::Result<CertificateAuthority> {
    let (cert_path, key_path) = (
        certs.join(format!("{name}.pem")),
        certs.join(format!("{name}-key.pem")),
    );
    if cert_path.exists() && key_path.exists() {
        return CertificateAuthority::load(
            &files::read_text(&cert_path)?,
            &files::read_text(&key_path)?,
        )
        .with_context(|| format!("cannot load {}", cert_path.display()));
    }
    let ca = CertificateAuthority::create(common_name)?;
    files::write_secret(&key_path, &ca.key_pem())?;
    std::fs::write(&cert_path, ca.cert_pem())?;
    Ok(ca)
}

fn ensure_issued(
    ca: &CertificateAuthority,
    certs: &Path,
    name: &str,
    subject: &Subject,
) -> anyhow::Result<()> {
    let (cert_path, key_path) = (
        certs.join(format!("{name}.pem")),
        certs.join(format!("{name}-key.pem")),
    );
    if cert_path.exists() && key_path.exists() {
        return Ok(());
    }
    let issued = ca.issue(subject, 825)?;
    files::write_secret(&key_path, &issued.key_pem)?;
    std::fs::write(&cert_path, issued.cert_pem)?;
    Ok(())
}

/// The demo operator's password and pincode live in `operator-credentials.txt` (mode 0600).
fn load_or_create_operator_secrets(dir: &Path) -> anyhow::Result<(String, String)> {
    let path = dir.join("operator-credentials.txt");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
        };
        if let (Some(password), Some(pincode)) = (field("password="), field("pincode=")) {
            return Ok((password, pincode));
        }
    }
    let password = Alphanumeric.sample_string(&mut rand::rng(), 16);
    let pincode: String = (0..10)
        .map(|_| char::from(b'0' + rand::rng().random_range(0..10u8)))
        .collect();
    files::write_secret(
        &path,
        &format!("user_id={DEMO_OPERATOR_ID}\ncf={DEMO_OPERATOR_CF}\npassword={password}\npincode={pincode}\n"),
    )?;
    Ok((password, pincode))
}

async fn seed_operator(
    store: &dyn Store,
    cf: &CodiceFiscale,
    password: &str,
    pincode: &str,
) -> anyhow::Result<()> {
    let user = UserRecord {
        user_id: DEMO_OPERATOR_ID.into(),
        cf: cf.to_string(),
        display_name: "Mario Rossi (operatore demo)".into(),
        password_hash: hash_secret(password).map_err(|e| anyhow::anyhow!("hash: {e}"))?,
        pincode_hash: hash_secret(pincode).map_err(|e| anyhow::anyhow!("hash: {e}"))?,
        asl: Some("201".into()),
        region: Some(DEMO_REGION.into()),
        enabled: true,
    };
    match store.add_user(&user).await {
        Ok(()) | Err(StoreError::Duplicate { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Ready-to-send request envelopes for the printed `curl` commands.
fn write_samples(dir: &Path, config: &Config) -> anyhow::Result<()> {
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples)?;
    std::fs::write(
        samples.join("ElencoServizi-region.xml"),
        ELENCO_SERVIZI_NO_PIN,
    )?;
    let pin = pincode::encrypt_for_certificate(
        &files::read_text(&config.pincode.certificate)?,
        &load_or_create_operator_secrets(dir)?.1,
    )?;
    files::write_secret(
        &samples.join("ElencoServizi-operator.xml"),
        &ELENCO_SERVIZI_WITH_PIN.replace("{PINCODE}", &pin),
    )?;
    Ok(())
}

const ELENCO_SERVIZI_NO_PIN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:req="urn:tsgate:ws:servizi:richiesta">
  <soapenv:Header/>
  <soapenv:Body>
    <req:ElencoServiziRichiesta/>
  </soapenv:Body>
</soapenv:Envelope>
"#;

const ELENCO_SERVIZI_WITH_PIN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:req="urn:tsgate:ws:servizi:richiesta">
  <soapenv:Header/>
  <soapenv:Body>
    <req:ElencoServiziRichiesta>
      <req:pinCode>{PINCODE}</req:pinCode>
    </req:ElencoServiziRichiesta>
  </soapenv:Body>
</soapenv:Envelope>
"#;

/// The text printed when the demo starts.
pub fn banner(demo: &Demo) -> String {
    let d = demo.dir.display();
    let url = &demo.config.server.public_url;
    format!(
        "\ntsgate demo is serving at {url}\n\
         \n  WSDL:    {url}/ws/Servizi?wsdl\n  XSD:     {url}/xsd/servizi-richiesta.xsd\n  metrics: {url}/metrics\n\
         \nCall ElencoServizi as region {DEMO_REGION} (mutual TLS):\n\
         \n  curl --cacert {d}/certs/ca.pem --cert {d}/certs/region-{DEMO_REGION}.pem --key {d}/certs/region-{DEMO_REGION}-key.pem \\\n    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"urn:tsgate:ws:servizi/ElencoServizi\"' \\\n    --data-binary @{d}/samples/ElencoServizi-region.xml {url}/ws/Servizi\n\
         \nCall it as operator {DEMO_OPERATOR_ID} (Basic + encrypted pincode):\n\
         \n  curl --cacert {d}/certs/ca.pem -u '{DEMO_OPERATOR_ID}:{}' \\\n    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"urn:tsgate:ws:servizi/ElencoServizi\"' \\\n    --data-binary @{d}/samples/ElencoServizi-operator.xml {url}/ws/Servizi\n\
         \nThe operator's password and pincode are in {d}/operator-credentials.txt; its national-card\n\
         style certificate is {d}/certs/operator-card.pem. Stop with Ctrl-C.\n",
        demo.operator_password
    )
}
