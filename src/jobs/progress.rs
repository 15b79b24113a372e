//! How a long import tells whoever runs it how far it got. The command line draws a progress
//! bar on a terminal (rows/s, ETA); a test or the demo passes [`Silent`].

/// Told as a file is read. Calls are cheap and frequent (every few thousand rows).
pub trait Progress: Send + Sync {
    /// A file of `total_bytes` (when known) begins.
    fn begin(&self, file: &str, total_bytes: Option<u64>);
    /// `bytes` of it read so far, `rows` data rows.
    fn advance(&self, bytes: u64, rows: u64);
    /// The file is done (or failed).
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _file: &str, _total_bytes: Option<u64>) {}
    fn advance(&self, _bytes: u64, _rows: u64) {}
    fn finish(&self) {}
}
