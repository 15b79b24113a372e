//! `ElencoTest` (docs/services/sierologici.md, from seed 003 §3.4.4): the tests sent for a titolare
//! between two dates (by date sent), not cancelled. The titolare sees every one, with who sent it
//! (`cfMedico`); a substitute sees only what they entered, also after the substitution ended
//! (§3.3.1).

use async_trait::async_trait;

use super::rules::{self, Need, Refusal};
use crate::services::{Context, Operation, OperationSpec, Reply};
use crate::soap::xml::leaf;
use crate::soap::Element;
use crate::store::SentTestQuery;

pub struct ElencoTest {
    spec: OperationSpec,
}

impl ElencoTest {
    pub fn new(spec: OperationSpec) -> ElencoTest {
        ElencoTest { spec }
    }
}

#[async_trait]
impl Operation for ElencoTest {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply {
        rules::answer(ctx, payload, handle(ctx, payload).await)
    }
}

async fn handle(ctx: &Context<'_>, payload: &Element) -> Result<Reply, Refusal> {
    let acting = rules::acting(ctx, payload, rules::today(), Need::Begun).await?;
    let from = rules::date(payload, "dataInizio")?;
    let to = rules::date(payload, "dataFine")?;
    if from > to {
        return Err(Refusal::new(
            rules::INTERVALLO_DATE_INVERTITO,
            format!("La data di inizio ({from}) è successiva alla data di fine ({to})"),
        ));
    }
    let tests = ctx
        .app
        .store
        .registry()
        .sent_tests(&SentTestQuery {
            titolare_cf: acting.titolare.clone(),
            sent_by: acting.as_substitute().then(|| acting.doctor.clone()),
            from,
            to,
        })
        .await
        .map_err(rules::unavailable)?;
    let mut body = String::with_capacity(64 + tests.len() * 300);
    body.push_str("<ric:ElencoTest>");
    for t in &tests {
        body.push_str("<ric:Test>");
        leaf(&mut body, "ric", "cfAssistito", &t.assistito_cf);
        if let (Some(name), Some(surname)) = (&t.name, &t.surname) {
            leaf(&mut body, "ric", "nome", name);
            leaf(&mut body, "ric", "cognome", surname);
        }
        leaf(&mut body, "ric", "dataTest", &t.test_date.to_string());
        leaf(&mut body, "ric", "idTransazioneInvio", &t.transaction_id);
        leaf(&mut body, "ric", "dataInserimento", &t.sent_on.to_string());
        leaf(&mut body, "ric", "cfMedico", &t.doctor_cf);
        leaf(
            &mut body,
            "ric",
            "inElenco",
            if t.on_list { "true" } else { "false" },
        );
        body.push_str("</ric:Test>");
    }
    body.push_str("</ric:ElencoTest>");
    Ok(acting.finish(Reply::ok(body)))
}
