//! Who is calling, for every way in: SOAP, the CSV download, the coming web login and the
//! command line. [`Identity::identify`] turns [`Credentials`] (the connection's [`Peer`], HTTP
//! Basic, the encrypted pincode) into a [`Caller`] or a [`Refused`]; it owns password hashing,
//! the cache of verified credentials and the region permissions, both kept under the directory
//! version, and counts failed credentials per account (locks, in the store) and per client
//! address (a budget spent before any costly check). Operators' TOTP second factor is here too
//! ([`second_factor`], [`totp`]), and so is an operator signing in in person
//! ([`operator_login`]: the CLI's own commands, the coming web login). It knows no transport:
//! what a success means for a connection is the caller's call.

pub mod address_failures;
pub mod caller;
pub mod credential_cache;
pub mod credentials;
pub mod directory_version;
pub mod identify;
pub mod last_access;
pub mod operator_login;
pub mod password;
pub mod password_policy;
pub mod peer;
pub mod region_permissions;
pub mod second_factor;
pub mod totp;

pub use caller::{Caller, OperatorAsl, OperatorAuth};
pub use credentials::{Basic, Credentials};
pub use identify::{Identity, Refused};
pub use peer::Peer;
