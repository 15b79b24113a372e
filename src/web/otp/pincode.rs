//! The pincode page of the OTP service (seed 000: "Inserire il pincode per accedere al servizio
//! per la trasmissione del codice OTP"): the [`crate::web::pincode_step`] every service page
//! behind a pincode shares.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;

use super::{trail, OtpOperator, PATH, TITLE};
use crate::web::pincode_step::{PincodeForm, PincodeStep};
use crate::web::posted::Posted;
use crate::web::Pages;

/// The OTP service's step.
pub const STEP: PincodeStep = PincodeStep {
    title: TITLE,
    service: "per la trasmissione del codice OTP",
    action: "/web/immuni/pincode",
    then: PATH,
    trail: || trail(None),
};

/// The page, with `message` in its Messaggi box.
pub fn page(status: StatusCode, enabled: &OtpOperator, message: Option<String>) -> Response {
    STEP.page(status, &enabled.operator.session, message)
}

/// `POST /web/immuni/pincode`.
pub async fn submit(
    State(pages): State<Arc<Pages>>,
    Posted {
        by: enabled,
        form,
        visitor,
    }: Posted<OtpOperator, PincodeForm>,
) -> Response {
    pages
        .check_pincode(
            &STEP,
            &visitor,
            &enabled.operator.session,
            &enabled.user.user_id,
            &form.pincode,
        )
        .await
}
