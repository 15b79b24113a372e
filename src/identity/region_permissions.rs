//! Region permissions, cached: they change rarely (`tsgate regions enable/disable`) and are read
//! on every region request. Each region's list is kept under the directory version it was read
//! at (see [`super::directory_version`]) and re-read once the version moves, so a change is in
//! force within one polling interval. The table is bounded by the number of regions that called.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::RegionCode;
use crate::store::{Store, StoreError};

/// Each region's services, and the directory version they were read at.
type Table = HashMap<RegionCode, (i64, Arc<[String]>)>;

#[derive(Default)]
pub struct RegionPermissions {
    cached: Mutex<Table>,
}

impl RegionPermissions {
    pub fn new() -> RegionPermissions {
        RegionPermissions::default()
    }

    /// The services `region` is enabled for; `version` is the directory version seen before
    /// the call.
    pub async fn services(
        &self,
        store: &dyn Store,
        region: RegionCode,
        version: i64,
    ) -> Result<Arc<[String]>, StoreError> {
        if let Some((read_at, services)) = self.lock().get(&region) {
            if *read_at == version {
                return Ok(services.clone());
            }
        }
        let services: Arc<[String]> = store.directory().region_services(region).await?.into();
        self.lock().insert(region, (version, services.clone()));
        Ok(services)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
