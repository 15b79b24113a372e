//! Integration tests: the real gateway on an ephemeral port, real TLS, real client certificates,
//! raw HTTP and the sample envelopes of `tests/envelopes/`.

mod asl;
mod audit;
mod bad_input;
mod conformance;
mod helpers;
mod hostile_xml;
mod identity;
mod immuni_upstream;
mod lifecycle;
mod otp;
mod publication;
mod sierologici;
mod throttle;
mod tls;
