//! The administrative rules, whoever asks — the command line today, the web administration
//! next: security administrators and what each may do ([`administrators`]; their lockout,
//! [`administrator_lockout`]), operators, their
//! records ([`operator_details`]; their own work contacts, [`own_details`]), profiles ([`users`]), passwords ([`passwords`]), pincodes
//! ([`pincodes`]) and TOTP second factors ([`totp`]), which services a region may call
//! ([`regions`]), and titolari's
//! substitutes ([`substitutes`]). Each function checks its rules, writes through the store, and
//! answers with a typed result or error; printing is the caller's. Actions on operators and
//! administrators are reported in one place ([`report`]).

pub mod administrator_lockout;
pub mod administrators;
pub mod certificates;
pub mod operator_details;
pub mod own_details;
pub mod passwords;
pub mod pincodes;
pub mod regions;
pub mod report;
pub mod substitutes;
pub mod totp;
pub mod users;
