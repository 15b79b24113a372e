//! `ElencoAssistiti` (docs/services/sierologici.md, from seed 003 §3.4.1): the titolare's assistiti
//! who are state-school staff; a substitute sees them only while the substitution is in force.

use super::acting::{self, ActingRequest, Need};
use super::Codice;
use crate::services::{Context, Outcome};
use crate::store::ListedPatient;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElencoAssistitiRequest {
    pub acting: ActingRequest,
}

pub async fn elenco_assistiti(
    ctx: &Context<'_>,
    request: &ElencoAssistitiRequest,
) -> Outcome<Vec<ListedPatient>> {
    acting::answer(ctx, &request.acting, handle(ctx, request).await)
}

async fn handle(
    ctx: &Context<'_>,
    request: &ElencoAssistitiRequest,
) -> Result<Outcome<Vec<ListedPatient>>, Codice> {
    let claimed = acting::claim(ctx, &request.acting)?;
    let read = ctx
        .store
        .patients()
        .patient_list_of_titolare(claimed.titolare())
        .await
        .map_err(acting::unavailable)?;
    let (acting, patients) = acting::settle(ctx, claimed, read, Need::InForce).await?;
    Ok(acting.finish(Outcome::ok(patients)))
}
