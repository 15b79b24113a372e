//! What keeping TLS session resumption safe against revocation costs, side by side in one run:
//! a full mutual-TLS handshake, a resumed one, a resumed one plus the gateway's check of the
//! restored client certificate (what every resumed connection now pays: a lookup when the
//! set-up in force has verified that chain), a chain verified in full (the first connection
//! that shows it after a reload), and the per-request look at whether the TLS files changed. Handshakes run in memory (no sockets):
//! CPU only, client and server together. Run: `cargo bench --bench tls_resumption`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, HandshakeKind, ServerConfig, ServerConnection};
use tsgate::config::TlsConfig;
use tsgate::domain::RegionCode;
use tsgate::pki::ca::{CertificateAuthority, Subject};
use tsgate::server::certificate_check::{self, CertificateCheck};
use tsgate::server::tls::{self, TlsSetup};

struct Fixture {
    _dir: tempfile::TempDir,
    setup: TlsSetup,
    server: Arc<ServerConfig>,
    client_chain: Vec<CertificateDer<'static>>,
    client_key: String,
    ca_pem: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = CertificateAuthority::create("bench CA").expect("CA");
    let server = ca
        .issue(
            &Subject::Server {
                hosts: vec!["localhost".into()],
            },
            30,
        )
        .expect("server certificate");
    let region = ca
        .issue(
            &Subject::Region {
                code: RegionCode::parse("120").expect("code"),
            },
            30,
        )
        .expect("region certificate");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let config = TlsConfig {
        certificate: write("server.pem", &server.cert_pem),
        key: write("server-key.pem", &server.key_pem),
        client_ca: write("ca.pem", ca.cert_pem()),
        crls: vec![write("crl.pem", &ca.crl(&[], 1, 30).expect("CRL"))],
        card_trust_anchors: Vec::new(),
        previous_client_cas: Vec::new(),
        reload_interval_ms: 5_000,
    };
    let setup = tls::server_setup(&config, &tls::session_cache()).expect("TLS set-up");
    let server = setup.acceptor.config().clone();
    let client_chain = CertificateDer::pem_slice_iter(region.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("chain");
    Fixture {
        _dir: dir,
        setup,
        server,
        client_chain,
        client_key: region.key_pem,
        ca_pem: ca.cert_pem().to_owned(),
    }
}

fn client_config(
    f: &Fixture,
    version: &'static rustls::SupportedProtocolVersion,
) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(f.ca_pem.as_bytes()) {
        roots.add(cert.expect("CA")).expect("root");
    }
    let key = PrivateKeyDer::from_pem_slice(f.client_key.as_bytes()).expect("key");
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .expect("version")
        .with_root_certificates(roots)
        .with_client_auth_cert(f.client_chain.clone(), key)
        .expect("client auth");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Moves bytes both ways until neither side has anything to say.
fn pump(client: &mut ClientConnection, server: &mut ServerConnection) {
    loop {
        let mut moved = false;
        while client.wants_write() {
            let mut bytes = Vec::new();
            client.write_tls(&mut bytes).expect("client writes");
            server.read_tls(&mut &bytes[..]).expect("server reads");
            server.process_new_packets().expect("server accepts");
            moved = true;
        }
        while server.wants_write() {
            let mut bytes = Vec::new();
            server.write_tls(&mut bytes).expect("server writes");
            client.read_tls(&mut &bytes[..]).expect("client reads");
            client.process_new_packets().expect("client accepts");
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// One connection; returns how the server saw the handshake and the chain it holds.
fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> ServerConnection {
    let name = ServerName::try_from("localhost").expect("name");
    let mut c = ClientConnection::new(client.clone(), name).expect("client");
    let mut s = ServerConnection::new(server.clone()).expect("server");
    pump(&mut c, &mut s);
    assert!(!c.is_handshaking() && !s.is_handshaking());
    s
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let verifier = f.setup.verifier.clone();
    for (label, version) in [
        ("TLS 1.3", &rustls::version::TLS13),
        ("TLS 1.2", &rustls::version::TLS12),
    ] {
        let mut group = c.benchmark_group(format!("handshake {label}"));
        let mut fresh = (*client_config(&f, version)).clone();
        fresh.resumption = rustls::client::Resumption::disabled();
        let fresh = Arc::new(fresh);
        let resuming = client_config(&f, version);
        assert_eq!(
            handshake(&fresh, &f.server).handshake_kind(),
            Some(HandshakeKind::Full)
        );
        handshake(&resuming, &f.server);
        let resumed = handshake(&resuming, &f.server);
        assert_eq!(resumed.handshake_kind(), Some(HandshakeKind::Resumed));
        assert!(
            resumed.peer_certificates().is_some(),
            "the chain is restored"
        );

        group.bench_function("full (client certificate verified)", |b| {
            b.iter(|| handshake(&fresh, &f.server))
        });
        group.bench_function("resumed, not checked", |b| {
            b.iter(|| handshake(&resuming, &f.server))
        });
        // What a resumed connection now pays on top: the chain's digest looked up among the
        // chains this set-up verified (a full handshake showed it), as `accept.rs` does.
        let (_sender, receiver) = tokio::sync::watch::channel(f.setup.clone());
        f.setup.verified.remember(&f.client_chain);
        group.bench_function("resumed + certificate checked again", |b| {
            b.iter(|| {
                let s = handshake(&resuming, &f.server);
                let chain: Vec<_> = s
                    .peer_certificates()
                    .expect("chain")
                    .iter()
                    .map(|c| c.clone().into_owned())
                    .collect();
                let mut check = CertificateCheck::new(chain, receiver.clone());
                assert_eq!(check.verify_now(), None);
            })
        });
        group.finish();
    }

    let mut group = c.benchmark_group("certificate check");
    group.bench_function(
        "chain verified in full (first connection showing it after a reload)",
        |b| b.iter(|| certificate_check::verify(verifier.as_ref(), &f.client_chain)),
    );
    let (_sender, receiver) = tokio::sync::watch::channel(f.setup.clone());
    let mut remembered = CertificateCheck::new(f.client_chain.clone(), receiver.clone());
    group.bench_function("chain remembered by the set-up (resumed session)", |b| {
        b.iter(|| remembered.verify_now())
    });
    // As a connection holds it: behind a mutex, since HTTP/2 streams share it.
    let check = std::sync::Mutex::new(CertificateCheck::new(f.client_chain.clone(), receiver));
    group.bench_function("per request, TLS files unchanged", |b| {
        b.iter(|| check.lock().map(|mut c| c.refusal()).ok())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
