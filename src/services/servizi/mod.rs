//! `Servizi`: the catalogue of services and operations the caller may use (as X-Road's
//! allowedMethods does). It exercises the whole pipeline end to end.

mod elenco_servizi;

pub use elenco_servizi::{elenco_servizi, ListedService, OfferedOperation, OfferedService};

pub const SERVICE: &str = "Servizi";
