//! `AnnullaTest` (docs/services/sierologici.md, from seed 003 §3.4.3): cancels a send, named by its
//! transaction id. The titolare may cancel any send for their patients; a substitute only their
//! own, also after the substitution ended (§3.3.1: they "possono correggere" what they entered).
//! Cancelling twice has its own code.
//!
//! The cancellation is written with the access-log entry, in the core's group commit, as a send
//! is: if the entry is not committed, neither is the cancellation. The rules are decided on a
//! read of the send made under a lock on that send id, held until the commit is done
//! ([`SendLocks`]), so two cancels of one send are decided one after the other, each on what
//! the other committed. Across gateway instances (PostgreSQL), where this lock does not reach,
//! the database refuses to cancel a test twice: the later commit fails and nothing of it is
//! acknowledged. A cancel can only find a send whose reply was committed, never one still in
//! the same batch.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use async_trait::async_trait;

use super::rules::{self, Need, Refusal};
use crate::services::{Context, Operation, OperationSpec, Reply};
use crate::soap::Element;
use crate::store::{SerologyCancel, TransactionWrite};

pub struct AnnullaTest {
    spec: OperationSpec,
    locks: SendLocks,
}

impl AnnullaTest {
    pub fn new(spec: OperationSpec) -> AnnullaTest {
        AnnullaTest {
            spec,
            locks: SendLocks::new(),
        }
    }
}

#[async_trait]
impl Operation for AnnullaTest {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply {
        rules::answer(ctx, payload, self.handle(ctx, payload).await)
    }
}

impl AnnullaTest {
    async fn handle(&self, ctx: &Context<'_>, payload: &Element) -> Result<Reply, Refusal> {
        let acting = rules::acting(ctx, payload, rules::today(), Need::Begun).await?;
        let assistito = rules::assistito_cf(payload)?;
        let send_id = payload.child_text("idTransazioneInvio").unwrap_or("");
        ctx.held.hold(self.locks.lock(send_id).await);
        let send = ctx
            .app
            .store
            .registry()
            .find_serology_send(send_id, &acting.titolare, &assistito)
            .await
            .map_err(rules::unavailable)?;
        let Some(send) = send else {
            return Err(Refusal::new(
                rules::ANNULLA_TRANSAZIONE_SCONOSCIUTA,
                format!("Nessun invio con identificativo {send_id} per l'assistito {assistito} e il medico titolare {}", acting.titolare),
            ));
        };
        if acting.as_substitute() && send.doctor_cf != acting.doctor {
            return Err(Refusal::new(
                rules::ANNULLA_NON_MITTENTE,
                format!("L'invio {send_id} è stato effettuato da un altro medico: il sostituto può annullare solo i propri invii"),
            ));
        }
        if send.cancelled {
            return Err(Refusal::new(
                rules::ANNULLA_GIA_ANNULLATO,
                format!("L'invio {send_id} risulta già annullato"),
            ));
        }
        Ok(acting
            .finish(Reply::ok(String::new()))
            .with_write(TransactionWrite::SerologyCancel(SerologyCancel {
                send_transaction_id: send_id.to_owned(),
                titolare_cf: acting.titolare,
                assistito_cf: assistito,
            })))
    }
}

/// One lock per send id, striped: cancels of the same send wait for each other, cancels of
/// different sends rarely do (only when their ids share a stripe).
struct SendLocks {
    stripes: Vec<Arc<tokio::sync::Mutex<()>>>,
    hasher: RandomState,
}

impl SendLocks {
    const STRIPES: usize = 64;

    fn new() -> SendLocks {
        SendLocks {
            stripes: (0..Self::STRIPES).map(|_| Arc::default()).collect(),
            hasher: RandomState::new(),
        }
    }

    async fn lock(&self, send_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let stripe = self.hasher.hash_one(send_id) as usize % Self::STRIPES;
        self.stripes[stripe].clone().lock_owned().await
    }
}
