//! The composition root: builds the whole gateway from a `Config` — store, access-log writer,
//! schemas, the SOAP [`Gateway`], TLS, listeners — and runs it. Nothing else builds these.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use rustls::server::StoresServerSessions;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin::certificates::{self, CaFiles};
use crate::clock::Clock;
use crate::config::Config;
use crate::identity::second_factor::SecondFactor;
use crate::identity::{directory_version, Identity};
use crate::issuer_lease;
use crate::jobs::commissario::{daily, pec::PecSender};
use crate::jobs::retention::{self, RetentionPolicy};
use crate::kit;
use crate::metrics::Metrics;
use crate::pki::sealing::SealingKey;
use crate::pki::{files, PincodeKey};
use crate::saml::{trust, SamlTrust};
use crate::server::crl_download::PublishedCrl;
use crate::server::tls::TlsSetup;
use crate::server::{accept, metrics_listener, tls, tls_reload, PeerIdentityReader, Server};
use crate::soap::envelope_reader::{EnvelopeReader, INLINE_MAX_BYTES};
use crate::soap::publication::Publication;
use crate::soap::throttle::Throttle;
use crate::soap::xml_limits::XmlLimits;
use crate::soap::{Catalogue, Gateway, SCHEMA_FILES};
use crate::store::{
    self, AccessLogWriter, BatchDelay, CertificateKind, Lease, StoreLock, WriterHandle,
};
use crate::web::WebApp;
use crate::xsd::SchemaSet;

pub struct Application {
    config: Config,
    schemas: Arc<SchemaSet>,
    server: Arc<Server>,
    listener: TcpListener,
    admin_listener: TcpListener,
    /// The TLS set-up in force: the reloads publish on it, connections and the web's
    /// smart-card sessions read it.
    tls: watch::Sender<TlsSetup>,
    sessions: Arc<dyn StoresServerSessions>,
    writer: WriterHandle,
    /// Held until `run_until` returns: no second gateway on the same SQLite file.
    store_lock: Option<StoreLock>,
    /// This process's issuer slot of numeric transaction ids.
    issuer_lease: Lease,
    /// The Commissioner's daily report: its PEC client and the Europe/Rome time of day.
    commissioner: Option<(PecSender, chrono::NaiveTime)>,
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
        let mut metrics = Metrics::new();
        let catalogue = Catalogue::from_config(&config, &metrics).context("services set-up")?;
        match &config.immuni {
            Some(immuni) => tracing::info!(upstream = %immuni.base_url, "InvioOTP offered"),
            None => tracing::warn!("no [immuni] configuration: InvioOTP is not offered"),
        }
        if config.pki.ca_key.is_some() {
            // A CRL that ran out while the gateway was stopped would refuse every region until
            // the upkeep's first round: signed again before TLS is set up.
            certificates::resign_crl_if_due(
                &CaFiles::from_config(&config),
                config.pki.crl_resign_remaining,
            )
            .context("signing the CRL again at start-up")?;
        }
        let commissioner = match &config.commissioner {
            Some(settings) => Some((
                PecSender::from_config(settings).context("commissioner (PEC) set-up")?,
                settings.send_time()?,
            )),
            None => None,
        };
        let sessions = tls::session_cache();
        let tls_setup = tls::server_setup(&config.tls, &sessions).context("TLS set-up")?;
        let (tls_tx, tls_rx) = watch::channel(tls_setup);
        let ca_der = files::certificates(&config.tls.client_ca)?
            .into_iter()
            .next()
            .context("gateway CA file is empty")?;
        let mut peer_reader = PeerIdentityReader::new(&ca_der).map_err(anyhow::Error::msg)?;
        for previous in &config.tls.previous_client_cas {
            for ca in files::certificates(previous)? {
                peer_reader.also_trust(&ca).map_err(anyhow::Error::msg)?;
            }
        }
        let pincode = PincodeKey::from_pem(&files::read_text(&config.pincode.key)?)
            .with_context(|| format!("pincode key {}", config.pincode.key.display()))?;
        let store = store::connect(&config.store.url)
            .await
            .with_context(|| format!("store {}", redact_url(&config.store.url)))?;
        register_server_certificate(store.as_ref(), &config).await;
        let (transaction_ids, issuer_lease) = issuer_lease::start(store.as_ref())
            .await
            .context("numeric transaction ids")?;
        let (access_log, writer) = AccessLogWriter::start_with(
            store.clone(),
            config.store.access_log_batch,
            BatchDelay::up_to(Duration::from_micros(
                config.store.access_log_batch_delay_us,
            )),
        )
        .await
        .context("access-log writer")?;
        metrics.watch_access_log(access_log.clone());
        let metrics = Arc::new(metrics);
        let directory_version = store
            .directory()
            .version()
            .await
            .context("directory version")?;
        let second_factor = SecondFactor::from_config(store.clone(), &config.auth)
            .context("auth.secrets_key (TOTP secrets)")?;
        let identity = Arc::new(Identity::new(
            store.clone(),
            pincode,
            second_factor,
            directory_version,
            &config.auth,
            metrics.clone(),
        ));
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let admin_listener = TcpListener::bind(config.server.admin_listen)
            .await
            .with_context(|| format!("cannot listen on {} (admin)", config.server.admin_listen))?;
        let gateway = Gateway {
            envelope_reader,
            catalogue,
            publication: Publication::new(&config.server.public_url),
            store,
            access_log,
            throttle: Throttle::new(&config.throttle, metrics.clone())
                .context("throttle.redis_url")?,
            identity,
            saml: SamlTrust::from_config(&config.saml, &config.server.public_url)?,
            metrics,
            transaction_ids: Arc::new(transaction_ids),
            clock: Clock::default(),
        };
        let kit = kit::archive::build(&gateway.publication)
            .map_err(|e| anyhow::anyhow!("the integrator's kit: {e}"))?;
        let gateway = Arc::new(gateway);
        // The web captcha's answers are sealed with the secrets key, or without one with a key
        // of this process (a challenge is then answered on the instance that issued it).
        let captcha_key = match config.auth.secrets_key.as_deref() {
            Some(path) => SealingKey::load(path).context("auth.secrets_key (web captcha)")?,
            None => SealingKey::ephemeral().context("web captcha key")?,
        };
        let server = Server {
            settings: config.server.clone(),
            peer_reader,
            web: WebApp::new(
                gateway.clone(),
                &config.web,
                &config.auth,
                captcha_key,
                Arc::new(tls_rx),
            ),
            gateway,
            crl: config
                .gateway_crl()
                .map(|path| PublishedCrl::new(path.to_path_buf())),
            kit: kit.into(),
            miur: config.miur.clone(),
        };
        Ok(Application {
            config,
            schemas,
            server: Arc::new(server),
            listener,
            admin_listener,
            tls: tls_tx,
            sessions,
            writer,
            store_lock,
            issuer_lease,
            commissioner,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served (plain HTTP).
    pub fn admin_addr(&self) -> std::io::Result<SocketAddr> {
        self.admin_listener.local_addr()
    }

    /// What the SOAP pipeline works with (tests reach the store and the clock through it).
    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.server.gateway
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The compiled schemas the envelope reader validates with.
    pub fn schemas(&self) -> &Arc<SchemaSet> {
        &self.schemas
    }

    /// Serves until `shutdown` resolves; then finishes in-flight requests and flushes the log.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let config = &self.config;
        let gateway = self.server.gateway.clone();
        let tls_rx = self.tls.subscribe();
        let tls_tx = self.tls;
        let reloader = tokio::spawn(tls_reload::watch_files(
            config.tls.clone(),
            Duration::from_millis(config.tls.reload_interval_ms.max(100)),
            self.sessions,
            tls_tx,
        ));
        let saml_reloader = {
            let gateway = gateway.clone();
            let every = Duration::from_millis(config.tls.reload_interval_ms.max(100));
            tokio::spawn(async move { trust::keep_reloading(&gateway.saml, every).await })
        };
        let metrics_listener = tokio::spawn(metrics_listener::serve(
            self.admin_listener,
            gateway.metrics.clone(),
            Duration::from_millis(config.server.header_timeout_ms),
        ));
        let janitor = {
            let gateway = gateway.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(10));
                loop {
                    tick.tick().await;
                    gateway.throttle.forget_idle();
                }
            })
        };
        let directory_refresh = tokio::spawn(directory_version::keep_refreshing(
            gateway.identity.clone(),
            Duration::from_millis(config.store.directory_refresh_ms.max(10)),
        ));
        let retention = tokio::spawn(retention::keep_purging(
            gateway.store.clone(),
            RetentionPolicy::from_config(&config.store),
        ));
        let commissioner = self.commissioner.map(|(sender, send_at)| {
            tokio::spawn(daily::keep_sending(gateway.store.clone(), sender, send_at))
        });
        let lease = Arc::new(Mutex::new(self.issuer_lease));
        let lease_keeper = lease
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .expires
            .then(|| {
                tokio::spawn(issuer_lease::keep(
                    gateway.store.clone(),
                    gateway.transaction_ids.clone(),
                    lease.clone(),
                ))
            });
        let upkeep = certificates::Upkeep {
            files: config
                .pki
                .ca_key
                .is_some()
                .then(|| CaFiles::from_config(config)),
            remaining: config.pki.crl_resign_remaining,
            every: Duration::from_millis(config.pki.check_interval_ms.max(10)),
            warning_days: config.pki.expiry_warning_days,
            crls: config.tls.crls.clone(),
        };
        let pki_upkeep = tokio::spawn(certificates::keep_up(
            gateway.store.clone(),
            upkeep,
            gateway.metrics.certificate_expiries.clone(),
        ));
        let store = gateway.store.clone();
        accept::serve(self.listener, tls_rx, self.server, shutdown).await;
        if let Some(keeper) = lease_keeper {
            keeper.abort();
        }
        metrics_listener.abort();
        pki_upkeep.abort();
        retention.abort();
        if let Some(commissioner) = commissioner {
            commissioner.abort();
        }
        directory_refresh.abort();
        janitor.abort();
        reloader.abort();
        saml_reloader.abort();
        self.writer.shutdown().await;
        let lease = lease.lock().unwrap_or_else(PoisonError::into_inner).clone();
        issuer_lease::release(store.as_ref(), &lease).await;
        drop(self.store_lock);
        Ok(())
    }
}

/// Records the server certificate in the register if the gateway CA issued it and it is not
/// there yet (`tsgate certs init` has no store to record it in). A failure is only logged: the
/// register is an inventory, serving does not depend on it.
async fn register_server_certificate(store: &dyn store::Store, config: &Config) {
    let issued_here = || -> anyhow::Result<Option<String>> {
        let cert = files::read_text(&config.tls.certificate)?;
        let ca = files::read_text(&config.tls.client_ca)?;
        let issuer = crate::pki::ca::describe(&cert)?.issuer_der;
        Ok((issuer == crate::pki::ca::subject_der(&ca)?).then_some(cert))
    };
    let outcome = match issued_here() {
        Ok(Some(cert)) => certificates::register(store, &cert, CertificateKind::Server)
            .await
            .map(|_| ())
            .map_err(anyhow::Error::from),
        Ok(None) => Ok(()),
        Err(error) => Err(error),
    };
    if let Err(error) = outcome {
        tracing::warn!(error = %format!("{error:#}"), "cannot record the server certificate in the register");
    }
}

/// The shipped schemas, compiled once; an unsupported construct stops start-up.
pub fn compile_schemas() -> anyhow::Result<SchemaSet> {
    SchemaSet::compile(SCHEMA_FILES).map_err(|e| anyhow::anyhow!("schema compilation: {e}"))
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when this is called, not
/// when the future is first polled: a signal that arrives between the banner and the serving
/// loop must stop the gateway cleanly, not kill it with the default action.
#[cfg(unix)]
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutdown requested");
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested");
    })
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
