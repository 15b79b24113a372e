//! Dependencies point one way (README "Architecture"): a module refers only to modules of its
//! own layer or below. This test reads every `.rs` file under `src/`, finds each `crate::<module>`
//! path (in `use` statements and in code; comments are not read), and names file, line and both
//! modules of every reference to a higher layer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first: each top-level module of `src/` is in exactly one.
const LAYERS: &[&[&str]] = &[
    // 0: parsed types and plain settings
    &["domain", "clock", "config", "xsd", "pki", "telemetry"],
    // 1: persistence
    &["store"],
    // 2: who calls, the upstream, counters, id slots
    &["identity", "immuni", "metrics", "issuer_lease"],
    // 3: use cases, the access-log entry, administration, registry CSV jobs, batch jobs
    &["services", "audit", "admin", "registry", "saml", "jobs"],
    // 4: the transports' pages and envelopes: SOAP (the pipeline, adapters, catalogue), the
    // integrator's kit, and the web application
    &["soap", "kit", "web"],
    // 5: accept, TLS, HTTP routes
    &["server"],
    // 6: the composition root, the demo sandbox
    &["startup", "demo"],
    // 7: the command line and the crate root
    &["cli", "main", "lib"],
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Reference {
    file: String,
    line: usize,
    from: String,
    to: String,
}

#[test]
fn no_module_refers_to_a_higher_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(!files.is_empty(), "no sources under src/");

    let mut unplaced = BTreeSet::new();
    let mut violations = Vec::new();
    for path in &files {
        let file = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let from = module_of(&file);
        let Some(from_layer) = layer(&from) else {
            unplaced.insert(from.clone());
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (line, to) in references(&text) {
            if to == from {
                continue;
            }
            let Some(to_layer) = layer(&to) else {
                unplaced.insert(to.clone());
                continue;
            };
            if to_layer <= from_layer {
                continue;
            }
            violations.push(Reference {
                file: file.clone(),
                line,
                from: from.clone(),
                to,
            });
        }
    }

    let mut problems: Vec<String> = unplaced
        .iter()
        .map(|module| format!("module `{module}` is in no layer: add it to LAYERS"))
        .collect();
    violations.sort();
    problems.extend(violations.iter().map(|v| {
        format!(
            "{}:{}: `{}` (layer {}) refers to `{}` (layer {})",
            v.file,
            v.line,
            v.from,
            layer(&v.from).unwrap_or_default(),
            v.to,
            layer(&v.to).unwrap_or_default()
        )
    }));
    assert!(
        problems.is_empty(),
        "dependencies must point down the layers:\n{}",
        problems.join("\n")
    );
}

/// The reader itself: paths in code count, comments and other crates do not.
#[test]
fn references_are_read_from_code_only() {
    let text = "use crate::soap::Element;\n\
                //! see crate::server\n\
                let x = crate::store::connect(&u); // crate::cli\n\
                use crate::{demo, telemetry::init};\n\
                use crate::{\n    config::Config,\n    domain::{Otp, Profile},\n};\n\
                let s = \"crate::startup\"; let q = '\"'; let r = r#\"crate::cli\"#;\n\
                use tsgate::crate_like::x;";
    let found: Vec<(usize, String)> = references(text);
    let names: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        names,
        ["soap", "store", "demo", "telemetry", "config", "domain"],
        "{found:?}"
    );
    assert_eq!(found[4].0, 6, "lines are counted from 1");
    assert_eq!(module_of("src/soap/adapters/otp.rs"), "soap");
    assert_eq!(module_of("src/audit.rs"), "audit");
    assert_eq!(module_of("src/lib.rs"), "lib");
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|modules| modules.contains(&module))
}

/// `src/soap/adapters/otp.rs` → `soap`; `src/audit.rs` → `audit`.
fn module_of(file: &str) -> String {
    let inside = file.strip_prefix("src/").unwrap_or(file);
    let first = inside.split('/').next().unwrap_or(inside);
    first.strip_suffix(".rs").unwrap_or(first).to_owned()
}

/// Every `crate::<module>` in `text`, with its line (from 1); `crate::{a, b::c}` gives `a`
/// and `b`. Comments and string literals are skipped.
fn references(text: &str) -> Vec<(usize, String)> {
    let code = without_comments_and_strings(text);
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(offset) = code[at..].find("crate::") {
        let start = at + offset;
        at = start + "crate::".len();
        let preceded_by_ident =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if preceded_by_ident {
            continue;
        }
        let line = 1 + code[..start].matches('\n').count();
        if code[at..].starts_with('{') {
            let group = group_at(&code[at + 1..]);
            for name in top_level_names(group) {
                let line = line + group[..name.0].matches('\n').count();
                found.push((line, name.1));
            }
        } else {
            let name: String = code[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((line, name));
            }
        }
    }
    found
}

/// The text of a `{…}` group up to its closing brace (`text` starts after the `{`).
fn group_at(text: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return &text[..i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    text
}

/// The first path segment of each item of a `use` group, with its offset in the group.
fn top_level_names(group: &str) -> Vec<(usize, String)> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => item_start = true,
            c if item_start && depth == 0 && (c.is_ascii_alphabetic() || c == '_') => {
                let name: String = group[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != "self" {
                    names.push((i, name));
                }
                item_start = false;
            }
            _ => {}
        }
    }
    names
}

/// `text` with comments, string literals (raw ones too) and char literals blanked; newlines
/// are kept, so line numbers stay right.
fn without_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Skips to `end` (exclusive), keeping only the newlines in between.
    let skip = |out: &mut String, from: usize, end: usize| {
        out.extend(chars[from..end].iter().filter(|c| **c == '\n'));
        end
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && next == Some('/') {
            let end = (i..chars.len())
                .find(|&j| chars[j] == '\n')
                .unwrap_or(chars.len());
            i = skip(&mut out, i, end);
        } else if c == '/' && next == Some('*') {
            let end = (i + 2..chars.len())
                .find(|&j| chars[j - 1] == '*' && chars[j] == '/')
                .map_or(chars.len(), |j| j + 1);
            i = skip(&mut out, i, end);
        } else if c == 'r' && !after_ident && matches!(next, Some('"' | '#')) {
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let body = i + 2 + hashes;
            let end = (body..chars.len())
                .find(|&j| {
                    chars[j] == '"'
                        && chars[j + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|c| **c == '#')
                            .count()
                            == hashes
                })
                .map_or(chars.len(), |j| j + 1 + hashes);
            i = skip(&mut out, i, end);
            out.push_str("\"\"");
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            i = skip(&mut out, i, (j + 1).min(chars.len()));
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'); otherwise a lifetime.
            let end = if next == Some('\\') {
                (i + 2..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .map(|j| j + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    i = skip(&mut out, i, end);
                    out.push_str("' '");
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}
