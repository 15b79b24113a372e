//! `InvioTest` (docs/services/sierologici.md, from seed 003 §3.4.2): a serology test done on an
//! assistito. A patient not on the titolare's list is still recorded, marked off-list (a warning
//! tells the doctor). The test row is written with the access-log entry, in the core's group
//! commit.

use chrono::NaiveDate;

use super::acting::{self, ActingRequest, Need};
use super::Codice;
use crate::domain::{CfError, CodiceFiscale};
use crate::services::{Context, Outcome};
use crate::store::{NewSerologyTest, TransactionWrite};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvioTestRequest {
    pub acting: ActingRequest,
    /// `cfAssistito`.
    pub assistito: Result<CodiceFiscale, CfError>,
    /// `dataTest`; `None`: not a date.
    pub test_date: Option<NaiveDate>,
}

pub async fn invio_test(ctx: &Context<'_>, request: &InvioTestRequest) -> Outcome {
    acting::answer(ctx, &request.acting, handle(ctx, request).await)
}

async fn handle(ctx: &Context<'_>, request: &InvioTestRequest) -> Result<Outcome, Codice> {
    let today = ctx.today();
    let claimed = acting::claim(ctx, &request.acting)?;
    let read = ctx
        .store
        .patients()
        .is_on_list_of_titolare(claimed.titolare(), request.assistito.as_ref().ok())
        .await
        .map_err(acting::unavailable)?;
    let (acting, on_list) = acting::settle(ctx, claimed, read, Need::InForce).await?;
    let assistito = acting::assistito(&request.assistito)?;
    let test_date = request
        .test_date
        .ok_or(Codice::DataNonValida { field: "dataTest" })?;
    if test_date > today {
        return Err(Codice::DataTestFutura { test_date });
    }
    if acting.as_substitute() && !acting.substitutions.iter().any(|s| s.covers(test_date)) {
        return Err(Codice::DataTestFuoriSostituzione {
            test_date,
            periods: acting::periods(&acting.substitutions),
        });
    }
    let mut outcome = acting.finish(Outcome::ok(()));
    if !on_list {
        let warning = Codice::AssistitoFuoriElenco {
            assistito: assistito.to_string(),
        };
        outcome = outcome.with_warning(warning.code(), warning.text());
    }
    Ok(
        outcome.with_write(TransactionWrite::SerologyTest(NewSerologyTest {
            test_date,
            doctor_cf: acting.doctor.clone(),
            titolare_cf: acting.titolare.clone(),
            assistito_cf: assistito.clone(),
            on_list,
        })),
    )
}
