//! `InvioOTP` (docs/services/invio-otp.md, from seed 004 §2): a health operator — in person, or
//! through their region's system — sends the OTP a COVID-positive citizen's Immuni app shows, with
//! the symptom-onset date; the gateway checks both and forwards them to the Immuni backend, whose
//! answer is the outcome. The service keeps no data: OTP and date live only in memory for the
//! request.

mod esiti;
mod invio_otp;
mod request;

pub use esiti::Esito;
pub use invio_otp::InvioOtp;
pub use request::InvioOtpRequest;

use super::Access;
use crate::domain::Profile;

pub const SERVICE: &str = "InvioOTP";
/// Its one operation.
pub const OPERATION: &str = "InvioOTP";
/// The profile an operator must hold (docs/services/invio-otp.md): seed 000's «Sistema TS-Invio
/// codice OTP».
pub const PROFILE: &str = Profile::InvioCodiceOtp.as_str();

/// Operators holding [`PROFILE`], and regions enabled for the service.
pub const ACCESS: Access = Access::Profile(Profile::InvioCodiceOtp);
