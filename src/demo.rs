//! `tsgate demo`: a working local gateway with one command. The first run creates DIR with a
//! development CA, server/region/card certificates, the pincode encryption key, a demo operator,
//! the demo's security administrators and the SQLite database; later runs reuse what exists.
//! Secrets are generated here, never shipped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::admin::certificates;
use crate::admin::operator_details::{implied_by_cf, DetailsForm};
use crate::admin::pincodes;
use crate::admin::users::{generate_password, generate_pincode};
use crate::config::{Config, ImmuniConfig};
use crate::domain::{AslCode, CodiceFiscale, OperatorCf, Otp, Profile, RegionCode};
use crate::identity::password::hash_secret;
use crate::immuni::simulator::{self, Simulator};
use crate::pki::ca::Subject;
use crate::pki::folder::CertsFolder;
use crate::pki::sealing::SealingKey;
use crate::pki::{files, pincode};
use crate::services::otp;
use crate::store::{
    self, AdministratorRecord, AdministratorScope, CertificateKind, OperatorDetails, Store,
    StoreError, UserRecord,
};

pub const DEMO_REGION: &str = "120";
pub const DEMO_OPERATOR_ID: &str = "DEMOOP01";
pub const DEMO_OPERATOR_CF: &str = "RSSMRA80A01H501U";

/// The demo family doctor (Sierologici), in region 120, ASL 201, with school-staff patients.
pub const DEMO_MMG_ID: &str = "DEMOMMG01";
pub const DEMO_MMG_CF: &str = "BNCGNN65C12H501E";
/// A doctor the demo MMG authorised as substitute (from 30 days before the first run to 60
/// days after).
pub const DEMO_SUBSTITUTE_ID: &str = "DEMOSOST01";
pub const DEMO_SUBSTITUTE_CF: &str = "VRDLCU75D52H501Z";
/// An ASL 201 operator (ASL service and the per-MMG file).
pub const DEMO_ASL_ID: &str = "DEMOASL01";
pub const DEMO_ASL_CF: &str = "NREPLA82T50H501W";
pub const DEMO_ASL: &str = "201";
/// The demo's central security administrator, who manages the ASLs' administrators.
pub const DEMO_CENTRAL_ADMIN_ID: &str = "ADMINCENTRALE";
pub const DEMO_CENTRAL_ADMIN_CF: &str = "GLLLRA70M41H501E";
/// The security administrator of ASL 201 (region 120), who manages its operators — every demo
/// user.
pub const DEMO_ASL_ADMIN_ID: &str = "ADMINASL201";
pub const DEMO_ASL_ADMIN_CF: &str = "FRRMRC75P12H501H";
/// Assistiti in the demo's generated registry.
pub const DEMO_ASSISTITI: u64 = 2000;
/// An operator registered in the first-login state, as an ASL administrator registers one: the
/// demo operator's password as an initial one (calls get `PASSWORD_DA_CAMBIARE` until `tsgate
/// users passwd`) and a generated pincode of which the demo knows only the first half; the
/// second is sealed, for `tsgate users pincode` once the password is changed.
pub const DEMO_FIRST_LOGIN_ID: &str = "DEMONUOVO01";
pub const DEMO_FIRST_LOGIN_CF: &str = "BNCLRA85M41H501Z";

/// What the demo prints: where things are and how to call.
pub struct Demo {
    pub dir: PathBuf,
    pub config: Config,
    /// The built-in Immuni backend, unless `TSGATE_IMMUNI_BASE_URL` names a real one.
    pub simulator: Option<Simulator>,
    pub operator_password: String,
    pub operator_pincode: String,
    /// The first half of [`DEMO_FIRST_LOGIN_ID`]'s pincode (kept in
    /// `first-login-credentials.txt` when the operator was registered; `None` if that file is
    /// gone).
    pub first_login_pincode_first_half: Option<String>,
    /// The password of the central security administrator, then of ASL 201's.
    pub admin_passwords: (String, String),
    /// One of the demo MMG's school-staff patients.
    pub mmg_patient: Option<String>,
}

/// Records the certificates the demo CA issued in the register (once: a reused directory's are
/// already there).
async fn register_certificates(store: &dyn Store, certs: &Path) -> anyhow::Result<()> {
    for (file, kind) in [
        ("server.pem".to_owned(), CertificateKind::Server),
        (format!("region-{DEMO_REGION}.pem"), CertificateKind::Region),
    ] {
        certificates::register(store, &files::read_text(&certs.join(file))?, kind)
            .await
            .context("recording the demo's certificates in the register")?;
    }
    Ok(())
}

/// The demo's settings in `dir`: a gateway whose files live there ([`Config::in_directory`]),
/// whose passwords never expire — a sandbox's calls keep working as the README prints them,
/// however long ago it was made.
pub fn settings(dir: &Path, listen: SocketAddr) -> Config {
    let mut config = Config::in_directory(dir, listen);
    config.auth.password_max_age_days = 0.0;
    // A sandbox: vendors' calls are classified against the conformance kit.
    config.extensions.conformance_report = true;
    config
}

/// Creates (or reuses) everything under `dir`.
pub async fn prepare(dir: &Path, listen: SocketAddr) -> anyhow::Result<Demo> {
    let certs = dir.join("certs");
    // `TSGATE_*` variables apply to the demo too (e.g. TSGATE_STORE_URL for PostgreSQL).
    let config = Config::with_env_overrides(&settings(dir, listen))?;

    let mut folder = CertsFolder::open(&certs)?;
    let ca = folder
        .ca("ca", "tsgate demo CA")?
        .with_crl_url(Some(config.crl_url()));
    folder.crl(&ca)?;
    folder.issued(
        &ca,
        "server",
        &Subject::Server {
            hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        },
    )?;
    let region = RegionCode::parse(DEMO_REGION)?;
    folder.issued(
        &ca,
        &format!("region-{DEMO_REGION}"),
        &Subject::Region { code: region },
    )?;
    let card_ca = folder.ca("card-ca", "tsgate demo national-card CA")?;
    let cf = CodiceFiscale::parse(DEMO_OPERATOR_CF)?;
    folder.issued(
        &card_ca,
        "operator-card",
        &Subject::Operator {
            cf: cf.clone(),
            name: "MARIO ROSSI".into(),
        },
    )?;
    // The built-in Immuni simulator and the gateway's client certificate toward it.
    let immuni_ca = folder.ca("immuni-ca", "tsgate demo Immuni simulator CA")?;
    folder.issued(
        &immuni_ca,
        "immuni-server",
        &Subject::Server {
            hosts: vec!["localhost".into(), "127.0.0.1".into()],
        },
    )?;
    folder.issued(
        &immuni_ca,
        "immuni-client",
        &Subject::Client {
            name: "tsgate demo gateway".into(),
        },
    )?;
    folder.pincode_key("tsgate demo pincode encryption")?;
    folder.secrets_key()?;

    let (operator_password, operator_pincode) = load_or_create_operator_secrets(dir)?;
    let store = store::connect(&config.store.url).await?;
    register_certificates(store.as_ref(), &certs).await?;
    seed_operator(store.as_ref(), &cf, &operator_password, &operator_pincode).await?;
    store
        .directory()
        .grant_profile(DEMO_OPERATOR_ID, Profile::parse(otp::PROFILE)?)
        .await
        .context("granting the demo operator the OTP profile")?;
    store
        .directory()
        .enable_region_service(region, otp::SERVICE)
        .await
        .context("enabling the demo region for InvioOTP")?;
    seed_registry(store.as_ref(), dir, &operator_password, &operator_pincode).await?;
    let key = SealingKey::from_setting(config.auth.secrets_key.as_deref())?;
    let first_login_pincode_first_half =
        seed_first_login_operator(store.as_ref(), dir, &key, &operator_password).await?;
    let admin_passwords = seed_administrators(store.as_ref(), dir).await?;
    let mmg_patient = store
        .patients()
        .patient_list(&OperatorCf::parse(DEMO_MMG_CF)?)
        .await?
        .into_iter()
        .next()
        .map(|p| p.cf.to_string());
    // Paths in the written file are relative to DIR, so `tsgate serve --config DIR/tsgate.toml` works from anywhere.
    std::fs::write(
        dir.join("tsgate.toml"),
        toml::to_string_pretty(&settings(Path::new(""), listen))?,
    )?;
    write_samples(dir, &config)?;
    let mut config = config;
    let simulator = match config.immuni {
        Some(_) => None,
        None => {
            let (simulator, immuni) = start_simulator(&certs).await?;
            config.immuni = Some(immuni);
            Some(simulator)
        }
    };
    Ok(Demo {
        dir: dir.to_owned(),
        config,
        simulator,
        operator_password,
        operator_pincode,
        first_login_pincode_first_half,
        admin_passwords,
        mmg_patient,
    })
}

/// Serves the Immuni simulator over mutual TLS on a free loopback port; returns it with the
/// upstream configuration that points the gateway at it.
async fn start_simulator(certs: &Path) -> anyhow::Result<(Simulator, ImmuniConfig)> {
    let tls = simulator::mutual_tls(
        &certs.join("immuni-server.pem"),
        &certs.join("immuni-server-key.pem"),
        &certs.join("immuni-ca.pem"),
    )?;
    let simulator = simulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), Some(tls))
        .await
        .context("starting the Immuni simulator")?;
    let immuni = ImmuniConfig {
        base_url: format!("https://localhost:{}", simulator.addr.port()),
        certificate: Some(certs.join("immuni-client.pem")),
        key: Some(certs.join("immuni-client-key.pem")),
        ca_bundle: Some(certs.join("immuni-ca.pem")),
        ..ImmuniConfig::default()
    };
    Ok((simulator, immuni))
}

/// The registry (generated once under DIR/registry), the demo doctors and the ASL operator —
/// who share the demo operator's password and pincode — and the substitution.
async fn seed_registry(
    store: &dyn Store,
    dir: &Path,
    password: &str,
    pincode: &str,
) -> anyhow::Result<()> {
    let mmg_cf = OperatorCf::parse(DEMO_MMG_CF)?;
    let substitute_cf = OperatorCf::parse(DEMO_SUBSTITUTE_CF)?;
    if store.patients().find_mmg(&mmg_cf).await?.is_none() {
        let csv = dir.join("registry");
        let mut options = crate::registry::GenerateOptions::new(DEMO_ASSISTITI);
        options.patients_per_mmg = 150;
        options.pinned.push(crate::registry::PinnedMmg {
            cf: DEMO_MMG_CF.into(),
            surname: "BIANCHI".into(),
            name: "GIOVANNI".into(),
            region_code: DEMO_REGION.into(),
            asl_code: DEMO_ASL.into(),
            staff_patients: 5,
        });
        crate::registry::generate(&csv, &options).context("generating the demo registry")?;
        crate::registry::import(store, &csv)
            .await
            .context("importing the demo registry")?;
        let intake = crate::jobs::miur::Intake {
            store,
            actor: crate::audit::Actor::cli(),
            progress: &crate::jobs::Silent,
        };
        intake
            .import_file(
                crate::store::MiurKind::Statali,
                &csv.join(crate::registry::PERSONALE_STATALI),
            )
            .await
            .context("importing the demo's state-school staff file")?;
    }
    let password_hash = hash_secret(password).map_err(|e| anyhow::anyhow!("hash: {e}"))?;
    let pincode_hash = hash_secret(pincode).map_err(|e| anyhow::anyhow!("hash: {e}"))?;
    let users = [
        (
            DEMO_MMG_ID,
            DEMO_MMG_CF,
            "Giovanni Bianchi (MMG demo)",
            Some(DEMO_ASL),
            crate::services::sierologici::PROFILE_MMG,
        ),
        (
            DEMO_SUBSTITUTE_ID,
            DEMO_SUBSTITUTE_CF,
            "Lucia Verdi (sostituta demo)",
            Some(DEMO_ASL),
            crate::services::sierologici::PROFILE_MMG,
        ),
        (
            DEMO_ASL_ID,
            DEMO_ASL_CF,
            "Paola Neri (operatrice ASL demo)",
            Some(DEMO_ASL),
            crate::services::asl::PROFILE_ASL,
        ),
    ];
    for (user_id, cf, name, asl, profile) in users {
        let user = UserRecord {
            user_id: user_id.into(),
            cf: CodiceFiscale::parse(cf)?,
            display_name: name.into(),
            password_hash: password_hash.clone(),
            pincode_hash: pincode_hash.clone(),
            asl: asl.map(AslCode::parse).transpose()?,
            region: Some(RegionCode::parse(DEMO_REGION)?),
            enabled: true,
            details: demo_details(name, cf)?,
            last_access: None,
        };
        match store.directory().add_user(&user).await {
            Ok(()) | Err(StoreError::Duplicate { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        store
            .directory()
            .grant_profile(user_id, Profile::parse(profile)?)
            .await?;
    }
    if store
        .substitutions()
        .of_titolare(&mmg_cf, Some(&substitute_cf))
        .await?
        .is_empty()
    {
        let today = crate::clock::rome_day(chrono::Utc::now());
        store
            .substitutions()
            .add(&crate::store::Substitution {
                titolare_cf: mmg_cf,
                substitute_cf,
                from: today - chrono::Duration::days(30),
                to: today + chrono::Duration::days(60),
            })
            .await?;
    }
    Ok(())
}

/// The central administrator (bootstrapped as `tsgate admin bootstrap` does) and ASL 201's, with
/// passwords kept in `administrator-credentials.txt` (mode 0600); returns those passwords.
async fn seed_administrators(store: &dyn Store, dir: &Path) -> anyhow::Result<(String, String)> {
    let path = dir.join("administrator-credentials.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
    };
    let central_key = format!("{DEMO_CENTRAL_ADMIN_ID}.password=");
    let asl_key = format!("{DEMO_ASL_ADMIN_ID}.password=");
    let (central, asl) = match (field(&central_key), field(&asl_key)) {
        (Some(central), Some(asl)) => (central, asl),
        _ => {
            let passwords = (generate_password(), generate_password());
            files::write_secret(
                &path,
                &format!("{central_key}{}\n{asl_key}{}\n", passwords.0, passwords.1),
            )?;
            passwords
        }
    };
    let hash = |secret: &str| hash_secret(secret).map_err(|e| anyhow::anyhow!("hash: {e}"));
    let central_record = AdministratorRecord {
        admin_id: DEMO_CENTRAL_ADMIN_ID.into(),
        cf: CodiceFiscale::parse(DEMO_CENTRAL_ADMIN_CF)?,
        display_name: "Laura Gialli (amministratrice centrale demo)".into(),
        password_hash: hash(&central)?,
        scope: AdministratorScope::Central,
        enabled: true,
    };
    // Once per database, as `admin bootstrap`: a later run finds it done.
    store.administrators().bootstrap(&central_record).await?;
    let asl_record = AdministratorRecord {
        admin_id: DEMO_ASL_ADMIN_ID.into(),
        cf: CodiceFiscale::parse(DEMO_ASL_ADMIN_CF)?,
        display_name: "Marco Ferri (amministratore ASL 201 demo)".into(),
        password_hash: hash(&asl)?,
        scope: AdministratorScope::Asl {
            region: RegionCode::parse(DEMO_REGION)?,
            asl: AslCode::parse(DEMO_ASL)?,
        },
        enabled: true,
    };
    match store.administrators().add(&asl_record).await {
        Ok(()) | Err(StoreError::Duplicate { .. }) => Ok((central, asl)),
        Err(e) => Err(e.into()),
    }
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
    let password = generate_password();
    let pincode = generate_pincode();
    files::write_secret(
        &path,
        &format!("user_id={DEMO_OPERATOR_ID}\ncf={DEMO_OPERATOR_CF}\npassword={password}\npincode={pincode}\n"),
    )?;
    Ok((password, pincode))
}

/// A plausible record for a demo user named "Nome Cognome (role)": names from the display
/// name, birth date and sex from the CF, the demo ASL's address and contacts.
fn demo_details(display_name: &str, cf: &str) -> anyhow::Result<OperatorDetails> {
    let person = display_name.split(" (").next().unwrap_or(display_name);
    let (given_name, surname) = person.split_once(' ').unwrap_or((person, ""));
    let form = DetailsForm {
        surname: Some(surname),
        given_name: Some(given_name),
        birth_place: Some("Roma"),
        work_address: Some("Via della Salute 1, 00100 Roma"),
        phone: Some("+39 06 1234 5678"),
        fax: Some("+39 06 1234 5679"),
        email: Some("operatori@asl201.demo.invalid"),
        ..DetailsForm::default()
    };
    let details = form
        .parse()
        .map_err(|e| anyhow::anyhow!("--{}: {e}", e.field))?;
    let today = chrono::Utc::now().date_naive();
    Ok(implied_by_cf(
        &CodiceFiscale::parse(cf)?,
        details.apply(OperatorDetails::default()),
        today,
    ))
}

async fn seed_operator(
    store: &dyn Store,
    cf: &CodiceFiscale,
    password: &str,
    pincode: &str,
) -> anyhow::Result<()> {
    let user = UserRecord {
        user_id: DEMO_OPERATOR_ID.into(),
        cf: cf.clone(),
        display_name: "Mario Rossi (operatore demo)".into(),
        password_hash: hash_secret(password).map_err(|e| anyhow::anyhow!("hash: {e}"))?,
        pincode_hash: hash_secret(pincode).map_err(|e| anyhow::anyhow!("hash: {e}"))?,
        asl: Some(AslCode::parse("201")?),
        region: Some(RegionCode::parse(DEMO_REGION)?),
        enabled: true,
        details: demo_details("Mario Rossi (operatore demo)", cf.as_str())?,
        last_access: None,
    };
    match store.directory().add_user(&user).await {
        Ok(()) | Err(StoreError::Duplicate { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// [`DEMO_FIRST_LOGIN_ID`], registered once as `tsgate users add` does: an initial password
/// (not again once they changed it), a generated pincode whose second half is sealed with `key`
/// and whose first half is kept in `first-login-credentials.txt` (mode 0600) for the banner.
/// Returns that first half.
async fn seed_first_login_operator(
    store: &dyn Store,
    dir: &Path,
    key: &SealingKey,
    password: &str,
) -> anyhow::Result<Option<String>> {
    let path = dir.join("first-login-credentials.txt");
    let pincode = pincodes::issue(key, DEMO_FIRST_LOGIN_ID)?;
    let user = UserRecord {
        user_id: DEMO_FIRST_LOGIN_ID.into(),
        cf: CodiceFiscale::parse(DEMO_FIRST_LOGIN_CF)?,
        display_name: "Laura Bianchi (operatrice demo al primo accesso)".into(),
        password_hash: hash_secret(password).map_err(|e| anyhow::anyhow!("hash: {e}"))?,
        pincode_hash: pincode.hash,
        asl: Some(AslCode::parse(DEMO_ASL)?),
        region: Some(RegionCode::parse(DEMO_REGION)?),
        enabled: true,
        details: demo_details(
            "Laura Bianchi (operatrice demo al primo accesso)",
            DEMO_FIRST_LOGIN_CF,
        )?,
        last_access: None,
    };
    match store.directory().add_user(&user).await {
        Ok(()) => {
            let now = chrono::Utc::now();
            store
                .pincodes()
                .keep_second_half(DEMO_FIRST_LOGIN_ID, &pincode.sealed_second_half, now)
                .await?;
            store
                .passwords()
                .require_change(DEMO_FIRST_LOGIN_ID, now)
                .await?;
            let first_half = pincode.first_half.reveal().to_owned();
            files::write_secret(
                &path,
                &format!("user_id={DEMO_FIRST_LOGIN_ID}\npincode_first_half={first_half}\n"),
            )?;
            Ok(Some(first_half))
        }
        Err(StoreError::Duplicate { .. }) => {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            Ok(text
                .lines()
                .find_map(|l| l.strip_prefix("pincode_first_half="))
                .map(|v| v.trim().to_owned()))
        }
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
    // A made-up OTP and today's date, fresh at each start (the simulator answers "already
    // authorised" to the same code within 150 s): synthetic sandbox data, not a citizen's.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Rome)
        .date_naive()
        .min(chrono::Utc::now().date_naive())
        .format("%Y-%m-%d")
        .to_string();
    let otp_envelope = |pin_element: &str, region_elements: &str| {
        INVIO_OTP
            .replace("{PIN}", pin_element)
            .replace("{OTP}", Otp::generate().as_upstream_str())
            .replace("{DATE}", &today)
            .replace("{REGION}", region_elements)
    };
    std::fs::write(
        samples.join("InvioOTP-region.xml"),
        otp_envelope(
            "",
            &format!(
                "\n      <req:cfOperatore>{DEMO_OPERATOR_CF}</req:cfOperatore>\n      <req:tipoAutenticazione>SPID</req:tipoAutenticazione>"
            ),
        ),
    )?;
    files::write_secret(
        &samples.join("InvioOTP-operator.xml"),
        &otp_envelope(&format!("\n      <req:pinCode>{pin}</req:pinCode>"), ""),
    )?;
    files::write_secret(
        &samples.join("ElencoAssistiti-mmg.xml"),
        &ELENCO_ASSISTITI_MMG.replace("{PINCODE}", &pin),
    )?;
    Ok(())
}

const INVIO_OTP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:req="urn:tsgate:ws:otp:richiesta">
  <soapenv:Header/>
  <soapenv:Body>
    <req:InvioOTPRichiesta>{PIN}
      <req:codiceOTP>{OTP}</req:codiceOTP>
      <req:dataInizioSintomi>{DATE}</req:dataInizioSintomi>{REGION}
    </req:InvioOTPRichiesta>
  </soapenv:Body>
</soapenv:Envelope>
"#;

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

const ELENCO_ASSISTITI_MMG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:req="urn:tsgate:ws:sierologici:richiesta">
  <soapenv:Header/>
  <soapenv:Body>
    <req:ElencoAssistitiRichiesta>
      <req:pinCode>{PINCODE}</req:pinCode>
      <req:cfMedico>BNCGNN65C12H501E</req:cfMedico>
      <req:cfMedicoTitolare>BNCGNN65C12H501E</req:cfMedicoTitolare>
    </req:ElencoAssistitiRichiesta>
  </soapenv:Body>
</soapenv:Envelope>
"#;

/// The text printed when the demo starts; `admin` is where its admin listener got bound.
pub fn banner(demo: &Demo, admin: SocketAddr) -> String {
    let d = demo.dir.display();
    let url = &demo.config.server.public_url;
    format!(
        "\ntsgate demo is serving at {url}\n\
         \n  WSDL:    {url}/ws/Servizi?wsdl\n  XSD:     {url}/xsd/servizi-richiesta.xsd\n  metrics: http://{admin}/metrics (admin listener, plain HTTP)\n  web:     {url}/web/login (the operators' pages; log in as {DEMO_OPERATOR_ID}, or as {DEMO_FIRST_LOGIN_ID} for a first login, below)\n           {url}/web/admin/accesso (the security administrators' pages)\n\
         \nCall ElencoServizi as region {DEMO_REGION} (mutual TLS):\n\
         \n  curl --cacert {d}/certs/ca.pem --cert {d}/certs/region-{DEMO_REGION}.pem --key {d}/certs/region-{DEMO_REGION}-key.pem \\\n    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"urn:tsgate:ws:servizi/ElencoServizi\"' \\\n    --data-binary @{d}/samples/ElencoServizi-region.xml {url}/ws/Servizi\n\
         \nCall it as operator {DEMO_OPERATOR_ID} (Basic + encrypted pincode):\n\
         \n  curl --cacert {d}/certs/ca.pem -u '{DEMO_OPERATOR_ID}:{password}' \\\n    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"urn:tsgate:ws:servizi/ElencoServizi\"' \\\n    --data-binary @{d}/samples/ElencoServizi-operator.xml {url}/ws/Servizi\n\
         \nSend an Immuni OTP (InvioOTP) as region {DEMO_REGION}, for its operator {DEMO_OPERATOR_CF} (SPID):\n\
         \n  curl --cacert {d}/certs/ca.pem --cert {d}/certs/region-{DEMO_REGION}.pem --key {d}/certs/region-{DEMO_REGION}-key.pem \\\n    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"urn:tsgate:ws:otp/InvioOTP\"' \\\n    --data-binary @{d}/samples/InvioOTP-region.xml {url}/ws/InvioOTP\n\
         \nand as operator {DEMO_OPERATOR_ID} (Basic + encrypted pincode):\n\
         \n  curl --cacert {d}/certs/ca.pem -u '{DEMO_OPERATOR_ID}:{password}' \\\n    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"urn:tsgate:ws:otp/InvioOTP\"' \\\n    --data-binary @{d}/samples/InvioOTP-operator.xml {url}/ws/InvioOTP\n\
         \n{upstream}\n\
         \nThe operator's password and pincode are in {d}/operator-credentials.txt; its national-card\n\
         style certificate is {d}/certs/operator-card.pem.\n\
         \nSerology tests: the demo MMG {DEMO_MMG_ID} ({DEMO_MMG_CF}) asks for their list of school-staff patients\n\
         (one of them is {patient}); {DEMO_SUBSTITUTE_ID} ({DEMO_SUBSTITUTE_CF}) is their authorised substitute, and\n\
         {DEMO_ASL_ID} ({DEMO_ASL_CF}) an operator of ASL {DEMO_ASL}. They share the operator's password and pincode.\n\
         \n  curl --cacert {d}/certs/ca.pem -u '{DEMO_MMG_ID}:{password}' \\\n    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"urn:tsgate:ws:sierologici/ElencoAssistiti\"' \\\n    --data-binary @{d}/samples/ElencoAssistiti-mmg.xml {url}/ws/Sierologici\n\
         \nAdministration: {DEMO_ASL_ADMIN_ID} is the security administrator of ASL {DEMO_ASL} (every demo user is\n\
         of it), {DEMO_CENTRAL_ADMIN_ID} the central one; their passwords are in {d}/administrator-credentials.txt.\n\
         Each command acts as one of them (--as), with the password in TSGATE_ADMIN_PASSWORD (or typed when asked):\n\
         \n  TSGATE_ADMIN_PASSWORD='{asl_admin_password}' cargo run --release -- users list --as {DEMO_ASL_ADMIN_ID} --dir {d}\n\
         \n  TSGATE_ADMIN_PASSWORD='{central_admin_password}' cargo run --release -- admins list --as {DEMO_CENTRAL_ADMIN_ID} --dir {d}\n\
         \nFirst login: {DEMO_FIRST_LOGIN_ID} ({DEMO_FIRST_LOGIN_CF}, ASL {DEMO_ASL}) was registered as an administrator\n\
         registers an operator: the operator's password as an initial one, and the first half of a new pincode,\n\
         {first_half}. It chooses its own password first (at least 12 characters, 3 kinds of character; typed\n\
         when asked, or in TSGATE_NEW_PASSWORD):\n\
         \n  TSGATE_PASSWORD='{password}' cargo run --release -- users passwd --user-id {DEMO_FIRST_LOGIN_ID} --dir {d}\n\
         \nthen reads the second half of its pincode with the new password (\"Stampa pincode\"):\n\
         \n  TSGATE_PASSWORD='<new password>' cargo run --release -- users pincode --user-id {DEMO_FIRST_LOGIN_ID} --dir {d}\n\
         \nIts pincode is the first half followed by the second.\n\
         \nOr walk the same first login in the web application instead of the two commands (once its password\n\
         is changed, by either way, the first login is over): open {url}/web/login and log in as\n\
         {DEMO_FIRST_LOGIN_ID} with the password above ('{password}'). The password change is forced: \"Cambio Password\"\n\
         is the only page that opens until it chooses its own (at least 12 characters, 3 kinds of character,\n\
         typed twice). Then the page shows the second half of its pincode, and \"Prosegui\" opens the home\n\
         (SERVIZI ONLINE). {DEMO_OPERATOR_ID} logs in there with the same password and goes to the home at once;\n\
         the administrators log in at {url}/web/admin/accesso with the passwords above.\n\
         \nStop with Ctrl-C.\n",
        central_admin_password = demo.admin_passwords.0,
        asl_admin_password = demo.admin_passwords.1,
        password = demo.operator_password,
        first_half = demo
            .first_login_pincode_first_half
            .as_deref()
            .unwrap_or("(printed by the run that registered it)"),
        upstream = match (&demo.simulator, &demo.config.immuni) {
            (Some(simulator), _) => format!(
                "OTPs go to the built-in Immuni simulator at https://localhost:{} (set TSGATE_IMMUNI_BASE_URL\n\
                 to use a real backend). Each start writes a new made-up OTP into the samples; sending the\n\
                 same one again within 150 s gets 2001 (already authorised), as the real backend would.",
                simulator.addr.port()
            ),
            (None, Some(immuni)) => format!("OTPs go to the Immuni backend at {}.", immuni.base_url),
            (None, None) => "InvioOTP is not offered: no Immuni backend is configured.".to_owned(),
        },
        patient = demo.mmg_patient.as_deref().unwrap_or("-"),
    )
}
