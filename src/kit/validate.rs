//! `tsgate validate`: an envelope judged offline exactly as a gateway's endpoint judges it —
//! body size, Content-Type, service, then the envelope rules and the payload against the
//! published XSDs in one pass (`soap::envelope::read`, the server's own reader) — so a vendor's
//! CI gets the verdict the server would give, with the same Fault code and text, without a
//! running gateway. Only the stages before identification are judged: what a file alone decides.

use crate::config::{Config, ImmuniConfig};
use crate::immuni::client::ClientError;
use crate::metrics::Metrics;
use crate::soap::catalogue::{Catalogue, ServiceSpec};
use crate::soap::envelope::{self, EnvelopeError, Payloads, TextPosition};
use crate::soap::fault::Fault;
use crate::soap::xml_limits::XmlLimits;
use crate::soap::{SoapVersion, SCHEMA_FILES};
use crate::xsd::{CompileError, SchemaSet};

/// What the gateway would do with a request before identifying its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It would go on to identify the caller and run `operation` of `service`.
    Valid {
        service: &'static str,
        operation: &'static str,
    },
    /// It would answer with this Fault.
    Invalid(Refusal),
}

/// The Fault a request would get, as the server writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    /// `<f:codice>`: `SCHEMA`, `NON_SOAP`, `XML_NON_BEN_FORMATO`, …
    pub code: &'static str,
    /// `faultstring` / `Reason/Text`.
    pub reason: String,
    /// For a schema violation: where and what (the reason says the same in words).
    pub violation: Option<ViolationAt>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationAt {
    pub line: usize,
    pub column: usize,
    pub element: String,
    pub path: String,
    /// The XSD rule (`pattern`, `content model`, `maxLength`, …).
    pub rule: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the published schemas do not compile: {0}")]
    Schemas(#[from] CompileError),
    #[error("the services cannot be set up: {0}")]
    Services(#[from] ClientError),
}

/// The envelope stage of one gateway's configuration: its services, limits and schemas.
pub struct Validator {
    schemas: SchemaSet,
    catalogue: Catalogue,
    limits: XmlLimits,
    max_body_bytes: usize,
}

impl Validator {
    /// The stage as the gateway configured by `config` runs it. Without an `[immuni]` section
    /// that gateway offers no `InvioOTP`, and neither does its validator.
    pub fn for_gateway(config: &Config) -> Result<Validator, SetupError> {
        Ok(Validator {
            schemas: SchemaSet::compile(SCHEMA_FILES)?,
            // Nothing is uploaded offline: the counts go nowhere.
            catalogue: Catalogue::from_config(config, &Metrics::new())?,
            limits: XmlLimits::from_config(&config.server),
            max_body_bytes: config.server.max_body_bytes,
        })
    }

    /// A gateway at the default settings offering every service (the demo's): what a vendor
    /// checks against when they have no configuration of their own.
    pub fn with_defaults() -> Result<Validator, SetupError> {
        let mut config = Config::in_directory(
            std::path::Path::new("."),
            std::net::SocketAddr::from(([127, 0, 0, 1], 8443)),
        );
        // Only read to build the InvioOTP service; nothing is ever sent.
        config.immuni = Some(ImmuniConfig {
            base_url: "http://127.0.0.1:9".to_owned(),
            ..ImmuniConfig::default()
        });
        Validator::for_gateway(&config)
    }

    /// The (service, operation) whose request element is (namespace, name), if any.
    pub fn operation_of(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<(&'static str, &'static str)> {
        self.catalogue.services().iter().find_map(|service| {
            service
                .operation_for(namespace, name)
                .map(|operation| (service.name, operation.spec().name))
        })
    }

    /// The services offered, in catalogue order.
    pub fn services(&self) -> Vec<&'static str> {
        self.catalogue.services().iter().map(|s| s.name).collect()
    }

    /// The verdict on `body` sent with `content_type` to `/ws/<service>`. Without a
    /// Content-Type, the envelope's own namespace gives the SOAP version; without a service,
    /// the payload's root picks it among all of them.
    pub fn check(&self, body: &[u8], content_type: Option<&str>, service: Option<&str>) -> Verdict {
        if body.len() > self.max_body_bytes {
            return refused(&Fault::too_large(self.max_body_bytes), None);
        }
        let Some(content_type) = content_type else {
            // The envelope's namespace tells: read as SOAP 1.1, and as 1.2 if it says so.
            return match self.check_version(body, SoapVersion::V11, service) {
                Verdict::Invalid(refusal) if refusal.code == VERSION_MISMATCH => {
                    self.check_version(body, SoapVersion::V12, service)
                }
                verdict => verdict,
            };
        };
        match SoapVersion::from_content_type(Some(content_type)) {
            Ok(version) => self.check_version(body, version, service),
            Err(why) => refused(&Fault::content_type(why), None),
        }
    }

    fn check_version(&self, body: &[u8], version: SoapVersion, service: Option<&str>) -> Verdict {
        match service {
            Some(name) => match self.catalogue.service(name) {
                Some(service) => self.check_for(service, body, version),
                None => refused(&Fault::unknown_service(name), None),
            },
            None => self.check_any(body, version),
        }
    }

    /// Exactly the server's stage 1 for one service's endpoint.
    fn check_for(&self, service: &ServiceSpec, body: &[u8], version: SoapVersion) -> Verdict {
        let requests = service.requests();
        match envelope::read(
            body,
            version,
            &self.schemas,
            &self.limits,
            Payloads::Only(&requests),
        ) {
            Ok(read) => match service.operation_for(&read.payload.namespace, &read.payload.name) {
                Some(operation) => Verdict::Valid {
                    service: service.name,
                    operation: operation.spec().name,
                },
                None => refused(
                    &Fault::unknown_operation(
                        service.name,
                        &read.payload.namespace,
                        &read.payload.name,
                    ),
                    None,
                ),
            },
            Err(error) => refused(
                &Fault::from_request_envelope(service.name, &error),
                Some(&error),
            ),
        }
    }

    /// The payload's root names the service: the endpoint of the service whose operation it
    /// is would judge it exactly as [`Validator::check_for`] does (the root is checked on its
    /// start tag, before anything is validated).
    fn check_any(&self, body: &[u8], version: SoapVersion) -> Verdict {
        let services = self.catalogue.services();
        let requests: Vec<(&str, &str)> = services.iter().flat_map(ServiceSpec::requests).collect();
        match envelope::read(
            body,
            version,
            &self.schemas,
            &self.limits,
            Payloads::Only(&requests),
        ) {
            Ok(read) => services
                .iter()
                .find_map(|service| {
                    service
                        .operation_for(&read.payload.namespace, &read.payload.name)
                        .map(|operation| Verdict::Valid {
                            service: service.name,
                            operation: operation.spec().name,
                        })
                })
                .unwrap_or_else(|| {
                    refused(
                        &no_such_operation(services, &read.payload.namespace, &read.payload.name),
                        None,
                    )
                }),
            Err(EnvelopeError::UnknownOperation { namespace, name }) => {
                refused(&no_such_operation(services, &namespace, &name), None)
            }
            Err(error) => refused(&Fault::from_envelope(&error), Some(&error)),
        }
    }
}

/// The detail code of an envelope whose SOAP version differs from the Content-Type's.
const VERSION_MISMATCH: &str = "VERSIONE_SOAP";

/// Without a service named, a payload that is no operation of any of them.
fn no_such_operation(services: &[ServiceSpec], namespace: &str, name: &str) -> Fault {
    let names: Vec<&str> = services.iter().map(|s| s.name).collect();
    let listed = match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} o {last}", rest.join(", ")),
        None => String::new(),
    };
    Fault::unknown_operation(&listed, namespace, name)
}

fn refused(fault: &Fault, error: Option<&EnvelopeError>) -> Verdict {
    let violation = match error {
        Some(EnvelopeError::Schema {
            violation,
            at: TextPosition { line, column },
        }) => Some(ViolationAt {
            line: *line,
            column: *column,
            element: violation.element.clone(),
            path: violation.path.clone(),
            rule: violation.rule.xsd_name(),
        }),
        _ => None,
    };
    Verdict::Invalid(Refusal {
        status: fault.status.as_u16(),
        code: fault.detail_code,
        reason: fault.reason.clone(),
        violation,
    })
}
