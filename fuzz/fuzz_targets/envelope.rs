//! Any bytes through the envelope reader and schema validator: it must answer (Ok or a clear
//! error), never panic, whatever the input.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tsgate::soap::envelope::{self, Payloads};
use tsgate::soap::xml_limits::XmlLimits;
use tsgate::soap::SoapVersion;
use tsgate::xsd::SchemaSet;

fn schemas() -> &'static SchemaSet {
    static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
    SCHEMAS.get_or_init(|| tsgate::startup::compile_schemas().expect("shipped schemas compile"))
}

fuzz_target!(|data: &[u8]| {
    for version in [SoapVersion::V11, SoapVersion::V12] {
        let limits = XmlLimits::default();
        let _ = envelope::read(data, version, schemas(), &limits, Payloads::Any);
    }
});
