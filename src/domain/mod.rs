//! Domain types: each parses its input once, so later code receives only checked values.

pub mod asl_code;
pub mod codice_fiscale;
pub mod contact;
pub mod operator_cf;
pub mod otp;
pub mod profile;
pub mod region_code;
pub mod sex;
pub mod symptom_onset_date;
mod three_digits;
pub mod transaction_id;

pub use asl_code::{AslCode, AslCodeError};
pub use codice_fiscale::{CfBirth, CfError, CodiceFiscale};
pub use contact::{Email, EmailError, PhoneNumber, PhoneNumberError};
pub use operator_cf::{OperatorCf, OperatorCfError};
pub use otp::{Otp, OtpError};
pub use profile::{Profile, UnknownProfile};
pub use region_code::{RegionCode, RegionCodeError};
pub use sex::{Sex, SexError};
pub use symptom_onset_date::{SymptomDateError, SymptomOnsetDate, Today};
pub use transaction_id::{
    IssuerSlot, NoIssuerSlot, TransactionId, TransactionIdKind, TransactionIds,
};
