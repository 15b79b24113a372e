//! The Immuni OTP backend, seen from the gateway: the upstream client `InvioOTP` uploads with,
//! and a simulator of the backend for the demo sandbox. The contract is `docs/immuni-upstream.md`.

pub mod client;
pub mod simulator;

pub use client::{ImmuniClient, Upload};
