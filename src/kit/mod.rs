//! The integrator's kit: what vendors and regions' integrators get from the gateway besides the
//! service itself — `tsgate validate` (their envelopes judged offline by the server's own
//! envelope and schema stage), the kit as one zip of WSDLs, XSDs, samples and manifests, and the
//! conformance report of a caller's calls against the kit's documented cases.

pub mod archive;
pub mod checklist;
pub mod manifest;
pub mod report;
pub mod validate;
pub mod zip;
