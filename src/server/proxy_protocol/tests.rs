//! The parser against the specification's examples, every way a header can be wrong, and
//! seeded random mutations (a fuzzer's first steps, reproducible): whatever the bytes, it
//! answers without panicking and never asks for a byte past the header.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::net::SocketAddr;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

/// The first bytes of a TLS ClientHello: what follows the header on a real connection.
const CLIENT_HELLO: &[u8] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// Reads a header off `stream` as the gateway does: only the bytes the parser asks for.
/// Returns the outcome and how many bytes were taken.
fn read_like_the_gateway(stream: &[u8]) -> (Result<ProxyHeader, HeaderError>, usize) {
    let mut taken = 0;
    loop {
        match parse(&stream[..taken]) {
            Ok(Progress::Complete { header, length }) => {
                assert_eq!(length, taken, "complete exactly at the bytes read");
                return (Ok(header), taken);
            }
            Ok(Progress::Incomplete { more }) => {
                assert!(more > 0, "asks for at least a byte");
                if taken + more > stream.len() {
                    return (Err(HeaderError::Missing), taken); // the peer stopped sending
                }
                taken += more;
            }
            Err(error) => return (Err(error), taken),
        }
    }
}

fn read_all(header: &[u8]) -> Result<ProxyHeader, HeaderError> {
    let stream = [header, CLIENT_HELLO].concat();
    let (result, taken) = read_like_the_gateway(&stream);
    if result.is_ok() {
        assert_eq!(taken, header.len(), "took exactly the header");
    }
    result
}

#[test]
fn v1_tcp4_tcp6_and_unknown() {
    assert_eq!(
        read_all(b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"),
        Ok(ProxyHeader::Proxied {
            source: addr("192.0.2.10:56324"),
            destination: addr("198.51.100.1:443"),
        })
    );
    assert_eq!(
        read_all(b"PROXY TCP6 2001:db8::1 2001:db8::2 65535 8443\r\n"),
        Ok(ProxyHeader::Proxied {
            source: addr("[2001:db8::1]:65535"),
            destination: addr("[2001:db8::2]:8443"),
        })
    );
    assert_eq!(read_all(b"PROXY UNKNOWN\r\n"), Ok(ProxyHeader::Local));
    assert_eq!(
        read_all(b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"),
        Ok(ProxyHeader::Local)
    );
}

#[test]
fn v1_longest_lines_fit_and_one_more_byte_does_not() {
    // The specification's longest TCP6 line (104 bytes) and longest line of all (UNKNOWN).
    let tcp6 = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    assert_eq!(tcp6.len(), 104);
    assert!(read_all(tcp6.as_bytes()).is_ok());
    let unknown = format!("PROXY UNKNOWN {}\r\n", "x".repeat(V1_MAX_BYTES - 16));
    assert_eq!(unknown.len(), V1_MAX_BYTES);
    assert_eq!(read_all(unknown.as_bytes()), Ok(ProxyHeader::Local));
    let longer = unknown.replacen("UNKNOWN ", "UNKNOWN x", 1);
    assert_eq!(read_all(longer.as_bytes()), Err(HeaderError::TooLongV1));
    let endless = [b"PROXY TCP4 ".as_slice(), &[b'1'; 200]].concat();
    assert_eq!(
        read_like_the_gateway(&endless).0,
        Err(HeaderError::TooLongV1)
    );
}

#[test]
fn v1_malformed_lines_are_refused_with_the_reason() {
    for (line, why) in [
        (
            "PROXY TCP4 192.0.2.10 198.51.100.1 56324\r\n",
            "fewer than four",
        ),
        (
            "PROXY TCP4 192.0.2.10 198.51.100.1 1 2 3\r\n",
            "more than four",
        ),
        ("PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n", "not IPv4"),
        ("PROXY TCP6 192.0.2.10 2001:db8::1 1 2\r\n", "not IPv6"),
        ("PROXY UDP4 192.0.2.10 198.51.100.1 1 2\r\n", "none of TCP4"),
        ("PROXY TCP4 192.0.2.10 198.51.100.1 65536 2\r\n", "port"),
        ("PROXY TCP4 192.0.2.10 198.51.100.1 0443 2\r\n", "port"),
        ("PROXY TCP4 192.0.2.10 198.51.100.1 +443 2\r\n", "port"),
        (
            "PROXY TCP4 192.0.2.10  198.51.100.1 1 2\r\n",
            "more than four",
        ),
        ("PROXY TCP4 192.0.2.010 198.51.100.1 1 2\r\n", "not IPv4"),
        ("PROXY tcp4 192.0.2.10 198.51.100.1 1 2\r\n", "none of TCP4"),
    ] {
        match read_all(line.as_bytes()) {
            Err(error @ HeaderError::MalformedV1(reason)) => {
                assert!(reason.contains(why), "{line:?}: {reason}");
                assert_eq!(error.label(), "proxy_header_malformed");
            }
            other => panic!("{line:?} gave {other:?}"),
        }
    }
    // A control byte is refused as it arrives, before the line ends.
    let (result, taken) = read_like_the_gateway(b"PROXY TCP4 192.0.2.10\x00 more bytes\r\n");
    assert!(
        matches!(result, Err(HeaderError::MalformedV1(_))),
        "{result:?}"
    );
    assert_eq!(taken, 22);
}

#[test]
fn v2_inet_inet6_and_the_local_command() {
    let source = addr("203.0.113.7:40000");
    let destination = addr("10.0.0.2:8443");
    assert_eq!(
        read_all(&v2_header(source, destination)),
        Ok(ProxyHeader::Proxied {
            source,
            destination
        })
    );
    let source6 = addr("[2001:db8::7]:1");
    let destination6 = addr("[2001:db8::2]:8443");
    assert_eq!(
        read_all(&v2_header(source6, destination6)),
        Ok(ProxyHeader::Proxied {
            source: source6,
            destination: destination6
        })
    );
    // LOCAL (HAProxy's health checks), with and without addresses.
    let mut local = v2_header(source, destination);
    local[12] = 0x20;
    assert_eq!(read_all(&local), Ok(ProxyHeader::Local));
    assert_eq!(
        read_all(b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00"),
        Ok(ProxyHeader::Local)
    );
}

#[test]
fn v2_tlvs_are_skipped_and_unspec_or_unix_keep_the_connection_address() {
    let mut with_tlv = v2_header(addr("203.0.113.7:40000"), addr("10.0.0.2:8443"));
    let tlv = [0x05u8, 0x00, 0x04, b'a', b'b', b'c', b'd']; // PP2_TYPE_UNIQUE_ID
    with_tlv[15] += tlv.len() as u8;
    with_tlv.extend_from_slice(&tlv);
    assert!(matches!(
        read_all(&with_tlv),
        Ok(ProxyHeader::Proxied { .. })
    ));
    let unspec = b"\r\n\r\n\0\r\nQUIT\n\x21\x00\x00\x00";
    assert_eq!(read_all(unspec), Ok(ProxyHeader::Local));
    let unix = [
        V2_SIGNATURE.as_slice(),
        &[0x21, 0x31, 0x00, 216],
        &[0u8; 216],
    ]
    .concat();
    assert_eq!(read_all(&unix), Ok(ProxyHeader::Local));
}

#[test]
fn v2_wrong_headers_are_refused_with_the_reason() {
    let good = v2_header(addr("203.0.113.7:40000"), addr("10.0.0.2:8443"));
    let with = |at: usize, byte: u8| {
        let mut h = good.clone();
        h[at] = byte;
        h
    };
    assert_eq!(read_all(&with(12, 0x11)), Err(HeaderError::Version(1)));
    assert_eq!(read_all(&with(12, 0x31)), Err(HeaderError::Version(3)));
    assert_eq!(read_all(&with(12, 0x22)), Err(HeaderError::Command(2)));
    assert_eq!(read_all(&with(13, 0x41)), Err(HeaderError::Family(0x41)));
    assert_eq!(read_all(&with(13, 0x13)), Err(HeaderError::Family(0x13)));
    // INET announced with room for only part of its addresses.
    let short = [&good[..15], &[8u8], &good[16..24]].concat();
    assert_eq!(read_all(&short), Err(HeaderError::ShortAddresses));
    // INET6 announced with IPv4's 12 bytes.
    assert_eq!(read_all(&with(13, 0x21)), Err(HeaderError::ShortAddresses));
    // Too long is refused from the fixed part alone, before anything else is read.
    let (result, taken) = read_like_the_gateway(&[&good[..14], &[0xff, 0xff]].concat());
    assert_eq!(result, Err(HeaderError::TooLongV2(65535)));
    assert_eq!(result.unwrap_err().label(), "proxy_header_too_long");
    assert_eq!(taken, 16);
}

#[test]
fn a_plain_tls_client_hello_is_not_a_header() {
    let stream = [CLIENT_HELLO, &[0u8; 32]].concat();
    let (result, taken) = read_like_the_gateway(&stream);
    assert_eq!(result, Err(HeaderError::Missing));
    assert_eq!(result.unwrap_err().label(), "proxy_header_missing");
    // Decided on the shortest header's worth of bytes.
    assert_eq!(taken, 15);
    assert_eq!(parse(b"\x16"), Err(HeaderError::Missing));
    assert_eq!(parse(b"GET / HTTP/1.1\r\n"), Err(HeaderError::Missing));
}

#[test]
fn a_truncated_header_asks_for_more_and_never_completes() {
    let header = v2_header(addr("203.0.113.7:40000"), addr("10.0.0.2:8443"));
    for cut in 0..header.len() {
        let (result, taken) = read_like_the_gateway(&header[..cut]);
        assert!(taken <= cut);
        assert_eq!(result, Err(HeaderError::Missing), "cut at {cut}");
    }
}

/// Round trips over random addresses of both families.
#[test]
fn every_v2_header_written_reads_back() {
    let mut rng = StdRng::seed_from_u64(13);
    for _ in 0..2_000 {
        let ip = |rng: &mut StdRng| -> std::net::IpAddr {
            if rng.random_bool(0.5) {
                std::net::Ipv4Addr::from(rng.random::<u32>()).into()
            } else {
                std::net::Ipv6Addr::from(rng.random::<u128>()).into()
            }
        };
        let source = SocketAddr::new(ip(&mut rng), rng.random());
        let destination = SocketAddr::new(source.ip(), rng.random());
        assert_eq!(
            read_all(&v2_header(source, destination)),
            Ok(ProxyHeader::Proxied {
                source,
                destination
            })
        );
    }
}

/// Seeded mutations of valid headers of both versions: flipped, dropped, inserted and
/// duplicated bytes, truncations, random lengths. Whatever comes in, the reader answers and
/// takes no byte past the header it accepts (`read_like_the_gateway` checks that the header
/// ends exactly at the bytes read).
#[test]
fn mutated_headers_never_panic_nor_read_past_the_header() {
    let seeds: Vec<Vec<u8>> = vec![
        b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n".to_vec(),
        b"PROXY TCP6 2001:db8::1 2001:db8::2 65535 8443\r\n".to_vec(),
        b"PROXY UNKNOWN\r\n".to_vec(),
        v2_header(addr("203.0.113.7:40000"), addr("10.0.0.2:8443")),
        v2_header(addr("[2001:db8::7]:1"), addr("[2001:db8::2]:8443")),
        b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00".to_vec(),
    ];
    let mut rng = StdRng::seed_from_u64(0x5052_4f58);
    for _ in 0..20_000 {
        let mut bytes = seeds[rng.random_range(0..seeds.len())].clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..=bytes.len());
            match rng.random_range(0..6) {
                0 if at < bytes.len() => bytes[at] ^= 1 << rng.random_range(0..8),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, rng.random()),
                3 => bytes.truncate(at),
                4 if bytes.len() >= 16 && bytes.starts_with(V2_SIGNATURE) => {
                    let len: u16 = rng.random_range(0..2048);
                    bytes[14..16].copy_from_slice(&len.to_be_bytes());
                }
                _ => bytes.insert(at, *b" \r\n0:.".get(rng.random_range(0..6)).unwrap()),
            }
        }
        let stream = [bytes.as_slice(), CLIENT_HELLO].concat();
        let (result, taken) = read_like_the_gateway(&stream);
        if let Ok(header) = result {
            assert_eq!(
                parse(&stream[..taken]),
                Ok(Progress::Complete {
                    header,
                    length: taken
                })
            );
        }
    }
    // Pure noise too.
    for _ in 0..20_000 {
        let len = rng.random_range(0..64);
        let noise: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let _ = read_like_the_gateway(&noise);
    }
}
