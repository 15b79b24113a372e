//! `ElencoAssistiti` (docs/services/sierologici.md, from seed 003 §3.4.1): the titolare's assistiti
//! who are state-school staff; a substitute sees them only while the substitution is in force.

use async_trait::async_trait;

use super::rules::{self, Need, Refusal};
use crate::services::{Context, Operation, OperationSpec, Reply};
use crate::soap::xml::leaf;
use crate::soap::Element;

pub struct ElencoAssistiti {
    spec: OperationSpec,
}

impl ElencoAssistiti {
    pub fn new(spec: OperationSpec) -> ElencoAssistiti {
        ElencoAssistiti { spec }
    }
}

#[async_trait]
impl Operation for ElencoAssistiti {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply {
        rules::answer(ctx, payload, handle(ctx, payload).await)
    }
}

async fn handle(ctx: &Context<'_>, payload: &Element) -> Result<Reply, Refusal> {
    let acting = rules::acting(ctx, payload, rules::today(), Need::InForce).await?;
    let patients = ctx
        .app
        .store
        .registry()
        .patient_list(&acting.titolare)
        .await
        .map_err(rules::unavailable)?;
    let mut body = String::with_capacity(64 + patients.len() * 200);
    body.push_str("<ric:ElencoAssistiti>");
    for p in &patients {
        body.push_str("<ric:Assistito>");
        leaf(&mut body, "ric", "cfAssistito", &p.cf);
        leaf(&mut body, "ric", "nome", &p.name);
        leaf(&mut body, "ric", "cognome", &p.surname);
        leaf(
            &mut body,
            "ric",
            "dataAggiornamento",
            &p.updated_on.to_string(),
        );
        body.push_str("</ric:Assistito>");
    }
    body.push_str("</ric:ElencoAssistiti>");
    Ok(acting.finish(Reply::ok(body)))
}
