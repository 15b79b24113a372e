//! The registry of services: find a service by its path segment, an operation by its payload.

use super::ServiceSpec;

pub struct Catalogue {
    services: Vec<ServiceSpec>,
}

impl Catalogue {
    pub fn new(services: Vec<ServiceSpec>) -> Catalogue {
        Catalogue { services }
    }

    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn services(&self) -> &[ServiceSpec] {
        &self.services
    }
}
