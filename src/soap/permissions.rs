//! Region permissions, read from the store on every region request: `tsgate regions
//! enable/disable`, run from another process or against another instance sharing PostgreSQL,
//! takes effect on the next request. It costs one indexed lookup of a small table per region
//! request (it used to be cached for 10 s, which made the CLI's changes late without saying so).

use std::sync::Arc;

use crate::domain::RegionCode;
use crate::store::{Store, StoreError};

#[derive(Debug, Default)]
pub struct RegionPermissions;

impl RegionPermissions {
    pub fn new() -> RegionPermissions {
        RegionPermissions
    }

    /// The services `region` is enabled for, as the store says now.
    pub async fn services(
        &self,
        store: &dyn Store,
        region: RegionCode,
    ) -> Result<Arc<[String]>, StoreError> {
        Ok(store
            .directory()
            .region_services(region.as_str())
            .await?
            .into())
    }
}
