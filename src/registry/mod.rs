//! The registry of assistiti as files: `tsgate registry import` loads them (streaming, batched
//! transactions, any size), `tsgate registry generate` writes a synthetic but realistic set.
//!
//! Six CSV files, UTF-8, `;`-separated, no quoting (no field contains `;`), each with the
//! header line shown; dates `yyyy-mm-dd`:
//!
//! | file | header |
//! |---|---|
//! | `regioni.csv` | `codice;nome` |
//! | `asl.csv` | `codice_regione;codice_asl;nome` |
//! | `comuni.csv` | `codice_belfiore;nome;sigla_provincia;codice_regione;codice_asl` |
//! | `mmg.csv` | `cf;cognome;nome;codice_regione;codice_asl` |
//! | `assistiti.csv` | `cf;nome;cognome;codice_regione;codice_asl;cf_mmg;stato` |
//! | `personale-scolastico.csv` | `cf;data_aggiornamento` |
//!
//! `cf_mmg` is empty for an assistito with no MMG; `stato` is `vivo`, `deceduto` or `emigrato`.
//! `personale-scolastico.csv` is the state-school staff list (docs/registry.md, from seed 003
//! §2.4.1).

pub mod cf;
pub mod generate;
mod geography;
pub mod import;
mod names;

pub use generate::{generate, GenerateOptions, GenerateSummary, PinnedMmg};
pub use import::{import, ImportSummary};

pub const REGIONI: &str = "regioni.csv";
pub const ASL: &str = "asl.csv";
pub const COMUNI: &str = "comuni.csv";
pub const MMG: &str = "mmg.csv";
pub const ASSISTITI: &str = "assistiti.csv";
pub const PERSONALE: &str = "personale-scolastico.csv";

pub const REGIONI_HEADER: &str = "codice;nome";
pub const ASL_HEADER: &str = "codice_regione;codice_asl;nome";
pub const COMUNI_HEADER: &str = "codice_belfiore;nome;sigla_provincia;codice_regione;codice_asl";
pub const MMG_HEADER: &str = "cf;cognome;nome;codice_regione;codice_asl";
pub const ASSISTITI_HEADER: &str = "cf;nome;cognome;codice_regione;codice_asl;cf_mmg;stato";
pub const PERSONALE_HEADER: &str = "cf;data_aggiornamento";
