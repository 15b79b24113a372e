//! The SOAP request, top to bottom. Each stage is one call, in this order:
//! envelope (with schema validation, same pass) → identify → end user (a region's SAML
//! assertion) → authorize → throttle → dispatch → record → respond.

use std::net::IpAddr;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DurationRound, TimeDelta, Utc};

use super::catalogue::Call;
use super::fault::Fault;
use super::respond::{self, HttpResponse};
use super::throttle::retry_after_seconds;
use super::version::SoapVersion;
use super::{authorize, end_user, reply, xml, Gateway};
use crate::audit::{self, Draft, Requester};
use crate::identity::{Caller, Credentials, Peer, Refused};
use crate::metrics::{RequestLabels, ServiceLabels, ThrottledLabels};
use crate::services::Context;

/// The access log's outcome of a call over the per-caller rate limit.
pub const THROTTLED_OUTCOME: &str = "throttled";

/// What the HTTP layer hands over for a `POST /ws/<service>`.
pub struct SoapCall<'a> {
    pub service: &'a str,
    pub content_type: Option<&'a str>,
    /// The connection's client address: failed credentials are counted per address, and it is
    /// recorded with the transaction in the access log.
    pub client: IpAddr,
    pub authorization: Option<&'a str>,
    /// The `X-TSGate-TOTP` header: an enrolled operator's current code, when
    /// `auth.totp_on_soap` asks for it.
    pub totp: Option<&'a str>,
    pub body: Bytes,
    /// Told the caller as soon as it is identified (the server then takes a connection that
    /// proved a password out of its unauthenticated budget).
    pub identified: fn(&Caller),
}

pub async fn handle(gateway: &Gateway, peer: &Peer, call: SoapCall<'_>) -> HttpResponse {
    let started = Instant::now();
    let version = match SoapVersion::from_content_type(call.content_type) {
        Ok(version) => version,
        Err(why) => return refuse(gateway, SoapVersion::V11, Fault::content_type(why)),
    };
    let Some(service) = gateway.catalogue.service(call.service) else {
        return refuse(gateway, version, Fault::unknown_service(call.service));
    };

    // 1–2. envelope + schema; the payload must be one of this service's operations
    let requests = service.requests();
    let mut envelope = match gateway
        .envelope_reader
        .read(call.body, version, &requests)
        .await
    {
        Ok(envelope) => envelope,
        // Faults answer in the version the Content-Type announced, which is what the client reads.
        Err(error) => {
            return refuse(
                gateway,
                version,
                Fault::from_request_envelope(service.name, &error),
            )
        }
    };
    let payload = &envelope.payload;
    let Some(operation) = service.operation_for(&payload.namespace, &payload.name) else {
        return refuse(
            gateway,
            version,
            Fault::unknown_operation(service.name, &payload.namespace, &payload.name),
        );
    };
    let spec = operation.spec();
    let transaction_id = match gateway.transaction_ids.issue(service.transaction_ids) {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "no transaction id can be issued; request refused");
            return refuse(gateway, version, Fault::unavailable());
        }
    };
    let draft = Draft {
        service: service.name,
        operation: spec.name,
        transaction_id,
        client: Some(call.client),
    };

    // 3. identify
    let credentials = Credentials::from_http(
        peer,
        call.client,
        call.authorization,
        payload.child_text("pinCode"),
    )
    .with_totp(call.totp);
    let caller = match gateway.identity.identify(&credentials).await {
        Ok(caller) => {
            (call.identified)(&caller);
            caller
        }
        Err(Refused::Credentials { kind, claimed_id }) => {
            let fault = Fault::credentials().with_transaction(draft.transaction_id);
            let entry = draft.entry(
                Requester::Refused {
                    kind,
                    claimed_id: &claimed_id,
                },
                now_millis(),
                &fault.label(),
            );
            return finish_with_fault(gateway, version, &draft, entry, fault, started).await;
        }
        // Not in the access log: refused before any check, like a malformed request.
        Err(Refused::Throttled { retry_after }) => {
            let fault = Fault::credentials_throttled(retry_after_seconds(retry_after));
            return refuse(gateway, version, fault);
        }
        Err(Refused::PasswordMustChange { kind, user_id }) => {
            let fault = Fault::password_must_change().with_transaction(draft.transaction_id);
            let entry = draft.entry(
                Requester::Refused {
                    kind,
                    claimed_id: &user_id,
                },
                now_millis(),
                &fault.label(),
            );
            return finish_with_fault(gateway, version, &draft, entry, fault, started).await;
        }
        Err(Refused::SecondFactorToEnroll { kind, user_id }) => {
            let fault = Fault::second_factor_to_enroll().with_transaction(draft.transaction_id);
            let entry = draft.entry(
                Requester::Refused {
                    kind,
                    claimed_id: &user_id,
                },
                now_millis(),
                &fault.label(),
            );
            return finish_with_fault(gateway, version, &draft, entry, fault, started).await;
        }
        Err(Refused::Unavailable) => return refuse(gateway, version, Fault::unavailable()),
    };
    // 3b. the end user a region names in a signed assertion, in place of the declared fields
    let now = gateway.clock.now();
    if let Err(why) = end_user::settle(
        &gateway.saml,
        &caller,
        spec,
        &envelope.assertion,
        &mut envelope.payload,
        now,
    ) {
        tracing::info!(
            caller = %caller.id(),
            reason = %why,
            "SAML assertion refused"
        );
        let fault = Fault::assertion(&why).with_transaction(draft.transaction_id);
        let entry = draft.entry(Requester::Identified(&caller), now_millis(), &fault.label());
        return finish_with_fault(gateway, version, &draft, entry, fault, started).await;
    }
    let payload = &envelope.payload;
    let context = Context {
        store: gateway.store.as_ref(),
        caller: &caller,
        transaction_id: draft.transaction_id,
        held: Default::default(),
        now,
    };

    // 4. authorize, 5. throttle, 6. dispatch
    let mut outcome = if !authorize::may_call(&caller, service, spec) {
        authorize::refusal(service, spec)
    } else if let Err(throttled) = gateway.throttle.check(&caller.throttle_key()).await {
        gateway
            .metrics
            .throttled
            .get_or_create(&ThrottledLabels {
                caller_kind: caller.kind().as_str().to_owned(),
                limit: throttled.limit.as_str().to_owned(),
            })
            .inc();
        let fault = Fault::throttled(retry_after_seconds(throttled.wait))
            .with_transaction(draft.transaction_id);
        let entry = draft.entry(
            Requester::Identified(&caller),
            now_millis(),
            THROTTLED_OUTCOME,
        );
        return finish_with_fault(gateway, version, &draft, entry, fault, started).await;
    } else {
        let call = Call {
            payload,
            catalogue: &gateway.catalogue,
            publication: &gateway.publication,
        };
        operation.invoke(&context, call).await
    };

    // 7. record, 8. respond
    let at = now_millis();
    let code = outcome.esito.code();
    let entry = draft.answered(&caller, at, code, &outcome.audit);
    let write = outcome.write.take();
    let recorded = audit::commit_with(&gateway.access_log, entry, write).await;
    // Only now may another request take the locks this one decided under.
    drop(context);
    // A Fault for an uncommitted transaction carries no id: an id a client sees is always one
    // the access log holds, so none can be seen twice (a restart continues after the log's).
    if recorded.is_err() {
        return refuse(gateway, version, Fault::unavailable());
    }
    count(gateway, &draft, code, started);
    let xml = reply::to_xml(
        &outcome,
        spec.response,
        &draft.transaction_id.to_string(),
        &xml::rome_millis(at),
    );
    respond::reply(version, &xml)
}

/// A Fault for a request that reached identification: recorded like any other outcome.
async fn finish_with_fault(
    gateway: &Gateway,
    version: SoapVersion,
    draft: &Draft<'_>,
    entry: crate::store::AccessLogEntry,
    fault: Fault,
    started: Instant,
) -> HttpResponse {
    let outcome = entry.outcome.clone();
    if audit::commit(&gateway.access_log, entry).await.is_err() {
        return refuse(gateway, version, Fault::unavailable());
    }
    count(gateway, draft, &outcome, started);
    respond::fault(version, &fault)
}

/// A request refused before a caller was known: counted by reason, answered with its Fault.
pub fn refuse(gateway: &Gateway, version: SoapVersion, fault: Fault) -> HttpResponse {
    gateway.metrics.reject(&fault.label());
    tracing::info!(
        code = fault.detail_code,
        status = fault.status.as_u16(),
        "request refused"
    );
    respond::fault(version, &fault)
}

fn count(gateway: &Gateway, draft: &Draft<'_>, outcome: &str, started: Instant) {
    gateway
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            service: draft.service.to_owned(),
            operation: draft.operation.to_owned(),
            outcome: outcome.to_owned(),
        })
        .inc();
    gateway
        .metrics
        .latency
        .get_or_create(&ServiceLabels {
            service: draft.service.to_owned(),
        })
        .observe(started.elapsed().as_secs_f64());
}

/// Access-log and reply timestamps carry milliseconds, no more.
fn now_millis() -> chrono::DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or(now)
}
