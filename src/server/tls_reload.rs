//! Re-reads the TLS files (server certificate and key, CA, CRLs, card anchors) when they change,
//! so a revocation (`tsgate certs revoke`) or a renewed certificate applies without a restart.
//! A broken file never replaces a working configuration: the error is logged and the previous
//! one stays in force.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::tls;
use crate::config::TlsConfig;

/// What the files looked like: (path, modified, length) for each.
type Snapshot = Vec<(PathBuf, Option<SystemTime>, Option<u64>)>;

fn snapshot(config: &TlsConfig) -> Snapshot {
    let paths = [&config.certificate, &config.key, &config.client_ca]
        .into_iter()
        .chain(&config.crls)
        .chain(&config.card_trust_anchors);
    paths
        .map(|path| {
            let meta = std::fs::metadata(path).ok();
            (
                path.clone(),
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.map(|m| m.len()),
            )
        })
        .collect()
}

/// Watches the files every `every`; publishes a new acceptor on `sender` after each change.
pub async fn watch_files(config: TlsConfig, every: Duration, sender: watch::Sender<TlsAcceptor>) {
    let mut seen = snapshot(&config);
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = snapshot(&config);
        if now == seen {
            continue;
        }
        match tls::server_config(&config) {
            Ok(server_config) => {
                if sender.send(TlsAcceptor::from(server_config)).is_err() {
                    return;
                }
                tracing::info!("TLS files changed: certificates and CRLs reloaded");
                seen = now;
            }
            Err(error) => {
                // Keep serving with the previous configuration; retry when the files change again.
                tracing::error!(%error, "TLS files changed but cannot be loaded; keeping the previous configuration");
                seen = now;
            }
        }
    }
}
