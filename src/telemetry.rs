//! Structured logs with `tracing`: JSON in production, human-readable for the demo.
//! Request payloads are never logged; stages log codes and identifiers only.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

pub fn init(log: &LogConfig) {
    init_with_writer(log, std::io::stderr);
}

/// Like [`init`], writing to `writer` (tests capture the output to search it).
pub fn init_with_writer<W>(log: &LogConfig, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::new(&log.level);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
