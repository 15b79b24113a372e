//! The administrative rules, whoever asks — the command line today, the web administration
//! next: operators and their profiles ([`users`]), which services a region may call
//! ([`regions`]), and titolari's substitutes ([`substitutes`]). Each function checks its rules,
//! writes through the store, and answers with a typed result or error; printing is the caller's.

pub mod regions;
pub mod substitutes;
pub mod users;
