//! Which services a regional system may call (`tsgate regions enable/disable`). A running
//! gateway applies a change within `store.directory_refresh_ms` (the directory version).

use crate::domain::RegionCode;
use crate::services;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    #[error("unknown service '{service}': one of {}", services::names().collect::<Vec<_>>().join(", "))]
    UnknownService { service: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Lets `region` call `service` (see [`service`]); enabling it again is a no-op.
pub async fn enable(
    store: &dyn Store,
    region: RegionCode,
    service: &str,
) -> Result<(), RegionError> {
    self::service(service)?;
    store
        .directory()
        .enable_region_service(region, service)
        .await?;
    Ok(())
}

/// Withdraws `region`'s permission to call `service` (see [`service`]); disabling one not
/// enabled is a no-op.
pub async fn disable(
    store: &dyn Store,
    region: RegionCode,
    service: &str,
) -> Result<(), RegionError> {
    self::service(service)?;
    store
        .directory()
        .disable_region_service(region, service)
        .await?;
    Ok(())
}

/// `name` if it is a service of the catalogue (whether or not this configuration offers it).
pub fn service(name: &str) -> Result<&'static str, RegionError> {
    services::names()
        .find(|known| *known == name)
        .ok_or_else(|| RegionError::UnknownService {
            service: name.chars().take(64).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    #[tokio::test]
    async fn only_catalogue_services_are_enabled_and_disabled(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let region = RegionCode::parse("120")?;
        enable(store.as_ref(), region, "Sierologici").await?;
        enable(store.as_ref(), region, "Sierologici").await?;
        enable(store.as_ref(), region, "ASL").await?;
        assert_eq!(
            store.directory().region_services(region).await?,
            vec!["ASL".to_owned(), "Sierologici".to_owned()]
        );
        disable(store.as_ref(), region, "ASL").await?;
        disable(store.as_ref(), region, "ASL").await?;
        assert_eq!(
            store.directory().region_services(region).await?,
            vec!["Sierologici".to_owned()]
        );

        let unknown = enable(store.as_ref(), region, "sierologici").await;
        let message = unknown.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("unknown service 'sierologici': one of ")
                && message.contains("Sierologici"),
            "{message}"
        );
        assert!(disable(store.as_ref(), region, "Nope").await.is_err());
        assert_eq!(service("InvioOTP").ok(), Some("InvioOTP"));
        Ok(())
    }
}
