//! `Sierologici` over SOAP: each `…Richiesta` → its typed request (the common `cfMedico`,
//! `tipoAutenticazione`, `cfMedicoTitolare` first), the patient list and the tests sent as
//! `<ric:ElencoAssistiti>` and `<ric:ElencoTest>`.

use std::sync::Arc;

use async_trait::async_trait;

use super::super::catalogue::{Call, Operation, OperationSpec, ServiceSpec};
use super::super::xml::{date_leaf, leaf};
use super::super::Element;
use crate::config::ExtensionsConfig;
use crate::domain::{CodiceFiscale, OperatorCf, TransactionIdKind};
use crate::services::sierologici::{
    self, ActingRequest, AnnullaTestRequest, ElencoAssistitiRequest, ElencoTestRequest,
    InvioTestRequest, SendLocks, SERVICE,
};
use crate::services::{Context, Field, Outcome};
use crate::store::{ListedPatient, SentTest};

pub const REQUEST_NS: &str = "urn:tsgate:ws:sierologici:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:sierologici:ricevuta";

/// The service; regions may call it only with the extension `region_callers_on_sierologici_asl`.
/// `send_locks` are the cancels' locks, shared with the web pages.
pub fn service(extensions: &ExtensionsConfig, send_locks: Arc<SendLocks>) -> ServiceSpec {
    let access = sierologici::access(extensions);
    let operation = |name, request, response, kind| -> Arc<dyn Operation> {
        Arc::new(SierologiciOverSoap {
            spec: super::spec((REQUEST_NS, RESPONSE_NS), name, request, response, access)
                .naming_end_user("cfMedico"),
            kind,
        })
    };
    ServiceSpec {
        name: SERVICE,
        description: "Test sierologici del personale scolastico: elenco assistiti, invio, annullamento ed elenco dei test (medici di medicina generale e sostituti)",
        wsdl: "Sierologici.wsdl",
        transaction_ids: TransactionIdKind::Numeric,
        operations: vec![
            operation(
                "ElencoAssistiti",
                "ElencoAssistitiRichiesta",
                "ElencoAssistitiRicevuta",
                Kind::ElencoAssistiti,
            ),
            operation(
                "InvioTest",
                "InvioTestRichiesta",
                "InvioTestRicevuta",
                Kind::InvioTest,
            ),
            operation(
                "AnnullaTest",
                "AnnullaTestRichiesta",
                "AnnullaTestRicevuta",
                Kind::AnnullaTest(send_locks),
            ),
            operation(
                "ElencoTest",
                "ElencoTestRichiesta",
                "ElencoTestRicevuta",
                Kind::ElencoTest,
            ),
        ],
    }
}

struct SierologiciOverSoap {
    spec: OperationSpec,
    kind: Kind,
}

enum Kind {
    ElencoAssistiti,
    InvioTest,
    /// The cancels of one send wait for each other (see `AnnullaTest`).
    AnnullaTest(Arc<SendLocks>),
    ElencoTest,
}

#[async_trait]
impl Operation for SierologiciOverSoap {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, call: Call<'_>) -> Outcome<String> {
        let payload = call.payload;
        let acting = acting(payload);
        match &self.kind {
            Kind::ElencoAssistiti => {
                let request = ElencoAssistitiRequest { acting };
                sierologici::elenco_assistiti(ctx, &request)
                    .await
                    .map(|patients| patients_xml(&patients))
            }
            Kind::InvioTest => {
                let request = InvioTestRequest {
                    acting,
                    assistito: CodiceFiscale::parse(super::text(payload, "cfAssistito")),
                    test_date: super::date(payload, "dataTest"),
                };
                sierologici::invio_test(ctx, &request)
                    .await
                    .map(|()| String::new())
            }
            Kind::AnnullaTest(locks) => {
                let request = AnnullaTestRequest {
                    acting,
                    assistito: CodiceFiscale::parse(super::text(payload, "cfAssistito")),
                    send_id: super::text(payload, "idTransazioneInvio").to_owned(),
                };
                sierologici::annulla_test(ctx, locks, &request)
                    .await
                    .map(|()| String::new())
            }
            Kind::ElencoTest => {
                let request = ElencoTestRequest {
                    acting,
                    from: super::date(payload, "dataInizio"),
                    to: super::date(payload, "dataFine"),
                };
                sierologici::elenco_test(ctx, &request)
                    .await
                    .map(|tests| tests_xml(&tests))
            }
        }
    }
}

/// `cfMedico`, `tipoAutenticazione`, `cfMedicoTitolare`: every request starts with them.
fn acting(payload: &Element) -> ActingRequest {
    ActingRequest {
        doctor: Field::read(super::text(payload, "cfMedico"), OperatorCf::parse),
        declared_auth: super::declared_auth(payload),
        titolare: Field::read(
            super::text(payload, "cfMedicoTitolare"),
            CodiceFiscale::parse,
        ),
    }
}

fn patients_xml(patients: &[ListedPatient]) -> String {
    let mut body = String::with_capacity(64 + patients.len() * 200);
    body.push_str("<ric:ElencoAssistiti>");
    for p in patients {
        body.push_str("<ric:Assistito>");
        leaf(&mut body, "ric", "cfAssistito", p.cf.as_str());
        leaf(&mut body, "ric", "nome", &p.name);
        leaf(&mut body, "ric", "cognome", &p.surname);
        date_leaf(&mut body, "ric", "dataAggiornamento", p.updated_on);
        body.push_str("</ric:Assistito>");
    }
    body.push_str("</ric:ElencoAssistiti>");
    body
}

fn tests_xml(tests: &[SentTest]) -> String {
    let mut body = String::with_capacity(64 + tests.len() * 300);
    body.push_str("<ric:ElencoTest>");
    for t in tests {
        body.push_str("<ric:Test>");
        leaf(&mut body, "ric", "cfAssistito", t.assistito_cf.as_str());
        if let (Some(name), Some(surname)) = (&t.name, &t.surname) {
            leaf(&mut body, "ric", "nome", name);
            leaf(&mut body, "ric", "cognome", surname);
        }
        date_leaf(&mut body, "ric", "dataTest", t.test_date);
        leaf(&mut body, "ric", "idTransazioneInvio", &t.transaction_id);
        date_leaf(&mut body, "ric", "dataInserimento", t.sent_on);
        leaf(&mut body, "ric", "cfMedico", t.doctor_cf.as_str());
        leaf(
            &mut body,
            "ric",
            "inElenco",
            if t.on_list { "true" } else { "false" },
        );
        body.push_str("</ric:Test>");
    }
    body.push_str("</ric:ElencoTest>");
    body
}
