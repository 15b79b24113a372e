//! `InvioOTP` (docs/services/invio-otp.md, from seed 004 §2): a health operator — in person, or
//! through their region's system — sends the OTP a COVID-positive citizen's Immuni app shows, with
//! the symptom-onset date; the gateway checks both and forwards them to the Immuni backend, whose
//! answer is the outcome. The service keeps no data: OTP and date live only in memory for the
//! request.

mod esiti;
mod invio_otp;
mod request;

use std::sync::Arc;

use super::{ServiceSpec, TransactionIdKind};
use crate::config::ImmuniConfig;
use crate::immuni::client::{ClientError, ImmuniClient};

pub use esiti::Esito;
pub use request::DeclaredAuth;

pub const REQUEST_NS: &str = "urn:tsgate:ws:otp:richiesta";
pub const RESPONSE_NS: &str = "urn:tsgate:ws:otp:ricevuta";
pub const SERVICE: &str = "InvioOTP";
/// The profile an operator must hold (docs/services/invio-otp.md, from seed 000: "Sistema TS –
/// Invio codice OTP").
pub const PROFILE: &str = "Invio codice OTP";

pub fn service(config: &ImmuniConfig) -> Result<ServiceSpec, ClientError> {
    let client = ImmuniClient::new(config)?;
    Ok(ServiceSpec {
        name: SERVICE,
        description: "Invio del codice OTP dell'app Immuni e della data di inizio sintomi",
        wsdl: "InvioOTP.wsdl",
        transaction_ids: TransactionIdKind::Alphanumeric,
        operations: vec![Arc::new(invio_otp::InvioOtp::new(
            client,
            config.symptom_window_days,
            config.backend_time_zone,
        ))],
    })
}
