//! The catalogue of profiles an operator may hold: each opens one service's operations to them
//! (seed 000 names the OTP one «Sistema TS-Invio codice OTP»; docs/services/). A name outside
//! this list is refused where it is typed (the CLI) and is corruption where it is read (the
//! store).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// `InvioOTP` (docs/services/invio-otp.md).
    InvioCodiceOtp,
    /// `Sierologici`: a family doctor, as titolare or substitute (docs/services/sierologici.md).
    SierologiciMmg,
    /// `ASL`: an ASL operator sending daily counts and downloading the MMG file
    /// (docs/services/asl.md).
    AslNumeroTest,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile {name:?}: the profiles are {}", Profile::list())]
pub struct UnknownProfile {
    pub name: String,
}

impl Profile {
    pub const ALL: [Profile; 3] = [
        Profile::InvioCodiceOtp,
        Profile::SierologiciMmg,
        Profile::AslNumeroTest,
    ];

    /// The name as the users table, the CLI and the access messages spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Profile::InvioCodiceOtp => "Sistema TS-Invio codice OTP",
            Profile::SierologiciMmg => "Sierologici MMG",
            Profile::AslNumeroTest => "ASL Numero test",
        }
    }

    /// Exactly one of the names of [`Profile::as_str`].
    pub fn parse(name: &str) -> Result<Profile, UnknownProfile> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.as_str() == name)
            .ok_or_else(|| UnknownProfile {
                name: name.chars().take(64).collect(),
            })
    }

    /// `"Sistema TS-Invio codice OTP", "Sierologici MMG", …` for messages.
    fn list() -> String {
        Profile::ALL
            .iter()
            .map(|profile| format!("{:?}", profile.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for profile in Profile::ALL {
            assert_eq!(Profile::parse(profile.as_str()), Ok(profile));
        }
        for bad in [
            "",
            "Invio codice OTP",
            "sistema ts-invio codice otp",
            "Sistema TS-Invio codice OTP ",
            "operatore-asl",
        ] {
            let error = Profile::parse(bad).err();
            assert!(
                error
                    .as_ref()
                    .is_some_and(|e| e.to_string().contains("\"Sierologici MMG\"")),
                "{bad:?}: {error:?}"
            );
        }
    }
}
