//! Whose connection this is: the TCP peer, or, behind a load balancer that speaks the PROXY
//! protocol (`server.proxy_protocol_from`), the client the balancer's header names. That
//! address is the one the access log records and the per-address limits count.
//!
//! Only the configured balancers may name an address: a connection from one of them must start
//! with a header (read within the handshake deadline, only the header's own bytes, so the TLS
//! handshake that follows is untouched); a connection from anywhere else that starts like a
//! header is refused, so a client cannot pose as another by sending one itself.

use std::net::{IpAddr, SocketAddr};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::proxy_protocol::{self, HeaderError, Progress, ProxyHeader};

/// Where PROXY protocol headers are accepted from (empty: nowhere, the protocol is off).
#[derive(Debug, Clone, Default)]
pub struct ProxyProtocol {
    trusted: Vec<IpAddr>,
}

/// Why a connection was refused before its TLS handshake.
#[derive(Debug, thiserror::Error)]
pub enum AddressRefusal {
    #[error("a PROXY protocol header from {0}, which is not a configured load balancer")]
    Untrusted(IpAddr),
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("the load balancer's connection ended inside the PROXY protocol header: {0}")]
    Read(#[source] std::io::Error),
}

impl AddressRefusal {
    /// The label of the refusal in `tsgate_connections_refused_total`.
    pub fn label(&self) -> &'static str {
        match self {
            AddressRefusal::Untrusted(_) => "proxy_header_untrusted",
            AddressRefusal::Header(error) => error.label(),
            AddressRefusal::Read(_) => "proxy_header_unreadable",
        }
    }
}

impl ProxyProtocol {
    pub fn new(trusted: &[IpAddr]) -> ProxyProtocol {
        ProxyProtocol {
            trusted: trusted.iter().map(|ip| ip.to_canonical()).collect(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.trusted.is_empty()
    }

    /// The client's address for a connection accepted from `peer`; reads the balancer's header
    /// off `tcp` if `peer` is one. The caller bounds the time this takes.
    pub async fn client_address(
        &self,
        tcp: &mut TcpStream,
        peer: SocketAddr,
    ) -> Result<SocketAddr, AddressRefusal> {
        if !self.enabled() {
            return Ok(peer);
        }
        if self.trusted.contains(&peer.ip().to_canonical()) {
            return match read_header(tcp).await? {
                ProxyHeader::Proxied { source, .. } => Ok(source),
                ProxyHeader::Local => Ok(peer),
            };
        }
        // Anyone else speaks TLS directly; one that starts like a header is refused here, with
        // the reason, rather than left to fail the handshake.
        let mut first = [0u8; 16];
        let seen = tcp.peek(&mut first).await.map_err(AddressRefusal::Read)?;
        if seen > 0 && proxy_protocol::parse(&first[..seen]).is_ok() {
            return Err(AddressRefusal::Untrusted(peer.ip()));
        }
        Ok(peer)
    }
}

/// Reads exactly the header's bytes: never more than the parser says belong to it.
async fn read_header(tcp: &mut TcpStream) -> Result<ProxyHeader, AddressRefusal> {
    let mut bytes = Vec::with_capacity(proxy_protocol::V1_MAX_BYTES);
    loop {
        match proxy_protocol::parse(&bytes)? {
            Progress::Complete { header, length } if length == bytes.len() => return Ok(header),
            // Only a malformed line can end before the bytes the parser first asked for.
            Progress::Complete { .. } => {
                return Err(HeaderError::MalformedV1("a line shorter than any header").into())
            }
            Progress::Incomplete { more } => {
                let start = bytes.len();
                bytes.resize(start + more, 0);
                tcp.read_exact(&mut bytes[start..])
                    .await
                    .map_err(AddressRefusal::Read)?;
            }
        }
    }
}
