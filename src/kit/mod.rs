//! The integrator's kit: what vendors and regions' integrators get from the gateway besides the
//! service itself — `tsgate validate` (their envelopes judged offline by the server's own
//! envelope and schema stage), the kit as one zip of WSDLs, XSDs, samples and manifests.

pub mod archive;
pub mod validate;
pub mod zip;
