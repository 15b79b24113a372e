//! A service operation done from a page, recorded exactly as the SOAP pipeline records it
//! (DESIGN "One rule, one place"): the same use case, the same authorisation rule (`9001`),
//! the same per-operator rate limit, a transaction id from the same issuer, and the same
//! access-log entry committed — with the data the transaction writes — before the page shows
//! the outcome. Only the envelope is missing: the page's form is the request.
//!
//! The caller is the signed-in operator as the register has them now (CF, profiles): a
//! profile revoked meanwhile is refused on the next page, not at the next login. Its kind in
//! the access log says how the session was opened ([`web_auth`]).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Instant;

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use chrono_tz::Europe::Rome;

use super::page;
use super::session::Session;
use super::{Operator, Pages, Visitor};
use crate::audit::{self, Draft, Requester};
use crate::domain::{TransactionId, TransactionIdKind};
use crate::identity::{Caller, OperatorAsl, OperatorAuth, Peer};
use crate::metrics::RequestLabels;
use crate::services::{Access, CodEsito, Context, Outcome, TipoErrore};
use crate::soap::pipeline::THROTTLED_OUTCOME;
use crate::soap::throttle::retry_after_seconds;
use crate::soap::Gateway;
use crate::store::{AccessLogEntry, TransactionWrite, UserRecord};

/// One operation under way for a page: its id is issued, its access-log entry not yet written.
pub struct Transaction<'a> {
    gateway: &'a Gateway,
    draft: Draft<'a>,
    /// What the use case reads: store, caller, this transaction's id, the clock.
    pub context: Context<'a>,
    started: Instant,
}

/// No transaction id could be issued (the issuer's lease is lost): nothing is done, and the
/// page says the service is unavailable.
#[derive(Debug, Clone, Copy)]
pub struct NoTransactionId;

impl IntoResponse for NoTransactionId {
    fn into_response(self) -> Response {
        page::unavailable()
    }
}

/// An operation's outcome once its access-log entry is committed: only then may a page show it.
pub struct Recorded<T> {
    pub outcome: Outcome<T>,
    pub transaction_id: String,
    pub at: DateTime<Utc>,
}

impl Pages {
    /// The signed-in operator as the use cases see a caller: by certificate when the connection
    /// presents the operator's own card (a smart-card login), by password otherwise.
    pub(super) async fn caller_of(
        &self,
        visitor: &Visitor,
        operator: &Operator,
    ) -> Result<(UserRecord, Caller), Response> {
        let user = self.record_of(operator).await?;
        let profiles = match self
            .gateway
            .store
            .directory()
            .profiles_of(&user.user_id)
            .await
        {
            Ok(profiles) => profiles,
            Err(error) => {
                tracing::error!(%error, "an operator's profiles could not be read");
                return Err(page::unavailable());
            }
        };
        let caller = Caller::Operator {
            cf: user.cf.clone(),
            user_id: Some(user.user_id.clone()),
            method: web_auth(visitor, &operator.session, &user),
            profiles,
            asl: OperatorAsl::of(user.region, user.asl),
        };
        Ok((user, caller))
    }
}

/// How the signed-in operator proved who they are, as the access log records it: a session
/// opened with a smart card is its own kind; otherwise by certificate when the connection
/// presents the operator's own card, by password when it does not.
pub(super) fn web_auth(visitor: &Visitor, session: &Session, user: &UserRecord) -> OperatorAuth {
    if session.card_chain.is_some() {
        return OperatorAuth::CardSession;
    }
    match visitor.peer.as_ref() {
        Peer::Card { cf } if *cf == user.cf => OperatorAuth::Certificate,
        _ => OperatorAuth::Password,
    }
}

/// A use case as a page runs it, on its transaction's context. Boxed, with `Send` spelled out,
/// so that the handler calling [`Transaction::run`] stays `Send` whatever the use case borrows.
pub type UseCase<'c, T> = Pin<Box<dyn Future<Output = Outcome<T>> + Send + 'c>>;

impl<'a> Transaction<'a> {
    /// One operation from a page, numeric id, start to end: the id issued, the profile and the
    /// rate limit checked ([`Transaction::admitted`]), `use_case` run only if they let it, and
    /// the outcome recorded ([`Transaction::record`]). `Err` is the page to show instead.
    pub async fn run<T>(
        gateway: &'a Gateway,
        caller: &'a Caller,
        client: IpAddr,
        (service, operation): (&'a str, &'a str),
        access: Access,
        use_case: impl for<'c> FnOnce(&'c Context<'a>) -> UseCase<'c, T>,
    ) -> Result<Recorded<T>, Response> {
        let transaction = Transaction::begin(
            gateway,
            caller,
            client,
            service,
            operation,
            TransactionIdKind::Numeric,
        )
        .map_err(IntoResponse::into_response)?;
        let outcome = match transaction.admitted(access).await? {
            Err(refusal) => refusal,
            Ok(()) => use_case(&transaction.context).await,
        };
        transaction.record(outcome).await
    }

    /// Issues the transaction's id.
    pub fn begin(
        gateway: &'a Gateway,
        caller: &'a Caller,
        client: IpAddr,
        service: &'a str,
        operation: &'a str,
        ids: TransactionIdKind,
    ) -> Result<Transaction<'a>, NoTransactionId> {
        let transaction_id: TransactionId =
            gateway.transaction_ids.issue(ids).map_err(|error| {
                tracing::error!(%error, "no transaction id can be issued; web request refused");
                NoTransactionId
            })?;
        Ok(Transaction {
            gateway,
            draft: Draft {
                service,
                operation,
                transaction_id,
                client: Some(client),
            },
            context: Context {
                store: gateway.store.as_ref(),
                caller,
                transaction_id,
                held: Default::default(),
                now: gateway.clock.now(),
            },
            started: Instant::now(),
        })
    }

    /// What stops the operation before its use case runs, as on SOAP: the caller lacks the
    /// profile (`Err(refusal)`, recorded like any outcome), or spent their rate (the entry is
    /// written here and the page says when to retry).
    pub async fn admitted<T>(&self, access: Access) -> Result<Result<(), Outcome<T>>, Response> {
        let caller = self.context.caller;
        if !access.allows(caller, self.draft.service) {
            return Ok(Err(access.refusal(self.draft.service, self.draft.operation)));
        }
        if let Err(throttled) = self.gateway.throttle.check(&caller.throttle_key()).await {
            let entry = self.draft.entry(
                Requester::Identified(caller),
                now_millis(),
                THROTTLED_OUTCOME,
            );
            if audit::commit(&self.gateway.access_log, entry)
                .await
                .is_err()
            {
                return Err(page::unavailable());
            }
            return Err(page::too_many_requests(retry_after_seconds(throttled.wait)));
        }
        Ok(Ok(()))
    }

    /// Commits the access-log entry with what the operation writes; not committed: the
    /// "unavailable" page, and nothing of the operation is shown (or done).
    pub async fn record<T>(self, mut outcome: Outcome<T>) -> Result<Recorded<T>, Response> {
        let at = now_millis();
        let code = outcome.esito.code();
        let entry = self
            .draft
            .answered(self.context.caller, at, code, &outcome.audit);
        let write = outcome.write.take();
        let transaction_id = self.commit(entry, write, code).await?;
        Ok(Recorded {
            outcome,
            transaction_id,
            at,
        })
    }

    /// Commits the entry of an answer that is no service outcome (a file download) with its
    /// access-log `code`; the transaction id, once committed.
    pub async fn record_code(self, code: &str) -> Result<String, Response> {
        let entry = self.draft.entry(
            Requester::Identified(self.context.caller),
            now_millis(),
            code,
        );
        self.commit(entry, None, code).await
    }

    async fn commit(
        self,
        entry: AccessLogEntry,
        write: Option<TransactionWrite>,
        code: &str,
    ) -> Result<String, Response> {
        let recorded = audit::commit_with(&self.gateway.access_log, entry, write).await;
        let Transaction {
            gateway,
            draft,
            context,
            started,
        } = self;
        // Only now may another request take the locks this one decided under.
        drop(context);
        if recorded.is_err() {
            return Err(page::unavailable());
        }
        gateway
            .metrics
            .requests
            .get_or_create(&RequestLabels {
                service: draft.service.to_owned(),
                operation: draft.operation.to_owned(),
                outcome: code.to_owned(),
            })
            .inc();
        tracing::debug!(elapsed = ?started.elapsed(), "web transaction recorded");
        Ok(draft.transaction_id.to_string())
    }
}

/// One message of an outcome as a page shows it: the code, whether it blocked, the text, and
/// what to do about it.
pub struct MessageView {
    pub code: &'static str,
    pub blocking: bool,
    pub text: String,
    pub advice: Option<&'static str>,
}

/// "Esito Transazione": what a page shows of a recorded outcome.
pub struct OutcomeView {
    pub ok: bool,
    /// "Operazione effettuata correttamente." or "Operazione conclusa con esito negativo."
    pub headline: &'static str,
    /// `0000`, `0001` or `9999`.
    pub esito: &'static str,
    pub messages: Vec<MessageView>,
    pub transaction_id: String,
    /// `dd/mm/yyyy hh:mm:ss.mmm`, Rome time.
    pub at: String,
}

impl OutcomeView {
    /// `advice` explains a message code in words an operator can act on.
    pub fn of<T>(
        recorded: &Recorded<T>,
        advice: impl Fn(&str) -> Option<&'static str>,
    ) -> OutcomeView {
        let outcome = &recorded.outcome;
        let ok = outcome.esito != CodEsito::Rifiutato;
        OutcomeView {
            ok,
            headline: if ok {
                "Operazione effettuata correttamente."
            } else {
                "Operazione conclusa con esito negativo."
            },
            esito: outcome.esito.code(),
            messages: outcome
                .messaggi
                .iter()
                .map(|m| MessageView {
                    code: m.codice,
                    blocking: m.tipo == TipoErrore::Bloccante,
                    text: m.testo.clone(),
                    advice: advice(m.codice),
                })
                .collect(),
            transaction_id: recorded.transaction_id.clone(),
            at: recorded
                .at
                .with_timezone(&Rome)
                .format("%d/%m/%Y %H:%M:%S%.3f")
                .to_string(),
        }
    }
}

/// Access-log timestamps carry milliseconds, no more (as the SOAP pipeline's).
fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or(now)
}
