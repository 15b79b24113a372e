//! The registry of assistiti as files: `tsgate registry import` loads them (streaming, batched
//! transactions, any size), `tsgate registry generate` writes a synthetic but realistic set.
//!
//! Five CSV files, UTF-8, `;`-separated (read with a CSV reader: quoting, a BOM and CRLF are
//! fine), each with the header line shown:
//!
//! | file | header |
//! |---|---|
//! | `regioni.csv` | `codice;nome` |
//! | `asl.csv` | `codice_regione;codice_asl;nome` |
//! | `comuni.csv` | `codice_belfiore;nome;sigla_provincia;codice_regione;codice_asl` |
//! | `mmg.csv` | `cf;cognome;nome;codice_regione;codice_asl` |
//! | `assistiti.csv` | `cf;nome;cognome;codice_regione;codice_asl;cf_mmg;stato` |
//!
//! `cf_mmg` is empty for an assistito with no MMG; `stato` is `vivo`, `deceduto` or `emigrato`.
//! `generate` also writes `personale-statali.csv`, a MIUR state-school file (seed 003 §2.4.1,
//! header `codice_fiscale`) for `tsgate miur import --kind statali` ([`crate::jobs::miur`]).

pub mod cf;
pub mod generate;
mod geography;
pub mod import;
mod names;

pub use generate::{generate, GenerateOptions, GenerateSummary, PinnedMmg};
pub use import::{import, import_with_progress, ImportSummary};

pub const REGIONI: &str = "regioni.csv";
pub const ASL: &str = "asl.csv";
pub const COMUNI: &str = "comuni.csv";
pub const MMG: &str = "mmg.csv";
pub const ASSISTITI: &str = "assistiti.csv";
/// The generated MIUR state-school file (not a registry file: `tsgate miur import` takes it).
pub const PERSONALE_STATALI: &str = "personale-statali.csv";

pub const REGIONI_HEADER: &str = "codice;nome";
pub const ASL_HEADER: &str = "codice_regione;codice_asl;nome";
pub const COMUNI_HEADER: &str = "codice_belfiore;nome;sigla_provincia;codice_regione;codice_asl";
pub const MMG_HEADER: &str = "cf;cognome;nome;codice_regione;codice_asl";
pub const ASSISTITI_HEADER: &str = "cf;nome;cognome;codice_regione;codice_asl;cf_mmg;stato";
pub const PERSONALE_STATALI_HEADER: &str = "codice_fiscale";
