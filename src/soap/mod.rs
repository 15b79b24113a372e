//! The SOAP stage pipeline, one file per stage, in the order `pipeline.rs` calls them:
//! envelope (+ schema, same pass) → identify → authorize → throttle → dispatch → record → respond.

pub mod authorize;
pub mod envelope;
pub mod envelope_reader;
pub mod fault;
mod namespaces;
pub mod payload;
pub mod pipeline;
pub mod record;
pub mod respond;
mod start_tag;
pub mod throttle;
mod unique;
pub mod version;
pub mod work;
pub mod xml;
pub mod xml_limits;

pub use payload::Element;
pub use version::SoapVersion;
