//! The SOAP side of the gateway: the stage pipeline, one file per stage, in the order
//! `pipeline.rs` calls them — envelope (+ schema, same pass) → identify → end user (a region's
//! signed SAML assertion, `end_user.rs`) → authorize → throttle →
//! dispatch (to the service's adapter in `adapters/`) → record (`crate::audit`) → respond —, the
//! [`Gateway`] it works with, and the catalogue of services, WSDL and XSD files it publishes.

pub mod adapters;
pub mod authorize;
pub mod catalogue;
pub mod end_user;
pub mod envelope;
pub mod envelope_reader;
pub mod fault;
pub mod gateway;
mod namespaces;
pub mod payload;
pub mod pipeline;
pub mod publication;
pub mod reply;
pub mod respond;
mod start_tag;
pub mod throttle;
mod unique;
pub mod version;
pub mod work;
pub mod xml;
pub mod xml_limits;

pub use catalogue::{Catalogue, SCHEMA_FILES, WSDL_FILES};
pub use gateway::Gateway;
pub use payload::Element;
pub use version::SoapVersion;
