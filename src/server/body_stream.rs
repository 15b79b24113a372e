//! A request body handed on as it arrives, for uploads of any size (the Ministry's MIUR files):
//! a task pumps the body's chunks to a [`std::io::Read`] that a blocking task consumes, at most
//! [`CHUNKS_IN_FLIGHT`] chunks ahead of it, so the body is never held whole. The size cap and
//! the deadline are enforced while it streams; a body cut short reaches the reader as an error,
//! never as a clean end, and the pump says why.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::body::BodyError;

/// Chunks received and not yet read: what memory an upload holds, whatever its size.
pub const CHUNKS_IN_FLIGHT: usize = 16;

/// The reading end: blocks until the next chunk arrives (call it from a blocking task only).
pub struct BodyReader {
    chunks: mpsc::Receiver<Result<Bytes, BodyError>>,
    /// One permit given back per chunk taken, so the pump stays [`CHUNKS_IN_FLIGHT`] ahead.
    room: Arc<Semaphore>,
    current: Bytes,
}

/// A reader that stops (the file refused at its header) stops the pump too: the chunks it will
/// never take give their room back to no one, so the pump must not wait for it.
impl Drop for BodyReader {
    fn drop(&mut self) {
        self.room.close();
    }
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.room.add_permits(1);
                    self.current = chunk;
                }
                Ok(Err(why)) => return Err(std::io::Error::other(why.to_string())),
                // The pump ended: after the body's last chunk, or after sending why it stopped.
                Err(mpsc::RecvError) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Starts pumping `body` (at most `max` bytes, all of it within `deadline`; a `declared_length`
/// over `max` is refused before a byte is read). The task's result is the body's length, or
/// why it was cut short.
pub fn stream(
    body: Incoming,
    declared_length: Option<u64>,
    max: u64,
    deadline: Duration,
) -> (BodyReader, JoinHandle<Result<u64, BodyError>>) {
    let (sender, chunks) = mpsc::channel();
    let room = Arc::new(Semaphore::new(CHUNKS_IN_FLIGHT));
    let reader = BodyReader {
        chunks,
        room: room.clone(),
        current: Bytes::new(),
    };
    let pump = tokio::spawn(async move {
        let outcome = pump(body, declared_length, max, deadline, &sender, &room).await;
        if let Err(why) = &outcome {
            // The reader may be gone already (it stopped at a bad header): nothing to tell.
            let _ = sender.send(Err(*why));
        }
        outcome
    });
    (reader, pump)
}

async fn pump(
    mut body: Incoming,
    declared_length: Option<u64>,
    max: u64,
    deadline: Duration,
    sender: &mpsc::Sender<Result<Bytes, BodyError>>,
    room: &Semaphore,
) -> Result<u64, BodyError> {
    if declared_length.is_some_and(|length| length > max) {
        return Err(BodyError::TooLarge);
    }
    let until = Instant::now() + deadline;
    let mut length = 0u64;
    loop {
        let frame = match tokio::time::timeout_at(until, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut),
            Ok(None) => return Ok(length),
            Ok(Some(Err(_))) => return Err(BodyError::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(chunk) = frame.into_data() else {
            continue; // trailers
        };
        length += chunk.len() as u64;
        if length > max {
            return Err(BodyError::TooLarge);
        }
        let permit = match tokio::time::timeout_at(until, room.acquire()).await {
            Err(_) => return Err(BodyError::TimedOut),
            // Closed: the reader stopped, the rest is not wanted.
            Ok(Err(_)) => return Ok(length),
            Ok(Ok(permit)) => permit,
        };
        permit.forget();
        if sender.send(Ok(chunk)).is_err() {
            // The reader stopped (the file was refused at its header): the rest is not wanted.
            return Ok(length);
        }
    }
}
