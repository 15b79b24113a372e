//! The xmllint oracle, generic over a schema directory, a samples directory and a golden file,
//! so the gateway runs the same proof on its real `xsd/` and SOAP sample envelopes.
//!
//! `check_golden` (plain `cargo test`, no xmllint needed) regenerates the variants, validates
//! each with our validator and requires the golden verdicts, which libxml2 produced, exactly.
//! `derive_golden` runs xmllint to write a fresh golden file, so CI can diff it against the
//! committed one and the golden file can never drift from libxml2.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use tsgate::xsd::{validate_document, DocumentError, SchemaSet};

use crate::payload::extract_payload;
use crate::variants::{self, Variant};

/// What the sample files are.
#[derive(Clone, Copy, Debug)]
pub enum SampleKind {
    /// Payload documents (the element that sits inside a SOAP Body).
    Payload,
    /// SOAP 1.1/1.2 envelopes; the Body's first child is what gets validated.
    SoapEnvelope,
}

/// Fewest cases the fixture oracle must have: a handful would prove little.
pub const MIN_CASES: usize = 1000;

/// The samples (every `*.xml` under the directory, named by their path relative to it) and
/// their variants.
pub fn cases(samples_dir: &Path, kind: SampleKind) -> Vec<Variant> {
    let mut files = xml_files_under(samples_dir);
    files.sort();
    let samples: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let bytes = match kind {
                SampleKind::Payload => bytes,
                // Envelopes with no payload to extract (DOCTYPE, malformed XML, no Body child)
                // exercise the envelope stage, not the schemas: the conformance tests cover them.
                SampleKind::SoapEnvelope => {
                    extract_payload(&bytes).ok().filter(|p| well_formed(p))?
                }
            };
            let name = path
                .strip_prefix(samples_dir)
                .unwrap_or(path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            Some((name, bytes))
        })
        .collect();
    assert!(
        !samples.is_empty(),
        "no *.xml samples in {}",
        samples_dir.display()
    );
    variants::generate(&samples).unwrap_or_else(|e| panic!("cannot generate variants: {e}"))
}

/// Every `*.xml` file in `dir` and its subfolders.
fn xml_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
        for path in entries.filter_map(|entry| entry.ok().map(|e| e.path())) {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "xml") {
                found.push(path);
            }
        }
    }
    found
}

/// A standalone document quick-xml reads to the end, entities included.
fn well_formed(document: &[u8]) -> bool {
    let mut reader = quick_xml::Reader::from_reader(document);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return true,
            Ok(quick_xml::events::Event::Text(text)) if text.unescape().is_err() => return false,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

/// Our verdict: `Ok` if valid, else the reason.
pub fn our_verdict(set: &SchemaSet, document: &[u8]) -> Result<(), String> {
    match validate_document(set, document) {
        Ok(()) => Ok(()),
        Err(DocumentError::Invalid(v)) => Err(v.to_string()),
        Err(other) => Err(format!("(not a schema violation) {other}")),
    }
}

/// Golden file line: `id<TAB>valid|invalid<TAB>description`.
fn parse_golden(path: &Path) -> BTreeMap<String, (bool, String)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read golden file {}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(id), Some(verdict), Some(description)) =
            (parts.next(), parts.next(), parts.next())
        else {
            panic!("{}:{}: malformed line", path.display(), n + 1);
        };
        let valid = match verdict {
            "valid" => true,
            "invalid" => false,
            other => panic!("{}:{}: verdict '{other}'", path.display(), n + 1),
        };
        if out
            .insert(id.to_owned(), (valid, description.to_owned()))
            .is_some()
        {
            panic!("{}:{}: duplicate id {id}", path.display(), n + 1);
        }
    }
    out
}

/// Requires our validator to agree with the golden (libxml2) verdict on every case, and the
/// golden file to list exactly the generated cases.
pub fn check_golden(
    schema_dir: &Path,
    samples_dir: &Path,
    golden: &Path,
    kind: SampleKind,
    min_cases: usize,
) {
    let set =
        SchemaSet::load_dir(schema_dir).unwrap_or_else(|e| panic!("schemas do not compile: {e}"));
    let cases = cases(samples_dir, kind);
    let golden_verdicts = parse_golden(golden);
    let rederive = "re-derive it with tests/oracle/rederive.sh";

    let missing: Vec<&Variant> = cases
        .iter()
        .filter(|c| !golden_verdicts.contains_key(&c.id))
        .collect();
    let generated: std::collections::HashSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let extra: Vec<&String> = golden_verdicts
        .keys()
        .filter(|id| !generated.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "golden file {} is stale: {} generated cases missing from it (first: {:?}), {} ids in it not generated (first: {:?}); {rederive}",
        golden.display(),
        missing.len(),
        missing.first().map(|c| &c.description),
        extra.len(),
        extra.first(),
    );
    assert!(
        cases.len() >= min_cases,
        "only {} cases, want at least {min_cases}",
        cases.len()
    );

    let mut report = String::new();
    let mut mismatches = 0usize;
    for case in &cases {
        let (expected_valid, _) = &golden_verdicts[&case.id];
        let ours = our_verdict(&set, &case.document);
        if ours.is_ok() != *expected_valid {
            mismatches += 1;
            if mismatches > 10 {
                let _ = writeln!(
                    report,
                    "--- {} ({}): libxml2 says {}",
                    case.id,
                    case.description,
                    if *expected_valid { "valid" } else { "invalid" }
                );
            } else {
                let _ = writeln!(
                    report,
                    "\n--- {} ({}): libxml2 says {}, we say {}\n{}",
                    case.id,
                    case.description,
                    if *expected_valid { "valid" } else { "invalid" },
                    match &ours {
                        Ok(()) => "valid".to_owned(),
                        Err(why) => format!("invalid: {why}"),
                    },
                    String::from_utf8_lossy(&case.document)
                );
            }
        }
    }
    let valid = cases.iter().filter(|c| golden_verdicts[&c.id].0).count();
    println!(
        "xsd oracle: {} cases ({} valid, {} invalid), {} agree with libxml2",
        cases.len(),
        valid,
        cases.len() - valid,
        cases.len() - mismatches
    );
    assert!(
        mismatches == 0,
        "{mismatches} of {} verdicts differ from libxml2:{report}",
        cases.len()
    );
}

/// Writes a fresh golden file from xmllint's verdicts.
pub fn derive_golden(schema_dir: &Path, samples_dir: &Path, out: &Path, kind: SampleKind) {
    let cases = cases(samples_dir, kind);
    let verdicts = xmllint_verdicts(schema_dir, &cases);
    let mut text = String::from(
        "# xmllint (libxml2) verdicts for the oracle cases: id\tverdict\tdescription\n\
         # Generated by tests/oracle/rederive.sh; do not edit by hand.\n",
    );
    for (case, valid) in cases.iter().zip(verdicts) {
        let description = case.description.replace(['\t', '\n', '\r'], " ");
        let _ = writeln!(
            text,
            "{}\t{}\t{description}",
            case.id,
            if valid { "valid" } else { "invalid" }
        );
    }
    std::fs::write(out, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// Fails, naming the first lines that differ, unless the freshly derived verdicts equal the
/// committed golden file.
pub fn assert_same_verdicts(golden: &Path, fresh: &Path) {
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    };
    let (golden_text, fresh_text) = (read(golden), read(fresh));
    if golden_text == fresh_text {
        return;
    }
    let golden_lines: std::collections::HashSet<&str> = golden_text.lines().collect();
    let fresh_lines: std::collections::HashSet<&str> = fresh_text.lines().collect();
    let only = |a: &std::collections::HashSet<&str>, b: &std::collections::HashSet<&str>| {
        let mut lines: Vec<&str> = a.difference(b).copied().collect();
        lines.sort_unstable();
        lines.truncate(10);
        lines.join("\n  ")
    };
    panic!(
        "xmllint's verdicts differ from {}: re-derive it with tests/oracle/rederive.sh --write\n\
         only in the committed file:\n  {}\nonly in xmllint's:\n  {}",
        golden.display(),
        only(&golden_lines, &fresh_lines),
        only(&fresh_lines, &golden_lines),
    );
}

/// A wrapper schema that pulls in every schema file: one `xs:import` per namespace (libxml2
/// ignores a second import of a namespace), choosing the file no other file of that namespace
/// includes; no-namespace files are included.
fn wrapper_schema(schema_dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(schema_dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", schema_dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xsd"))
        .collect();
    files.sort();
    let target_re = regex::Regex::new(r#"targetNamespace\s*=\s*["']([^"']*)["']"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let include_re =
        regex::Regex::new(r#"<[A-Za-z0-9_]*:?include[^>]*schemaLocation\s*=\s*["']([^"']*)["']"#)
            .unwrap_or_else(|e| panic!("{e}"));
    let mut by_ns: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut included: Vec<String> = Vec::new();
    for path in &files {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let ns = target_re
            .captures(&text)
            .map(|c| c[1].to_owned())
            .unwrap_or_default();
        for c in include_re.captures_iter(&text) {
            included.push(c[1].rsplit('/').next().unwrap_or(&c[1]).to_owned());
        }
        by_ns.entry(ns).or_default().push(path.clone());
    }
    let mut wrapper = String::from("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n");
    for (ns, paths) in by_ns {
        let roots: Vec<&PathBuf> = paths
            .iter()
            .filter(|p| {
                !included
                    .iter()
                    .any(|i| p.file_name().is_some_and(|n| n.to_string_lossy() == *i))
            })
            .collect();
        assert!(
            roots.len() == 1,
            "namespace '{ns}' has {} top files {:?}: libxml2 can import only one",
            roots.len(),
            roots
        );
        let location = std::fs::canonicalize(roots[0]).unwrap_or_else(|e| panic!("{e}"));
        if ns.is_empty() {
            let _ = writeln!(
                wrapper,
                "  <xs:include schemaLocation=\"{}\"/>",
                location.display()
            );
        } else {
            let _ = writeln!(
                wrapper,
                "  <xs:import namespace=\"{ns}\" schemaLocation=\"{}\"/>",
                location.display()
            );
        }
    }
    wrapper.push_str("</xs:schema>\n");
    wrapper
}

/// Runs `xmllint --noout --schema` over every case in batches; true = valid.
pub fn xmllint_verdicts(schema_dir: &Path, cases: &[Variant]) -> Vec<bool> {
    let version = Command::new("xmllint").arg("--version").output();
    assert!(
        version.is_ok(),
        "xmllint is not installed (apt-get install -y libxml2-utils); it is the oracle that derives the golden verdicts"
    );
    let dir = std::env::temp_dir().join(format!("tsgate-xsd-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let wrapper = dir.join("oracle-wrapper.xsd");
    std::fs::write(&wrapper, wrapper_schema(schema_dir)).unwrap_or_else(|e| panic!("{e}"));
    let mut verdicts: BTreeMap<String, bool> = BTreeMap::new();
    for batch in cases.chunks(250) {
        let mut paths = Vec::with_capacity(batch.len());
        for case in batch {
            let path = dir.join(format!("{}.xml", case.id));
            std::fs::write(&path, &case.document).unwrap_or_else(|e| panic!("{e}"));
            paths.push(path);
        }
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&wrapper)
            .args(&paths)
            .output()
            .unwrap_or_else(|e| panic!("cannot run xmllint: {e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        for line in stderr.lines() {
            let verdict = if let Some(file) = line.strip_suffix(" validates") {
                Some((file, true))
            } else {
                line.strip_suffix(" fails to validate")
                    .map(|file| (file, false))
            };
            if let Some((file, valid)) = verdict {
                let id = Path::new(file)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                verdicts.insert(id, valid);
            }
        }
        for (case, path) in batch.iter().zip(&paths) {
            assert!(
                verdicts.contains_key(&case.id),
                "xmllint gave no verdict for {} ({}); its output:\n{}",
                case.id,
                case.description,
                stderr
                    .lines()
                    .filter(|l| l.contains(&case.id))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let _ = std::fs::remove_file(path);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    cases.iter().map(|c| verdicts[&c.id]).collect()
}
