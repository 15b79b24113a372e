//! The progress of a long import on a terminal (`indicatif`): bytes of the file read with the
//! ETA they give, and rows read with their rate. Drawn on standard error only when it is a
//! terminal, so scripts and logs get none of it.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::jobs::Progress;

/// One bar, reused file after file.
pub(super) struct TerminalProgress {
    bar: ProgressBar,
    started: std::sync::Mutex<Instant>,
}

impl TerminalProgress {
    pub(super) fn new() -> TerminalProgress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {binary_bytes}/{binary_total_bytes} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        TerminalProgress {
            bar,
            started: std::sync::Mutex::new(Instant::now()),
        }
    }
}

impl Progress for TerminalProgress {
    fn begin(&self, file: &str, total_bytes: Option<u64>) {
        if let Ok(mut started) = self.started.lock() {
            *started = Instant::now();
        }
        self.bar.reset();
        self.bar.set_length(total_bytes.unwrap_or(0));
        self.bar.set_prefix(file.to_owned());
        self.bar.set_message("");
    }

    fn advance(&self, bytes: u64, rows: u64) {
        let seconds = self
            .started
            .lock()
            .map(|started| started.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        let rate = if seconds > 0.0 {
            rows as f64 / seconds
        } else {
            0.0
        };
        self.bar.set_position(bytes);
        self.bar
            .set_message(format!("{rows} rows, {rate:.0} rows/s"));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
