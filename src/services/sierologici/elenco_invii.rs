//! `ElencoTest` (docs/services/sierologici.md, from seed 003 §3.4.4): the tests sent for a titolare
//! between two dates (by date sent), not cancelled. The titolare sees every one, with who sent it
//! (`cfMedico`); a substitute sees only what they entered, also after the substitution ended
//! (§3.3.1).

use chrono::NaiveDate;

use super::acting::{self, ActingRequest, Need};
use super::Codice;
use crate::services::{Context, Outcome};
use crate::store::SentTest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElencoTestRequest {
    pub acting: ActingRequest,
    /// `dataInizio`; `None`: not a date.
    pub from: Option<NaiveDate>,
    /// `dataFine`; `None`: not a date.
    pub to: Option<NaiveDate>,
}

pub async fn elenco_test(ctx: &Context<'_>, request: &ElencoTestRequest) -> Outcome<Vec<SentTest>> {
    acting::answer(ctx, &request.acting, handle(ctx, request).await)
}

async fn handle(
    ctx: &Context<'_>,
    request: &ElencoTestRequest,
) -> Result<Outcome<Vec<SentTest>>, Codice> {
    let claimed = acting::claim(ctx, &request.acting)?;
    // Read with the titolare's record; dates that will be refused read no test.
    let dates = match (request.from, request.to) {
        (Some(from), Some(to)) if from <= to => Some((from, to)),
        _ => None,
    };
    let sent_by = claimed.as_substitute().then(|| claimed.doctor().clone());
    let read = ctx
        .store
        .serology()
        .sent_tests_of_titolare(claimed.titolare(), sent_by.as_ref(), dates)
        .await
        .map_err(acting::unavailable)?;
    let (acting, tests) = acting::settle(ctx, claimed, read, Need::Begun).await?;
    let from = request.from.ok_or(Codice::DataNonValida {
        field: "dataInizio",
    })?;
    let to = request
        .to
        .ok_or(Codice::DataNonValida { field: "dataFine" })?;
    if from > to {
        return Err(Codice::IntervalloDateInvertito { from, to });
    }
    Ok(acting.finish(Outcome::ok(tests)))
}
