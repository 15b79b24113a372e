//! The file of state-school-staff assistiti per MMG (docs/services/asl.md, from seed 003 §4.4.1)
//! for the operator's own ASL: `GET /asl/assistiti-per-mmg.csv`, authenticated like a SOAP operator
//! — a national-card certificate, or HTTP Basic plus the encrypted pincode in the
//! `X-TSGate-PinCode` header (the same base64 text a SOAP `pinCode` element carries). Every
//! download, granted or refused, is an access-log entry (§4.5) with a numeric transaction id,
//! returned in `X-Transaction-Id`.
//!
//! The file is `text/csv`, `;`-separated, with a header line:
//! `cf_medico;numero_assistiti`, one row per MMG of the ASL (zero included), by CF.

use std::fmt::Write;

use chrono::{DurationRound, TimeDelta, Utc};
use http::{HeaderValue, StatusCode};

use super::{PROFILE_ASL, SERVICE};
use crate::domain::Profile;
use crate::domain::TransactionIdKind;
use crate::identity::{Caller, Credentials, Peer, Refused};
use crate::server::connection;
use crate::soap::record::{self, Draft, Subject};
use crate::soap::respond::{http_response, HttpResponse};
use crate::startup::App;

pub const PATH: &str = "/asl/assistiti-per-mmg.csv";
/// The header that carries the encrypted pincode with HTTP Basic.
pub const PINCODE_HEADER: &str = "x-tsgate-pincode";
pub const OPERATION: &str = "ScaricoAssistitiPerMedico";

pub async fn handle(
    app: &App,
    peer: &Peer,
    authorization: Option<&str>,
    pincode: Option<&str>,
) -> HttpResponse {
    let Ok(transaction_id) = app.transaction_ids.issue(TransactionIdKind::Numeric) else {
        tracing::error!("no transaction id can be issued; download refused");
        return unavailable();
    };
    let draft = Draft {
        service: SERVICE,
        operation: OPERATION,
        transaction_id,
    };
    let credentials = Credentials::from_http(peer, authorization, pincode);
    let caller = match app.identity.identify(&credentials).await {
        Ok(caller) => {
            connection::caller_identified(&caller);
            caller
        }
        Err(Refused::Credentials { kind, claimed_id }) => {
            let entry = draft.entry(
                Subject::Refused {
                    kind,
                    claimed_id: &claimed_id,
                },
                now_millis(),
                "fault_credenziali_invalide",
            );
            return finish(
                app,
                &draft,
                entry,
                StatusCode::UNAUTHORIZED,
                "Credenziali invalide\n".into(),
            )
            .await;
        }
        Err(Refused::Unavailable) => return unavailable(),
    };
    let (status, outcome, body) = match answer(app, &caller).await {
        Ok(csv) => (StatusCode::OK, "0000", csv),
        Err(Some(why)) => (StatusCode::FORBIDDEN, "9001", why),
        Err(None) => return unavailable(),
    };
    let entry = draft.entry(Subject::Caller(&caller), now_millis(), outcome);
    finish(app, &draft, entry, status, body).await
}

/// The CSV, or why not (`None`: the store failed).
async fn answer(app: &App, caller: &Caller) -> Result<String, Option<String>> {
    let Caller::Operator { cf, .. } = caller else {
        return Err(Some("Il file è riservato agli operatori ASL\n".into()));
    };
    if !caller.holds(Profile::AslNumeroTest) {
        return Err(Some(format!("Profilo richiesto: \"{PROFILE_ASL}\"\n")));
    }
    let user = app
        .store
        .directory()
        .find_user_by_cf(cf.as_str())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "users table unreadable");
            None
        })?;
    let Some((Some(region), Some(asl))) = user.map(|u| (u.region, u.asl)) else {
        return Err(Some(
            "L'operatore non risulta associato ad una ASL\n".into(),
        ));
    };
    let rows = app
        .store
        .registry()
        .staff_per_mmg(&region, &asl)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "registry unreadable");
            None
        })?;
    let mut csv = String::with_capacity(32 + rows.len() * 24);
    csv.push_str("cf_medico;numero_assistiti\n");
    for (mmg, count) in rows {
        let _ = writeln!(csv, "{mmg};{count}");
    }
    Ok(csv)
}

async fn finish(
    app: &App,
    draft: &Draft<'_>,
    entry: crate::store::AccessLogEntry,
    status: StatusCode,
    body: String,
) -> HttpResponse {
    if record::commit(app, entry).await.is_err() {
        return unavailable();
    }
    let content_type = if status == StatusCode::OK {
        "text/csv; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut response = http_response(status, content_type, body, None);
    if let Ok(id) = HeaderValue::from_str(&draft.transaction_id.to_string()) {
        response.headers_mut().insert("x-transaction-id", id);
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tsgate\""),
        );
    }
    response
}

fn unavailable() -> HttpResponse {
    http_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
        "Servizio temporaneamente non disponibile\n".into(),
        None,
    )
}

fn now_millis() -> chrono::DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or(now)
}
