//! The SOAP stage pipeline, one file per stage, in the order `pipeline.rs` calls them:
//! envelope (+ schema, same pass) → identify → authorize → throttle → dispatch → record → respond.

pub mod authorize;
pub mod credential_cache;
pub mod directory_version;
pub mod envelope;
pub mod fault;
pub mod identify;
pub mod payload;
pub mod permissions;
pub mod pipeline;
pub mod record;
pub mod respond;
pub mod throttle;
pub mod version;
pub mod xml;

pub use payload::Element;
pub use version::SoapVersion;
