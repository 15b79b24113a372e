//! The conformance kit's manifests, read from the kit the binary embeds: for each sample, how
//! it is sent and the answer it must get. The conformance report's checklist is derived from
//! them, so a case added to the kit is a case the report asks for.

use serde::Deserialize;

use super::archive::samples::SAMPLES;

/// One `[[case]]` of a `manifest.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub file: String,
    /// `region`, `card`, `operator`, `mmg`, `substitute`, `asl`, `wrong-pincode`, `anonymous`.
    pub caller: String,
    #[serde(default)]
    pub content_type: Option<String>,
    pub status: u16,
    /// The `codEsito` of a reply, or the `<f:codice>` of a Fault.
    pub outcome: String,
    /// The code of the reply's first message.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    case: Vec<Case>,
}

/// A case with the kit (folder) it belongs to and its sample's bytes.
#[derive(Debug, Clone)]
pub struct KitCase {
    /// `servizi`, `otp`, `sierologici`, `asl`.
    pub kit: &'static str,
    pub case: Case,
    pub sample: &'static [u8],
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{kit}/manifest.toml cannot be read: {message}")]
    Unreadable { kit: String, message: String },
    #[error("{kit}/manifest.toml names {file}, which the kit does not have")]
    NoSample { kit: String, file: String },
}

/// Every case of every manifest, kit by kit in path order, each kit's cases in manifest order.
pub fn cases() -> Result<Vec<KitCase>, ManifestError> {
    let mut all = Vec::new();
    for (path, contents) in SAMPLES {
        let Some(kit) = path.strip_suffix("/manifest.toml") else {
            continue;
        };
        let unreadable = |message: String| ManifestError::Unreadable {
            kit: kit.to_owned(),
            message,
        };
        let text = std::str::from_utf8(contents).map_err(|e| unreadable(e.to_string()))?;
        let manifest: Manifest = toml::from_str(text).map_err(|e| unreadable(e.to_string()))?;
        for case in manifest.case {
            let wanted = format!("{kit}/{}", case.file);
            let sample = SAMPLES
                .iter()
                .find(|(path, _)| *path == wanted)
                .map(|(_, sample)| *sample)
                .ok_or_else(|| ManifestError::NoSample {
                    kit: kit.to_owned(),
                    file: case.file.clone(),
                })?;
            all.push(KitCase { kit, case, sample });
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_manifest_reads_and_names_samples_the_kit_has() {
        let cases = cases().unwrap();
        for kit in ["servizi", "otp", "sierologici", "asl"] {
            assert!(cases.iter().filter(|c| c.kit == kit).count() >= 10, "{kit}");
        }
        assert!(cases.iter().all(|c| !c.sample.is_empty()));
    }
}
