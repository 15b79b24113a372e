//! `POST /miur/<kind>` (`statali`, `paritarie`, `trento-bolzano`): the Ministry's system sends
//! a MIUR staff file (seed 003 §2.4) over mutual TLS, with the certificate the gateway CA issued
//! it (`tsgate certs issue ministry`). Only that certificate may upload, and it may do nothing
//! else (the SOAP services refuse it). The body streams into the import `tsgate miur import`
//! runs ([`crate::jobs::miur`]), never held whole, under `miur.max_upload_bytes` and
//! `miur.upload_timeout_ms`; the answer is the import's report as JSON. Every upload, done or
//! refused, is an access-log entry (`miur-import`, with the client's address).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use http::{header, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};

use super::body::BodyError;
use super::{body_stream, Server};
use crate::audit::{record_admin_action, Actor, AdminAction, AdminOperation, AdminOutcome};
use crate::identity::Peer;
use crate::jobs::miur::{header as kind_header, Intake, MiurImportError, MiurImportReport};
use crate::jobs::{stats_output, Silent};
use crate::soap::respond::{http_response, HttpResponse};
use crate::store::{MiurKind, Store};

/// Where uploads go: the kind follows.
pub const PATH_PREFIX: &str = "/miur/";

/// How a refused or failed upload is answered: its status and why.
struct Refusal {
    status: StatusCode,
    reason: String,
}

pub async fn handle(
    server: &Server,
    peer: &Peer,
    client: IpAddr,
    request: Request<Incoming>,
) -> HttpResponse {
    let store = server.gateway.store.clone();
    let asked = request.uri().path()[PATH_PREFIX.len()..].to_owned();
    let Peer::Ministry { serial } = peer else {
        let refusal = Refusal {
            status: StatusCode::FORBIDDEN,
            reason: format!(
                "only the Ministry's system, with the certificate the gateway CA issued it, may \
                 upload MIUR files; this connection presented {}",
                presented(peer)
            ),
        };
        let actor = Actor::Gateway {
            task: "miur-upload",
        };
        return answer(store.as_ref(), actor, client, &asked, Err(refusal)).await;
    };
    let actor = Actor::Ministry {
        serial: serial.clone(),
    };
    let Some(kind) = MiurKind::parse(&asked) else {
        let refusal = Refusal {
            status: StatusCode::NOT_FOUND,
            reason: format!(
                "no MIUR file kind {:?}: POST to /miur/statali, /miur/paritarie or \
                 /miur/trento-bolzano",
                asked.chars().take(40).collect::<String>()
            ),
        };
        return answer(store.as_ref(), actor, client, &asked, Err(refusal)).await;
    };
    let imported = import(server, store.clone(), actor.clone(), kind, request).await;
    answer(store.as_ref(), actor, client, kind.as_str(), imported).await
}

/// What the connection's certificate said, for the refusal and the log (no CF of a card).
fn presented(peer: &Peer) -> String {
    match peer {
        Peer::Anonymous => "no client certificate".into(),
        Peer::Region { code } => format!("the certificate of region {code}"),
        Peer::Card { .. } => "an operator's card certificate".into(),
        Peer::Ministry { .. } => "the Ministry's certificate".into(),
        Peer::Unrecognised { .. } => "a certificate the gateway does not recognise".into(),
    }
}

/// Streams the body into the import on a blocking thread (the CSV reader reads synchronously),
/// and tells a body cut short from a file refused.
async fn import(
    server: &Server,
    store: Arc<dyn Store>,
    actor: Actor,
    kind: MiurKind,
    request: Request<Incoming>,
) -> Result<MiurImportReport, Refusal> {
    let (parts, body) = request.into_parts();
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let (reader, pump) = body_stream::stream(
        body,
        declared_length,
        server.miur.max_upload_bytes,
        Duration::from_millis(server.miur.upload_timeout_ms),
    );
    let now = Utc::now();
    let runtime = tokio::runtime::Handle::current();
    let imported = tokio::task::spawn_blocking(move || {
        runtime.block_on(async {
            let intake = Intake {
                store: store.as_ref(),
                actor,
                progress: &Silent,
            };
            intake.import(kind, reader, now).await
        })
    })
    .await;
    let imported = imported.map_err(|_| Refusal {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        reason: "the import stopped unexpectedly; nothing is known to be imported".into(),
    });
    match imported {
        // The body could not be read to its end: the pump says why (it has ended, having told
        // the reader).
        Ok(Err(MiurImportError::Read(read))) => match pump.await {
            Ok(Err(cut_short)) => Err(body_refusal(cut_short, server)),
            _ => Err(import_refusal(&MiurImportError::Read(read))),
        },
        // Otherwise the answer does not wait for the rest of a body nobody reads.
        other => {
            pump.abort();
            match other? {
                Ok(report) => Ok(report),
                Err(error) => Err(import_refusal(&error)),
            }
        }
    }
}

fn body_refusal(cut_short: BodyError, server: &Server) -> Refusal {
    let (status, reason) = match cut_short {
        BodyError::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the file is larger than {} bytes (miur.max_upload_bytes): refused whole, \
                 nothing imported",
                server.miur.max_upload_bytes
            ),
        ),
        BodyError::TimedOut => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the file did not arrive within {} ms (miur.upload_timeout_ms): refused whole, \
                 nothing imported",
                server.miur.upload_timeout_ms
            ),
        ),
        BodyError::Broken => (
            StatusCode::BAD_REQUEST,
            "the upload broke off before the file's end: refused whole, nothing imported".into(),
        ),
    };
    Refusal { status, reason }
}

fn import_refusal(error: &MiurImportError) -> Refusal {
    let status = match error {
        MiurImportError::Store(_) | MiurImportError::NotRecorded(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        MiurImportError::Open { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        MiurImportError::Empty { .. }
        | MiurImportError::WrongKind { .. }
        | MiurImportError::BadHeader { .. }
        | MiurImportError::NoValidRow { .. }
        | MiurImportError::Read(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let reason = match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            format!("{error}: the store could not take the file, try again later")
        }
        _ => error.to_string(),
    };
    Refusal { status, reason }
}

/// Records the upload in the access log, then answers it.
async fn answer(
    store: &dyn Store,
    actor: Actor,
    client: IpAddr,
    target: &str,
    result: Result<MiurImportReport, Refusal>,
) -> HttpResponse {
    let action = AdminAction {
        actor,
        operation: AdminOperation::MiurImport,
        target: Some(target.chars().take(40).collect()),
        detail: result.as_ref().ok().map(MiurImportReport::summary),
        outcome: match &result {
            Ok(_) => AdminOutcome::Done,
            Err(refusal) => AdminOutcome::Refused(refusal.reason.clone()),
        },
        client_address: Some(client),
    };
    let recorded = record_admin_action(store, &action).await;
    let (status, body) = match (result, recorded) {
        (Ok(report), Ok(_)) => (StatusCode::OK, report_json(&report)),
        (Ok(_), Err(_)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            refusal_json(
                "the file was imported, but the upload could not be recorded in the access log",
            ),
        ),
        (Err(refusal), _) => (refusal.status, refusal_json(&refusal.reason)),
    };
    http_response(
        status,
        "application/json; charset=utf-8",
        body.to_string(),
        None,
    )
}

fn refusal_json(reason: &str) -> Value {
    json!({ "esito": "rifiutato", "motivo": reason })
}

/// The import's report: rows read, accepted and rejected (the first ones with their lines),
/// the list it replaced, and the statistic as `tsgate stats miur --format json` shows it.
fn report_json(report: &MiurImportReport) -> Value {
    let statistic = &report.statistic;
    let problems: Vec<Value> = report
        .problems
        .iter()
        .map(|p| json!({ "riga": p.line, "motivo": p.reason }))
        .collect();
    let list = report
        .list
        .map(|list| json!({ "in_elenco": list.listed, "rimossi": list.removed }));
    let statistic_json = stats_output::json(std::slice::from_ref(statistic));
    json!({
        "esito": "importato",
        "tipo": statistic.kind.as_str(),
        "intestazione": kind_header(statistic.kind),
        "righe_lette": statistic.rows_read,
        "righe_accettate": statistic.rows_read.saturating_sub(statistic.rows_rejected),
        "righe_scartate": statistic.rows_rejected,
        "scarti": problems,
        "scarti_non_elencati": statistic.rows_rejected.saturating_sub(report.problems.len() as u64),
        "elenco": list,
        "statistica": statistic_json.get(0).cloned().unwrap_or(Value::Null),
    })
}
