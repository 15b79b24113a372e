//! tsgate — a SOAP/XML cooperative web-service gateway for the Sistema Tessera Sanitaria
//! COVID-19 services. `server` is the network path of a request, `soap` its stage pipeline and
//! SOAP adapters, `identity` who is calling, `services` the use cases (typed request → typed
//! outcome, no transport), `audit` the access-log entry of a request, `admin` the administrative
//! rules the CLI applies, `store` persistence, `registry` the CSV files of the registry of
//! assistiti (import and synthetic generation), `jobs` batch work (the Commissioner's report, the
//! retention purge), `xsd` our own schema validator, `immuni` the
//! upstream of the OTP service; `startup` builds them all. Dependencies point down the layers of
//! the README's "Architecture" (checked by `tests/layering.rs`).
#![forbid(unsafe_code)]

pub mod admin;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod identity;
pub mod immuni;
pub mod issuer_lease;
pub mod jobs;
pub mod kit;
pub mod metrics;
pub mod pki;
pub mod registry;
pub mod saml;
pub mod server;
pub mod services;
pub mod soap;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod xsd;
