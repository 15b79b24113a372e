//! Stage 4 — may this caller use this operation? The rule is the operation's
//! [`Access`](crate::services::Access); a refusal is a business outcome (`9001`), not a Fault.

use super::catalogue::{OperationSpec, ServiceSpec};
use crate::identity::Caller;
use crate::services::Outcome;

pub fn may_call(caller: &Caller, service: &ServiceSpec, operation: &OperationSpec) -> bool {
    operation.access.allows(caller, service.name)
}

pub fn refusal(service: &ServiceSpec, operation: &OperationSpec) -> Outcome<String> {
    operation.access.refusal(service.name, operation.name)
}
