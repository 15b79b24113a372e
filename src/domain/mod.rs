//! Domain types: each parses its input once, so later code receives only checked values.

pub mod codice_fiscale;
pub mod region_code;
pub mod transaction_id;

pub use codice_fiscale::CodiceFiscale;
pub use region_code::RegionCode;
pub use transaction_id::TransactionId;
