//! `InvioNumeroTest` (docs/services/asl.md, from seed 003 §4.4.2): the number of serology tests an
//! ASL did on a day. The count is written with the access-log entry, in the core's group commit. A
//! region's system (only with the extension on) names the ASL in `codASL`, which must be one of its
//! own, and declares how it authenticated its operator (`tipoAutenticazione`), as InvioOTP does.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{REQUEST_NS, RESPONSE_NS};
use crate::identity::Caller;
use crate::services::sierologici::rules::{
    declared_auth, operator_cf, today, unavailable, OperatorCfCodes, Refusal,
};
use crate::services::{Access, Audit, Context, Operation, OperationSpec, Reply};
use crate::soap::Element;
use crate::store::{NewAslTestCount, TransactionWrite};

pub const CF_OPERATORE_DIVERSO: &str = "2001";
pub const CF_OPERATORE_CARATTERE_CONTROLLO: &str = "2002";
pub const CF_OPERATORE_MALFORMATO: &str = "2003";
pub const DATA_TEST_FUTURA: &str = "2004";
pub const ASL_SCONOSCIUTA: &str = "2005";
pub const NUMERO_NON_VALIDO: &str = "2006";
pub const TIPO_AUTENTICAZIONE_MANCANTE: &str = "2007";
pub const TIPO_AUTENTICAZIONE_NON_AMMESSO: &str = "2008";
pub const ASL_NON_DELLA_REGIONE: &str = "2009";

pub struct InvioNumeroTest {
    spec: OperationSpec,
}

impl InvioNumeroTest {
    pub fn new(access: Access) -> InvioNumeroTest {
        InvioNumeroTest {
            spec: OperationSpec {
                name: "InvioNumeroTest",
                request: (REQUEST_NS, "InvioNumeroTestRichiesta"),
                response: (RESPONSE_NS, "InvioNumeroTestRicevuta"),
                access,
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
        let audit = match ctx.caller {
            Caller::Region { .. } => Audit {
                operator_cf: payload
                    .child_text("cfOperatore")
                    .map(str::to_ascii_uppercase),
                declared_auth: declared_auth(payload).map(|auth| auth.as_str().to_owned()),
                titolare_cf: None,
            },
            Caller::Operator { .. } => Audit::default(),
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
            if !cf.as_str().eq_ignore_ascii_case(&operator) {
                return Err(Refusal::new(
                    CF_OPERATORE_DIVERSO,
                    "Il codice fiscale dell'operatore (cfOperatore) non corrisponde all'utente autenticato",
                ));
            }
            if payload.child_text("tipoAutenticazione").is_some() {
                return Err(Refusal::new(
                    TIPO_AUTENTICAZIONE_NON_AMMESSO,
                    "Il tipo di autenticazione (tipoAutenticazione) si indica solo nelle chiamate dei sistemi regionali",
                ));
            }
            let user = ctx
                .app
                .store
                .directory()
                .find_user_by_cf(cf.as_str())
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
        Caller::Region { code, .. } => {
            if declared_auth(payload).is_none() {
                return Err(Refusal::new(
                    TIPO_AUTENTICAZIONE_MANCANTE,
                    "Il tipo di autenticazione dell'operatore (tipoAutenticazione: 2FA, CNS, CIE o SPID) è obbligatorio per le chiamate dei sistemi regionali",
                ));
            }
            let Some(asl) = payload.child_text("codASL") else {
                return Err(Refusal::new(
                    ASL_SCONOSCIUTA,
                    "Per i sistemi regionali il codice della ASL (codASL) è obbligatorio",
                ));
            };
            let region = code.to_string();
            let known = ctx
                .app
                .store
                .registry()
                .find_asl(&region, asl)
                .await
                .map_err(unavailable)?;
            if known.is_none() {
                return Err(Refusal::new(
                    ASL_NON_DELLA_REGIONE,
                    format!("La ASL {asl} non risulta tra le ASL della regione {region}"),
                ));
            }
            (Some(region), asl.to_owned())
        }
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
