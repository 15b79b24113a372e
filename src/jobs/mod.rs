//! Batch work, run by the command line and by the scheduler in `serve` (DESIGN "batch jobs"):
//! the Commissioner's report ([`commissario`]), the retention purge of every data set
//! ([`retention`]), and the MIUR staff files with their statistics and the §2.5 deletions
//! ([`miur`]), read with a real CSV reader ([`csv_rows`]) that reports its progress
//! ([`progress`]). Each run is an entry of the access log.

pub mod commissario;
pub mod csv_rows;
pub mod miur;
pub mod paritarie;
pub mod progress;
pub mod retention;
pub mod stats_output;

pub use progress::{Progress, Silent};
