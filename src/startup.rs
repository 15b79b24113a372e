//! Builds the whole gateway from a `Config`: store, access-log writer, schemas, TLS, listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::Config;
use crate::domain::TransactionIds;
use crate::metrics::Metrics;
use crate::pki::{files, PincodeKey};
use crate::publication::Publication;
use crate::server::{accept, tls, tls_reload, PeerIdentityReader};
use crate::services::{self, Catalogue, SCHEMA_FILES};
use crate::soap::credential_cache::CredentialCache;
use crate::soap::envelope_reader::{EnvelopeReader, INLINE_MAX_BYTES};
use crate::soap::permissions::RegionPermissions;
use crate::soap::throttle::Throttle;
use crate::soap::xml_limits::XmlLimits;
use crate::store::{self, retention, AccessLogWriter, Store, WriterHandle};
use crate::xsd::SchemaSet;

/// Everything a request needs, shared by all connections.
pub struct App {
    pub config: Config,
    pub schemas: Arc<SchemaSet>,
    pub envelope_reader: EnvelopeReader,
    pub catalogue: Catalogue,
    pub store: Arc<dyn Store>,
    pub access_log: AccessLogWriter,
    pub throttle: Throttle,
    pub region_permissions: RegionPermissions,
    pub credential_cache: CredentialCache,
    pub pincode: PincodeKey,
    pub metrics: Metrics,
    pub publication: Publication,
    pub peer_reader: PeerIdentityReader,
    pub transaction_ids: TransactionIds,
}

pub struct Application {
    app: Arc<App>,
    listener: TcpListener,
    acceptor: TlsAcceptor,
    writer: WriterHandle,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let schemas = Arc::new(compile_schemas()?);
        let envelope_reader = EnvelopeReader::new(
            schemas.clone(),
            XmlLimits::from_config(&config.server),
            INLINE_MAX_BYTES,
        );
        let catalogue = Catalogue::new(services::all(&config).context("services set-up")?);
        match &config.immuni {
            Some(immuni) => tracing::info!(upstream = %immuni.base_url, "InvioOTP offered"),
            None => tracing::warn!("no [immuni] configuration: InvioOTP is not offered"),
        }
        let tls_config = tls::server_config(&config.tls).context("TLS set-up")?;
        let ca_der = files::certificates(&config.tls.client_ca)?
            .into_iter()
            .next()
            .context("gateway CA file is empty")?;
        let peer_reader = PeerIdentityReader::new(&ca_der).map_err(anyhow::Error::msg)?;
        let pincode = PincodeKey::from_pem(&files::read_text(&config.pincode.key)?)
            .with_context(|| format!("pincode key {}", config.pincode.key.display()))?;
        let store = store::connect(&config.store.url)
            .await
            .with_context(|| format!("store {}", redact_url(&config.store.url)))?;
        let (access_log, writer) =
            AccessLogWriter::start(store.clone(), config.store.access_log_batch)
                .await
                .context("access-log writer")?;
        let mut metrics = Metrics::new();
        metrics.watch_access_log(access_log.clone());
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let app = App {
            schemas,
            envelope_reader,
            catalogue,
            store,
            access_log,
            throttle: Throttle::new(&config.throttle),
            region_permissions: RegionPermissions::new(Duration::from_secs(10)),
            credential_cache: CredentialCache::new(Duration::from_secs(60), 10_000),
            pincode,
            metrics,
            publication: Publication::new(&config.server.public_url),
            peer_reader,
            transaction_ids: TransactionIds::new(),
            config,
        };
        Ok(Application {
            app: Arc::new(app),
            listener,
            acceptor: TlsAcceptor::from(tls_config),
            writer,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Serves until `shutdown` resolves; then finishes in-flight requests and flushes the log.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let (acceptor_tx, acceptor_rx) = tokio::sync::watch::channel(self.acceptor);
        let reloader = tokio::spawn(tls_reload::watch_files(
            self.app.config.tls.clone(),
            Duration::from_millis(self.app.config.tls.reload_interval_ms.max(100)),
            acceptor_tx,
        ));
        let app = self.app.clone();
        let janitor = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                app.throttle.forget_idle();
            }
        });
        let retention = tokio::spawn(retention::keep_purging(
            self.app.store.clone(),
            self.app.config.store.access_log_retention_months,
        ));
        accept::serve(self.listener, acceptor_rx, self.app, shutdown).await;
        retention.abort();
        janitor.abort();
        reloader.abort();
        self.writer.shutdown().await;
        Ok(())
    }
}

/// The shipped schemas, compiled once; an unsupported construct stops start-up.
pub fn compile_schemas() -> anyhow::Result<SchemaSet> {
    SchemaSet::compile(SCHEMA_FILES).map_err(|e| anyhow::anyhow!("schema compilation: {e}"))
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
