//! Reading a request body under the body-size cap and the body deadline, so a slow or huge
//! upload cannot hold a connection or memory.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is larger than allowed")]
    TooLarge,
    #[error("the body did not arrive in time")]
    TimedOut,
    #[error("the body broke off")]
    Broken,
}

pub async fn read(
    body: Incoming,
    declared_length: Option<u64>,
    max: usize,
    deadline: Duration,
) -> Result<Bytes, BodyError> {
    if declared_length.is_some_and(|len| len > max as u64) {
        return Err(BodyError::TooLarge);
    }
    match tokio::time::timeout(deadline, Limited::new(body, max).collect()).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            Err(BodyError::TooLarge)
        }
        Ok(Err(_)) => Err(BodyError::Broken),
    }
}
