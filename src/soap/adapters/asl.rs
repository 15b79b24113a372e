//! `ASL` over SOAP: `InvioNumeroTestRichiesta` → the typed request; the outcome has no elements
//! of its own. (The CSV download is an HTTP route, not a SOAP operation.)

use std::sync::Arc;

use async_trait::async_trait;

use super::super::catalogue::{Call, Operation, OperationSpec, ServiceSpec};
use super::super::Element;
use crate::config::ExtensionsConfig;
use crate::domain::{AslCode, OperatorCf, TransactionIdKind};
use crate::services::asl::{self, InvioNumeroTestRequest, SERVICE};
use crate::services::{Context, Field, Outcome};

pub const REQUEST_NS: &str = "urn:tsgate:ws:asl:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:asl:ricevuta";

/// The service; regions may call it only with the extension `region_callers_on_sierologici_asl`.
pub fn service(extensions: &ExtensionsConfig) -> ServiceSpec {
    ServiceSpec {
        name: SERVICE,
        description:
            "Servizi per le ASL: invio del numero di test sierologici eseguiti nella giornata",
        wsdl: "ASL.wsdl",
        transaction_ids: TransactionIdKind::Numeric,
        operations: vec![Arc::new(InvioNumeroTestOverSoap {
            spec: super::spec(
                (REQUEST_NS, RESPONSE_NS),
                "InvioNumeroTest",
                "InvioNumeroTestRichiesta",
                "InvioNumeroTestRicevuta",
                asl::access(extensions),
            )
            .naming_end_user("cfOperatore"),
        })],
    }
}

struct InvioNumeroTestOverSoap {
    spec: OperationSpec,
}

#[async_trait]
impl Operation for InvioNumeroTestOverSoap {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, call: Call<'_>) -> Outcome<String> {
        asl::invio_numero_test(ctx, &request(call.payload))
            .await
            .map(|()| String::new())
    }
}

fn request(payload: &Element) -> InvioNumeroTestRequest {
    InvioNumeroTestRequest {
        operator: Field::read(super::text(payload, "cfOperatore"), OperatorCf::parse),
        declared_auth: super::declared_auth(payload),
        asl: payload
            .child_text("codASL")
            .map(|text| Field::read(text, AslCode::parse)),
        test_date: super::date(payload, "dataTest"),
        tests: payload
            .child_text("numeroTest")
            .and_then(|n| n.trim_start_matches('+').parse().ok()),
    }
}
