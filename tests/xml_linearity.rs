//! Reading any envelope costs work proportional to its size, whatever its shape: every hostile
//! shape of `tests/hostile/shapes.rs`, at sizes 16 times apart, is read while the reader counts
//! its inner-loop steps (`Work`), and the steps per byte must stay under one constant. A reader
//! with a quadratic step (quick-xml's duplicate-attribute check, `NsReader`'s scan of every
//! binding in scope) would need 16 times more steps per byte at the largest size.
//! With the default limits, each shape gets its own specific refusal — or is a valid envelope.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

#[path = "hostile/shapes.rs"]
mod shapes;

use tsgate::soap::envelope::{self, Payloads};
use tsgate::soap::fault::Fault;
use tsgate::soap::work::Work;
use tsgate::soap::xml_limits::XmlLimits;
use tsgate::soap::SoapVersion;
use tsgate::startup::compile_schemas;
use tsgate::xsd::SchemaSet;

const SIZES: [usize; 3] = [32 << 10, 128 << 10, 512 << 10];

/// The most steps per byte any shape may take, at any size.
const MAX_STEPS_PER_BYTE: f64 = 12.0;

const SERVIZI: &[(&str, &str)] = &[("urn:tsgate:ws:servizi:richiesta", "ElencoServiziRichiesta")];

/// Reads `bytes` as a Servizi request; returns the steps taken and the Fault code (or "ok").
fn read(schemas: &SchemaSet, bytes: &[u8], limits: &XmlLimits) -> (u64, &'static str) {
    let mut work = Work::new();
    let outcome = envelope::read_counted(
        bytes,
        SoapVersion::V11,
        schemas,
        limits,
        Payloads::Only(SERVIZI),
        &mut work,
    );
    let code = match outcome {
        Ok(_) => "ok",
        Err(error) => Fault::from_envelope(&error).detail_code,
    };
    (work.steps(), code)
}

#[test]
fn every_hostile_shape_costs_work_proportional_to_its_size() {
    let schemas = compile_schemas().expect("shipped schemas compile");
    for shape in shapes::SHAPES {
        let mut per_byte = Vec::new();
        for size in SIZES {
            let bytes = (shape.build)(size);
            let (steps, code) = read(&schemas, &bytes, &XmlLimits::unbounded());
            let ratio = steps as f64 / bytes.len() as f64;
            assert!(
                ratio <= MAX_STEPS_PER_BYTE,
                "{}: {steps} steps for {} bytes ({ratio:.1} a byte, {code})",
                shape.name,
                bytes.len()
            );
            per_byte.push(ratio);
        }
        let (first, last) = (per_byte[0], per_byte[SIZES.len() - 1]);
        assert!(
            last <= first * 1.25 + 0.5,
            "{}: steps per byte grow with the size: {per_byte:?}",
            shape.name
        );
    }
}

#[test]
fn with_the_default_limits_each_shape_gets_its_own_answer() {
    let schemas = compile_schemas().expect("shipped schemas compile");
    let expected = [
        ("attributes on the payload", "TROPPI_ATTRIBUTI"),
        ("attributes on a header block", "TROPPI_ATTRIBUTI"),
        (
            "attributes, the last repeating the first",
            "TROPPI_ATTRIBUTI",
        ),
        (
            "namespace declarations + prefixed attributes",
            "TROPPI_NAMESPACE",
        ),
        (
            "nested scopes, each declaring a prefix",
            "ANNIDAMENTO_ECCESSIVO",
        ),
        ("long element name", "NOME_TROPPO_LUNGO"),
        ("long attribute name", "NOME_TROPPO_LUNGO"),
        ("siblings in the header", "ok"),
        ("empty siblings in the payload", "ok"),
        ("text nodes split by comments", "SCHEMA"),
        ("comments", "ok"),
        ("long processing instruction", "NON_SOAP"),
        ("long attribute value with entities", "ok"),
        ("deep nesting in the header", "ANNIDAMENTO_ECCESSIVO"),
        ("long text", "SCHEMA"),
    ];
    assert_eq!(expected.len(), shapes::SHAPES.len());
    for shape in shapes::SHAPES {
        let want = expected
            .iter()
            .find(|(name, _)| *name == shape.name)
            .map(|(_, code)| *code);
        let bytes = (shape.build)(SIZES[1]);
        let (steps, code) = read(&schemas, &bytes, &XmlLimits::default());
        assert_eq!(Some(code), want, "{}", shape.name);
        assert!(steps as f64 <= MAX_STEPS_PER_BYTE * bytes.len() as f64);
    }
}

/// Without limits the shapes are read to the end: what each one then is.
#[test]
fn without_limits_the_shapes_are_read_to_the_end() {
    let schemas = compile_schemas().expect("shipped schemas compile");
    let expected = [
        ("attributes on the payload", "SCHEMA"),
        ("attributes on a header block", "ok"),
        (
            "attributes, the last repeating the first",
            "XML_NON_BEN_FORMATO",
        ),
        ("namespace declarations + prefixed attributes", "ok"),
        ("nested scopes, each declaring a prefix", "ok"),
        ("long element name", "ok"),
        ("long attribute name", "ok"),
        ("deep nesting in the header", "ok"),
    ];
    for (name, want) in expected {
        let shape = shapes::SHAPES
            .iter()
            .find(|s| s.name == name)
            .expect("a shape of that name");
        let (_, code) = read(&schemas, &(shape.build)(SIZES[0]), &XmlLimits::unbounded());
        assert_eq!(code, want, "{name}");
    }
}
