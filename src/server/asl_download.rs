//! `GET /asl/assistiti-per-mmg.csv`: the HTTP side of the ASL operator's file
//! ([`crate::services::asl::assistiti_per_mmg`]). Authenticated like a SOAP operator — a
//! national-card certificate, or HTTP Basic plus the encrypted pincode in the `X-TSGate-PinCode`
//! header (the same base64 text a SOAP `pinCode` element carries), and the current TOTP code in
//! `X-TSGate-TOTP` when `auth.totp_on_soap` asks for it. Every download, granted or
//! refused, is an access-log entry (docs/access-log.md) with a numeric transaction id, returned
//! in `X-Transaction-Id`.
//!
//! The file is `text/csv`, `;`-separated, with a header line:
//! `cf_medico;numero_assistiti`, one row per MMG of the ASL (zero included), by CF.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DurationRound, TimeDelta, Utc};
use http::{header, HeaderValue, StatusCode};

use super::connection;
use crate::audit::{self, Draft, Requester};
use crate::domain::TransactionIdKind;
use crate::identity::{Credentials, Peer, Refused};
use crate::services::asl::assistiti_per_mmg::{self, assistiti_per_mmg, OPERATION};
use crate::services::asl::SERVICE;
use crate::soap::fault::SECOND_FACTOR_TO_ENROLL;
use crate::soap::respond::{http_response, HttpResponse};
use crate::soap::throttle::retry_after_seconds;
use crate::soap::Gateway;
use crate::store::AccessLogEntry;

pub const PATH: &str = "/asl/assistiti-per-mmg.csv";
/// The header that carries the encrypted pincode with HTTP Basic.
pub const PINCODE_HEADER: &str = "x-tsgate-pincode";

pub async fn handle(
    gateway: &Gateway,
    peer: &Peer,
    client: IpAddr,
    authorization: Option<&str>,
    pincode: Option<&str>,
    totp: Option<&str>,
) -> HttpResponse {
    let Ok(transaction_id) = gateway.transaction_ids.issue(TransactionIdKind::Numeric) else {
        tracing::error!("no transaction id can be issued; download refused");
        return unavailable();
    };
    let draft = Draft {
        service: SERVICE,
        operation: OPERATION,
        transaction_id,
        client: Some(client),
    };
    let credentials = Credentials::from_http(peer, client, authorization, pincode).with_totp(totp);
    let caller = match gateway.identity.identify(&credentials).await {
        Ok(caller) => {
            connection::caller_identified(&caller);
            caller
        }
        Err(Refused::Credentials { kind, claimed_id }) => {
            let entry = draft.entry(
                Requester::Refused {
                    kind,
                    claimed_id: &claimed_id,
                },
                now_millis(),
                "fault_credenziali_invalide",
            );
            return finish(
                gateway,
                &draft,
                entry,
                StatusCode::UNAUTHORIZED,
                "Credenziali invalide\n".into(),
            )
            .await;
        }
        Err(Refused::PasswordMustChange { kind, user_id }) => {
            let entry = draft.entry(
                Requester::Refused {
                    kind,
                    claimed_id: &user_id,
                },
                now_millis(),
                "fault_password_da_cambiare",
            );
            return finish(
                gateway,
                &draft,
                entry,
                StatusCode::FORBIDDEN,
                "Password da cambiare: la password è iniziale o scaduta e va cambiata prima di \
                 usare il servizio\n"
                    .into(),
            )
            .await;
        }
        Err(Refused::SecondFactorToEnroll { kind, user_id }) => {
            let entry = draft.entry(
                Requester::Refused {
                    kind,
                    claimed_id: &user_id,
                },
                now_millis(),
                "fault_secondo_fattore_da_attivare",
            );
            return finish(
                gateway,
                &draft,
                entry,
                StatusCode::FORBIDDEN,
                format!("{SECOND_FACTOR_TO_ENROLL}\n"),
            )
            .await;
        }
        Err(Refused::Throttled { retry_after }) => return too_many_failures(gateway, retry_after),
        Err(Refused::Unavailable) => return unavailable(),
    };
    let (status, outcome, body) = match assistiti_per_mmg(gateway.store.as_ref(), &caller).await {
        Ok(rows) => (
            StatusCode::OK,
            assistiti_per_mmg::GRANTED,
            assistiti_per_mmg::csv(&rows),
        ),
        Err(refusal) => match refusal.code() {
            Some(code) => (StatusCode::FORBIDDEN, code, format!("{refusal}\n")),
            None => return unavailable(),
        },
    };
    let entry = draft.entry(Requester::Identified(&caller), now_millis(), outcome);
    finish(gateway, &draft, entry, status, body).await
}

async fn finish(
    gateway: &Gateway,
    draft: &Draft<'_>,
    entry: AccessLogEntry,
    status: StatusCode,
    body: String,
) -> HttpResponse {
    if audit::commit(&gateway.access_log, entry).await.is_err() {
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
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tsgate\""),
        );
    }
    response
}

/// The client address spent its budget of failed credentials: refused before any check, and,
/// like a SOAP request refused so, not in the access log.
fn too_many_failures(gateway: &Gateway, retry_after: Duration) -> HttpResponse {
    gateway.metrics.reject("fault_tentativi_falliti");
    let seconds = retry_after_seconds(retry_after);
    let mut response = http_response(
        StatusCode::TOO_MANY_REQUESTS,
        "text/plain; charset=utf-8",
        format!("Troppi tentativi di autenticazione falliti: riprovare tra {seconds} secondi\n"),
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
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
