//! The conformance report of one caller (`tsgate conformance report`): which operations its
//! calls exercised and with what outcomes, against the checklist the kit documents for its kind
//! of caller, so a vendor knows when their software has met every documented case, the way a
//! certification ("collaudo") asks. It reads only the access log (service, operation, outcome
//! of each call): no payload, never an OTP.
//!
//! A caller is named as the access log names it: a region by its code (`120`: its system's
//! certificate), an operator by their user id (Basic + pincode calls) or by their CF (national
//! card calls). The checklist covers the services the caller has called; the others are listed
//! as never called.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::checklist::{self, ChecklistError, Item};
use super::validate::Validator;
use crate::domain::{CodiceFiscale, RegionCode};
use crate::store::access_log::ADMIN_SERVICE;
use crate::store::{AccessLogFilter, CallerKind, Store, StoreError};

/// Entries read from the access log at a time.
const PAGE: i64 = 1_000;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub caller: String,
    /// `region`, `operator-certificate` or `operator-password`, as the access log writes it.
    pub caller_kind: &'static str,
    pub calls: usize,
    pub services_called: Vec<String>,
    pub services_never_called: Vec<&'static str>,
    pub operations: Vec<Exercised>,
    /// The kit's documented outcomes for this kind of caller, in the services called.
    pub checklist: Vec<Checked>,
    /// Those of `checklist` never seen.
    pub missing: Vec<Item>,
    /// The kit's cases for this kind of caller refused before identification, which no caller's
    /// log holds: `tsgate validate` checks them.
    pub cases_checked_offline: usize,
}

/// An operation the caller called, and how often each outcome came back.
#[derive(Debug, Clone, Serialize)]
pub struct Exercised {
    pub service: String,
    pub operation: String,
    pub calls: usize,
    pub outcomes: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    #[serde(flatten)]
    pub item: Item,
    /// How many of the caller's calls ended so.
    pub seen: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the access log cannot be read: {0}")]
    Store(#[from] StoreError),
    #[error("the conformance kit: {0}")]
    Checklist(#[from] ChecklistError),
}

/// How the access log names a caller given as `id`: a region code, a CF, else a user id.
pub fn caller_kind(id: &str) -> CallerKind {
    if RegionCode::parse(id).is_ok() {
        CallerKind::Region
    } else if CodiceFiscale::parse(id).is_ok() {
        CallerKind::OperatorCertificate
    } else {
        CallerKind::OperatorPassword
    }
}

/// The report of caller `id`, from every SOAP transaction the access log holds for it.
pub async fn report(
    store: &dyn Store,
    validator: &Validator,
    id: &str,
) -> Result<Report, ReportError> {
    let kind = caller_kind(id);
    let checklist = checklist::for_kind(kind, validator)?;

    let mut seen: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
    let mut calls = 0;
    let filter = AccessLogFilter {
        actor: Some(id.to_owned()),
        ..AccessLogFilter::default()
    };
    let mut after = 0;
    loop {
        let page = store.access_log().search(&filter, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        // `actor` also matches an operator's CF that a region's call carried: only the
        // caller's own calls count.
        for entry in page.iter().map(|chained| &chained.entry) {
            if entry.caller_id != id || entry.caller_kind != kind || entry.service == ADMIN_SERVICE
            {
                continue;
            }
            calls += 1;
            *seen
                .entry((entry.service.clone(), entry.operation.clone()))
                .or_default()
                .entry(entry.outcome.clone())
                .or_default() += 1;
        }
        if i64::try_from(page.len()).unwrap_or(PAGE) < PAGE {
            break;
        }
    }

    let services_called: BTreeSet<String> = seen.keys().map(|(s, _)| s.clone()).collect();
    let services_never_called = validator
        .services()
        .into_iter()
        .filter(|s| !services_called.contains(*s))
        .collect();
    let checklist_items: Vec<Checked> = checklist
        .items
        .into_iter()
        .filter(|item| services_called.contains(item.service))
        .map(|item| {
            let count = seen
                .get(&(item.service.to_owned(), item.operation.to_owned()))
                .and_then(|outcomes| outcomes.get(&item.logged))
                .copied()
                .unwrap_or(0);
            Checked { item, seen: count }
        })
        .collect();
    let missing = checklist_items
        .iter()
        .filter(|checked| checked.seen == 0)
        .map(|checked| checked.item.clone())
        .collect();
    Ok(Report {
        caller: id.to_owned(),
        caller_kind: kind.as_str(),
        calls,
        services_called: services_called.into_iter().collect(),
        services_never_called,
        operations: seen
            .into_iter()
            .map(|((service, operation), outcomes)| Exercised {
                service,
                operation,
                calls: outcomes.values().sum(),
                outcomes,
            })
            .collect(),
        checklist: checklist_items,
        missing,
        cases_checked_offline: checklist.before_identification,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Conformance report of caller {} ({}): {} calls",
            self.caller, self.caller_kind, self.calls
        )?;
        writeln!(
            f,
            "services called: {}; never called: {}",
            list(&self.services_called),
            list(&self.services_never_called)
        )?;
        writeln!(f, "\noperations exercised:")?;
        for op in &self.operations {
            let outcomes: Vec<String> = op
                .outcomes
                .iter()
                .map(|(outcome, n)| format!("{outcome} x{n}"))
                .collect();
            writeln!(
                f,
                "  {}/{}: {} calls ({})",
                op.service,
                op.operation,
                op.calls,
                outcomes.join(", ")
            )?;
        }
        writeln!(
            f,
            "\nchecklist (the kit's documented outcomes for this kind of caller):"
        )?;
        for checked in &self.checklist {
            let mark = if checked.seen > 0 { "x" } else { " " };
            writeln!(f, "  [{mark}] {}", describe(&checked.item))?;
        }
        writeln!(
            f,
            "\nmissing: {} of {}",
            self.missing.len(),
            self.checklist.len()
        )?;
        for item in &self.missing {
            writeln!(f, "  {}", describe(item))?;
        }
        write!(
            f,
            "\n{} more cases of the kit are refused before the caller is identified, so no \
             access log holds them: check them with tsgate validate.",
            self.cases_checked_offline
        )
    }
}

fn describe(item: &Item) -> String {
    let cases: Vec<String> = item
        .cases
        .iter()
        .map(|case| match &case.message {
            Some(message) => format!("{}/{} ({message})", case.kit, case.file),
            None => format!("{}/{}", case.kit, case.file),
        })
        .collect();
    format!(
        "{}/{} {}: {}",
        item.service,
        item.operation,
        item.outcome,
        cases.join(", ")
    )
}

fn list<T: AsRef<str>>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}
