//! The gateway's own public-key infrastructure: the CA that issues region (and demo) certificates
//! and the CRL, the pincode encryption key, the key that seals secrets at rest (sealing.rs) and
//! the keys derived from it (hkdf.rs), and the folder (`certs/`) they are kept in.

pub mod ca;
pub mod files;
pub mod folder;
pub mod hkdf;
pub mod pincode;
pub mod sealing;

pub use ca::{CertificateAuthority, IssuedCertificate, Subject};
pub use pincode::PincodeKey;
