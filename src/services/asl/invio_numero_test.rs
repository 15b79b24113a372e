//! `InvioNumeroTest` (seed 003 §4.4.2): the number of serology tests an ASL did on a day. The
//! count is written with the access-log entry, in the core's group commit.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{PROFILE_ASL, REQUEST_NS, RESPONSE_NS};
use crate::services::sierologici::rules::{
    operator_cf, today, unavailable, OperatorCfCodes, Refusal,
};
use crate::services::{Access, Audit, Context, Operation, OperationSpec, Reply};
use crate::soap::identify::Caller;
use crate::soap::Element;
use crate::store::{NewAslTestCount, TransactionWrite};

pub const CF_OPERATORE_DIVERSO: &str = "2001";
pub const CF_OPERATORE_CARATTERE_CONTROLLO: &str = "2002";
pub const CF_OPERATORE_MALFORMATO: &str = "2003";
pub const DATA_TEST_FUTURA: &str = "2004";
pub const ASL_SCONOSCIUTA: &str = "2005";
pub const NUMERO_NON_VALIDO: &str = "2006";

pub struct InvioNumeroTest {
    spec: OperationSpec,
}

impl InvioNumeroTest {
    pub fn new() -> InvioNumeroTest {
        InvioNumeroTest {
            spec: OperationSpec {
                name: "InvioNumeroTest",
                request: (REQUEST_NS, "InvioNumeroTestRichiesta"),
                response: (RESPONSE_NS, "InvioNumeroTestRicevuta"),
                access: Access::Profile(PROFILE_ASL),
            },
        }
    }
}

#[async_trait]
impl Operation for InvioNumeroTest {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply {
        let audit = Audit {
            operator_cf: match ctx.caller {
                Caller::Region { .. } => payload
                    .child_text("cfOperatore")
                    .map(str::to_ascii_uppercase),
                Caller::Operator { .. } => None,
            },
            ..Audit::default()
        };
        handle(ctx, payload)
            .await
            .unwrap_or_else(Reply::from)
            .with_audit(audit)
    }
}

async fn handle(ctx: &Context<'_>, payload: &Element) -> Result<Reply, Refusal> {
    let (operator, warning) = operator_cf(
        payload.child_text("cfOperatore").unwrap_or(""),
        "cfOperatore",
        OperatorCfCodes {
            check_character: CF_OPERATORE_CARATTERE_CONTROLLO,
            malformed: CF_OPERATORE_MALFORMATO,
        },
    )?;
    let (region, asl) = match ctx.caller {
        Caller::Operator { cf, .. } => {
            if !cf.eq_ignore_ascii_case(&operator) {
                return Err(Refusal::new(
                    CF_OPERATORE_DIVERSO,
                    "Il codice fiscale dell'operatore (cfOperatore) non corrisponde all'utente autenticato",
                ));
            }
            let user = ctx
                .app
                .store
                .directory()
                .find_user_by_cf(cf)
                .await
                .map_err(unavailable)?;
            match user.and_then(|u| Some((u.region, u.asl?))) {
                Some((region, asl)) => (region, asl),
                None => {
                    return Err(Refusal::new(
                        ASL_SCONOSCIUTA,
                        "L'operatore non risulta associato ad una ASL",
                    ))
                }
            }
        }
        Caller::Region { code, .. } => match payload.child_text("codASL") {
            Some(asl) => (Some(code.to_string()), asl.to_owned()),
            None => {
                return Err(Refusal::new(
                    ASL_SCONOSCIUTA,
                    "Per i sistemi regionali il codice della ASL (codASL) è obbligatorio",
                ))
            }
        },
    };
    let test_date = payload
        .child_text("dataTest")
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .ok_or_else(|| Refusal::new(DATA_TEST_FUTURA, "La data dataTest non è valida"))?;
    if test_date > today() {
        return Err(Refusal::new(
            DATA_TEST_FUTURA,
            format!("La data dei test ({test_date}) è successiva alla data odierna"),
        ));
    }
    let tests: i64 = payload
        .child_text("numeroTest")
        .and_then(|n| n.trim_start_matches('+').parse().ok())
        .ok_or_else(|| {
            Refusal::new(
                NUMERO_NON_VALIDO,
                "Il numero di test (numeroTest) non è valido",
            )
        })?;
    let mut reply = Reply::ok(String::new());
    if let Some(w) = warning {
        reply = reply.with_warning(w.codice, w.testo);
    }
    Ok(
        reply.with_write(TransactionWrite::AslTestCount(NewAslTestCount {
            operator_cf: operator,
            region_code: region,
            asl_code: Some(asl),
            test_date,
            tests,
        })),
    )
}
