//! Our own XSD validator.
//!
//! The schemas in `xsd/` are compiled once at start-up ([`SchemaSet::compile`]) into flat
//! tables and deterministic content automata; each request then streams its payload through a
//! [`Validator`] as quick-xml parses it, so validation costs about as much as parsing.
//!
//! Only the XSD constructs our services use are supported, and anything else makes the schema
//! refuse to load ([`CompileError`]) rather than be half-enforced. libxml2 (`xmllint`) is the
//! oracle: `tests/xsd_oracle.rs` checks we agree with it on every sample and thousands of
//! generated variants, including where libxml2 departs from the letter of XSD 1.0.
//!
//! Layout: `schema_doc` reads a schema file, `compile` turns the files into a `model`, with
//! `simple_types` (+ `lexical`, `pattern`) for values and `content` for element structure;
//! `validate` is the streaming validator and `document` drives it from a whole XML document.

mod compile;
mod content;
mod document;
mod lexical;
mod model;
mod pattern;
mod schema_doc;
mod schema_set;
mod simple_types;
mod validate;
mod violation;

#[cfg(test)]
mod tests;

pub use compile::CompileError;
pub use document::{validate_document, DocumentError};
pub use schema_set::SchemaSet;
pub use validate::{Attribute, Validator};
pub use violation::{Rule, Violation};
