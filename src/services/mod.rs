//! The services the gateway offers. Each service is a folder; each operation a plain async
//! function from a typed request to a typed reply, registered here with its access rule.

pub mod asl;
pub mod catalogue;
pub mod otp;
pub mod outcome;
pub mod servizi;
pub mod sierologici;

use std::sync::Arc;

use async_trait::async_trait;

pub use catalogue::Catalogue;
pub use outcome::{Audit, Messaggio, Reply, TipoErrore};

pub use crate::domain::TransactionIdKind;

use crate::config::Config;
use crate::identity::Caller;
use crate::immuni::client::ClientError;
use crate::soap::Element;
use crate::startup::App;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Every identified caller (e.g. the catalogue itself).
    AnyCaller,
    /// Operators holding this profile, and regions enabled for the service.
    Profile(&'static str),
    /// Operators holding this profile, never a region: the seed names no regional callers
    /// (Sierologici and ASL unless `[extensions] region_callers_on_sierologici_asl`).
    OperatorProfile(&'static str),
}

pub struct OperationSpec {
    pub name: &'static str,
    /// The request root element: (namespace, local name).
    pub request: (&'static str, &'static str),
    /// The response root element: (namespace, local name).
    pub response: (&'static str, &'static str),
    pub access: Access,
}

/// What a handler sees of the request besides its payload.
pub struct Context<'a> {
    pub app: &'a App,
    pub caller: &'a Caller,
    pub service: &'a ServiceSpec,
    /// The id this transaction's reply will carry (a cancel records it with what it cancels).
    pub transaction_id: crate::domain::TransactionId,
    /// Locks the operation keeps until its access-log entry is committed (or refused).
    pub held: HeldUntilRecorded,
}

/// Locks an operation takes to decide on what it read and keeps until the pipeline has
/// committed its entry and write: the pipeline drops the [`Context`] only after recording, so
/// the next holder of the same lock reads what this transaction committed.
#[derive(Default)]
pub struct HeldUntilRecorded(std::sync::Mutex<Vec<tokio::sync::OwnedMutexGuard<()>>>);

impl HeldUntilRecorded {
    pub fn hold(&self, guard: tokio::sync::OwnedMutexGuard<()>) {
        // A poisoned list still holds its guards; keep this one with them.
        match self.0.lock() {
            Ok(mut held) => held.push(guard),
            Err(poisoned) => poisoned.into_inner().push(guard),
        }
    }
}

#[async_trait]
pub trait Operation: Send + Sync {
    fn spec(&self) -> &OperationSpec;
    /// Parses the (already schema-valid) payload into the typed request and handles it.
    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply;
}

pub struct ServiceSpec {
    /// The path segment: `/ws/<name>`.
    pub name: &'static str,
    pub description: &'static str,
    /// The WSDL file under `wsdl/`.
    pub wsdl: &'static str,
    /// The shape of the ids this service's replies carry.
    pub transaction_ids: TransactionIdKind,
    pub operations: Vec<Arc<dyn Operation>>,
}

impl ServiceSpec {
    /// The operation whose request element is the payload root.
    pub fn operation_for(&self, namespace: &str, name: &str) -> Option<&Arc<dyn Operation>> {
        self.operations
            .iter()
            .find(|op| op.spec().request == (namespace, name))
    }
}

/// A service tsgate has: its name, and how the configuration builds it (`None`: not offered).
struct Entry {
    name: &'static str,
    build: fn(&Config) -> Result<Option<ServiceSpec>, ClientError>,
}

/// Every service, in the order the catalogue lists them: the one list both [`all`] and
/// [`names`] read. `InvioOTP` needs its upstream (`[immuni]`); without it it is not offered.
const SERVICES: &[Entry] = &[
    Entry {
        name: servizi::SERVICE,
        build: |_| Ok(Some(servizi::service())),
    },
    Entry {
        name: otp::SERVICE,
        build: |config| config.immuni.as_ref().map(otp::service).transpose(),
    },
    Entry {
        name: sierologici::SERVICE,
        build: |config| Ok(Some(sierologici::service(&config.extensions))),
    },
    Entry {
        name: asl::SERVICE,
        build: |config| Ok(Some(asl::service(&config.extensions))),
    },
];

/// The name of every service tsgate has, configured here or not (for `tsgate regions enable`).
pub fn names() -> impl Iterator<Item = &'static str> {
    SERVICES.iter().map(|entry| entry.name)
}

/// Every service the configuration offers, in catalogue order.
pub fn all(config: &Config) -> Result<Vec<ServiceSpec>, ClientError> {
    SERVICES
        .iter()
        .filter_map(|entry| (entry.build)(config).transpose())
        .collect()
}

/// The published files, embedded so the binary serves them from anywhere: (file name, text).
pub const SCHEMA_FILES: &[(&str, &str)] = &[
    ("tipi.xsd", include_str!("../../xsd/tipi.xsd")),
    (
        "servizi-richiesta.xsd",
        include_str!("../../xsd/servizi-richiesta.xsd"),
    ),
    (
        "servizi-ricevuta.xsd",
        include_str!("../../xsd/servizi-ricevuta.xsd"),
    ),
    (
        "otp-richiesta.xsd",
        include_str!("../../xsd/otp-richiesta.xsd"),
    ),
    (
        "otp-ricevuta.xsd",
        include_str!("../../xsd/otp-ricevuta.xsd"),
    ),
    (
        "sierologici-richiesta.xsd",
        include_str!("../../xsd/sierologici-richiesta.xsd"),
    ),
    (
        "sierologici-ricevuta.xsd",
        include_str!("../../xsd/sierologici-ricevuta.xsd"),
    ),
    (
        "asl-richiesta.xsd",
        include_str!("../../xsd/asl-richiesta.xsd"),
    ),
    (
        "asl-ricevuta.xsd",
        include_str!("../../xsd/asl-ricevuta.xsd"),
    ),
];

pub const WSDL_FILES: &[(&str, &str)] = &[
    ("Servizi.wsdl", include_str!("../../wsdl/Servizi.wsdl")),
    ("InvioOTP.wsdl", include_str!("../../wsdl/InvioOTP.wsdl")),
    (
        "Sierologici.wsdl",
        include_str!("../../wsdl/Sierologici.wsdl"),
    ),
    ("ASL.wsdl", include_str!("../../wsdl/ASL.wsdl")),
];
