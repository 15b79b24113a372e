//! Batch work, run by the command line and by the scheduler in `serve` (DESIGN "batch jobs"):
//! the Commissioner's report ([`commissario`]) and the retention purge of every data set
//! ([`retention`]). Each run is an entry of the access log.

pub mod commissario;
pub mod retention;
