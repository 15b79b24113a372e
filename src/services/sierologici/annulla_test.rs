//! `AnnullaTest` (seed 003 §3.4.3): cancels a send, named by its transaction id. Only the doctor
//! who sent it may cancel it; cancelling twice has its own code.

use async_trait::async_trait;
use chrono::Utc;

use super::rules::{self, Refusal};
use crate::services::{Context, Operation, OperationSpec, Reply};
use crate::soap::Element;
use crate::store::CancelOutcome;

pub struct AnnullaTest;

static SPEC: std::sync::LazyLock<OperationSpec> = std::sync::LazyLock::new(|| {
    super::spec("AnnullaTest", "AnnullaTestRichiesta", "AnnullaTestRicevuta")
});

#[async_trait]
impl Operation for AnnullaTest {
    fn spec(&self) -> &OperationSpec {
        &SPEC
    }

    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply {
        rules::answer(ctx, payload, handle(ctx, payload).await)
    }
}

async fn handle(ctx: &Context<'_>, payload: &Element) -> Result<Reply, Refusal> {
    let acting = rules::acting(ctx, payload, rules::today()).await?;
    let assistito = rules::assistito_cf(payload)?;
    let send_id = payload.child_text("idTransazioneInvio").unwrap_or("");
    let outcome = ctx
        .app
        .store
        .registry()
        .cancel_serology_test(
            send_id,
            &acting.titolare,
            &assistito,
            &acting.doctor,
            &ctx.transaction_id.to_string(),
            Utc::now(),
        )
        .await
        .map_err(rules::unavailable)?;
    match outcome {
        CancelOutcome::Cancelled => Ok(acting.finish(Reply::ok(String::new()))),
        CancelOutcome::Unknown => Err(Refusal::new(
            rules::ANNULLA_TRANSAZIONE_SCONOSCIUTA,
            format!("Nessun invio con identificativo {send_id} per l'assistito {assistito} e il medico titolare {}", acting.titolare),
        )),
        CancelOutcome::NotSender => Err(Refusal::new(
            rules::ANNULLA_NON_MITTENTE,
            format!("L'invio {send_id} è stato effettuato da un altro medico: solo chi l'ha inviato può annullarlo"),
        )),
        CancelOutcome::AlreadyCancelled => Err(Refusal::new(
            rules::ANNULLA_GIA_ANNULLATO,
            format!("L'invio {send_id} risulta già annullato"),
        )),
    }
}
