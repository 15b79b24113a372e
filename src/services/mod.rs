//! The use cases: one folder per service, each operation a plain async function from a typed
//! request to a typed [`Outcome`]. Nothing here knows SOAP, XML or HTTP: the SOAP adapters
//! (`soap::adapters`) read requests from envelopes and write outcomes as XML, and a web page
//! can call the same functions.

pub mod access;
pub mod asl;
pub mod declared_auth;
pub mod field;
mod operator_cf;
pub mod otp;
pub mod outcome;
pub mod servizi;
pub mod sierologici;

use chrono::{DateTime, NaiveDate, Utc};

pub use access::Access;
pub use declared_auth::DeclaredAuth;
pub use field::Field;
pub use outcome::{Audit, CodEsito, Messaggio, Outcome, TipoErrore};

use crate::clock;
use crate::domain::TransactionId;
use crate::identity::Caller;
use crate::store::Store;

/// What an operation sees besides its request: the store, who calls, the id its reply will
/// carry, and the instant it is judged at. Never the whole gateway.
pub struct Context<'a> {
    pub store: &'a dyn Store,
    pub caller: &'a Caller,
    /// The id this transaction's reply will carry (a cancel records it with what it cancels).
    pub transaction_id: TransactionId,
    /// Locks the operation keeps until its access-log entry is committed (or refused).
    pub held: HeldUntilRecorded,
    /// The gateway's clock, read once when the operation starts (tests pin it).
    pub now: DateTime<Utc>,
}

impl Context<'_> {
    /// Today in Europe/Rome, the calendar the doctors' dates are in.
    pub fn today(&self) -> NaiveDate {
        clock::rome_day(self.now)
    }
}

/// Locks an operation takes to decide on what it read and keeps until the pipeline has
/// committed its entry and write: the pipeline drops the [`Context`] only after recording, so
/// the next holder of the same lock reads what this transaction committed.
#[derive(Default)]
pub struct HeldUntilRecorded(std::sync::Mutex<Vec<tokio::sync::OwnedMutexGuard<()>>>);

impl HeldUntilRecorded {
    pub fn hold(&self, guard: tokio::sync::OwnedMutexGuard<()>) {
        // A poisoned list still holds its guards; keep this one with them.
        match self.0.lock() {
            Ok(mut held) => held.push(guard),
            Err(poisoned) => poisoned.into_inner().push(guard),
        }
    }
}

/// Every service tsgate has, in catalogue order: the one list the catalogue (which offers those
/// the configuration enables) and `tsgate regions enable` (which accepts any) both read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Servizi,
    InvioOtp,
    Sierologici,
    Asl,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Servizi,
        Service::InvioOtp,
        Service::Sierologici,
        Service::Asl,
    ];

    /// The name clients see: the path segment `/ws/<name>`, the access log's `service`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Servizi => servizi::SERVICE,
            Service::InvioOtp => otp::SERVICE,
            Service::Sierologici => sierologici::SERVICE,
            Service::Asl => asl::SERVICE,
        }
    }
}

/// The name of every service tsgate has, configured here or not (for `tsgate regions enable`),
/// in catalogue order.
pub fn names() -> impl Iterator<Item = &'static str> {
    Service::ALL.into_iter().map(Service::name)
}
