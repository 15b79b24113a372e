//! The gateway's own public-key infrastructure: the CA that issues region (and demo) certificates
//! and the CRL, and the pincode encryption key.

pub mod ca;
pub mod files;
pub mod pincode;

pub use ca::{CertificateAuthority, IssuedCertificate, Subject};
pub use pincode::PincodeKey;
