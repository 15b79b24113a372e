//! `InvioOTP` over SOAP: `InvioOTPRichiesta` → the typed request; the outcome has no elements of
//! its own. The OTP and the date pass from the payload into the request and nowhere else.

use std::sync::Arc;

use async_trait::async_trait;

use super::super::catalogue::{Call, Operation, OperationSpec, ServiceSpec};
use super::super::Element;
use crate::domain::{OperatorCf, Otp, SymptomOnsetDate, TransactionIdKind};
use crate::services::otp::{self, InvioOtp, InvioOtpRequest, SERVICE};
use crate::services::{Context, Outcome};

pub const REQUEST_NS: &str = "urn:tsgate:ws:otp:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:otp:ricevuta";

/// The service, calling `operation` (shared with the web page that sends OTPs).
pub fn service(operation: Arc<InvioOtp>) -> ServiceSpec {
    ServiceSpec {
        name: SERVICE,
        description: "Invio del codice OTP dell'app Immuni e della data di inizio sintomi",
        wsdl: "InvioOTP.wsdl",
        transaction_ids: TransactionIdKind::Alphanumeric,
        operations: vec![Arc::new(InvioOtpOverSoap {
            spec: super::spec(
                (REQUEST_NS, RESPONSE_NS),
                "InvioOTP",
                "InvioOTPRichiesta",
                "InvioOTPRicevuta",
                otp::ACCESS,
            )
            .naming_end_user("cfOperatore"),
            operation,
        })],
    }
}

struct InvioOtpOverSoap {
    spec: OperationSpec,
    operation: Arc<InvioOtp>,
}

#[async_trait]
impl Operation for InvioOtpOverSoap {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, call: Call<'_>) -> Outcome<String> {
        let request = request(call.payload);
        self.operation
            .invio_otp(ctx, &request)
            .await
            .map(|()| String::new())
    }
}

/// Both the code and the date are schema-required; a missing one reads as empty and fails its
/// own check.
pub fn request(payload: &Element) -> InvioOtpRequest {
    InvioOtpRequest {
        operator_cf: payload.child_text("cfOperatore").map(OperatorCf::parse),
        declared_auth: super::declared_auth(payload),
        otp: Otp::parse(super::text(payload, "codiceOTP")),
        symptom_onset: SymptomOnsetDate::read(super::text(payload, "dataInizioSintomi")),
    }
}
