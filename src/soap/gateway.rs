//! What the SOAP pipeline works with, shared by all connections: the envelope reader, the
//! catalogue, who-is-calling ([`Identity`]), the regions' SAML trust, the throttle, transaction ids, the access-log writer,
//! the clock, metrics. Built by `startup`; nothing else of the process (TLS, listeners,
//! configuration) is reachable from here.

use std::sync::Arc;

use super::catalogue::Catalogue;
use super::envelope_reader::EnvelopeReader;
use super::publication::Publication;
use super::throttle::Throttle;
use crate::clock::Clock;
use crate::domain::TransactionIds;
use crate::identity::Identity;
use crate::metrics::Metrics;
use crate::saml::SamlTrust;
use crate::store::{AccessLogWriter, Store};

pub struct Gateway {
    pub envelope_reader: EnvelopeReader,
    pub catalogue: Catalogue,
    /// The WSDL and XSD files, with this gateway's address.
    pub publication: Publication,
    /// What the use cases read and decide on.
    pub store: Arc<dyn Store>,
    pub access_log: AccessLogWriter,
    pub throttle: Throttle,
    pub identity: Arc<Identity>,
    /// The regions whose signed SAML assertions name their end users (`[saml]`).
    pub saml: SamlTrust,
    pub metrics: Arc<Metrics>,
    pub transaction_ids: Arc<TransactionIds>,
    /// The clock the date rules read (tests pin it).
    pub clock: Clock,
}
