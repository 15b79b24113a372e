//! Domain types: each parses its input once, so later code receives only checked values.

pub mod codice_fiscale;
pub mod otp;
pub mod region_code;
pub mod symptom_onset_date;
pub mod transaction_id;

pub use codice_fiscale::CodiceFiscale;
pub use otp::{Otp, OtpError};
pub use region_code::RegionCode;
pub use symptom_onset_date::{SymptomDateError, SymptomOnsetDate, Today};
pub use transaction_id::{
    IssuerSlot, NoIssuerSlot, TransactionId, TransactionIdKind, TransactionIds,
};
