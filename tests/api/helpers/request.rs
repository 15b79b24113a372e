//! The one way tests send a request: a sample envelope of `tests/envelopes/` (or a body of the
//! test's own) with its placeholders filled by one filler, with one "today" — the gateway's,
//! Europe/Rome, as the services reckon it — sent as a caller ([`As`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, TimeDelta};
use tsgate::pki::{files, pincode};

use super::client::{basic, exchange_at, exchange_over, As};
use super::reply::Reply;
use super::seed::{PASSWORD, PATIENT, PINCODE};

/// The text of a sample envelope (or manifest) under `tests/envelopes/`.
pub fn envelope(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/envelopes")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Where requests go and what their placeholders are filled with.
#[derive(Clone)]
pub struct Target {
    pub address: SocketAddr,
    /// The gateway's `certs/`: its CA, the client certificates, the pincode certificate.
    pub certs: PathBuf,
    /// The gateway's today (Europe/Rome).
    pub today: NaiveDate,
    /// The OTP the last filled request carried (`{OTP_PREVIOUS}` sends it again).
    pub previous_otp: Arc<Mutex<String>>,
}

impl Target {
    /// A gateway at `address` with its certificates in `certs`, on the system clock.
    pub fn new(address: SocketAddr, certs: &Path) -> Target {
        Target {
            address,
            certs: certs.to_owned(),
            today: super::rome_day(chrono::Utc::now()),
            previous_otp: Arc::default(),
        }
    }
}

enum Body {
    /// Text whose placeholders are filled when it is sent.
    Template(String),
    /// Bytes sent as they are (they need not be UTF-8).
    Raw(Vec<u8>),
}

/// A request being built; [`Request::send`] fills it and sends it.
#[must_use = "a request does nothing until it is sent"]
pub struct Request {
    target: Target,
    path: String,
    who: As,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Body,
    pincode: String,
    values: Vec<(String, String)>,
    edits: Vec<(String, String)>,
}

impl Request {
    /// Sample `sample` (e.g. `sierologici/InvioTest.xml`), to the service of its folder.
    pub fn sample(target: Target, sample: &str) -> Request {
        let service = match sample.split('/').next() {
            Some("servizi") => "Servizi",
            Some("otp") => "InvioOTP",
            Some("sierologici") => "Sierologici",
            Some("asl") => "ASL",
            other => panic!("no service for the samples of {other:?}"),
        };
        Request::new(
            target,
            &format!("/ws/{service}"),
            Body::Template(envelope(sample)),
        )
    }

    /// `body` as it is, to `path`.
    pub fn raw(target: Target, path: &str, body: impl Into<Vec<u8>>) -> Request {
        Request::new(target, path, Body::Raw(body.into()))
    }

    fn new(target: Target, path: &str, body: Body) -> Request {
        Request {
            target,
            path: path.to_owned(),
            who: As::Anonymous,
            content_type: "text/xml; charset=utf-8".into(),
            headers: Vec::new(),
            body,
            pincode: PINCODE.into(),
            values: Vec::new(),
            edits: Vec::new(),
        }
    }

    /// Sent as `who` (by default anonymous).
    pub fn by(mut self, who: As) -> Self {
        self.who = who;
        self
    }

    /// To another path (e.g. a service that does not exist).
    pub fn to(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }

    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = content_type.to_owned();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `{PINCODE}` encrypts `plain` instead of the users' pincode.
    pub fn pincode(mut self, plain: &str) -> Self {
        self.pincode = plain.to_owned();
        self
    }

    /// `placeholder` (e.g. `{SEND_ID}`) is `value`; set values come before the filler's own.
    pub fn set(mut self, placeholder: &str, value: &str) -> Self {
        self.values.push((placeholder.to_owned(), value.to_owned()));
        self
    }

    /// Once the placeholders are filled, `from` is replaced by `to`.
    pub fn replace(mut self, from: &str, to: &str) -> Self {
        self.edits.push((from.to_owned(), to.to_owned()));
        self
    }

    /// The body as it will be sent (placeholders filled, edits made).
    pub fn body(&self) -> Vec<u8> {
        match &self.body {
            Body::Raw(bytes) => bytes.clone(),
            Body::Template(template) => {
                let mut text = template.clone();
                for (placeholder, value) in &self.values {
                    text = text.replace(placeholder, value);
                }
                text = fill(&text, &self.target, &self.pincode);
                for (from, to) in &self.edits {
                    text = text.replace(from, to);
                }
                text.into_bytes()
            }
        }
    }

    /// Sends it; an exchange that fails (no handshake, no answer) fails the test.
    pub async fn send(self) -> Reply {
        self.try_send().await.expect("HTTP exchange")
    }

    /// Sends it; `Err` when the exchange fails.
    pub async fn try_send(self) -> std::io::Result<Reply> {
        Ok(self.try_send_keeping_body().await?.1)
    }

    /// Sends it, and hands back the body exactly as sent with the reply.
    pub async fn try_send_keeping_body(self) -> std::io::Result<(Vec<u8>, Reply)> {
        let (body, request) = self.wire();
        let reply =
            exchange_at(self.target.address, &self.target.certs, self.who, &request).await?;
        Ok((body, reply))
    }

    /// Sends it as a load balancer relaying `client` would: a PROXY protocol v2 header naming
    /// `client`, then the TLS connection.
    pub async fn try_send_relaying(self, client: SocketAddr) -> std::io::Result<Reply> {
        let (_, request) = self.wire();
        let mut tcp = tokio::net::TcpStream::connect(self.target.address).await?;
        let header = tsgate::server::proxy_protocol::v2_header(client, self.target.address);
        tokio::io::AsyncWriteExt::write_all(&mut tcp, &header).await?;
        exchange_over(tcp, &self.target.certs, self.who, &request).await
    }

    /// Sends it from the local address `source` (any loopback address, e.g. 127.0.0.3), so a
    /// load balancer in between has a client address of its own to relay.
    pub async fn try_send_from(self, source: std::net::IpAddr) -> std::io::Result<Reply> {
        let (_, request) = self.wire();
        let socket = match source {
            std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.bind(SocketAddr::new(source, 0))?;
        let tcp = socket.connect(self.target.address).await?;
        exchange_over(tcp, &self.target.certs, self.who, &request).await
    }

    /// The body as sent, and the whole HTTP/1.1 request around it.
    fn wire(&self) -> (Vec<u8>, Vec<u8>) {
        let body = self.body();
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {}\r\nSOAPAction: \"\"\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.path,
            self.content_type,
            body.len()
        );
        if let As::User(user) = &self.who {
            head.push_str(&format!("Authorization: {}\r\n", basic(user.id, PASSWORD)));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(&body);
        (body, request)
    }
}

/// `plain` encrypted with the gateway's published pincode certificate, as a client does.
pub fn encrypt_pincode(certs: &Path, plain: &str) -> String {
    let cert = files::read_text(&certs.join("pincode.pem")).expect("pincode certificate");
    pincode::encrypt_for_certificate(&cert, plain).expect("encrypt")
}

/// Fills the placeholders the kits' manifests explain: `{PINCODE}` (`pincode`, encrypted),
/// `{PATIENT}`, the dates `{TODAY}`, `{YESTERDAY}`, `{TOMORROW}`, `{WINDOW_EDGE}` (180 days
/// before today) and `{TOO_OLD}` (181), and `{OTP}`, `{OTP_AS_TYPED}` (a fresh OTP as an
/// operator types it) and `{OTP_PREVIOUS}`.
fn fill(template: &str, target: &Target, pincode: &str) -> String {
    let day = |days: i64| {
        (target.today + TimeDelta::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut text = template
        .replace("{PATIENT}", PATIENT)
        .replace("{TODAY}", &day(0))
        .replace("{YESTERDAY}", &day(-1))
        .replace("{TOMORROW}", &day(1))
        .replace("{WINDOW_EDGE}", &day(-180))
        .replace("{TOO_OLD}", &day(-181));
    if text.contains("{PINCODE}") {
        text = text.replace("{PINCODE}", &encrypt_pincode(&target.certs, pincode));
    }
    if text.contains("{OTP") {
        let otp = tsgate::domain::Otp::generate().as_upstream_str().to_owned();
        let typed = format!("{}-{}-{}", &otp[..3], &otp[3..7], &otp[7..]).to_lowercase();
        let mut previous = target
            .previous_otp
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        text = text
            .replace("{OTP_PREVIOUS}", &previous)
            .replace("{OTP_AS_TYPED}", &typed)
            .replace("{OTP}", &otp);
        if template.contains("{OTP}") || template.contains("{OTP_AS_TYPED}") {
            *previous = otp;
        }
    }
    text
}
