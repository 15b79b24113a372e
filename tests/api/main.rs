//! Integration tests: the real gateway on an ephemeral port, real TLS, real client certificates,
//! raw HTTP and the sample envelopes of `tests/envelopes/`.

mod audit;
mod bad_input;
mod conformance;
mod helpers;
mod identity;
mod lifecycle;
mod publication;
mod throttle;
mod tls;
