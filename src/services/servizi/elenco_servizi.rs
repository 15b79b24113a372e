//! `ElencoServizi`: lists, for each service offered, the operations this caller is allowed to
//! use; a service with none is left out.

use crate::services::{Access, Context, Outcome};

/// A service as the catalogue offers it, with who may call each operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedService {
    pub name: &'static str,
    pub description: &'static str,
    pub operations: Vec<OfferedOperation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferedOperation {
    pub name: &'static str,
    pub access: Access,
}

/// A service the caller may use, with the operations they may call (in catalogue order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedService {
    pub name: &'static str,
    pub description: &'static str,
    pub operations: Vec<&'static str>,
}

/// `offered`: every service the gateway offers, in catalogue order.
pub fn elenco_servizi(
    ctx: &Context<'_>,
    offered: &[OfferedService],
) -> Outcome<Vec<ListedService>> {
    let listed = offered
        .iter()
        .filter_map(|service| {
            let operations: Vec<&'static str> = service
                .operations
                .iter()
                .filter(|op| op.access.allows(ctx.caller, service.name))
                .map(|op| op.name)
                .collect();
            (!operations.is_empty()).then_some(ListedService {
                name: service.name,
                description: service.description,
                operations,
            })
        })
        .collect();
    Outcome::ok(listed)
}
