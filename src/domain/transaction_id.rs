//! Transaction ids: issued by the gateway, one per request that reaches identification.
//! The core uses time-ordered UUIDs (v7), so ids sort by issue time and never collide
//! across restarts; services with numeric ids (serology, ASL) define their own.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransactionId(uuid::Uuid);

impl TransactionId {
    pub fn new() -> TransactionId {
        TransactionId(uuid::Uuid::now_v7())
    }
}

impl Default for TransactionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}
