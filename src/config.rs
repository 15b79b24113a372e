//! Configuration: one TOML file, every key overridable by a `TSGATE_<SECTION>_<KEY>` variable
//! (e.g. `TSGATE_SERVER_LISTEN`, `TSGATE_STORE_URL`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::clock::BackendTimeZone;

/// Sections of the file; only `TSGATE_*` variables naming one of these are read, so unrelated
/// variables (such as `TSGATE_TEST_PG_URL`) never break start-up.
const SECTIONS: &[&str] = &[
    "server",
    "tls",
    "pincode",
    "store",
    "throttle",
    "auth",
    "log",
    "immuni",
    "extensions",
    "pki",
    "saml",
    "commissioner",
    "miur",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub tls: TlsConfig,
    pub pincode: PincodeConfig,
    pub store: StoreConfig,
    #[serde(default)]
    pub throttle: ThrottleConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub log: LogConfig,
    /// The Immuni OTP backend. Without it the `InvioOTP` service is not offered.
    #[serde(default)]
    pub immuni: Option<ImmuniConfig>,
    /// Behaviour beyond the seeds, each off unless turned on.
    #[serde(default)]
    pub extensions: ExtensionsConfig,
    /// The gateway CA's upkeep: its CRL, where it is published, certificate expiry warnings.
    #[serde(default)]
    pub pki: PkiConfig,
    /// Signed SAML assertions from regional systems (README "SAML assertions from regions").
    #[serde(default)]
    pub saml: SamlConfig,
    /// The Commissioner's report by PEC (seed 003 §5). Without it nothing is sent.
    #[serde(default)]
    pub commissioner: Option<CommissionerConfig>,
    /// The web application under `/web/` (README "Web application").
    #[serde(default)]
    pub web: WebConfig,
    /// The Ministry's uploads of MIUR files (README "MIUR staff lists").
    #[serde(default)]
    pub miur: MiurConfig,
}

/// The Ministry's uploads of MIUR files (`POST /miur/<kind>`), streamed into the import: a file
/// of 10 million CFs is about 170 MB.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MiurConfig {
    /// An upload larger than this is refused (413), before or while it streams.
    #[serde(default = "defaults::miur_max_upload_bytes")]
    pub max_upload_bytes: u64,
    /// The whole file must arrive within this (408 beyond).
    #[serde(default = "defaults::miur_upload_timeout_ms")]
    pub upload_timeout_ms: u64,
}

impl Default for MiurConfig {
    fn default() -> Self {
        MiurConfig {
            max_upload_bytes: defaults::miur_max_upload_bytes(),
            upload_timeout_ms: defaults::miur_upload_timeout_ms(),
        }
    }
}

/// The PEC mailbox the Commissioner's report leaves from (README "The Commissioner's report"):
/// SMTP submission with STARTTLS and authentication, the recipients, the daily time.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CommissionerConfig {
    /// The PEC provider's submission server.
    pub smtp_host: String,
    #[serde(default = "defaults::smtp_port")]
    pub smtp_port: u16,
    /// The PEC mailbox's user name.
    pub smtp_username: String,
    /// Its password: here, or in `TSGATE_COMMISSIONER_SMTP_PASSWORD` (never in the repository).
    #[serde(default)]
    pub smtp_password: Option<String>,
    /// CAs trusted for the server's certificate (PEM), on top of the system's.
    #[serde(default)]
    pub smtp_ca_bundle: Option<PathBuf>,
    /// The From of both messages (the mailbox the password comes from, §5.3).
    pub sender: String,
    pub recipients: Vec<String>,
    /// Europe/Rome time of day of the daily send, `HH:MM`.
    #[serde(default = "defaults::commissioner_send_at")]
    pub send_at: String,
    /// Attempts per message before the send is given up (and retried the next time).
    #[serde(default = "defaults::smtp_attempts")]
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each next one.
    #[serde(default = "defaults::smtp_retry_initial_ms")]
    pub retry_initial_ms: u64,
    /// Bound on one SMTP exchange.
    #[serde(default = "defaults::smtp_timeout_ms")]
    pub timeout_ms: u64,
}

impl std::fmt::Debug for CommissionerConfig {
    /// Everything but the SMTP password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommissionerConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_username", &self.smtp_username)
            .field(
                "smtp_password",
                &self.smtp_password.as_ref().map(|_| "<redacted>"),
            )
            .field("smtp_ca_bundle", &self.smtp_ca_bundle)
            .field("sender", &self.sender)
            .field("recipients", &self.recipients)
            .field("send_at", &self.send_at)
            .field("attempts", &self.attempts)
            .field("retry_initial_ms", &self.retry_initial_ms)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl CommissionerConfig {
    /// `send_at` as a time of day.
    pub fn send_time(&self) -> Result<chrono::NaiveTime, ConfigError> {
        chrono::NaiveTime::parse_from_str(&self.send_at, "%H:%M").map_err(|_| {
            ConfigError(format!(
                "commissioner.send_at must be a time of day HH:MM (Europe/Rome), not {:?}",
                self.send_at
            ))
        })
    }
}

/// Which regions may (or must) name their end user in a signed SAML assertion.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SamlConfig {
    /// The `Audience` an assertion must name; default `server.public_url`.
    #[serde(default)]
    pub audience: Option<String>,
    /// How far the region's clock may be from the gateway's when `NotBefore` and
    /// `NotOnOrAfter` are judged.
    #[serde(default = "defaults::saml_clock_skew_seconds")]
    pub clock_skew_seconds: u64,
    /// By region code (`[saml.regions."120"]`); a region not listed uses the declared form.
    #[serde(default)]
    pub regions: BTreeMap<String, SamlRegionConfig>,
}

impl Default for SamlConfig {
    fn default() -> Self {
        SamlConfig {
            audience: None,
            clock_skew_seconds: defaults::saml_clock_skew_seconds(),
            regions: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SamlRegionConfig {
    /// PEM certificate whose key (RSA or ECDSA P-256) signs the region's assertions.
    pub certificate: PathBuf,
    /// The region's entity id: the assertions' `Issuer`.
    pub entity_id: String,
    #[serde(default)]
    pub mode: SamlMode,
}

/// How a region names its end user.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SamlMode {
    /// `cfOperatore` + `tipoAutenticazione` only (an assertion is refused).
    #[default]
    Declared,
    /// A signed assertion is required.
    Assertion,
    /// Either form; an assertion sent is verified and used.
    Either,
}

/// The web application's sessions and pages (README "Web application").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// A session unused for this long is over: the operator logs in again.
    #[serde(default = "defaults::web_idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// A session is over this long after its login, however busy.
    #[serde(default = "defaults::web_absolute_timeout_secs")]
    pub absolute_timeout_secs: u64,
    /// The helpdesk number the login page names ("rivolgersi al numero verde …"); none: the
    /// sentence names no number.
    #[serde(default)]
    pub helpdesk_phone: Option<String>,
    /// After this many failed web logins from one address, or as one user id, within 15
    /// minutes, the login asks for the captcha too; 0: always.
    #[serde(default = "defaults::web_login_captcha_after_failures")]
    pub login_captcha_after_failures: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            idle_timeout_secs: defaults::web_idle_timeout_secs(),
            absolute_timeout_secs: defaults::web_absolute_timeout_secs(),
            helpdesk_phone: None,
            login_captcha_after_failures: defaults::web_login_captcha_after_failures(),
        }
    }
}

/// The gateway CA's upkeep while the gateway serves (README "Certificates").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PkiConfig {
    /// The gateway CA's private key (its certificate is `tls.client_ca`). With it the gateway
    /// re-signs the CRL before it runs out; without it, run `tsgate certs crl` in time.
    #[serde(default)]
    pub ca_key: Option<PathBuf>,
    /// The CRL the gateway CA signs; default: the first of `tls.crls`.
    #[serde(default)]
    pub crl: Option<PathBuf>,
    /// How long a CRL signed by the gateway (or `tsgate certs`) is valid.
    #[serde(default = "defaults::crl_valid_secs")]
    pub crl_valid_secs: u64,
    /// The CRL is signed again once less than this fraction of its validity remains.
    #[serde(default = "defaults::crl_resign_remaining")]
    pub crl_resign_remaining: f64,
    /// How often the CRL's remaining validity and the register's expiries are looked at.
    #[serde(default = "defaults::pki_check_interval_ms")]
    pub check_interval_ms: u64,
    /// The CRL's public address, named in the certificates issued from now on; default:
    /// `server.public_url` + `pki/gateway-ca.crl` (where the public listener serves it).
    #[serde(default)]
    pub crl_url: Option<String>,
    /// A certificate of the register this close to its expiry is warned about in the log.
    #[serde(default = "defaults::expiry_warning_days")]
    pub expiry_warning_days: u32,
}

impl Default for PkiConfig {
    fn default() -> Self {
        PkiConfig {
            ca_key: None,
            crl: None,
            crl_valid_secs: defaults::crl_valid_secs(),
            crl_resign_remaining: defaults::crl_resign_remaining(),
            check_interval_ms: defaults::pki_check_interval_ms(),
            crl_url: None,
            expiry_warning_days: defaults::expiry_warning_days(),
        }
    }
}

/// Where the public listener serves the gateway CA's CRL (DER).
pub const CRL_PATH: &str = "/pki/gateway-ca.crl";

impl Config {
    /// The gateway CA's CRL file: `pki.crl`, or the first of `tls.crls`.
    pub fn gateway_crl(&self) -> Option<&Path> {
        self.pki
            .crl
            .as_deref()
            .or(self.tls.crls.first().map(PathBuf::as_path))
    }

    /// The address certificates name as their CRL distribution point.
    pub fn crl_url(&self) -> String {
        match &self.pki.crl_url {
            Some(url) => url.clone(),
            None => format!(
                "{}{}",
                self.server.public_url.trim_end_matches('/'),
                CRL_PATH
            ),
        }
    }
}

/// Extensions beyond the seeds: off by default, so a gateway does what the seeds say.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExtensionsConfig {
    /// Regional systems may call Sierologici and ASL (seed 003 names only doctors and ASL
    /// operators: docs/services/sierologici.md, docs/services/asl.md), declaring
    /// `tipoAutenticazione`, for MMGs and ASLs of their own region.
    #[serde(default)]
    pub region_callers_on_sierologici_asl: bool,
    /// `tsgate conformance report`: a caller's calls classified against the conformance kit.
    /// For a sandbox (the demo turns it on), not a production gateway.
    #[serde(default)]
    pub conformance_report: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Base URL callers use (written into the WSDLs' `soap:address`).
    pub public_url: String,
    /// Plain-HTTP listener for `/metrics` (and `/health`), apart from the public port.
    #[serde(default = "defaults::admin_listen")]
    pub admin_listen: SocketAddr,
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// Connections without a client certificate whose caller no request has identified yet.
    #[serde(default = "defaults::max_unauthenticated_connections")]
    pub max_unauthenticated_connections: usize,
    /// The same, from one client address (an IPv4 address or an IPv6 /64).
    #[serde(default = "defaults::max_unauthenticated_per_address")]
    pub max_unauthenticated_per_address: usize,
    #[serde(default = "defaults::handshake_timeout_ms")]
    pub handshake_timeout_ms: u64,
    #[serde(default = "defaults::header_timeout_ms")]
    pub header_timeout_ms: u64,
    #[serde(default = "defaults::body_timeout_ms")]
    pub body_timeout_ms: u64,
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// A connection that sends no request this long after its handshake is closed.
    #[serde(default = "defaults::first_request_timeout_ms")]
    pub first_request_timeout_ms: u64,
    /// A connection with no request in flight for this long after a response is closed.
    #[serde(default = "defaults::idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// How long graceful shutdown waits for in-flight requests.
    #[serde(default = "defaults::shutdown_grace_ms")]
    pub shutdown_grace_ms: u64,
    #[serde(default = "defaults::max_xml_depth")]
    pub max_xml_depth: usize,
    /// Attributes on one XML element (namespace declarations not counted).
    #[serde(default = "defaults::max_xml_attributes")]
    pub max_xml_attributes: usize,
    /// Namespace declarations on one XML element.
    #[serde(default = "defaults::max_xml_namespace_declarations")]
    pub max_xml_namespace_declarations: usize,
    /// Bytes of an XML element or attribute name, prefix included.
    #[serde(default = "defaults::max_xml_name_bytes")]
    pub max_xml_name_bytes: usize,
    /// The load balancers that put a PROXY protocol header (v1 or v2) before the TLS handshake:
    /// connections from these addresses must start with one, and the client address it names is
    /// the one recorded and limited. Empty (the default): the PROXY protocol is off.
    #[serde(default)]
    pub proxy_protocol_from: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub certificate: PathBuf,
    pub key: PathBuf,
    /// The gateway CA: it issues region certificates and anchors client verification.
    pub client_ca: PathBuf,
    /// CRLs checked for every client certificate (PEM files).
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// Extra trust anchors for operators' national health cards (TS-CNS / CNS issuers).
    #[serde(default)]
    pub card_trust_anchors: Vec<PathBuf>,
    /// Gateway CAs being rotated out: the certificates they issued are still accepted (and read
    /// as regions) until they are removed from here (README "Rotating the gateway CA").
    #[serde(default)]
    pub previous_client_cas: Vec<PathBuf>,
    /// How often the files above are checked for changes (a new CRL applies without restart).
    #[serde(default = "defaults::tls_reload_interval_ms")]
    pub reload_interval_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PincodeConfig {
    /// The published encryption certificate (the gateway's "SanitelCF.cer").
    pub certificate: PathBuf,
    /// Its RSA private key (PKCS#8 PEM).
    pub key: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    /// Largest number of access-log entries committed in one transaction.
    #[serde(default = "defaults::access_log_batch")]
    pub access_log_batch: usize,
    /// How long (µs) the access-log writer may hold a small batch open for more entries while
    /// entries are arriving, so that at a moderate rate a commit is shared (0: never; at most
    /// [`MAX_ACCESS_LOG_BATCH_DELAY_US`]). See `store::BatchDelay`.
    #[serde(default = "defaults::access_log_batch_delay_us")]
    pub access_log_batch_delay_us: u64,
    /// Access-log entries older than this many months are purged (0: never, automatically).
    #[serde(default = "defaults::access_log_retention_months")]
    pub access_log_retention_months: u32,
    /// How often the gateway checks for administrative changes (users, profiles, region
    /// permissions) made by other processes: they are in force within this many ms.
    #[serde(default = "defaults::directory_refresh_ms")]
    pub directory_refresh_ms: u64,
    /// Serology tests older than this many months (by when they were sent) are purged; 1–12.
    #[serde(default = "defaults::data_retention_months")]
    pub serology_retention_months: u32,
    /// ASL daily counts older than this many months (by when they were sent); 1–12.
    #[serde(default = "defaults::data_retention_months")]
    pub asl_counts_retention_months: u32,
    /// Staff-list positions not updated for this many months; 1–12.
    #[serde(default = "defaults::data_retention_months")]
    pub staff_list_retention_months: u32,
    /// Statistics and the record of the Commissioner's reports; 1–12.
    #[serde(default = "defaults::data_retention_months")]
    pub statistics_retention_months: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    #[serde(default)]
    pub default: Quota,
    /// Overrides by client key: `region:120`, `operator:<CF>`.
    #[serde(default)]
    pub clients: BTreeMap<String, Quota>,
    /// Upper bound on remembered clients; idle ones are forgotten first.
    #[serde(default = "defaults::max_tracked_clients")]
    pub max_tracked_clients: usize,
    /// The Redis shared by every instance (`redis://host:6379/0`): the quotas then hold for the
    /// cluster, this instance's own limits staying a first filter. Off without it.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// The longest a request waits for Redis; beyond it, this instance's limits alone decide.
    #[serde(default = "defaults::redis_timeout_ms")]
    pub redis_timeout_ms: u64,
    /// After Redis failed or was slow, how long the instance decides alone before asking again.
    #[serde(default = "defaults::redis_retry_ms")]
    pub redis_retry_ms: u64,
    /// Prefix of the keys in Redis (instances sharing a quota share the prefix).
    #[serde(default = "defaults::redis_key_prefix")]
    pub redis_key_prefix: String,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            default: Quota::default(),
            clients: BTreeMap::new(),
            max_tracked_clients: defaults::max_tracked_clients(),
            redis_url: None,
            redis_timeout_ms: defaults::redis_timeout_ms(),
            redis_retry_ms: defaults::redis_retry_ms(),
            redis_key_prefix: defaults::redis_key_prefix(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            per_second: 50,
            burst: 100,
        }
    }
}

/// Failed credentials (a wrong password or pincode, on any channel): when an account locks, and
/// how many failures one client address may make before it is refused without any check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Consecutive failures that lock an account (an operator's, or an administrator's on the
    /// command line); a success resets the count.
    #[serde(default = "defaults::max_failures")]
    pub max_failures: u32,
    /// How long a locked account stays locked unless an administrator unlocks it first
    /// (`tsgate users unlock`, `tsgate admins unlock`). Fractions are allowed (`0.5` is 30 seconds).
    #[serde(default = "defaults::lockout_minutes")]
    pub lockout_minutes: f64,
    /// Failed attempts one client address may make in a row before it is refused at once, with
    /// no password check at all (an IPv6 address counts by its /64)...
    #[serde(default = "defaults::address_failure_burst")]
    pub address_failure_burst: u32,
    /// ...and how many more it regains per minute.
    #[serde(default = "defaults::address_failures_per_minute")]
    pub address_failures_per_minute: u32,
    /// Upper bound on remembered addresses; those back to a full budget are forgotten first.
    #[serde(default = "defaults::max_tracked_addresses")]
    pub max_tracked_addresses: usize,
    /// A new password has at least this many characters...
    #[serde(default = "defaults::password_min_length")]
    pub password_min_length: usize,
    /// ...of at least this many of the four classes: lower-case letters, upper-case letters,
    /// digits, other characters.
    #[serde(default = "defaults::password_min_classes")]
    pub password_min_classes: usize,
    /// A password older than this must be changed before the gateway accepts it again, as an
    /// initial one must; `0` never expires. Fractions are allowed.
    #[serde(default = "defaults::password_max_age_days")]
    pub password_max_age_days: f64,
    /// A new password may be none of the user's last this many (the current one included).
    #[serde(default = "defaults::password_history")]
    pub password_history: u32,
    /// The key that encrypts at rest what must be shown again later (an operator's pincode
    /// second half, TOTP secrets): a file of 64 hexadecimal digits that `tsgate certs init`
    /// writes (`certs/secrets.key`). Without it, what needs it is refused with a clear error.
    #[serde(default)]
    pub secrets_key: Option<PathBuf>,
    /// Operators' second factor, a TOTP code (RFC 6238) from an authenticator app: `off`,
    /// `optional` (an operator may enroll) or `required` (an operator without one enrolls at
    /// first login, and is refused until then). Anything but `off` needs `secrets_key`.
    #[serde(default)]
    pub totp: TotpMode,
    /// Whether an enrolled operator's SOAP calls and CSV downloads (practice software, with
    /// password and pincode) also carry the current code, in the `X-TSGate-TOTP` header. Off by
    /// default: there the pincode is the second factor, as seed 004 makes it.
    #[serde(default)]
    pub totp_on_soap: bool,
}

/// `auth.totp`: whether operators have a TOTP second factor.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TotpMode {
    /// No codes are asked or enrolled (an enrollment made earlier is kept, unused).
    #[default]
    Off,
    /// An operator may enroll (`tsgate users totp enroll`); once enrolled, codes are asked.
    Optional,
    /// Every operator must: one without it enrolls at first login and is refused until then.
    Required,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            max_failures: defaults::max_failures(),
            lockout_minutes: defaults::lockout_minutes(),
            address_failure_burst: defaults::address_failure_burst(),
            address_failures_per_minute: defaults::address_failures_per_minute(),
            max_tracked_addresses: defaults::max_tracked_addresses(),
            password_min_length: defaults::password_min_length(),
            password_min_classes: defaults::password_min_classes(),
            password_max_age_days: defaults::password_max_age_days(),
            password_history: defaults::password_history(),
            secrets_key: None,
            totp: TotpMode::Off,
            totp_on_soap: false,
        }
    }
}

/// The upstream of `InvioOTP` (docs/immuni-upstream.md). `base_url` alone is enough for a
/// plain-HTTP test backend; an https backend needs the client certificate, its key and the CA
/// bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImmuniConfig {
    /// e.g. `https://otp.immuni.example`; uploads go to `{base_url}/v1/otp`.
    pub base_url: String,
    /// The gateway's client certificate for mutual TLS with the backend (PEM).
    #[serde(default)]
    pub certificate: Option<PathBuf>,
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// The CAs trusted for the backend's server certificate (PEM bundle).
    #[serde(default)]
    pub ca_bundle: Option<PathBuf>,
    /// Bound on one upload: connecting, sending and reading the status.
    #[serde(default = "defaults::immuni_timeout_ms")]
    pub timeout_ms: u64,
    /// How long an upload waits for a free slot when `max_in_flight` are under way.
    #[serde(default = "defaults::immuni_queue_timeout_ms")]
    pub queue_timeout_ms: u64,
    #[serde(default = "defaults::immuni_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Uploads in flight at once (and pooled keep-alive connections kept).
    #[serde(default = "defaults::immuni_max_in_flight")]
    pub max_in_flight: usize,
    /// How far back a symptom-onset date may be, in days (the backend's window).
    #[serde(default = "defaults::symptom_window_days")]
    pub symptom_window_days: u32,
    /// The time zone whose "today" the backend judges dates by (IANA name; default `UTC`, as
    /// its published image runs).
    #[serde(default)]
    pub backend_time_zone: BackendTimeZone,
}

impl Default for ImmuniConfig {
    fn default() -> Self {
        ImmuniConfig {
            base_url: String::new(),
            certificate: None,
            key: None,
            ca_bundle: None,
            timeout_ms: defaults::immuni_timeout_ms(),
            queue_timeout_ms: defaults::immuni_queue_timeout_ms(),
            connect_timeout_ms: defaults::immuni_connect_timeout_ms(),
            max_in_flight: defaults::immuni_max_in_flight(),
            symptom_window_days: defaults::symptom_window_days(),
            backend_time_zone: BackendTimeZone::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `json` (production) or `pretty`.
    #[serde(default = "defaults::log_format")]
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `tsgate=debug,info`.
    #[serde(default = "defaults::log_level")]
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: defaults::log_format(),
            level: defaults::log_level(),
        }
    }
}

/// The longest `store.access_log_batch_delay_us` accepted: every reply may wait this long.
pub const MAX_ACCESS_LOG_BATCH_DELAY_US: u64 = 100_000;

/// The envelope reader's shape limits when `[server]` sets none (see `soap::xml_limits`).
pub const MAX_XML_DEPTH: usize = 32;
pub const MAX_XML_ATTRIBUTES: usize = 32;
pub const MAX_XML_NAMESPACE_DECLARATIONS: usize = 32;
pub const MAX_XML_NAME_BYTES: usize = 256;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

mod defaults {
    use super::LogFormat;
    pub fn miur_max_upload_bytes() -> u64 {
        2 * 1024 * 1024 * 1024
    }
    pub fn miur_upload_timeout_ms() -> u64 {
        60 * 60 * 1000
    }
    pub fn web_idle_timeout_secs() -> u64 {
        15 * 60
    }
    pub fn web_absolute_timeout_secs() -> u64 {
        8 * 60 * 60
    }
    pub fn admin_listen() -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], 9090))
    }
    pub fn max_connections() -> usize {
        10_000
    }
    pub fn max_unauthenticated_connections() -> usize {
        1_000
    }
    pub fn max_unauthenticated_per_address() -> usize {
        64
    }
    pub fn handshake_timeout_ms() -> u64 {
        10_000
    }
    pub fn header_timeout_ms() -> u64 {
        10_000
    }
    pub fn body_timeout_ms() -> u64 {
        30_000
    }
    pub fn max_body_bytes() -> usize {
        1024 * 1024
    }
    pub fn first_request_timeout_ms() -> u64 {
        10_000
    }
    pub fn idle_timeout_ms() -> u64 {
        60_000
    }
    pub fn shutdown_grace_ms() -> u64 {
        30_000
    }
    pub fn crl_valid_secs() -> u64 {
        30 * 24 * 3600
    }
    pub fn crl_resign_remaining() -> f64 {
        0.5
    }
    pub fn pki_check_interval_ms() -> u64 {
        60_000
    }
    pub fn expiry_warning_days() -> u32 {
        30
    }
    pub fn tls_reload_interval_ms() -> u64 {
        5_000
    }
    pub fn max_xml_depth() -> usize {
        super::MAX_XML_DEPTH
    }
    pub fn max_xml_attributes() -> usize {
        super::MAX_XML_ATTRIBUTES
    }
    pub fn max_xml_namespace_declarations() -> usize {
        super::MAX_XML_NAMESPACE_DECLARATIONS
    }
    pub fn max_xml_name_bytes() -> usize {
        super::MAX_XML_NAME_BYTES
    }
    pub fn access_log_batch() -> usize {
        512
    }
    pub fn access_log_batch_delay_us() -> u64 {
        2000
    }
    pub fn access_log_retention_months() -> u32 {
        12
    }
    pub fn data_retention_months() -> u32 {
        12
    }
    pub fn smtp_port() -> u16 {
        587
    }
    pub fn commissioner_send_at() -> String {
        "07:00".to_owned()
    }
    pub fn smtp_attempts() -> u32 {
        5
    }
    pub fn smtp_retry_initial_ms() -> u64 {
        30_000
    }
    pub fn smtp_timeout_ms() -> u64 {
        60_000
    }
    pub fn directory_refresh_ms() -> u64 {
        1_000
    }
    pub fn max_tracked_clients() -> usize {
        100_000
    }
    pub fn redis_timeout_ms() -> u64 {
        50
    }
    pub fn redis_retry_ms() -> u64 {
        1_000
    }
    pub fn redis_key_prefix() -> String {
        "tsgate:throttle:".into()
    }
    pub fn max_failures() -> u32 {
        5
    }
    pub fn web_login_captcha_after_failures() -> u32 {
        3
    }
    pub fn lockout_minutes() -> f64 {
        15.0
    }
    pub fn address_failure_burst() -> u32 {
        20
    }
    pub fn address_failures_per_minute() -> u32 {
        10
    }
    pub fn max_tracked_addresses() -> usize {
        100_000
    }
    pub fn password_min_length() -> usize {
        12
    }
    pub fn password_min_classes() -> usize {
        3
    }
    pub fn password_max_age_days() -> f64 {
        90.0
    }
    pub fn password_history() -> u32 {
        5
    }
    pub fn immuni_timeout_ms() -> u64 {
        10_000
    }
    pub fn immuni_queue_timeout_ms() -> u64 {
        2_000
    }
    pub fn immuni_connect_timeout_ms() -> u64 {
        3_000
    }
    pub fn immuni_max_in_flight() -> usize {
        256
    }
    pub fn symptom_window_days() -> u32 {
        180
    }
    pub fn saml_clock_skew_seconds() -> u64 {
        60
    }
    pub fn log_format() -> LogFormat {
        LogFormat::Json
    }
    pub fn log_level() -> String {
        "info".to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// The settings of a gateway whose files all live under `dir` (`certs/` as `tsgate certs
    /// init` fills it, `tsgate.db`), listening on `listen`, `/metrics` on a free loopback port,
    /// human-readable logs, everything else at its default. The demo starts from it, and so do
    /// the tests' gateways.
    pub fn in_directory(dir: &Path, listen: SocketAddr) -> Config {
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
                admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                max_connections: defaults::max_connections(),
                max_unauthenticated_connections: defaults::max_unauthenticated_connections(),
                max_unauthenticated_per_address: defaults::max_unauthenticated_per_address(),
                handshake_timeout_ms: defaults::handshake_timeout_ms(),
                header_timeout_ms: defaults::header_timeout_ms(),
                body_timeout_ms: defaults::body_timeout_ms(),
                max_body_bytes: defaults::max_body_bytes(),
                first_request_timeout_ms: defaults::first_request_timeout_ms(),
                idle_timeout_ms: defaults::idle_timeout_ms(),
                shutdown_grace_ms: defaults::shutdown_grace_ms(),
                max_xml_depth: defaults::max_xml_depth(),
                max_xml_attributes: defaults::max_xml_attributes(),
                max_xml_namespace_declarations: defaults::max_xml_namespace_declarations(),
                max_xml_name_bytes: defaults::max_xml_name_bytes(),
                proxy_protocol_from: Vec::new(),
            },
            tls: TlsConfig {
                certificate: certs.join("server.pem"),
                key: certs.join("server-key.pem"),
                client_ca: certs.join("ca.pem"),
                crls: vec![certs.join("crl.pem")],
                card_trust_anchors: vec![certs.join("card-ca.pem")],
                previous_client_cas: Vec::new(),
                reload_interval_ms: defaults::tls_reload_interval_ms(),
            },
            pincode: PincodeConfig {
                certificate: certs.join("pincode.pem"),
                key: certs.join("pincode-key.pem"),
            },
            store: StoreConfig {
                url: format!("sqlite://{}", dir.join("tsgate.db").display()),
                access_log_batch: defaults::access_log_batch(),
                access_log_batch_delay_us: defaults::access_log_batch_delay_us(),
                access_log_retention_months: defaults::access_log_retention_months(),
                directory_refresh_ms: defaults::directory_refresh_ms(),
                serology_retention_months: defaults::data_retention_months(),
                asl_counts_retention_months: defaults::data_retention_months(),
                staff_list_retention_months: defaults::data_retention_months(),
                statistics_retention_months: defaults::data_retention_months(),
            },
            throttle: ThrottleConfig::default(),
            auth: AuthConfig {
                secrets_key: Some(certs.join("secrets.key")),
                ..AuthConfig::default()
            },
            immuni: None,
            // What the seeds say: regions call neither Sierologici nor ASL.
            extensions: ExtensionsConfig::default(),
            web: WebConfig::default(),
            miur: MiurConfig::default(),
            // The CA's key is at hand: the gateway keeps the CRL signed.
            pki: PkiConfig {
                ca_key: Some(certs.join("ca-key.pem")),
                ..PkiConfig::default()
            },
            saml: SamlConfig::default(),
            log: LogConfig {
                format: LogFormat::Pretty,
                level: defaults::log_level(),
            },
            commissioner: None,
        }
    }

    /// Reads `file`, then applies `TSGATE_*` variables on top.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        if !file.exists() {
            return Err(ConfigError(format!("file {} not found", file.display())));
        }
        let base = file.parent().unwrap_or(Path::new("."));
        Ok(Self::extract(Figment::new().merge(Toml::file(file)))?.resolve_paths(base))
    }

    /// Starts from `base` (e.g. the demo's generated settings), then applies `TSGATE_*` variables.
    pub fn with_env_overrides(base: &Config) -> Result<Config, ConfigError> {
        Self::extract(Figment::from(Serialized::defaults(base)))
    }

    fn extract(figment: Figment) -> Result<Config, ConfigError> {
        let env = Env::prefixed("TSGATE_")
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                SECTIONS.iter().any(|section| {
                    key.strip_prefix(section)
                        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('_'))
                })
            })
            .map(|key| {
                key.as_str()
                    .to_ascii_lowercase()
                    .replacen('_', ".", 1)
                    .into()
            });
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Rules serde cannot express.
    fn check(&self) -> Result<(), ConfigError> {
        let quotas = std::iter::once(("default", &self.throttle.default))
            .chain(self.throttle.clients.iter().map(|(k, q)| (k.as_str(), q)));
        for (name, quota) in quotas {
            if quota.per_second == 0 || quota.burst == 0 {
                return Err(ConfigError(format!(
                    "throttle quota '{name}': per_second and burst must be at least 1"
                )));
            }
        }
        if self.throttle.redis_url.is_some()
            && (self.throttle.redis_timeout_ms == 0 || self.throttle.redis_retry_ms == 0)
        {
            return Err(ConfigError(
                "throttle.redis_timeout_ms and throttle.redis_retry_ms must be at least 1".into(),
            ));
        }
        if let Some(immuni) = &self.immuni {
            if immuni.max_in_flight == 0 || immuni.timeout_ms == 0 {
                return Err(ConfigError(
                    "immuni.max_in_flight and immuni.timeout_ms must be at least 1".into(),
                ));
            }
        }
        if self.miur.max_upload_bytes == 0 || self.miur.upload_timeout_ms == 0 {
            return Err(ConfigError(
                "miur.max_upload_bytes and miur.upload_timeout_ms must be at least 1".into(),
            ));
        }
        if self.server.max_connections == 0 || self.server.max_body_bytes == 0 {
            return Err(ConfigError(
                "server.max_connections and server.max_body_bytes must be at least 1".into(),
            ));
        }
        if self.server.max_unauthenticated_connections == 0
            || self.server.max_unauthenticated_per_address == 0
        {
            return Err(ConfigError(
                "server.max_unauthenticated_connections and server.max_unauthenticated_per_address must be at least 1".into(),
            ));
        }
        let auth = &self.auth;
        if auth.max_failures == 0
            || auth.address_failure_burst == 0
            || auth.address_failures_per_minute == 0
            || auth.max_tracked_addresses == 0
        {
            return Err(ConfigError(
                "auth.max_failures, auth.address_failure_burst, auth.address_failures_per_minute and auth.max_tracked_addresses must be at least 1".into(),
            ));
        }
        if !(auth.lockout_minutes.is_finite() && auth.lockout_minutes > 0.0) {
            return Err(ConfigError(format!(
                "auth.lockout_minutes must be a positive number of minutes, not {}",
                auth.lockout_minutes
            )));
        }
        if auth.password_min_length == 0 || !(1..=4).contains(&auth.password_min_classes) {
            return Err(ConfigError(format!(
                "auth.password_min_length must be at least 1 and auth.password_min_classes between 1 and 4, not {} and {}",
                auth.password_min_length, auth.password_min_classes
            )));
        }
        if !(auth.password_max_age_days.is_finite() && auth.password_max_age_days >= 0.0) {
            return Err(ConfigError(format!(
                "auth.password_max_age_days must be a number of days (0: never expires), not {}",
                auth.password_max_age_days
            )));
        }
        if auth.password_history == 0 {
            return Err(ConfigError(
                "auth.password_history must be at least 1 (the current password)".into(),
            ));
        }
        if auth.totp != TotpMode::Off && auth.secrets_key.is_none() {
            return Err(ConfigError(
                "auth.totp needs auth.secrets_key (the key that seals TOTP secrets at rest; \
                 `tsgate certs init` writes certs/secrets.key)"
                    .into(),
            ));
        }
        for (code, region) in &self.saml.regions {
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError(format!(
                    "saml.regions: '{code}' is not a 3-digit region code"
                )));
            }
            if region.entity_id.trim().is_empty() {
                return Err(ConfigError(format!(
                    "saml.regions.\"{code}\".entity_id must not be empty"
                )));
            }
        }
        let store = &self.store;
        if store.access_log_batch_delay_us > MAX_ACCESS_LOG_BATCH_DELAY_US {
            return Err(ConfigError(format!(
                "store.access_log_batch_delay_us must be at most {MAX_ACCESS_LOG_BATCH_DELAY_US} \
                 (it delays replies), not {}",
                store.access_log_batch_delay_us
            )));
        }
        for (key, months) in [
            ("serology_retention_months", store.serology_retention_months),
            (
                "asl_counts_retention_months",
                store.asl_counts_retention_months,
            ),
            (
                "staff_list_retention_months",
                store.staff_list_retention_months,
            ),
            (
                "statistics_retention_months",
                store.statistics_retention_months,
            ),
        ] {
            if !(1..=12).contains(&months) {
                return Err(ConfigError(format!(
                    "store.{key} must be between 1 and 12 months (seed 003: never beyond 12), not {months}"
                )));
            }
        }
        if let Some(commissioner) = &self.commissioner {
            commissioner.send_time()?;
            if commissioner.recipients.is_empty() || commissioner.attempts == 0 {
                return Err(ConfigError(
                    "commissioner.recipients must name at least one address and commissioner.attempts be at least 1".into(),
                ));
            }
        }
        if self.pki.crl_valid_secs == 0 {
            return Err(ConfigError("pki.crl_valid_secs must be at least 1".into()));
        }
        if !(self.pki.crl_resign_remaining > 0.0 && self.pki.crl_resign_remaining < 1.0) {
            return Err(ConfigError(format!(
                "pki.crl_resign_remaining must be a fraction between 0 and 1 (exclusive), not {}",
                self.pki.crl_resign_remaining
            )));
        }
        Ok(())
    }

    /// Makes relative paths relative to `base` (the config file's folder or the demo folder).
    pub fn resolve_paths(mut self, base: &Path) -> Config {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.tls.certificate);
        fix(&mut self.tls.key);
        fix(&mut self.tls.client_ca);
        self.tls.crls.iter_mut().for_each(fix);
        self.tls.card_trust_anchors.iter_mut().for_each(fix);
        self.tls.previous_client_cas.iter_mut().for_each(fix);
        [
            &mut self.pki.ca_key,
            &mut self.pki.crl,
            &mut self.auth.secrets_key,
        ]
        .into_iter()
        .flatten()
        .for_each(fix);
        fix(&mut self.pincode.certificate);
        fix(&mut self.pincode.key);
        self.saml
            .regions
            .values_mut()
            .for_each(|region| fix(&mut region.certificate));
        if let Some(immuni) = &mut self.immuni {
            [
                &mut immuni.certificate,
                &mut immuni.key,
                &mut immuni.ca_bundle,
            ]
            .into_iter()
            .flatten()
            .for_each(fix);
        }
        if let Some(commissioner) = &mut self.commissioner {
            if let Some(bundle) = &mut commissioner.smtp_ca_bundle {
                fix(bundle);
            }
        }
        if let Some(path) = self.store.url.strip_prefix("sqlite://") {
            if Path::new(path).is_relative() && !path.starts_with(':') {
                self.store.url = format!("sqlite://{}", base.join(path).display());
            }
        }
        self
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;

    const FILE: &str = r#"
        [server]
        listen = "127.0.0.1:8443"
        public_url = "https://gw.example.org:8443/"
        [tls]
        certificate = "certs/server.pem"
        key = "certs/server-key.pem"
        client_ca = "certs/ca.pem"
        crls = ["certs/crl.pem"]
        [pincode]
        certificate = "certs/pincode.pem"
        key = "certs/pincode-key.pem"
        [store]
        url = "sqlite://tsgate.db"
        [auth]
        secrets_key = "certs/secrets.key"
    "#;

    /// Runs `check` where no `TSGATE_*` variable of another test can reach it: figment's jail
    /// serialises every test that touches the environment and restores it afterwards (tests run
    /// on parallel threads of one process, and the jailed ones set variables).
    fn in_clean_environment(check: impl FnOnce()) {
        figment::Jail::expect_with(|_jail| {
            check();
            Ok(())
        });
    }

    /// The README's production example is a file people copy: it must load as it stands.
    #[test]
    fn the_readme_production_example_loads() {
        in_clean_environment(|| {
            let readme = include_str!("../README.md");
            let section = readme
                .split("## Running in production")
                .nth(1)
                .expect("the README has a production section");
            let example = section
                .split("```toml\n")
                .nth(1)
                .and_then(|rest| rest.split("```").next())
                .expect("the production section has a toml example");
            let dir = tempfile::tempdir().expect("temp dir");
            let file = dir.path().join("tsgate.toml");
            std::fs::write(&file, example).expect("write");
            let config = Config::load(&file).expect("the README's example loads");
            assert_eq!(config.store.access_log_retention_months, 12);
            assert_eq!(
                config.store.access_log_batch_delay_us,
                defaults::access_log_batch_delay_us(),
                "the example shows the default"
            );
            assert!(config.immuni.is_some());
            assert!(config.server.admin_listen.ip().is_loopback());
        });
    }

    #[test]
    fn crl_settings_out_of_range_are_refused_by_name() {
        in_clean_environment(|| {
            let mut config = Config::in_directory(Path::new("d"), "127.0.0.1:1".parse().unwrap());
            config.pki.crl_resign_remaining = 1.5;
            let error = Config::with_env_overrides(&config).unwrap_err();
            assert!(
                error.to_string().contains("pki.crl_resign_remaining"),
                "{error}"
            );
            config.pki.crl_resign_remaining = 0.5;
            config.pki.crl_valid_secs = 0;
            let error = Config::with_env_overrides(&config).unwrap_err();
            assert!(error.to_string().contains("pki.crl_valid_secs"), "{error}");
        });
    }

    #[test]
    fn the_access_log_batch_delay_is_bounded_and_can_be_turned_off() {
        in_clean_environment(|| {
            let mut config = Config::in_directory(Path::new("d"), "127.0.0.1:1".parse().unwrap());
            assert_eq!(
                config.store.access_log_batch_delay_us,
                defaults::access_log_batch_delay_us()
            );
            config.store.access_log_batch_delay_us = 0;
            assert!(
                Config::with_env_overrides(&config).is_ok(),
                "0: never waits"
            );
            config.store.access_log_batch_delay_us = MAX_ACCESS_LOG_BATCH_DELAY_US;
            assert!(Config::with_env_overrides(&config).is_ok());
            config.store.access_log_batch_delay_us = MAX_ACCESS_LOG_BATCH_DELAY_US + 1;
            let error = Config::with_env_overrides(&config).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("store.access_log_batch_delay_us"),
                "{error}"
            );
        });
    }

    #[test]
    fn cluster_limits_are_off_by_default_and_need_a_timeout() {
        in_clean_environment(|| {
            let mut config = Config::in_directory(Path::new("d"), "127.0.0.1:1".parse().unwrap());
            assert_eq!(config.throttle.redis_url, None, "no Redis unless asked for");
            config.throttle.redis_url = Some("redis://127.0.0.1:6379/".into());
            config.throttle.redis_timeout_ms = 0;
            let error = Config::with_env_overrides(&config).unwrap_err();
            assert!(
                error.to_string().contains("throttle.redis_timeout_ms"),
                "{error}"
            );
        });
    }

    #[test]
    fn totp_is_off_by_default_and_needs_the_secrets_key() {
        in_clean_environment(|| {
            let mut config = Config::in_directory(Path::new("d"), "127.0.0.1:1".parse().unwrap());
            assert_eq!(
                (config.auth.totp, config.auth.totp_on_soap),
                (TotpMode::Off, false)
            );
            config.auth.totp = TotpMode::Required;
            assert!(Config::with_env_overrides(&config).is_ok());
            config.auth.secrets_key = None;
            let error = Config::with_env_overrides(&config).unwrap_err();
            assert!(error.to_string().contains("auth.secrets_key"), "{error}");
            let parsed: AuthConfig = toml::from_str("totp = \"optional\"").unwrap();
            assert_eq!(parsed.totp, TotpMode::Optional);
            assert!(toml::from_str::<AuthConfig>("totp = \"sometimes\"").is_err());
        });
    }

    #[test]
    fn file_then_environment_with_paths_relative_to_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_dir("etc")?;
            jail.create_file("etc/tsgate.toml", FILE)?;
            jail.set_env("TSGATE_SERVER_LISTEN", "127.0.0.1:9999");
            jail.set_env("TSGATE_THROTTLE_DEFAULT", "{per_second=5,burst=7}");
            jail.set_env("TSGATE_TEST_PG_URL", "not a config key: ignored");
            let config = Config::load(Path::new("etc/tsgate.toml")).map_err(|e| e.to_string())?;
            assert_eq!(config.server.listen.port(), 9999);
            assert_eq!(
                config.throttle.default,
                Quota {
                    per_second: 5,
                    burst: 7
                }
            );
            assert_eq!(config.tls.client_ca, Path::new("etc/certs/ca.pem"));
            assert_eq!(
                config.auth.secrets_key.as_deref(),
                Some(Path::new("etc/certs/secrets.key"))
            );
            assert_eq!(config.store.url, "sqlite://etc/tsgate.db");
            assert_eq!(config.server.max_body_bytes, 1024 * 1024, "defaults apply");
            assert!(
                config.server.admin_listen.ip().is_loopback(),
                "metrics stay on loopback unless configured otherwise"
            );
            assert_eq!(
                config.immuni, None,
                "no [immuni]: the OTP service is not offered"
            );
            jail.set_env("TSGATE_IMMUNI_BASE_URL", "https://otp.example");
            let config = Config::load(Path::new("etc/tsgate.toml")).map_err(|e| e.to_string())?;
            let immuni = config.immuni.unwrap_or_default();
            assert_eq!(immuni.base_url, "https://otp.example");
            assert_eq!(immuni.symptom_window_days, 180, "defaults apply");
            jail.set_env("TSGATE_STORE_URL", "postgres://tsgate@db/tsgate");
            let config = Config::load(Path::new("etc/tsgate.toml")).map_err(|e| e.to_string())?;
            assert_eq!(config.store.url, "postgres://tsgate@db/tsgate");
            Ok(())
        });
    }

    /// Files only: an environment variable would leak into tests running beside this one.
    #[test]
    fn the_backends_time_zone_is_parsed_at_load_with_a_clear_error() {
        figment::Jail::expect_with(|jail| {
            let with_immuni = |zone: &str| {
                format!("{FILE}\n[immuni]\nbase_url = \"https://otp.example\"\n{zone}")
            };
            jail.create_file("default.toml", &with_immuni(""))?;
            jail.create_file(
                "rome.toml",
                &with_immuni("backend_time_zone = \"Europe/Rome\""),
            )?;
            jail.create_file(
                "typo.toml",
                &with_immuni("backend_time_zone = \"Europe/Roma\""),
            )?;
            let zone = |file: &str| {
                Config::load(Path::new(file))
                    .map(|c| c.immuni.map(|i| i.backend_time_zone.to_string()))
                    .map_err(|e| e.to_string())
            };
            assert_eq!(zone("default.toml")?.as_deref(), Some("UTC"));
            assert_eq!(zone("rome.toml")?.as_deref(), Some("Europe/Rome"));
            let error = zone("typo.toml").err().unwrap_or_default();
            assert!(
                error.contains("\"Europe/Roma\" is not an IANA time zone")
                    && error.to_ascii_lowercase().contains("backend_time_zone"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn typos_and_impossible_values_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "typo.toml",
                &FILE.replace("[store]", "[store]\nurll = \"x\""),
            )?;
            let error = Config::load(Path::new("typo.toml"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains("urll"), "{error}");
            jail.create_file("ok.toml", FILE)?;
            jail.set_env("TSGATE_THROTTLE_DEFAULT", "{per_second=0,burst=1}");
            let error = Config::load(Path::new("ok.toml"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains("at least 1"), "{error}");
            jail.set_env("TSGATE_THROTTLE_DEFAULT", "{per_second=1,burst=1}");
            jail.set_env("TSGATE_SERVER_LISTN", "x");
            let error = Config::load(Path::new("ok.toml"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains("listn"), "{error}");
            assert!(Config::load(Path::new("missing.toml")).is_err());
            Ok(())
        });
    }
}
