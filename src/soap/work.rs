//! A count of the envelope reader's inner-loop steps, so tests can prove that reading any
//! envelope costs work proportional to its size by counting, not by timing.
//!
//! Every loop of the reader adds the steps it takes: bytes tokenized, checked as UTF-8, hashed,
//! compared, unescaped, copied or handed to the validator, plus one per lookup or comparison.
//! Incrementing a `u64` is the whole cost, so the counter stays on in production builds.

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    steps: u64,
}

impl Work {
    pub fn new() -> Work {
        Work::default()
    }

    /// Adds `n` steps (usually a number of bytes scanned).
    #[inline]
    pub fn add(&mut self, n: usize) {
        self.steps = self.steps.saturating_add(n as u64);
    }

    /// One step: a lookup, a comparison, an event.
    #[inline]
    pub fn step(&mut self) {
        self.add(1);
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }
}
