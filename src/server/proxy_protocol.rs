//! The PROXY protocol header (HAProxy's, versions 1 and 2): what a load balancer in TCP mode
//! sends before the client's bytes, so the gateway learns the client's real address while the
//! TLS session (and mutual TLS) still ends here.
//!
//! The threat: whoever may send this header decides which address the access log and the
//! per-address limits see. So it is read only from the configured load balancers
//! ([`super::client_address`]), and this parser is strict and bounded: it says, from the bytes
//! read so far, exactly how many more bytes surely belong to the header, so the reader never
//! takes a byte of the TLS handshake that follows; a header longer than the limits below, or
//! one that deviates from the specification, is refused, never guessed at.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A version 1 header's whole line, `\r\n` included, is at most this long (the specification's
/// bound: 104 for the longest `TCP6` line, 107 for an `UNKNOWN` one).
pub const V1_MAX_BYTES: usize = 107;
/// Address and TLV bytes accepted after a version 2 header's 16 fixed bytes. The addresses take
/// at most 216 (UNIX); HAProxy's optional TLVs fit easily. Longer is refused, not read.
pub const V2_MAX_PAYLOAD: usize = 1024;
/// The shortest header of either version (`PROXY UNKNOWN\r\n`): reading this many bytes first
/// can never take a byte past the header.
const SHORTEST_HEADER: usize = 15;

const V1_PREFIX: &[u8] = b"PROXY ";
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
const V2_FIXED: usize = 16;

/// What a complete header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// The load balancer relays a client: its address, and the address it connected to.
    Proxied {
        source: SocketAddr,
        destination: SocketAddr,
    },
    /// The load balancer speaks for itself (a version 2 `LOCAL` command such as a health
    /// check, or an address family it cannot express): the connection's own address stands.
    Local,
}

/// How far the bytes read so far go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The header goes on for at least `more` bytes: read exactly that many, then ask again.
    Incomplete { more: usize },
    /// The header is complete: it took `length` bytes, and the TLS handshake starts after them.
    Complete { header: ProxyHeader, length: usize },
}

/// Why a header was refused. Each has the label of its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the connection does not start with a PROXY protocol header")]
    Missing,
    #[error("PROXY protocol version {0} is not supported (only 1 and 2)")]
    Version(u8),
    #[error("PROXY protocol v2 command {0} is neither LOCAL nor PROXY")]
    Command(u8),
    #[error("PROXY protocol v2 address family/protocol byte {0:#04x} is not defined")]
    Family(u8),
    #[error(
        "PROXY protocol v2 header announces {0} bytes, more than the {V2_MAX_PAYLOAD} accepted"
    )]
    TooLongV2(usize),
    #[error("PROXY protocol v1 line longer than {V1_MAX_BYTES} bytes")]
    TooLongV1,
    #[error("PROXY protocol v2 addresses need more bytes than the header holds")]
    ShortAddresses,
    #[error("PROXY protocol v1 line is malformed: {0}")]
    MalformedV1(&'static str),
}

impl HeaderError {
    /// The label of the refusal in `tsgate_connections_refused_total`.
    pub fn label(self) -> &'static str {
        match self {
            HeaderError::Missing => "proxy_header_missing",
            HeaderError::TooLongV1 | HeaderError::TooLongV2(_) => "proxy_header_too_long",
            _ => "proxy_header_malformed",
        }
    }
}

/// Reads `bytes`, the first bytes of a connection (never more than the header: see
/// [`Progress::Incomplete`]).
pub fn parse(bytes: &[u8]) -> Result<Progress, HeaderError> {
    if starts_like(bytes, V1_PREFIX) {
        if bytes.len() < SHORTEST_HEADER {
            return Ok(Progress::Incomplete {
                more: SHORTEST_HEADER - bytes.len(),
            });
        }
        return parse_v1(bytes);
    }
    if starts_like(bytes, V2_SIGNATURE) {
        if bytes.len() < SHORTEST_HEADER {
            return Ok(Progress::Incomplete {
                more: SHORTEST_HEADER - bytes.len(),
            });
        }
        return parse_v2(bytes);
    }
    Err(HeaderError::Missing)
}

/// Whether `bytes` could be the start of `prefix` (or `prefix` the start of `bytes`).
fn starts_like(bytes: &[u8], prefix: &[u8]) -> bool {
    let n = bytes.len().min(prefix.len());
    bytes[..n] == prefix[..n]
}

fn parse_v1(bytes: &[u8]) -> Result<Progress, HeaderError> {
    let Some(end) = bytes.windows(2).position(|pair| pair == b"\r\n") else {
        if bytes.len() >= V1_MAX_BYTES {
            return Err(HeaderError::TooLongV1);
        }
        // Only printable ASCII and spaces belong in the line: refuse garbage before waiting.
        let last = bytes.last().copied().unwrap_or(b' ');
        if !(last == b'\r' || last == b' ' || last.is_ascii_graphic()) {
            return Err(HeaderError::MalformedV1(
                "a byte that is not printable ASCII",
            ));
        }
        return Ok(Progress::Incomplete { more: 1 });
    };
    let length = end + 2;
    let line = std::str::from_utf8(&bytes[V1_PREFIX.len()..end])
        .map_err(|_| HeaderError::MalformedV1("a byte that is not ASCII"))?;
    let header = v1_fields(line)?;
    Ok(Progress::Complete { header, length })
}

/// `TCP4 src dst sport dport`, `TCP6 …`, or `UNKNOWN` followed by anything.
fn v1_fields(line: &str) -> Result<ProxyHeader, HeaderError> {
    if line == "UNKNOWN" || line.starts_with("UNKNOWN ") {
        return Ok(ProxyHeader::Local);
    }
    let mut fields = line.split(' ');
    let family = fields.next().unwrap_or_default();
    let (source, destination, source_port, destination_port) =
        (fields.next(), fields.next(), fields.next(), fields.next());
    if fields.next().is_some() {
        return Err(HeaderError::MalformedV1(
            "more than four fields after the protocol",
        ));
    }
    let (Some(source), Some(destination), Some(source_port), Some(destination_port)) =
        (source, destination, source_port, destination_port)
    else {
        return Err(HeaderError::MalformedV1(
            "fewer than four fields after the protocol",
        ));
    };
    let address = |text: &str| -> Result<IpAddr, HeaderError> {
        match family {
            "TCP4" => text
                .parse::<Ipv4Addr>()
                .map(IpAddr::V4)
                .map_err(|_| HeaderError::MalformedV1("TCP4 with an address that is not IPv4")),
            "TCP6" => text
                .parse::<Ipv6Addr>()
                .map(IpAddr::V6)
                .map_err(|_| HeaderError::MalformedV1("TCP6 with an address that is not IPv6")),
            _ => Err(HeaderError::MalformedV1(
                "the protocol is none of TCP4, TCP6, UNKNOWN",
            )),
        }
    };
    Ok(ProxyHeader::Proxied {
        source: SocketAddr::new(address(source)?, v1_port(source_port)?),
        destination: SocketAddr::new(address(destination)?, v1_port(destination_port)?),
    })
}

/// A port in decimal, without sign or leading zeros.
fn v1_port(text: &str) -> Result<u16, HeaderError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse::<u16>().ok())
        .flatten()
        .ok_or(HeaderError::MalformedV1(
            "a port that is not 0 to 65535 in decimal",
        ))
}

fn parse_v2(bytes: &[u8]) -> Result<Progress, HeaderError> {
    if bytes.len() < V2_FIXED {
        return Ok(Progress::Incomplete {
            more: V2_FIXED - bytes.len(),
        });
    }
    let version_command = bytes[12];
    if version_command >> 4 != 2 {
        return Err(HeaderError::Version(version_command >> 4));
    }
    let command = version_command & 0x0f;
    if command > 1 {
        return Err(HeaderError::Command(command));
    }
    let family_protocol = bytes[13];
    let payload = usize::from(u16::from_be_bytes([bytes[14], bytes[15]]));
    if payload > V2_MAX_PAYLOAD {
        return Err(HeaderError::TooLongV2(payload));
    }
    let (family, protocol) = (family_protocol >> 4, family_protocol & 0x0f);
    if family > 3 || protocol > 2 {
        return Err(HeaderError::Family(family_protocol));
    }
    let length = V2_FIXED + payload;
    if bytes.len() < length {
        return Ok(Progress::Incomplete {
            more: length - bytes.len(),
        });
    }
    let addresses = &bytes[V2_FIXED..length];
    let header = match (command, family) {
        // LOCAL: the addresses, if any, are to be ignored.
        (0, _) => ProxyHeader::Local,
        (_, 1) => {
            let a = addresses.get(..12).ok_or(HeaderError::ShortAddresses)?;
            let ip = |at: usize| IpAddr::V4(Ipv4Addr::new(a[at], a[at + 1], a[at + 2], a[at + 3]));
            ProxyHeader::Proxied {
                source: SocketAddr::new(ip(0), port(a, 8)),
                destination: SocketAddr::new(ip(4), port(a, 10)),
            }
        }
        (_, 2) => {
            let a = addresses.get(..36).ok_or(HeaderError::ShortAddresses)?;
            let ip = |at: usize| {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&a[at..at + 16]);
                IpAddr::V6(Ipv6Addr::from(octets))
            };
            ProxyHeader::Proxied {
                source: SocketAddr::new(ip(0), port(a, 32)),
                destination: SocketAddr::new(ip(16), port(a, 34)),
            }
        }
        // UNSPEC or UNIX: no IP address to record; the connection's own stands.
        _ => ProxyHeader::Local,
    };
    Ok(Progress::Complete { header, length })
}

fn port(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

/// The version 2 header that relays `source` to `destination` (TCP over IPv4 or IPv6 alike;
/// mixed families are written as IPv6, IPv4-mapped): what HAProxy's `send-proxy-v2` sends.
/// Tests and the benchmarks speak as a load balancer with it.
pub fn v2_header(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let mut out = V2_SIGNATURE.to_vec();
    out.push(0x21);
    match (source.ip(), destination.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.extend_from_slice(&[0x11, 0, 12]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (s, d) => {
            out.extend_from_slice(&[0x21, 0, 36]);
            out.extend_from_slice(&v6(s).octets());
            out.extend_from_slice(&v6(d).octets());
        }
    }
    out.extend_from_slice(&source.port().to_be_bytes());
    out.extend_from_slice(&destination.port().to_be_bytes());
    out
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

#[cfg(test)]
mod tests;
