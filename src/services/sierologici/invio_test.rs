//! `InvioTest` (docs/services/sierologici.md, from seed 003 §3.4.2): a serology test done on an
//! assistito. A patient not on the titolare's list is still recorded, marked off-list (a warning
//! tells the doctor). The test row is written with the access-log entry, in the core's group
//! commit.

use async_trait::async_trait;

use super::rules::{self, Need, Refusal};
use crate::services::{Context, Operation, OperationSpec, Reply};
use crate::soap::Element;
use crate::store::{NewSerologyTest, TransactionWrite};

pub struct InvioTest {
    spec: OperationSpec,
}

impl InvioTest {
    pub fn new(spec: OperationSpec) -> InvioTest {
        InvioTest { spec }
    }
}

#[async_trait]
impl Operation for InvioTest {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply {
        rules::answer(ctx, payload, handle(ctx, payload).await)
    }
}

async fn handle(ctx: &Context<'_>, payload: &Element) -> Result<Reply, Refusal> {
    let today = rules::today();
    let acting = rules::acting(ctx, payload, today, Need::InForce).await?;
    let assistito = rules::assistito_cf(payload)?;
    let test_date = rules::date(payload, "dataTest")?;
    if test_date > today {
        return Err(Refusal::new(
            rules::DATA_TEST_FUTURA,
            format!("La data di esecuzione del test ({test_date}) è successiva alla data odierna"),
        ));
    }
    if acting.as_substitute() && !acting.substitutions.iter().any(|s| s.covers(test_date)) {
        return Err(Refusal::new(
            rules::DATA_TEST_FUORI_SOSTITUZIONE,
            format!(
                "La data del test ({test_date}) è fuori dal periodo di sostituzione ({})",
                rules::periods(&acting.substitutions)
            ),
        ));
    }
    let on_list = ctx
        .app
        .store
        .registry()
        .is_on_list(&acting.titolare, &assistito)
        .await
        .map_err(rules::unavailable)?;
    let mut reply = acting.finish(Reply::ok(String::new()));
    if !on_list {
        reply = reply.with_warning(
            rules::ASSISTITO_FUORI_ELENCO,
            format!("L'assistito {assistito} non è nell'elenco del medico titolare: il test è registrato come fuori elenco"),
        );
    }
    Ok(
        reply.with_write(TransactionWrite::SerologyTest(NewSerologyTest {
            test_date,
            doctor_cf: acting.doctor,
            titolare_cf: acting.titolare,
            assistito_cf: assistito,
            on_list,
        })),
    )
}
