//! Integration tests: the real gateway on an ephemeral port, real TLS, real client certificates,
//! raw HTTP and the sample envelopes of `tests/envelopes/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

mod admin_audit;
mod administrators;
mod asl;
mod audit;
mod bad_input;
mod certificates;
mod certs_folder;
mod cluster;
mod cluster_throttle;
mod conformance;
mod conformance_report;
mod connections;
mod demo;
mod directory_changes;
mod gateway_process;
mod helpers;
mod hostile_xml;
mod identity;
mod immuni_upstream;
mod kit;
mod lifecycle;
mod lockout;
mod miur_cli;
mod monitoring;
mod otp;
mod otp_clock;
mod passwords;
mod pincode_halves;
mod proxy_protocol;
mod publication;
mod region_extension;
mod revocation;
mod saml;
mod sierologici;
mod sierologici_cancel;
mod sierologici_substitute;
mod throttle;
mod tls;
mod totp;
mod users_cli;
mod validate;
mod web;
mod web_admin;
