//! `Servizi` over SOAP: `ElencoServiziRichiesta` (empty) → `ElencoServiziRicevuta`, each listed
//! service with its WSDL address.

use std::sync::Arc;

use async_trait::async_trait;

use super::super::catalogue::{Call, Operation, OperationSpec, ServiceSpec};
use super::super::publication::Publication;
use super::super::xml::leaf;
use crate::domain::TransactionIdKind;
use crate::services::servizi::{self, ListedService, SERVICE};
use crate::services::{Access, Context, Outcome};

pub const REQUEST_NS: &str = "urn:tsgate:ws:servizi:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:servizi:ricevuta";

pub fn service() -> ServiceSpec {
    ServiceSpec {
        name: SERVICE,
        description: "Catalogo dei servizi e delle operazioni consentite al chiamante",
        wsdl: "Servizi.wsdl",
        transaction_ids: TransactionIdKind::Alphanumeric,
        operations: vec![Arc::new(ElencoServizi {
            spec: super::spec(
                (REQUEST_NS, RESPONSE_NS),
                "ElencoServizi",
                "ElencoServiziRichiesta",
                "ElencoServiziRicevuta",
                Access::AnyCaller,
            ),
        })],
    }
}

struct ElencoServizi {
    spec: OperationSpec,
}

#[async_trait]
impl Operation for ElencoServizi {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, call: Call<'_>) -> Outcome<String> {
        servizi::elenco_servizi(ctx, call.catalogue.offered())
            .map(|listed| xml(&listed, call.publication))
    }
}

fn xml(listed: &[ListedService], publication: &Publication) -> String {
    let mut body = String::from("<ric:ElencoServizi>");
    for service in listed {
        body.push_str("<ric:Servizio>");
        leaf(&mut body, "ric", "nome", service.name);
        leaf(&mut body, "ric", "descrizione", service.description);
        leaf(
            &mut body,
            "ric",
            "wsdl",
            &publication.wsdl_url(service.name),
        );
        body.push_str("<ric:ElencoOperazioni>");
        for name in &service.operations {
            leaf(&mut body, "ric", "operazione", name);
        }
        body.push_str("</ric:ElencoOperazioni></ric:Servizio>");
    }
    body.push_str("</ric:ElencoServizi>");
    body
}
