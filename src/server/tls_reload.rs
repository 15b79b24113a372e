//! Re-reads the TLS files (server certificate and key, CA, CRLs, card anchors) when they change,
//! so a revocation (`tsgate certs revoke`) or a renewed certificate applies without a restart.
//! A broken file never replaces a working configuration: the error is logged and the previous
//! one stays in force. Open connections see the change too: each checks its client certificate
//! against the new verifier on its next request (`certificate_check`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::server::StoresServerSessions;
use tokio::sync::watch;

use super::tls::{self, TlsSetup};
use crate::config::TlsConfig;

/// What the files looked like: (path, modified, length) for each.
type Snapshot = Vec<(PathBuf, Option<SystemTime>, Option<u64>)>;

fn snapshot(config: &TlsConfig) -> Snapshot {
    let paths = [&config.certificate, &config.key, &config.client_ca]
        .into_iter()
        .chain(&config.crls)
        .chain(&config.previous_client_cas)
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

/// Watches the files every `every`; publishes a new set-up on `sender` after each change. The
/// session cache is carried over, so a reload does not cost every client a full handshake.
pub async fn watch_files(
    config: TlsConfig,
    every: Duration,
    sessions: Arc<dyn StoresServerSessions>,
    sender: watch::Sender<TlsSetup>,
) {
    let mut seen = snapshot(&config);
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = snapshot(&config);
        if now == seen {
            continue;
        }
        match tls::server_setup(&config, &sessions) {
            Ok(setup) => {
                if sender.send(setup).is_err() {
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
