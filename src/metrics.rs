//! Prometheus metrics, one family per question an operator asks: how many requests by service,
//! operation and outcome; how long they took; who was throttled, and when
//! the cluster's limits could not be asked; why TLS handshakes failed; why
//! requests were refused before a caller was known; every response's HTTP status; what became of
//! the Immuni uploads; how the access log's group commits go;
//! how long each certificate of the gateway CA's register has left.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::store::AccessLogWriter;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub service: String,
    pub operation: String,
    /// `0000`, `0001`, `9999`, or a fault / refusal kind such as `fault_credentials`.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ServiceLabels {
    pub service: String,
}

/// A web page by its route (`/web/medico/assistiti`, `/web/admin/operatori/{user_id}`): the
/// route, not the path, so a label never carries a user id or a token.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PageLabels {
    pub page: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CertificateLabels {
    pub serial: String,
    /// region, server, client or operator.
    pub kind: String,
    /// The region code of a region certificate, empty otherwise.
    pub region: String,
}

/// One certificate of the register whose expiry is exposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateExpiry {
    pub labels: CertificateLabels,
    /// Its notAfter, seconds since the epoch.
    pub not_after_unix: i64,
}

/// The certificates whose seconds to expiry `/metrics` shows; the register's watcher replaces
/// them (`admin::certificates::watch_expiries`), each scrape computes the seconds from now.
#[derive(Clone, Debug, Default)]
pub struct CertificateExpiries(Arc<Mutex<Vec<CertificateExpiry>>>);

impl CertificateExpiries {
    pub fn replace(&self, certificates: Vec<CertificateExpiry>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = certificates;
    }

    fn snapshot(&self) -> Vec<CertificateExpiry> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResponseLabels {
    /// The HTTP status code, e.g. `200`, `500`, `503`.
    pub status: String,
    /// For a SOAP Fault, whose it is: `client` (the caller's: credentials, schema, ... — HTTP 500
    /// by SOAP 1.1's rule) or `server` (ours); `none` for any other response.
    pub soap_fault: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UploadLabels {
    /// What became of the upload: `stored`, `already_authorized`, `rejected`, `unavailable`,
    /// `unreachable`, `busy`, `timed_out`, `unexpected`.
    pub result: String,
}

/// Immuni OTP uploads by result, counted by the upstream client.
pub type UploadCounts = Family<UploadLabels, Counter>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ThrottledLabels {
    /// The throttled caller's kind as the access log names it, or [`WEB_LOGIN`] for a web
    /// login (or pincode) page refused by its address's spent failure budget.
    pub caller_kind: String,
    /// `instance` (this instance's own limits) or `cluster` (the limits kept in Redis).
    pub limit: String,
}

/// `caller_kind` of [`Metrics::throttled`] for the web application's logins: "Troppi
/// tentativi…" before any check, the client address having spent its failure budget (an
/// instance's own, so `limit="instance"`).
pub const WEB_LOGIN: &str = "web-login";

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<ServiceLabels, Histogram>,
    /// Each web page's time at the server: pages are sent whole, so this is its time to first byte.
    pub web_page_duration: Family<PageLabels, Histogram>,
    pub throttled: Family<ThrottledLabels, Counter>,
    /// Requests the cluster's limits could not judge (Redis unreachable, failing or slow), by reason.
    pub cluster_throttle_fallbacks: Family<ReasonLabels, Counter>,
    pub tls_handshake_failures: Family<ReasonLabels, Counter>,
    /// Every response of the public listener, by status and whose SOAP Fault it is.
    pub http_responses: Family<ResponseLabels, Counter>,
    pub immuni_uploads: UploadCounts,
    /// Requests refused before identification (bad XML, wrong content type, too large, ...).
    pub rejected: Family<ReasonLabels, Counter>,
    pub connections_open: Gauge,
    /// Connections without a client certificate that no request has yet identified.
    pub connections_unauthenticated: Gauge,
    pub connections_refused: Family<ReasonLabels, Counter>,
    /// Connections the gateway closed: idle, no first request, certificate no longer accepted.
    pub connections_closed: Family<ReasonLabels, Counter>,
    /// Accounts locked by consecutive failed credentials.
    pub account_lockouts: Counter,
    /// Full password + pincode checks run (two argon2 verifications each).
    pub password_checks: Counter,
    /// Password attempts refused before any check: their address spent its failure budget.
    pub credentials_throttled: Counter,
    /// The register's certificates that are neither revoked nor expired.
    pub certificate_expiries: CertificateExpiries,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tsgate");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<ServiceLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        // From 50 µs up by half a bucket (×1.5) to ~5 s: fine enough to read a page's p50 and p99.
        let web_page_duration = Family::<PageLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.00005, 1.5, 29))
        });
        let throttled = Family::<ThrottledLabels, Counter>::default();
        let cluster_throttle_fallbacks = Family::<ReasonLabels, Counter>::default();
        let tls_handshake_failures = Family::<ReasonLabels, Counter>::default();
        let http_responses = Family::<ResponseLabels, Counter>::default();
        let immuni_uploads = UploadCounts::default();
        let rejected = Family::<ReasonLabels, Counter>::default();
        let connections_open = Gauge::default();
        let connections_unauthenticated = Gauge::default();
        let connections_refused = Family::<ReasonLabels, Counter>::default();
        let connections_closed = Family::<ReasonLabels, Counter>::default();
        let account_lockouts = Counter::default();
        let password_checks = Counter::default();
        let credentials_throttled = Counter::default();
        registry.register(
            "requests",
            "SOAP requests that reached identification, by service, operation and outcome",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from a complete request body to the committed reply",
            latency.clone(),
        );
        registry.register(
            "web_page_duration_seconds",
            "Time a web page takes at the server, from its complete request to its complete response (sent whole: its time to first byte), by route and method",
            web_page_duration.clone(),
        );
        registry.register(
            "throttled",
            "Requests refused by the per-client rate limit, by caller kind and limit (instance or cluster); caller_kind=\"web-login\": web logins refused by their address's spent failure budget",
            throttled.clone(),
        );
        registry.register(
            "cluster_throttle_fallbacks",
            "Requests the cluster's rate limits in Redis could not judge, decided by this instance's limits alone, by reason: timeout, error, unavailable",
            cluster_throttle_fallbacks.clone(),
        );
        registry.register(
            "tls_handshake_failures",
            "Failed TLS handshakes by reason",
            tls_handshake_failures.clone(),
        );
        registry.register(
            "http_responses",
            "Responses of the public listener by HTTP status, and for SOAP Faults whose fault it is (client or server)",
            http_responses.clone(),
        );
        registry.register(
            "immuni_uploads",
            "OTP uploads to the Immuni backend by result",
            immuni_uploads.clone(),
        );
        registry.register(
            "rejected_requests",
            "Requests refused before the caller was identified, by reason",
            rejected.clone(),
        );
        registry.register(
            "connections_open",
            "Open client connections",
            connections_open.clone(),
        );
        registry.register(
            "connections_unauthenticated",
            "Open connections without a client certificate whose caller is not yet identified",
            connections_unauthenticated.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections refused by reason: the connection cap, or the unauthenticated budget (total or per address)",
            connections_refused.clone(),
        );
        registry.register(
            "connections_closed",
            "Connections the gateway closed by reason: no first request, idle, certificate no longer accepted",
            connections_closed.clone(),
        );
        registry.register(
            "account_lockouts",
            "Accounts locked after auth.max_failures consecutive failed credentials",
            account_lockouts.clone(),
        );
        registry.register(
            "password_checks",
            "Full password and pincode checks run (argon2), successful or not",
            password_checks.clone(),
        );
        registry.register(
            "credentials_throttled",
            "Password attempts refused before any check, their client address having spent its failure budget",
            credentials_throttled.clone(),
        );
        let certificate_expiries = CertificateExpiries::default();
        registry.register_collector(Box::new(ExpiryCollector {
            certificates: certificate_expiries.clone(),
        }));
        Metrics {
            registry,
            certificate_expiries,
            requests,
            latency,
            web_page_duration,
            throttled,
            cluster_throttle_fallbacks,
            tls_handshake_failures,
            http_responses,
            immuni_uploads,
            rejected,
            connections_open,
            connections_unauthenticated,
            connections_refused,
            connections_closed,
            account_lockouts,
            password_checks,
            credentials_throttled,
        }
    }

    /// A web login (operator, administrator, or a service's pincode page) refused because its
    /// address spent its failure budget.
    pub fn web_login_throttled(&self) {
        self.throttled
            .get_or_create(&ThrottledLabels {
                caller_kind: WEB_LOGIN.to_owned(),
                limit: "instance".to_owned(),
            })
            .inc();
    }

    pub fn reject(&self, reason: &str) {
        self.rejected
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn connection_refused(&self, reason: &str) {
        self.connections_refused
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn connection_closed(&self, reason: &str) {
        self.connections_closed
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Counts one response of the public listener.
    pub fn responded(&self, status: u16, soap_fault: &str) {
        self.http_responses
            .get_or_create(&ResponseLabels {
                status: status.to_string(),
                soap_fault: soap_fault.to_owned(),
            })
            .inc();
    }

    pub fn handshake_failed(&self, reason: &str) {
        self.tls_handshake_failures
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Exposes the access-log writer's group commits: how many, how many entries they carried
    /// (entries ÷ commits is the batch size), how many failed, and how many entries wait.
    pub fn watch_access_log(&mut self, writer: AccessLogWriter) {
        self.registry
            .register_collector(Box::new(AccessLogCollector { writer }));
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Reads the writer's counters at each scrape.
struct AccessLogCollector {
    writer: AccessLogWriter,
}

impl std::fmt::Debug for AccessLogCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessLogCollector")
    }
}

impl Collector for AccessLogCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.writer.stats();
        let counters = [
            (
                "access_log_commits",
                "Group commits of the access log",
                stats.batches,
            ),
            (
                "access_log_entries",
                "Access-log entries committed",
                stats.entries,
            ),
            (
                "access_log_failed_commits",
                "Group commits that failed (their requests were answered with an error)",
                stats.failed_batches,
            ),
            (
                "access_log_lost_races",
                "Group commits that lost the chain's head to another writer and were appended \
                 again under the chain's lock",
                stats.lost_races,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let queued = ConstGauge::new(i64::try_from(self.writer.queued()).unwrap_or(i64::MAX));
        queued.encode(encoder.encode_descriptor(
            "access_log_queued",
            "Access-log entries waiting for their group commit",
            None,
            queued.metric_type(),
        )?)
    }
}

/// Seconds to expiry of each certificate, computed at the scrape.
#[derive(Debug)]
struct ExpiryCollector {
    certificates: CertificateExpiries,
}

impl Collector for ExpiryCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let certificates = self.certificates.snapshot();
        if certificates.is_empty() {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp();
        let mut family = encoder.encode_descriptor(
            "certificate_expiry_seconds",
            "Seconds until each valid certificate of the gateway CA's register expires",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for certificate in &certificates {
            let gauge = ConstGauge::new(certificate.not_after_unix - now);
            gauge.encode(family.encode_family(&certificate.labels)?)?;
        }
        Ok(())
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
