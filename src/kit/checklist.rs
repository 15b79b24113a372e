//! The conformance checklist of a kind of caller, derived from the kit's manifests: every
//! (service, operation, outcome) a documented case of that caller ends in, as the access log
//! records it. A case refused before its caller is identified (a schema violation, malformed
//! XML, …) is not in the access log under any caller: `tsgate validate` checks those.

use std::collections::BTreeMap;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use serde::Serialize;

use super::manifest::{self, KitCase, ManifestError};
use super::validate::Validator;
use crate::soap::fault::Fault;
use crate::soap::pipeline::THROTTLED_OUTCOME;
use crate::store::CallerKind;

/// A sample that documents an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRef {
    pub kit: &'static str,
    pub file: String,
    /// The code of the reply's first message the manifest promises, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One outcome of one operation that the kit documents for this kind of caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub service: &'static str,
    pub operation: &'static str,
    /// As the manifests write it: `0000`, `9999`, `CREDENZIALI_INVALIDE`, …
    pub outcome: String,
    /// As the access log records it: `0000`, `fault_credenziali_invalide`, `throttled`, …
    #[serde(skip)]
    pub logged: String,
    pub cases: Vec<CaseRef>,
}

#[derive(Debug, Clone)]
pub struct Checklist {
    pub items: Vec<Item>,
    /// The kit's cases for this kind of caller that are refused before identification.
    pub before_identification: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ChecklistError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{kit}/manifest.toml: unknown caller '{caller}' for {file}")]
    UnknownCaller {
        kit: String,
        file: String,
        caller: String,
    },
    #[error("{kit}/{file}: its payload is no operation of any service, yet its outcome {outcome} is recorded after identification")]
    NoOperation {
        kit: String,
        file: String,
        outcome: String,
    },
}

/// The checklist of every caller of `kind`, from the kit's manifests.
pub fn for_kind(kind: CallerKind, validator: &Validator) -> Result<Checklist, ChecklistError> {
    let mut items: BTreeMap<(&str, &str, String), Item> = BTreeMap::new();
    let mut before_identification = 0;
    for KitCase { kit, case, sample } in manifest::cases()? {
        let Some(caller) =
            caller_kind(&case.caller).ok_or_else(|| ChecklistError::UnknownCaller {
                kit: kit.to_owned(),
                file: case.file.clone(),
                caller: case.caller.clone(),
            })?
        else {
            continue; // anonymous: no caller to attribute it to
        };
        if caller != kind {
            continue;
        }
        let Some(logged) = logged_outcome(&case.outcome) else {
            before_identification += 1;
            continue;
        };
        let (service, operation) = payload_root(sample)
            .and_then(|(namespace, name)| validator.operation_of(&namespace, &name))
            .ok_or_else(|| ChecklistError::NoOperation {
                kit: kit.to_owned(),
                file: case.file.clone(),
                outcome: case.outcome.clone(),
            })?;
        let item = items
            .entry((service, operation, logged.clone()))
            .or_insert_with(|| Item {
                service,
                operation,
                outcome: case.outcome.clone(),
                logged,
                cases: Vec::new(),
            });
        let reference = CaseRef {
            kit,
            file: case.file,
            message: case.message,
        };
        if !item.cases.contains(&reference) {
            item.cases.push(reference);
        }
    }
    Ok(Checklist {
        items: items.into_values().collect(),
        before_identification,
    })
}

/// How the access log records a caller of a manifest's `caller`: `None` for `anonymous`
/// (nobody to attribute the call to), `Some(None)` for a caller the kit does not know.
fn caller_kind(caller: &str) -> Option<Option<CallerKind>> {
    Some(Some(match caller {
        "region" => CallerKind::Region,
        "card" => CallerKind::OperatorCertificate,
        "operator" | "mmg" | "substitute" | "asl" | "wrong-pincode" => CallerKind::OperatorPassword,
        "anonymous" => return Some(None),
        _ => return None,
    }))
}

/// The access log's `outcome` for a manifest's: a `codEsito` as it is, the Faults answered
/// after identification by their label; `None` for the Faults answered before it, which the
/// access log never holds.
pub fn logged_outcome(outcome: &str) -> Option<String> {
    if outcome.len() == 4 && outcome.bytes().all(|b| b.is_ascii_digit()) {
        return Some(outcome.to_owned());
    }
    let throttled = Fault::throttled(0);
    if outcome == throttled.detail_code {
        return Some(THROTTLED_OUTCOME.to_owned());
    }
    [Fault::credentials(), Fault::password_must_change()]
        .into_iter()
        .find(|fault| fault.detail_code == outcome)
        .map(|fault| fault.label())
}

/// The (namespace, local name) of the Body's first element: the operation a sample calls,
/// read without validating it (samples hold placeholders).
fn payload_root(sample: &[u8]) -> Option<(String, String)> {
    let mut reader = NsReader::from_reader(sample);
    let mut open: Vec<String> = Vec::new();
    loop {
        let (resolved, event) = reader.read_resolved_event().ok()?;
        let (start, empty) = match event {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::End(_) => {
                open.pop();
                continue;
            }
            Event::Eof => return None,
            _ => continue,
        };
        let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        if open.len() == 2 && open[1] == "Body" {
            let namespace = match resolved {
                ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
                _ => String::new(),
            };
            return Some((namespace, local));
        }
        if !empty {
            open.push(local);
        }
    }
}
