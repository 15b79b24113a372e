//! Builds the whole gateway from a `Config`: store, access-log writer, schemas, TLS, listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use rustls::server::StoresServerSessions;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::TransactionIds;
use crate::identity::{directory_version, Identity};
use crate::issuer_lease;
use crate::metrics::Metrics;
use crate::pki::{files, PincodeKey};
use crate::publication::Publication;
use crate::server::tls::TlsSetup;
use crate::server::{accept, admin, tls, tls_reload, PeerIdentityReader};
use crate::services::{self, Catalogue, SCHEMA_FILES};
use crate::soap::envelope_reader::{EnvelopeReader, INLINE_MAX_BYTES};
use crate::soap::throttle::Throttle;
use crate::soap::xml_limits::XmlLimits;
use crate::store::{self, retention, AccessLogWriter, Lease, Store, StoreLock, WriterHandle};
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
    pub identity: Arc<Identity>,
    pub metrics: Metrics,
    pub publication: Publication,
    pub peer_reader: PeerIdentityReader,
    pub transaction_ids: Arc<TransactionIds>,
    /// The clock the OTP date rules read (tests pin it).
    pub clock: Clock,
}

pub struct Application {
    app: Arc<App>,
    listener: TcpListener,
    admin_listener: TcpListener,
    tls: TlsSetup,
    sessions: Arc<dyn StoresServerSessions>,
    writer: WriterHandle,
    /// Held until `run_until` returns: no second gateway on the same SQLite file.
    store_lock: Option<StoreLock>,
    /// This process's issuer slot of numeric transaction ids.
    issuer_lease: Lease,
}

impl Application {
    /// Builds the gateway; refuses to if another process serves the same SQLite store.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let store_lock = StoreLock::acquire(&config.store.url)?;
        Application::build_holding(config, store_lock).await
    }

    /// [`Application::build`] with the SQLite store's lock already taken (the demo takes it
    /// before it prepares its directory).
    pub async fn build_holding(
        config: Config,
        store_lock: Option<StoreLock>,
    ) -> anyhow::Result<Application> {
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
        let sessions = tls::session_cache();
        let tls_setup = tls::server_setup(&config.tls, &sessions).context("TLS set-up")?;
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
        let (transaction_ids, issuer_lease) = issuer_lease::start(store.as_ref())
            .await
            .context("numeric transaction ids")?;
        let (access_log, writer) =
            AccessLogWriter::start(store.clone(), config.store.access_log_batch)
                .await
                .context("access-log writer")?;
        let mut metrics = Metrics::new();
        metrics.watch_access_log(access_log.clone());
        let directory_version = store
            .directory()
            .version()
            .await
            .context("directory version")?;
        let identity = Arc::new(Identity::new(store.clone(), pincode, directory_version));
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let admin_listener = TcpListener::bind(config.server.admin_listen)
            .await
            .with_context(|| format!("cannot listen on {} (admin)", config.server.admin_listen))?;
        let app = App {
            schemas,
            envelope_reader,
            catalogue,
            store,
            access_log,
            throttle: Throttle::new(&config.throttle),
            identity,
            metrics,
            publication: Publication::new(&config.server.public_url),
            peer_reader,
            transaction_ids: Arc::new(transaction_ids),
            clock: Clock::default(),
            config,
        };
        Ok(Application {
            app: Arc::new(app),
            listener,
            admin_listener,
            tls: tls_setup,
            sessions,
            writer,
            store_lock,
            issuer_lease,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served (plain HTTP).
    pub fn admin_addr(&self) -> std::io::Result<SocketAddr> {
        self.admin_listener.local_addr()
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Serves until `shutdown` resolves; then finishes in-flight requests and flushes the log.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let (tls_tx, tls_rx) = tokio::sync::watch::channel(self.tls);
        let reloader = tokio::spawn(tls_reload::watch_files(
            self.app.config.tls.clone(),
            Duration::from_millis(self.app.config.tls.reload_interval_ms.max(100)),
            self.sessions,
            tls_tx,
        ));
        let admin = tokio::spawn(admin::serve(self.admin_listener, self.app.clone()));
        let app = self.app.clone();
        let janitor = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                app.throttle.forget_idle();
            }
        });
        let directory_refresh = tokio::spawn(directory_version::keep_refreshing(
            self.app.identity.clone(),
            Duration::from_millis(self.app.config.store.directory_refresh_ms.max(10)),
        ));
        let retention = tokio::spawn(retention::keep_purging(
            self.app.store.clone(),
            self.app.config.store.access_log_retention_months,
        ));
        let lease = Arc::new(Mutex::new(self.issuer_lease));
        let lease_keeper = lease
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .expires
            .then(|| {
                tokio::spawn(issuer_lease::keep(
                    self.app.store.clone(),
                    self.app.transaction_ids.clone(),
                    lease.clone(),
                ))
            });
        let store = self.app.store.clone();
        accept::serve(self.listener, tls_rx, self.app, shutdown).await;
        if let Some(keeper) = lease_keeper {
            keeper.abort();
        }
        admin.abort();
        retention.abort();
        directory_refresh.abort();
        janitor.abort();
        reloader.abort();
        self.writer.shutdown().await;
        let lease = lease.lock().unwrap_or_else(PoisonError::into_inner).clone();
        issuer_lease::release(store.as_ref(), &lease).await;
        drop(self.store_lock);
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
