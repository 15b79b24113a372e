//! The network side of a request: accept (connection cap, the client's address from a load
//! balancer's PROXY protocol header, handshake timeout) → TLS (client
//! certificate verified, identity read once per connection) → HTTP (timeouts, body cap,
//! HTTP/1.1 keep-alive and HTTP/2, idle and unauthenticated connections closed, certificates
//! checked again after a reload) → route. `/metrics` is served apart, on the admin listener.

pub mod accept;
pub mod asl_download;
pub mod body;
pub mod body_stream;
pub mod budget;
pub mod certificate_check;
pub mod client_address;
pub mod connection;
pub mod crl_download;
pub mod metrics_listener;
pub mod miur_upload;
pub mod peer_identity;
pub mod proxy_protocol;
pub mod router;
pub mod tls;
pub mod tls_reload;

pub use peer_identity::PeerIdentityReader;

use std::sync::Arc;

use crate::config::{MiurConfig, ServerConfig};
use crate::soap::Gateway;
use crate::web::WebApp;

/// What every connection shares: the HTTP settings, the reader of client certificates, and
/// the gateway its requests go to.
pub struct Server {
    pub settings: ServerConfig,
    pub peer_reader: PeerIdentityReader,
    pub gateway: Arc<Gateway>,
    /// The gateway CA's CRL, served at [`crl_download::PATH`].
    pub crl: Option<crl_download::PublishedCrl>,
    /// The integrator's kit (`GET /kit.zip`), made once at start-up for this gateway's address.
    pub kit: bytes::Bytes,
    /// The web application under `/web/`.
    pub web: WebApp,
    /// The Ministry's uploads (`POST /miur/<kind>`): their cap and deadline.
    pub miur: MiurConfig,
}
