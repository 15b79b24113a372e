//! The test gateway (`spawn_app()`): the real gateway on an ephemeral port of 127.0.0.1, with
//! its own directory — the certificates of [`pki`], a store seeded by [`seed`], and the
//! `tsgate.toml` it runs with — and a built-in Immuni simulator over mutual TLS. Tests reach
//! the gateway's internals only through the few accessors of [`TestApp`].

pub mod browser;
pub mod client;
pub mod pki;
pub mod reply;
pub mod request;
pub mod saml;
pub mod seed;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tsgate::config::{Config, ImmuniConfig};
use tsgate::immuni::simulator::{self, Simulator};
use tsgate::pki::ca::{CertificateAuthority, Subject};
use tsgate::pki::files;
use tsgate::soap::Gateway;
use tsgate::startup::Application;
use tsgate::store::{AccessLogEntry, ChainedEntry, Store};
use tsgate::xsd::SchemaSet;

pub use client::{basic, client_config, exchange_at, exchange_over, parse_reply, As};
pub use reply::Reply;
pub use request::{encrypt_pincode, envelope, Request, Target};
pub use seed::{User, ASL_OPERATOR, MMG, OPERATOR, PATIENT, PINCODE, SUBSTITUTE};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type TestResult = Result<(), BoxError>;

/// What [`TestApp::connect_h2`] gives: the sender of requests and the connection's task.
pub type H2Connection = (
    hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>>,
    tokio::task::JoinHandle<hyper::Result<()>>,
);

/// The plain catalogue call (`servizi/ElencoServizi.xml`) as an HTTP/2 request.
pub fn catalogue_request_h2() -> http::Result<http::Request<http_body_util::Full<bytes::Bytes>>> {
    http::Request::post("https://localhost/ws/Servizi")
        .header("content-type", "text/xml; charset=utf-8")
        .body(http_body_util::Full::new(bytes::Bytes::from(envelope(
            "servizi/ElencoServizi.xml",
        ))))
}

/// Europe/Rome's date at `at`: "today" for the services (the services' own function).
pub use tsgate::clock::rome_day;

/// Fills `dir` for a gateway: its certificates, and its store seeded.
pub async fn prepare(dir: &Path, config: &Config) -> Result<(), BoxError> {
    pki::write(&dir.join("certs"))?;
    let store = tsgate::store::connect(&config.store.url).await?;
    seed::seed(store.as_ref(), rome_day(Utc::now())).await?;
    store.close().await;
    Ok(())
}

/// Writes `config` where the CLI finds it: `DIR/tsgate.toml`.
pub fn write_config(dir: &Path, config: &Config) -> std::io::Result<PathBuf> {
    let path = dir.join("tsgate.toml");
    let text = toml::to_string_pretty(config).map_err(std::io::Error::other)?;
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The Immuni simulator over mutual TLS on a free port, and the settings that point at it.
async fn start_simulator(certs: &Path) -> (Simulator, ImmuniConfig) {
    let tls = simulator::mutual_tls(
        &certs.join("immuni-server.pem"),
        &certs.join("immuni-server-key.pem"),
        &certs.join("immuni-ca.pem"),
    )
    .expect("simulator TLS");
    let simulator = simulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), Some(tls))
        .await
        .expect("simulator starts");
    let immuni = ImmuniConfig {
        base_url: format!("https://localhost:{}", simulator.addr.port()),
        certificate: Some(certs.join("immuni-client.pem")),
        key: Some(certs.join("immuni-client-key.pem")),
        ca_bundle: Some(certs.join("immuni-ca.pem")),
        ..ImmuniConfig::default()
    };
    (simulator, immuni)
}

pub struct TestApp {
    pub address: SocketAddr,
    /// The admin listener (`/metrics`), plain HTTP on loopback.
    pub admin: SocketAddr,
    pub dir: tempfile::TempDir,
    gateway: Arc<Gateway>,
    schemas: Arc<SchemaSet>,
    config: Config,
    /// The OTP of the last request filled (`{OTP_PREVIOUS}`).
    previous_otp: Arc<Mutex<String>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _simulator: Simulator,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a test gateway; `tweak` adjusts its settings first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::in_directory(dir.path(), SocketAddr::from(([127, 0, 0, 1], 0)));
    prepare(dir.path(), &config).await.expect("test set-up");
    let (simulator, immuni) = start_simulator(&dir.path().join("certs")).await;
    config.immuni = Some(immuni);
    tweak(&mut config);
    write_config(dir.path(), &config).expect("tsgate.toml");
    start(dir, config, simulator).await
}

async fn start(dir: tempfile::TempDir, config: Config, simulator: Simulator) -> TestApp {
    let application = Application::build(config.clone())
        .await
        .expect("gateway starts");
    let address = application.local_addr().expect("bound");
    let admin = application.admin_addr().expect("admin bound");
    let gateway = application.gateway().clone();
    let schemas = application.schemas().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        admin,
        dir,
        gateway,
        schemas,
        config,
        previous_otp: Arc::default(),
        shutdown: Some(tx),
        server: Some(server),
        _simulator: simulator,
    }
}

impl TestApp {
    // --- the gateway's internals, for the tests that look inside ------------------------------

    /// The gateway's store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.gateway.store
    }

    /// The settings it runs with (also in `DIR/tsgate.toml`).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The whole access log, oldest entry first.
    pub async fn access_log(&self) -> Vec<ChainedEntry> {
        self.store()
            .access_log()
            .read(0, 100_000)
            .await
            .expect("access log")
    }

    /// The access-log entry of `reply`'s transaction.
    pub async fn logged(&self, reply: &Reply) -> AccessLogEntry {
        let id = reply.transaction_id().expect("a transaction id");
        self.access_log()
            .await
            .into_iter()
            .find(|e| e.entry.transaction_id == id)
            .unwrap_or_else(|| panic!("{id} is not in the access log"))
            .entry
    }

    /// The compiled schemas it validates with.
    pub fn schemas(&self) -> &SchemaSet {
        &self.schemas
    }

    /// What the gateway's poller does every `store.directory_refresh_ms`; `true` if the
    /// directory version moved (cached permissions and verified passwords are then dropped).
    pub async fn poll_directory(&self) -> bool {
        self.gateway
            .identity
            .refresh_directory_version()
            .await
            .expect("directory version")
    }

    /// Whether a verified password + pincode is remembered.
    pub fn remembers_credentials(&self) -> bool {
        !self.gateway.identity.credential_cache().is_empty()
    }

    /// From now on the gateway's clock (the OTP date rules) reads `at`.
    pub fn pin_clock(&self, at: DateTime<Utc>) {
        self.gateway.clock.pin(at);
    }

    /// Pins the clock at noon UTC of the real UTC date. Rome's date is then the same as the
    /// Immuni backend's (UTC, judging on the real clock): `{TODAY}` is today for both. The
    /// hours after Rome's midnight, when they differ, are `otp_clock.rs`'s subject.
    pub fn pin_clock_at_utc_noon(&self) {
        let noon = Utc::now()
            .date_naive()
            .and_hms_opt(12, 0, 0)
            .expect("noon")
            .and_utc();
        self.pin_clock(noon);
    }

    /// The gateway's clock, pinned or not.
    pub fn now(&self) -> DateTime<Utc> {
        self.gateway.clock.now()
    }

    /// The gateway's today (Europe/Rome): the `{TODAY}` of the samples.
    pub fn today(&self) -> NaiveDate {
        rome_day(self.gateway.clock.now())
    }

    /// Current value of a metric line that starts with `prefix` (0 when absent).
    pub fn metric(&self, prefix: &str) -> f64 {
        self.gateway
            .metrics
            .render()
            .lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Lets region 120 call `service`, as the poller would see it.
    pub async fn enable_region(&self, service: &str) {
        self.store()
            .directory()
            .enable_region_service(
                tsgate::domain::RegionCode::parse(seed::REGION).expect("region"),
                service,
            )
            .await
            .expect("enable region");
        self.poll_directory().await;
    }

    // --- requests -----------------------------------------------------------------------------

    fn target(&self) -> Target {
        Target {
            address: self.address,
            certs: self.certs(),
            today: self.today(),
            previous_otp: self.previous_otp.clone(),
        }
    }

    /// Sample `sample` of `tests/envelopes/`, to its service, placeholders filled when sent.
    pub fn request(&self, sample: &str) -> Request {
        Request::sample(self.target(), sample)
    }

    /// `body` as it is, to `path`.
    pub fn request_body(&self, path: &str, body: impl Into<Vec<u8>>) -> Request {
        Request::raw(self.target(), path, body)
    }

    /// `ElencoServizi` with the plain sample envelope: the simplest complete call.
    pub async fn call_catalogue(&self, who: As) -> Reply {
        self.request("servizi/ElencoServizi.xml")
            .by(who)
            .send()
            .await
    }

    /// Sierologici sample `sample` sent by `user`, `{SEND_ID}` (the send a cancel names)
    /// being `send_id`.
    pub async fn sierologici(&self, user: User, sample: &str, send_id: &str) -> Reply {
        self.request(&format!("sierologici/{sample}"))
            .by(As::User(user))
            .set("{SEND_ID}", send_id)
            .send()
            .await
    }

    /// `GET path`, anonymous.
    pub async fn get(&self, path: &str) -> std::io::Result<Reply> {
        self.get_with(As::Anonymous, path, &[]).await
    }

    /// `GET path` with extra headers, as `who`.
    pub async fn get_with(
        &self,
        who: As,
        path: &str,
        headers: &[(&str, &str)],
    ) -> std::io::Result<Reply> {
        let mut request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        self.exchange(who, request.as_bytes()).await
    }

    /// `GET path` on the admin listener (plain HTTP), as a scraper does.
    pub async fn admin_get(&self, path: &str) -> std::io::Result<Reply> {
        client::plain_get(self.admin, path).await
    }

    /// A browser of the web application with no cookie yet, connecting as `who`.
    pub fn browser(&self, who: As) -> browser::Browser {
        browser::Browser::new(self.address, self.certs(), who)
    }

    /// Writes raw bytes over a fresh TLS connection and reads the whole answer.
    pub async fn exchange(&self, who: As, request: &[u8]) -> std::io::Result<Reply> {
        exchange_at(self.address, &self.certs(), who, request).await
    }

    pub async fn connect(
        &self,
        who: As,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        client::connect_at(self.address, &self.certs(), who).await
    }

    pub fn client_config(&self, who: As, alpn: Vec<Vec<u8>>) -> rustls::ClientConfig {
        client_config(&self.certs().join("ca.pem"), who, alpn)
    }

    /// An HTTP/2 connection as `who` (ALPN `h2`, checked): the request sender, and the
    /// connection's task, which ends when the server closes the connection.
    pub async fn connect_h2(&self, who: As) -> Result<H2Connection, BoxError> {
        let config = self.client_config(who, vec![b"h2".to_vec()]);
        let tcp = TcpStream::connect(self.address).await?;
        let tls = TlsConnector::from(Arc::new(config))
            .connect(rustls::pki_types::ServerName::try_from("localhost")?, tcp)
            .await?;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tls),
        )
        .await?;
        Ok((sender, tokio::spawn(connection)))
    }

    // --- certificates -------------------------------------------------------------------------

    pub fn certs(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    /// The gateway CA (regions' certificates).
    pub fn ca(&self) -> CertificateAuthority {
        self.load_ca("ca")
    }

    /// The national-card CA the gateway trusts.
    pub fn card_ca(&self) -> CertificateAuthority {
        self.load_ca("card-ca")
    }

    fn load_ca(&self, name: &str) -> CertificateAuthority {
        let certs = self.certs();
        CertificateAuthority::load(
            &files::read_text(&certs.join(format!("{name}.pem"))).expect("ca"),
            &files::read_text(&certs.join(format!("{name}-key.pem"))).expect("ca key"),
        )
        .expect("ca loads")
    }

    /// A fresh certificate of `ca` for `subject`, valid `days` from now, as a caller.
    pub fn issue(&self, ca: &CertificateAuthority, subject: &Subject, days: i64) -> As {
        let issued = ca.issue(subject, days).expect("issue");
        As::Certificate {
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        }
    }

    /// The catalogue call with the seeded pincode, as `user_id` with `password` (Basic):
    /// whatever the gateway answers, a Fault included.
    pub async fn catalogue_with_password(&self, user_id: &str, password: &str) -> Reply {
        self.catalogue_with(user_id, password, PINCODE).await
    }

    /// The catalogue call as `user_id` with `password` (Basic) and `pincode`.
    pub async fn catalogue_with(&self, user_id: &str, password: &str, pincode: &str) -> Reply {
        self.request("servizi/ElencoServizi-pincode.xml")
            .pincode(pincode)
            .content_type("text/xml")
            .header("Authorization", &basic(user_id, password))
            .try_send()
            .await
            .expect("an answer")
    }

    /// The per-MMG file with the seeded pincode, as `user_id` with `password` (Basic).
    pub async fn download_with_password(&self, user_id: &str, password: &str) -> Reply {
        let pin = self.encrypted_pincode(PINCODE);
        let auth = basic(user_id, password);
        self.get_with(
            As::Anonymous,
            tsgate::server::asl_download::PATH,
            &[
                ("Authorization", &auth),
                (tsgate::server::asl_download::PINCODE_HEADER, &pin),
            ],
        )
        .await
        .expect("an answer")
    }

    /// The second half of `user_id`'s pincode as the gateway keeps it, opened with its
    /// `auth.secrets_key`: what `tsgate users pincode` would show them, without their password.
    pub async fn pincode_second_half(&self, user_id: &str) -> Option<String> {
        let sealed = self
            .store()
            .pincodes()
            .sealed_second_half(user_id)
            .await
            .expect("store")?;
        let key =
            tsgate::pki::sealing::SealingKey::from_setting(self.config.auth.secrets_key.as_deref())
                .expect("the test gateway's secrets key");
        Some(
            key.open(&sealed, &format!("pincode-second-half:{user_id}"))
                .expect("opens"),
        )
    }

    /// The answer to the captcha on `page`, which `browser` was shown, found with the test
    /// gateway's `auth.secrets_key` as anyone holding that key could — there is no other way to
    /// it: the login's derived from the challenge and the browser's pre-login cookie, a
    /// session's read from the store and opened.
    pub async fn captcha_answer(&self, browser: &browser::Browser, page: &Reply) -> String {
        let id = browser::hidden_field(page, "captcha_id");
        if tsgate::web::captcha::stateless::is_challenge(&id) {
            let cookie = browser.prelogin.as_deref().expect("a pre-login cookie");
            return self.login_captcha_answer(cookie_value(cookie), &id);
        }
        let cookie = browser.cookie.as_deref().expect("a session cookie");
        self.captcha_answer_for(cookie_value(cookie), &id).await
    }

    /// The answer to the login's challenge `id` for the browser whose pre-login cookie holds
    /// `nonce`.
    pub fn login_captcha_answer(&self, nonce: &str, id: &str) -> String {
        let key =
            tsgate::pki::sealing::SealingKey::from_setting(self.config.auth.secrets_key.as_deref())
                .expect("the test gateway's secrets key");
        tsgate::web::captcha::stateless::StatelessCaptcha::new(&key)
            .digits(nonce, id, self.gateway.clock.now())
            .unwrap_or_else(|| panic!("{id} is not a live login challenge"))
            .into_iter()
            .map(|digit| char::from(b'0' + digit))
            .collect()
    }

    /// Gives `user_id` the seeded password again as an initial one, to be changed at the next
    /// login (what an administrator's reset does).
    pub async fn force_password_change(&self, user_id: &str) -> Result<(), BoxError> {
        let hash = tsgate::identity::password::hash_secret(seed::PASSWORD)?;
        let new = tsgate::store::NewPassword {
            hash: &hash,
            must_change: true,
            at: Utc::now(),
            keep_replaced: 4,
        };
        assert!(self.store().passwords().set_password(user_id, new).await?);
        Ok(())
    }

    /// How many rows the table `table` of the test gateway's SQLite database holds.
    pub async fn rows_in(&self, table: &str) -> i64 {
        let pool = sqlx::SqlitePool::connect(&self.config.store.url)
            .await
            .expect("the database");
        let (rows,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .expect("counted");
        pool.close().await;
        rows
    }

    /// The answer to challenge `id` of the session whose cookie holds `cookie_id`.
    pub async fn captcha_answer_for(&self, cookie_id: &str, id: &str) -> String {
        let session_hash = tsgate::web::session::hash_id(cookie_id);
        let record = self
            .store()
            .web_captchas()
            .find(&session_hash, id)
            .await
            .expect("store")
            .unwrap_or_else(|| panic!("no challenge {id} for this session"));
        let key =
            tsgate::pki::sealing::SealingKey::from_setting(self.config.auth.secrets_key.as_deref())
                .expect("the test gateway's secrets key");
        key.open(
            &record.sealed_answer,
            &tsgate::web::captcha::challenge::purpose(&record),
        )
        .expect("opens")
    }

    /// `plain` encrypted with the gateway's published pincode certificate.
    pub fn encrypted_pincode(&self, plain: &str) -> String {
        encrypt_pincode(&self.certs(), plain)
    }

    // --- the command line -----------------------------------------------------------------------

    /// `tsgate <args> --config DIR/tsgate.toml`, as run on the gateway's host, with the password
    /// variables cleared and then `env` set; awaited, so this gateway goes on serving meanwhile.
    pub async fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"));
        command
            .args(args)
            .arg("--config")
            .arg(self.dir.path().join("tsgate.toml"));
        for var in [
            "TSGATE_ADMIN_PASSWORD",
            "TSGATE_PASSWORD",
            "TSGATE_NEW_PASSWORD",
        ] {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        command.output().await.expect("tsgate runs")
    }

    // --- life cycle ---------------------------------------------------------------------------

    /// Stops this gateway and starts a new one with the same directory and settings.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        start(self.dir, self.config, self._simulator).await
    }

    /// Graceful stop; returns once the server task has ended.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), server).await;
        }
    }
}

/// The value of a `name=value` cookie pair.
fn cookie_value(pair: &str) -> &str {
    pair.split_once('=').map_or("", |(_, value)| value)
}
