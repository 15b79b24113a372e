//! A titolare's authorisations of substitute doctors (docs/services/sierologici.md, "Titolare
//! and substitute"; seed 003 §3.3.1): granted for an inclusive period, listed, revoked.

use chrono::NaiveDate;

use crate::domain::CodiceFiscale;
use crate::store::{Store, StoreError, Substitution};

#[derive(Debug, thiserror::Error)]
pub enum SubstituteError {
    #[error("a doctor cannot be their own substitute")]
    OwnSubstitute,
    #[error("the period starts ({from}) after it ends ({to})")]
    PeriodReversed { from: NaiveDate, to: NaiveDate },
    #[error("{0} is not an MMG of the registry")]
    NotAnMmg(CodiceFiscale),
    #[error("{substitute} has no authorisation from {titolare}")]
    NoAuthorisation {
        titolare: CodiceFiscale,
        substitute: CodiceFiscale,
    },
    /// The same titolare, substitute and start twice is [`StoreError::Duplicate`].
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An authorisation of `substitute` to act for `titolare` from `from` to `to` inclusive, checked
/// as far as it can be without the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubstitution {
    titolare: CodiceFiscale,
    substitute: CodiceFiscale,
    from: NaiveDate,
    to: NaiveDate,
}

impl NewSubstitution {
    pub fn new(
        titolare: CodiceFiscale,
        substitute: CodiceFiscale,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<NewSubstitution, SubstituteError> {
        if titolare == substitute {
            return Err(SubstituteError::OwnSubstitute);
        }
        if from > to {
            return Err(SubstituteError::PeriodReversed { from, to });
        }
        Ok(NewSubstitution {
            titolare,
            substitute,
            from,
            to,
        })
    }
}

/// Records `substitution`, whose titolare must be an MMG of the registry.
pub async fn add(store: &dyn Store, substitution: &NewSubstitution) -> Result<(), SubstituteError> {
    let titolare = &substitution.titolare;
    if store
        .patients()
        .find_mmg(&titolare.clone().into())
        .await?
        .is_none()
    {
        return Err(SubstituteError::NotAnMmg(titolare.clone()));
    }
    store
        .substitutions()
        .add(&Substitution {
            titolare_cf: titolare.clone().into(),
            substitute_cf: substitution.substitute.clone().into(),
            from: substitution.from,
            to: substitution.to,
        })
        .await?;
    Ok(())
}

/// The titolare's authorisations, by substitute and start.
pub async fn list(
    store: &dyn Store,
    titolare: &CodiceFiscale,
) -> Result<Vec<Substitution>, SubstituteError> {
    Ok(store
        .substitutions()
        .of_titolare(&titolare.clone().into(), None)
        .await?)
}

/// Withdraws every authorisation of `substitute` by `titolare`; returns how many there were
/// (at least one: none is [`SubstituteError::NoAuthorisation`]).
pub async fn revoke(
    store: &dyn Store,
    titolare: &CodiceFiscale,
    substitute: &CodiceFiscale,
) -> Result<u64, SubstituteError> {
    let removed = store
        .substitutions()
        .revoke(&titolare.clone().into(), &substitute.clone().into())
        .await?;
    if removed == 0 {
        return Err(SubstituteError::NoAuthorisation {
            titolare: titolare.clone(),
            substitute: substitute.clone(),
        });
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AslCode, RegionCode};
    use crate::store::{self, Asl, Mmg, Region};

    const TITOLARE: &str = "BNCGNN65C12H501E";
    const SUBSTITUTE: &str = "VRDLCU75D52H501Z";

    fn cf(text: &str) -> CodiceFiscale {
        CodiceFiscale::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn code<T, E: std::fmt::Display>(parsed: Result<T, E>) -> T {
        parsed.unwrap_or_else(|e| panic!("{e}"))
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// A store whose registry has one MMG, the titolare.
    async fn with_titolare() -> Result<std::sync::Arc<dyn Store>, StoreError> {
        let store = store::connect("sqlite::memory:").await?;
        let patients = store.patients();
        let (region, asl) = (code(RegionCode::parse("120")), code(AslCode::parse("201")));
        patients
            .upsert_regions(&[Region {
                code: region,
                name: "Lazio".into(),
            }])
            .await?;
        patients
            .upsert_asls(&[Asl {
                region_code: region,
                code: asl,
                name: "Roma 1".into(),
            }])
            .await?;
        patients
            .upsert_mmgs(&[Mmg {
                cf: cf(TITOLARE).into(),
                surname: "BIANCHI".into(),
                name: "GIOVANNI".into(),
                region_code: region,
                asl_code: asl,
            }])
            .await?;
        Ok(store)
    }

    #[test]
    fn nobody_substitutes_themselves_and_a_period_runs_forwards() {
        let same = NewSubstitution::new(
            cf(TITOLARE),
            cf(TITOLARE),
            day("2020-09-01"),
            day("2020-09-30"),
        );
        assert!(matches!(same, Err(SubstituteError::OwnSubstitute)));
        let reversed = NewSubstitution::new(
            cf(TITOLARE),
            cf(SUBSTITUTE),
            day("2020-09-02"),
            day("2020-09-01"),
        );
        assert!(matches!(
            reversed,
            Err(SubstituteError::PeriodReversed { .. })
        ));
        let one_day = NewSubstitution::new(
            cf(TITOLARE),
            cf(SUBSTITUTE),
            day("2020-09-01"),
            day("2020-09-01"),
        );
        assert!(one_day.is_ok());
    }

    #[tokio::test]
    async fn an_mmgs_substitutes_are_added_listed_and_revoked(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = with_titolare().await?;
        let september = NewSubstitution::new(
            cf(TITOLARE),
            cf(SUBSTITUTE),
            day("2020-09-01"),
            day("2020-09-30"),
        )?;
        add(store.as_ref(), &september).await?;
        let listed = list(store.as_ref(), &cf(TITOLARE)).await?;
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.substitute_cf.as_str(), s.from, s.to))
                .collect::<Vec<_>>(),
            vec![(SUBSTITUTE, day("2020-09-01"), day("2020-09-30"))]
        );
        assert!(matches!(
            add(store.as_ref(), &september).await,
            Err(SubstituteError::Store(StoreError::Duplicate { .. }))
        ));

        // The substitute is no MMG: they cannot be a titolare.
        let backwards = NewSubstitution::new(
            cf(SUBSTITUTE),
            cf(TITOLARE),
            day("2020-09-01"),
            day("2020-09-30"),
        )?;
        assert!(matches!(
            add(store.as_ref(), &backwards).await,
            Err(SubstituteError::NotAnMmg(who)) if who.as_str() == SUBSTITUTE
        ));

        assert_eq!(
            revoke(store.as_ref(), &cf(TITOLARE), &cf(SUBSTITUTE)).await?,
            1
        );
        assert!(list(store.as_ref(), &cf(TITOLARE)).await?.is_empty());
        assert!(matches!(
            revoke(store.as_ref(), &cf(TITOLARE), &cf(SUBSTITUTE)).await,
            Err(SubstituteError::NoAuthorisation { .. })
        ));
        Ok(())
    }
}
