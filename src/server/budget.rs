//! The budget of unauthenticated connections: a cap for the whole gateway and one per client
//! address, smaller than `max_connections`, so that connections nobody has vouched for cannot
//! crowd out the callers who have.
//!
//! A connection is *unauthenticated* from the end of its TLS handshake, if the handshake
//! verified no client certificate, until a request on it identifies a caller (Basic + pincode
//! accepted). A connection whose handshake verified a client certificate never enters the budget.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::metrics::gauge::Gauge;

/// Why a connection was refused a place in the budget; the label of its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    Total,
    PerAddress,
}

impl OverBudget {
    pub fn label(self) -> &'static str {
        match self {
            OverBudget::Total => "unauthenticated_cap",
            OverBudget::PerAddress => "unauthenticated_per_address",
        }
    }
}

pub struct UnauthenticatedBudget {
    max_total: usize,
    max_per_address: usize,
    counts: Mutex<Counts>,
    /// `tsgate_connections_unauthenticated`: the places in use.
    gauge: Gauge,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// A place in the budget, given back when dropped (the connection authenticated or ended).
pub struct UnauthenticatedSlot {
    budget: Arc<UnauthenticatedBudget>,
    address: IpAddr,
}

impl UnauthenticatedBudget {
    pub fn new(
        max_total: usize,
        max_per_address: usize,
        gauge: Gauge,
    ) -> Arc<UnauthenticatedBudget> {
        Arc::new(UnauthenticatedBudget {
            max_total,
            max_per_address,
            counts: Mutex::new(Counts::default()),
            gauge,
        })
    }

    /// A place for one more unauthenticated connection from `client`, if both caps allow it.
    pub fn admit(self: &Arc<Self>, client: IpAddr) -> Result<UnauthenticatedSlot, OverBudget> {
        let address = address_key(client);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.max_total {
            return Err(OverBudget::Total);
        }
        let from_address = counts.per_address.entry(address).or_insert(0);
        if *from_address >= self.max_per_address {
            return Err(OverBudget::PerAddress);
        }
        *from_address += 1;
        counts.total += 1;
        self.gauge.inc();
        Ok(UnauthenticatedSlot {
            budget: self.clone(),
            address,
        })
    }

    /// Unauthenticated connections open now.
    pub fn in_use(&self) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

impl Drop for UnauthenticatedSlot {
    fn drop(&mut self) {
        let mut counts = self
            .budget
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        self.budget.gauge.dec();
        if let Some(n) = counts.per_address.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

/// The unit a client controls: an IPv4 address, or an IPv6 /64 (one subscriber's prefix, in
/// which any host can pick a new address at will).
fn address_key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn both_caps_hold_and_slots_come_back() {
        let budget = UnauthenticatedBudget::new(3, 2, Gauge::default());
        let a = ip("192.0.2.1");
        let b = ip("192.0.2.2");
        let first = budget.admit(a);
        let second = budget.admit(a);
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(budget.admit(a).err(), Some(OverBudget::PerAddress));
        let third = budget.admit(b);
        assert!(third.is_ok());
        assert_eq!(budget.admit(b).err(), Some(OverBudget::Total));
        drop(first);
        assert_eq!(budget.in_use(), 2);
        assert!(budget.admit(a).is_ok(), "a returned slot can be used again");
    }

    #[test]
    fn an_ipv6_prefix_is_one_client_and_mapped_ipv4_is_ipv4() {
        let budget = UnauthenticatedBudget::new(10, 1, Gauge::default());
        let one = ip("2001:db8:1:2::1");
        let same_prefix = ip("2001:db8:1:2::ffff");
        let _held = budget.admit(one);
        assert_eq!(
            budget.admit(same_prefix).err(),
            Some(OverBudget::PerAddress)
        );
        let v4 = ip("192.0.2.9");
        let mapped = ip("::ffff:192.0.2.9");
        let _v4 = budget.admit(v4);
        assert_eq!(budget.admit(mapped).err(), Some(OverBudget::PerAddress));
    }
}
