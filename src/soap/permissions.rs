//! Region permissions, cached: they change rarely (`tsgate regions enable/disable`) and are read
//! on every region request, so each region's list is re-read from the store at most every `ttl`.
//! The table is bounded by the number of regions that have called.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::RegionCode;
use crate::store::{Store, StoreError};

/// When each region's services were read, and what they were.
type Table = HashMap<RegionCode, (Instant, Arc<[String]>)>;

pub struct RegionPermissions {
    ttl: Duration,
    cached: Mutex<Table>,
}

impl RegionPermissions {
    pub fn new(ttl: Duration) -> RegionPermissions {
        RegionPermissions {
            ttl,
            cached: Mutex::new(HashMap::new()),
        }
    }

    /// The services `region` is enabled for.
    pub async fn services(
        &self,
        store: &dyn Store,
        region: RegionCode,
    ) -> Result<Arc<[String]>, StoreError> {
        if let Some((read_at, services)) = self.lock().get(&region) {
            if read_at.elapsed() < self.ttl {
                return Ok(services.clone());
            }
        }
        let services: Arc<[String]> = store
            .directory()
            .region_services(region.as_str())
            .await?
            .into();
        self.lock()
            .insert(region, (Instant::now(), services.clone()));
        Ok(services)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
