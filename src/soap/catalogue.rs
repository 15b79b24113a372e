//! The SOAP services the gateway offers: each service's WSDL, its operations (one SOAP adapter
//! each, by request root element) and who may call them; the published WSDL and XSD files.

use std::sync::Arc;

use async_trait::async_trait;

use super::adapters;
use super::publication::Publication;
use super::Element;
use crate::config::Config;
use crate::domain::TransactionIdKind;
use crate::immuni::client::ClientError;
use crate::metrics::Metrics;
use crate::services::otp::InvioOtp;
use crate::services::servizi::{OfferedOperation, OfferedService};
use crate::services::sierologici::SendLocks;
use crate::services::{Access, Context, Outcome, Service};

pub struct OperationSpec {
    pub name: &'static str,
    /// The request root element: (namespace, local name).
    pub request: (&'static str, &'static str),
    /// The response root element: (namespace, local name).
    pub response: (&'static str, &'static str),
    pub access: Access,
    /// The payload child in which a region names its end user (`cfOperatore`, `cfMedico`),
    /// with `tipoAutenticazione` beside it: where a signed SAML assertion stands in for both.
    pub end_user: Option<&'static str>,
}

impl OperationSpec {
    /// The same operation, where a region names its end user in `field`.
    pub fn naming_end_user(mut self, field: &'static str) -> OperationSpec {
        self.end_user = Some(field);
        self
    }
}

/// What an adapter reads besides the use case's context: the payload, and — for the
/// catalogue operation only — what the gateway publishes.
pub struct Call<'a> {
    pub payload: &'a Element,
    pub catalogue: &'a Catalogue,
    pub publication: &'a Publication,
}

/// One SOAP operation: reads the (already schema-valid) payload into the typed request, calls
/// the use case, and writes its outcome's payload as the response elements (with the `ric:`
/// prefix) that follow the outcome header.
#[async_trait]
pub trait Operation: Send + Sync {
    fn spec(&self) -> &OperationSpec;
    async fn invoke(&self, ctx: &Context<'_>, call: Call<'_>) -> Outcome<String>;
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
    /// The request roots (namespace, local name) of its operations: the only payloads its
    /// endpoint reads (`envelope::Payloads::Only`), for the server and `tsgate validate` alike.
    pub fn requests(&self) -> Vec<(&'static str, &'static str)> {
        self.operations
            .iter()
            .map(|operation| operation.spec().request)
            .collect()
    }

    /// The operation whose request element is the payload root.
    pub fn operation_for(&self, namespace: &str, name: &str) -> Option<&Arc<dyn Operation>> {
        self.operations
            .iter()
            .find(|op| op.spec().request == (namespace, name))
    }

    fn offered(&self) -> OfferedService {
        OfferedService {
            name: self.name,
            description: self.description,
            operations: self
                .operations
                .iter()
                .map(|op| OfferedOperation {
                    name: op.spec().name,
                    access: op.spec().access,
                })
                .collect(),
        }
    }
}

/// Find a service by its path segment, an operation by its payload.
pub struct Catalogue {
    services: Vec<ServiceSpec>,
    /// The same services as the use cases see them (for `ElencoServizi`).
    offered: Vec<OfferedService>,
    /// The locks `AnnullaTest` decides under, shared by SOAP and the web pages so that two
    /// cancels of one send, whichever way they come, wait for each other.
    send_locks: Arc<SendLocks>,
    /// The `InvioOTP` use case SOAP calls, for the web page that sends OTPs too: one upstream
    /// client, one limit of calls in flight.
    invio_otp: Option<Arc<InvioOtp>>,
}

impl Catalogue {
    pub fn new(services: Vec<ServiceSpec>) -> Catalogue {
        Catalogue::with_send_locks(services, Arc::default())
    }

    fn with_send_locks(services: Vec<ServiceSpec>, send_locks: Arc<SendLocks>) -> Catalogue {
        let offered = services.iter().map(ServiceSpec::offered).collect();
        Catalogue {
            services,
            offered,
            send_locks,
            invio_otp: None,
        }
    }

    /// The locks the cancels of a send take (see `AnnullaTest`).
    pub fn send_locks(&self) -> &SendLocks {
        &self.send_locks
    }

    /// Every service the configuration offers, in catalogue order. `InvioOTP` needs its
    /// upstream (`[immuni]`); without it it is not offered. Its uploads are counted in `metrics`.
    pub fn from_config(config: &Config, metrics: &Metrics) -> Result<Catalogue, ClientError> {
        let mut services = Vec::with_capacity(Service::ALL.len());
        let send_locks = Arc::new(SendLocks::new());
        let invio_otp = match &config.immuni {
            Some(immuni) => Some(Arc::new(InvioOtp::new(
                immuni,
                metrics.immuni_uploads.clone(),
            )?)),
            None => None,
        };
        for service in Service::ALL {
            match service {
                Service::Servizi => services.push(adapters::servizi::service()),
                Service::InvioOtp => {
                    if let Some(operation) = &invio_otp {
                        services.push(adapters::otp::service(operation.clone()));
                    }
                }
                Service::Sierologici => {
                    services.push(adapters::sierologici::service(
                        &config.extensions,
                        send_locks.clone(),
                    ));
                }
                Service::Asl => services.push(adapters::asl::service(&config.extensions)),
            }
        }
        let mut catalogue = Catalogue::with_send_locks(services, send_locks);
        catalogue.invio_otp = invio_otp;
        Ok(catalogue)
    }

    /// The `InvioOTP` use case, when `[immuni]` configures it.
    pub fn invio_otp(&self) -> Option<&Arc<InvioOtp>> {
        self.invio_otp.as_ref()
    }

    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn services(&self) -> &[ServiceSpec] {
        &self.services
    }

    pub fn offered(&self) -> &[OfferedService] {
        &self.offered
    }
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
