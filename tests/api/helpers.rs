//! `spawn_app()` and a minimal HTTPS client that speaks raw HTTP/1.1, the way a SOAP client does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tsgate::config::Config;
use tsgate::demo;
use tsgate::pki::ca::{CertificateAuthority, Subject};
use tsgate::pki::{files, pincode};
use tsgate::startup::{App, Application};

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

pub struct TestApp {
    pub address: SocketAddr,
    /// The admin listener (`/metrics`), plain HTTP on loopback.
    pub admin: SocketAddr,
    pub dir: tempfile::TempDir,
    pub app: Arc<App>,
    pub operator_id: String,
    pub operator_password: String,
    pub operator_pincode: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// The demo's built-in Immuni backend, when the config still points at it.
    _simulator: Option<tsgate::immuni::simulator::Simulator>,
}

/// Who the client presents itself as.
#[derive(Clone)]
pub enum As {
    /// No client certificate.
    Anonymous,
    /// The demo region 120's certificate.
    Region,
    /// The demo operator's national-card style certificate.
    Card,
    /// Any certificate + key (PEM).
    Certificate { cert_pem: String, key_pem: String },
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `<codEsito>` of a reply, or the `<f:codice>` of a Fault.
    pub fn outcome(&self) -> Option<&str> {
        between(&self.body, "<f:codice>", "</f:codice>")
            .or_else(|| between(&self.body, "<ric:codEsito>", "</ric:codEsito>"))
    }

    /// The code of the reply's first message (`ElencoMessaggi`).
    pub fn message(&self) -> Option<&str> {
        between(&self.body, "<tipi:codEsito>", "</tipi:codEsito>")
    }

    /// The outcome and the first message's code, to compare with one assertion.
    pub fn answer(&self) -> (Option<&str>, Option<&str>) {
        (self.outcome(), self.message())
    }

    pub fn transaction_id(&self) -> Option<&str> {
        between(&self.body, "idTransazione>", "</")
    }
}

pub fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the gateway on 127.0.0.1:0 with a fresh demo directory; `tweak` adjusts the config.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_in(tempfile::tempdir().expect("temp dir"), tweak).await
}

/// Starts the gateway on an existing (or new) demo directory.
async fn spawn_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let demo = demo::prepare(dir.path(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("demo set-up");
    let mut config = demo.config.clone();
    tweak(&mut config);
    let simulator = demo.simulator;
    let application = Application::build(config).await.expect("gateway starts");
    let address = application.local_addr().expect("bound");
    let admin = application.admin_addr().expect("admin bound");
    let app = application.app().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        admin,
        dir,
        app,
        operator_id: demo::DEMO_OPERATOR_ID.into(),
        operator_password: demo.operator_password,
        operator_pincode: demo.operator_pincode,
        shutdown: Some(tx),
        server: Some(server),
        _simulator: simulator,
    }
}

impl TestApp {
    pub fn certs(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    pub fn ca(&self) -> CertificateAuthority {
        let certs = self.certs();
        CertificateAuthority::load(
            &files::read_text(&certs.join("ca.pem")).expect("ca"),
            &files::read_text(&certs.join("ca-key.pem")).expect("ca key"),
        )
        .expect("ca loads")
    }

    pub fn card_ca(&self) -> CertificateAuthority {
        let certs = self.certs();
        CertificateAuthority::load(
            &files::read_text(&certs.join("card-ca.pem")).expect("card ca"),
            &files::read_text(&certs.join("card-ca-key.pem")).expect("card ca key"),
        )
        .expect("card ca loads")
    }

    pub fn issue(&self, ca: &CertificateAuthority, subject: &Subject, days: i64) -> As {
        let issued = ca.issue(subject, days).expect("issue");
        As::Certificate {
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        }
    }

    /// The operator's pincode encrypted with the gateway's published certificate.
    pub fn encrypted_pincode(&self, pincode_text: &str) -> String {
        let cert = files::read_text(&self.certs().join("pincode.pem")).expect("pincode cert");
        pincode::encrypt_for_certificate(&cert, pincode_text).expect("encrypt")
    }

    /// Sends an envelope as `who`: `region`, `card`, `anonymous`, or a demo user by Basic
    /// credentials with `{PINCODE}` filled with their pincode (see [`user_of`]);
    /// `wrong-pincode` is the demo operator with another pincode.
    pub async fn send_as(
        &self,
        who: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> std::io::Result<Reply> {
        let pincode = match who {
            "wrong-pincode" => format!("9{}", self.operator_pincode),
            _ => self.operator_pincode.clone(),
        };
        let user = match who {
            "wrong-pincode" => Some(demo::DEMO_OPERATOR_ID),
            _ => user_of(who),
        };
        if let Some(user) = user {
            return self
                .post_basic(user, &pincode, path, content_type, body)
                .await;
        }
        let client = match who {
            "region" => As::Region,
            "card" => As::Card,
            _ => As::Anonymous,
        };
        self.post(client, path, content_type, &[], body.as_bytes())
            .await
    }

    /// Posts `body` with the Basic credentials of demo `user` (all share the demo operator's
    /// password) and `{PINCODE}` filled with `pincode`, encrypted as a client does.
    pub async fn post_basic(
        &self,
        user: &str,
        pincode: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> std::io::Result<Reply> {
        let basic = basic(user, &self.operator_password);
        let body = body.replace("{PINCODE}", &self.encrypted_pincode(pincode));
        self.post(
            As::Anonymous,
            path,
            content_type,
            &[("Authorization", &basic)],
            body.as_bytes(),
        )
        .await
    }

    /// Sends a SOAP 1.1 envelope to `/ws/<service>`.
    pub async fn soap(&self, who: As, service: &str, envelope: &str) -> Reply {
        self.post(
            who,
            &format!("/ws/{service}"),
            "text/xml; charset=utf-8",
            &[],
            envelope.as_bytes(),
        )
        .await
        .expect("HTTP exchange")
    }

    /// `ElencoServizi` with the plain sample envelope: the simplest complete call.
    pub async fn call_catalogue(&self, who: As) -> Reply {
        self.soap(who, "Servizi", &envelope("servizi/ElencoServizi.xml"))
            .await
    }

    /// Sends `tests/envelopes/sierologici/<sample>` as demo `user`, placeholders filled and
    /// `{SEND_ID}` (the send a cancel names) replaced by `send_id`.
    pub async fn sierologici(&self, user: &str, sample: &str, send_id: &str) -> Reply {
        let body = self
            .fill(&envelope(&format!("sierologici/{sample}")))
            .await
            .replace("{SEND_ID}", send_id);
        self.soap_as_user(user, "Sierologici", &body).await
    }

    /// Basic + pincode as the demo operator.
    pub async fn soap_as_operator(&self, service: &str, envelope: &str) -> Reply {
        self.soap_as_user(&self.operator_id, service, envelope)
            .await
    }

    pub async fn post(
        &self,
        who: As,
        path: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Reply> {
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nSOAPAction: \"\"\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.exchange(who, &request).await
    }

    pub async fn get(&self, path: &str) -> std::io::Result<Reply> {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        self.exchange(As::Anonymous, request.as_bytes()).await
    }

    /// Writes raw bytes over a fresh TLS connection and reads the whole answer.
    pub async fn exchange(&self, who: As, request: &[u8]) -> std::io::Result<Reply> {
        exchange_at(self.address, &self.certs(), who, request).await
    }

    pub async fn connect(
        &self,
        who: As,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        connect_at(self.address, &self.certs(), who).await
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
            .connect(ServerName::try_from("localhost")?, tcp)
            .await?;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tls),
        )
        .await?;
        Ok((sender, tokio::spawn(connection)))
    }

    /// `GET path` on the admin listener (plain HTTP), as a scraper does.
    pub async fn admin_get(&self, path: &str) -> std::io::Result<Reply> {
        let mut tcp = TcpStream::connect(self.admin).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        tcp.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut raw))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))??;
        parse_reply(&raw)
    }

    /// Current value of a metric line that starts with `prefix` (0 when absent).
    pub fn metric(&self, prefix: &str) -> f64 {
        self.app
            .metrics
            .render()
            .lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Stops this gateway and starts a new one on the same directory (reusing what exists).
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        spawn_in(dir, |_| {}).await
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

/// The demo user a manifest's `caller` names (all share the demo operator's secrets).
pub fn user_of(caller: &str) -> Option<&'static str> {
    match caller {
        "operator" => Some(demo::DEMO_OPERATOR_ID),
        "mmg" => Some(demo::DEMO_MMG_ID),
        "substitute" => Some(demo::DEMO_SUBSTITUTE_ID),
        "asl" => Some(demo::DEMO_ASL_ID),
        _ => None,
    }
}

impl TestApp {
    /// Lets the demo region 120 call `service`.
    pub async fn enable_region(&self, service: &str) {
        self.app
            .store
            .directory()
            .enable_region_service(demo::DEMO_REGION, service)
            .await
            .expect("enable region");
        // What the gateway's poller would do within `store.directory_refresh_ms`.
        self.app
            .identity
            .refresh_directory_version()
            .await
            .expect("directory version");
    }

    /// One of the demo MMG's school-staff patients.
    pub async fn patient(&self) -> String {
        self.app
            .store
            .registry()
            .patient_list(demo::DEMO_MMG_CF)
            .await
            .expect("patient list")
            .into_iter()
            .next()
            .expect("the demo MMG has school-staff patients")
            .cf
    }

    /// A sample with its placeholders filled: {PINCODE}, {PATIENT}, {TODAY}, {TOMORROW}.
    pub async fn fill(&self, template: &str) -> String {
        let today = tsgate::store::registry::rome_day(chrono::Utc::now());
        let mut text = template
            .replace("{PINCODE}", &self.encrypted_pincode(&self.operator_pincode))
            .replace("{TODAY}", &today.to_string())
            .replace(
                "{TOMORROW}",
                &(today + chrono::Duration::days(1)).to_string(),
            );
        if text.contains("{PATIENT}") {
            text = text.replace("{PATIENT}", &self.patient().await);
        }
        text
    }

    /// Sends a sample to `/ws/<service>` as a demo user (Basic + pincode).
    pub async fn soap_as_user(&self, user: &str, service: &str, envelope: &str) -> Reply {
        let path = format!("/ws/{service}");
        self.post_basic(
            user,
            &self.operator_pincode,
            &path,
            "text/xml; charset=utf-8",
            envelope,
        )
        .await
        .expect("HTTP exchange")
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
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Writes raw bytes over a fresh TLS connection to any gateway whose CA (and, for
/// [`As::Region`] and [`As::Card`], client certificates) are in `certs`, and reads the answer.
pub async fn exchange_at(
    address: SocketAddr,
    certs: &Path,
    who: As,
    request: &[u8],
) -> std::io::Result<Reply> {
    let mut tls = connect_at(address, certs, who).await?;
    tls.write_all(request).await?;
    tls.flush().await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), tls.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))??;
    parse_reply(&raw)
}

pub async fn connect_at(
    address: SocketAddr,
    certs: &Path,
    who: As,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let config = client_config(&certs.join("ca.pem"), who, vec![b"http/1.1".to_vec()]);
    let tcp = TcpStream::connect(address).await?;
    let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

pub fn client_config(ca_path: &Path, who: As, alpn: Vec<Vec<u8>>) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in files::certificates(ca_path).expect("ca") {
        roots.add(cert).expect("root");
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let certs = |dir: &Path, name: &str| {
        let cert = std::fs::read_to_string(dir.join(format!("{name}.pem"))).expect("cert");
        let key = std::fs::read_to_string(dir.join(format!("{name}-key.pem"))).expect("key");
        (cert, key)
    };
    let dir = ca_path.parent().expect("certs dir").to_owned();
    let pair = match who {
        As::Anonymous => None,
        As::Region => Some(certs(&dir, "region-120")),
        As::Card => Some(certs(&dir, "operator-card")),
        As::Certificate { cert_pem, key_pem } => Some((cert_pem, key_pem)),
    };
    let mut config = match pair {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .expect("chain");
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client auth")
        }
    };
    config.alpn_protocols = alpn;
    config
}

pub fn parse_reply(raw: &[u8]) -> std::io::Result<Reply> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("no HTTP response: {text:?}"),
        )
    })?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// A sample envelope from `tests/envelopes/`.
/// Fills the conformance kit's placeholders (see `tests/envelopes/otp/manifest.toml`).
#[derive(Default)]
pub struct Placeholders {
    /// The OTP of the last filled template.
    pub previous_otp: String,
}

impl Placeholders {
    pub fn fill(&mut self, template: &str) -> String {
        let otp = tsgate::domain::Otp::generate().as_upstream_str().to_owned();
        let typed = format!("{}-{}-{}", &otp[..3], &otp[3..7], &otp[7..]).to_lowercase();
        let (today, rome_today) = otp_dates();
        let day = |days: i64| {
            (today - chrono::TimeDelta::days(days))
                .format("%Y-%m-%d")
                .to_string()
        };
        let back = |days: i64| {
            (rome_today - chrono::TimeDelta::days(days))
                .format("%Y-%m-%d")
                .to_string()
        };
        let tomorrow = (rome_today.max(chrono::Utc::now().date_naive())
            + chrono::TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
        let filled = template
            .replace("{OTP_PREVIOUS}", &self.previous_otp)
            .replace("{OTP_AS_TYPED}", &typed)
            .replace("{OTP}", &otp)
            .replace("{TODAY}", &day(0))
            .replace("{YESTERDAY}", &day(1))
            .replace("{TOMORROW}", &tomorrow)
            .replace("{WINDOW_EDGE}", &back(180))
            // The backend's window ends 180 days before *its* today, the earlier one.
            .replace("{TOO_OLD}", &day(181));
        if template.contains("{OTP}") || template.contains("{OTP_AS_TYPED}") {
            self.previous_otp = otp;
        }
        filled
    }
}

/// "Today" for a symptom date that both the gateway (Europe/Rome) and the backend (UTC) accept:
/// the earlier of the two dates (they differ in the hour or two after Rome's midnight), and
/// Rome's today, against which the gateway measures its window.
pub fn otp_dates() -> (chrono::NaiveDate, chrono::NaiveDate) {
    let now = chrono::Utc::now();
    let rome = now.with_timezone(&chrono_tz::Europe::Rome).date_naive();
    (rome.min(now.date_naive()), rome)
}

pub fn envelope(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/envelopes")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}
