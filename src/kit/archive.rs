//! The kit as one download (`GET /kit.zip`, `tsgate kit --out FILE`): every WSDL (with this
//! gateway's address) and XSD, the conformance kit's sample requests and replies with their
//! manifests of expected outcomes, and a short README in Italian and English. Schema imports are
//! written as paths relative to the importing file, so the unpacked folder loads from disk in a
//! SOAP toolkit with no network.

use super::zip::{ZipError, ZipWriter};
use crate::soap::publication::Publication;
use crate::soap::{SCHEMA_FILES, WSDL_FILES};

/// The conformance kit's files, embedded by `build.rs` from `tests/envelopes/`.
pub mod samples {
    include!(concat!(env!("OUT_DIR"), "/kit_samples.rs"));
}

/// The folder everything is unpacked into.
pub const ROOT: &str = "tsgate-kit";
pub const FILE_NAME: &str = "tsgate-kit.zip";
const README_EN: &str = include_str!("../../docs/kit/README.md");
const README_IT: &str = include_str!("../../docs/kit/LEGGIMI.md");

/// The zip's bytes, for the gateway `publication` describes.
pub fn build(publication: &Publication) -> Result<Vec<u8>, ZipError> {
    let mut zip = ZipWriter::new();
    zip.add(&format!("{ROOT}/README.md"), README_EN.as_bytes())?;
    zip.add(&format!("{ROOT}/LEGGIMI.md"), README_IT.as_bytes())?;
    for (file, shipped) in WSDL_FILES {
        let service = file.trim_end_matches(".wsdl");
        let text = publication.wsdl(service).unwrap_or(shipped);
        zip.add(
            &format!("{ROOT}/wsdl/{file}"),
            relative_imports(text, "../xsd/").as_bytes(),
        )?;
    }
    for (file, text) in SCHEMA_FILES {
        zip.add(
            &format!("{ROOT}/xsd/{file}"),
            relative_imports(text, "").as_bytes(),
        )?;
    }
    for (path, contents) in samples::SAMPLES {
        zip.add(&format!("{ROOT}/envelopes/{path}"), contents)?;
    }
    zip.finish()
}

/// Every `schemaLocation` pointed at its file's name under `folder` (relative to the importing
/// file): `../xsd/` from `wsdl/`, nothing from `xsd/` itself, whatever URL or path it had.
fn relative_imports(text: &str, folder: &str) -> String {
    const ATTRIBUTE: &str = "schemaLocation=\"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(ATTRIBUTE) {
        let (before, after) = rest.split_at(at + ATTRIBUTE.len());
        out.push_str(before);
        let Some(end) = after.find('"') else {
            rest = after;
            break;
        };
        let location = &after[..end];
        let name = location.rsplit('/').next().unwrap_or(location);
        out.push_str(folder);
        out.push_str(name);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_become_relative_to_the_importing_file() {
        let wsdl = r#"<xs:import namespace="a" schemaLocation="https://gw.example/xsd/otp-richiesta.xsd"/><xs:import schemaLocation="../xsd/tipi.xsd"/>"#;
        assert_eq!(
            relative_imports(wsdl, "../xsd/"),
            r#"<xs:import namespace="a" schemaLocation="../xsd/otp-richiesta.xsd"/><xs:import schemaLocation="../xsd/tipi.xsd"/>"#
        );
        assert_eq!(
            relative_imports(r#"<xs:import schemaLocation="/xsd/tipi.xsd"/>"#, ""),
            r#"<xs:import schemaLocation="tipi.xsd"/>"#
        );
    }

    #[test]
    fn the_kit_embeds_every_manifest_and_sample() {
        let manifests = samples::SAMPLES
            .iter()
            .filter(|(path, _)| path.ends_with("/manifest.toml"))
            .count();
        assert_eq!(manifests, 4);
        for kit in ["servizi", "otp", "sierologici", "asl"] {
            assert!(
                samples::SAMPLES
                    .iter()
                    .any(|(path, _)| path.starts_with(&format!("{kit}/responses/"))),
                "{kit}: sample replies"
            );
        }
    }
}
