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

use super::acting::{self, ActingRequest, Need};
use super::Codice;
use crate::domain::{CfError, CodiceFiscale};
use crate::services::{Context, Outcome};
use crate::store::{SerologyCancel, TransactionWrite};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnullaTestRequest {
    pub acting: ActingRequest,
    /// `cfAssistito`.
    pub assistito: Result<CodiceFiscale, CfError>,
    /// `idTransazioneInvio`: the transaction id of the send to cancel.
    pub send_id: String,
}

/// `locks` serialises the cancels of one send within this process (the same value for every
/// call).
pub async fn annulla_test(
    ctx: &Context<'_>,
    locks: &SendLocks,
    request: &AnnullaTestRequest,
) -> Outcome {
    acting::answer(ctx, &request.acting, handle(ctx, locks, request).await)
}

async fn handle(
    ctx: &Context<'_>,
    locks: &SendLocks,
    request: &AnnullaTestRequest,
) -> Result<Outcome, Codice> {
    let claimed = acting::claim(ctx, &request.acting)?;
    let send_id = request.send_id.as_str();
    ctx.held.hold(locks.lock(send_id).await);
    let read = ctx
        .store
        .serology()
        .find_send_of_titolare(send_id, claimed.titolare(), request.assistito.as_ref().ok())
        .await
        .map_err(acting::unavailable)?;
    let (acting, send) = acting::settle(ctx, claimed, read, Need::Begun).await?;
    let assistito = acting::assistito(&request.assistito)?;
    let Some(send) = send else {
        return Err(Codice::AnnullaTransazioneSconosciuta {
            send_id: send_id.to_owned(),
            assistito: assistito.to_string(),
            titolare: acting.titolare.to_string(),
        });
    };
    if acting.as_substitute() && send.doctor_cf.as_str() != acting.doctor.as_str() {
        return Err(Codice::AnnullaNonMittente {
            send_id: send_id.to_owned(),
        });
    }
    if send.cancelled {
        return Err(Codice::AnnullaGiaAnnullato {
            send_id: send_id.to_owned(),
        });
    }
    Ok(acting
        .finish(Outcome::ok(()))
        .with_write(TransactionWrite::SerologyCancel(SerologyCancel {
            send_transaction_id: send_id.to_owned(),
            titolare_cf: acting.titolare.clone(),
            assistito_cf: assistito,
        })))
}

/// One lock per send id, striped: cancels of the same send wait for each other, cancels of
/// different sends rarely do (only when their ids share a stripe).
pub struct SendLocks {
    stripes: Vec<Arc<tokio::sync::Mutex<()>>>,
    hasher: RandomState,
}

impl Default for SendLocks {
    fn default() -> SendLocks {
        SendLocks::new()
    }
}

impl SendLocks {
    const STRIPES: usize = 64;

    pub fn new() -> SendLocks {
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
