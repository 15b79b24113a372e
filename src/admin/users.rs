//! Operators: adding one (with a generated password and pincode unless chosen) and granting
//! profiles. Credentials are stored only as argon2 hashes ([`crate::identity::password`]).

use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

use crate::domain::{
    AslCode, AslCodeError, CfError, CodiceFiscale, Profile, RegionCode, RegionCodeError,
    UnknownProfile,
};
use crate::identity::password::hash_secret;
use crate::store::{Store, StoreError, UserRecord};

/// A new operator as typed (command-line flags, a form), before it is checked.
#[derive(Debug, Default)]
pub struct UserForm<'a> {
    pub user_id: &'a str,
    pub cf: &'a str,
    pub display_name: &'a str,
    pub profiles: &'a [String],
    pub region: Option<&'a str>,
    pub asl: Option<&'a str>,
}

/// A checked new operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub user_id: String,
    pub cf: CodiceFiscale,
    pub display_name: String,
    pub profiles: Vec<Profile>,
    pub region: Option<RegionCode>,
    pub asl: Option<AslCode>,
}

/// Which field of a [`UserForm`] is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUser {
    #[error("the user id must not be empty")]
    EmptyUserId,
    #[error(transparent)]
    Cf(CfError),
    #[error(transparent)]
    Profile(UnknownProfile),
    #[error(transparent)]
    Region(RegionCodeError),
    #[error(transparent)]
    Asl(AslCodeError),
}

impl InvalidUser {
    /// The field's name (the command line's flag without `--`).
    pub fn field(&self) -> &'static str {
        match self {
            InvalidUser::EmptyUserId => "user-id",
            InvalidUser::Cf(_) => "cf",
            InvalidUser::Profile(_) => "profile",
            InvalidUser::Region(_) => "region",
            InvalidUser::Asl(_) => "asl",
        }
    }
}

impl UserForm<'_> {
    pub fn parse(&self) -> Result<NewUser, InvalidUser> {
        if self.user_id.trim().is_empty() {
            return Err(InvalidUser::EmptyUserId);
        }
        Ok(NewUser {
            user_id: self.user_id.to_owned(),
            cf: CodiceFiscale::parse(self.cf).map_err(InvalidUser::Cf)?,
            display_name: self.display_name.to_owned(),
            profiles: self
                .profiles
                .iter()
                .map(|name| Profile::parse(name))
                .collect::<Result<_, _>>()
                .map_err(InvalidUser::Profile)?,
            region: self
                .region
                .map(RegionCode::parse)
                .transpose()
                .map_err(InvalidUser::Region)?,
            asl: self
                .asl
                .map(AslCode::parse)
                .transpose()
                .map_err(InvalidUser::Asl)?,
        })
    }
}

/// The secrets of a new user: chosen ones, or generated when `None`.
#[derive(Default)]
pub struct Secrets {
    pub password: Option<String>,
    pub pincode: Option<String>,
}

/// The user added, with the secrets that were generated (to be told to them once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedUser {
    pub user_id: String,
    pub generated_password: Option<String>,
    pub generated_pincode: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("no user '{0}'")]
    NoSuchUser(String),
    #[error("hashing a secret failed: {0}")]
    Hash(String),
    /// An existing user id or CF is [`StoreError::Duplicate`].
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Registers `user` with its profiles. A password of 16 letters and digits and a pincode of 10
/// digits are generated unless `secrets` gives them.
pub async fn add_user(
    store: &dyn Store,
    user: NewUser,
    secrets: Secrets,
) -> Result<AddedUser, UserError> {
    let generated_password = secrets.password.is_none();
    let generated_pincode = secrets.pincode.is_none();
    let password = secrets.password.unwrap_or_else(generate_password);
    let pincode = secrets.pincode.unwrap_or_else(generate_pincode);
    let hash = |secret: &str| hash_secret(secret).map_err(|e| UserError::Hash(e.to_string()));
    store
        .directory()
        .add_user(&UserRecord {
            user_id: user.user_id.clone(),
            cf: user.cf,
            display_name: user.display_name,
            password_hash: hash(&password)?,
            pincode_hash: hash(&pincode)?,
            asl: user.asl,
            region: user.region,
            enabled: true,
        })
        .await?;
    for profile in user.profiles {
        store
            .directory()
            .grant_profile(&user.user_id, profile)
            .await?;
    }
    Ok(AddedUser {
        user_id: user.user_id,
        generated_password: generated_password.then_some(password),
        generated_pincode: generated_pincode.then_some(pincode),
    })
}

/// Grants `profile` to an existing user; granting it again changes nothing.
pub async fn grant_profile(
    store: &dyn Store,
    user_id: &str,
    profile: Profile,
) -> Result<(), UserError> {
    if store.directory().find_user(user_id).await?.is_none() {
        return Err(UserError::NoSuchUser(user_id.to_owned()));
    }
    store.directory().grant_profile(user_id, profile).await?;
    Ok(())
}

/// 16 letters and digits.
pub fn generate_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 16)
}

/// 10 digits.
pub fn generate_pincode() -> String {
    (0..10)
        .map(|_| char::from(b'0' + rand::rng().random_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;

    fn form<'a>(profiles: &'a [String]) -> UserForm<'a> {
        UserForm {
            user_id: "ASL02",
            cf: " rssmra80a01h501u ",
            display_name: "Mario Rossi",
            profiles,
            region: Some("120"),
            asl: Some("201"),
        }
    }

    #[test]
    fn every_field_is_parsed_and_a_malformed_one_is_named() {
        let profiles = vec!["ASL Numero test".to_owned()];
        let user = form(&profiles).parse();
        assert_eq!(
            user.as_ref().map(|u| (
                u.cf.as_str(),
                u.profiles.clone(),
                u.region.map(|r| r.to_string()),
                u.asl.map(|a| a.to_string())
            )),
            Ok((
                "RSSMRA80A01H501U",
                vec![Profile::AslNumeroTest],
                Some("120".into()),
                Some("201".into())
            ))
        );
        let wrong = |change: fn(&mut UserForm<'_>)| {
            let mut form = form(&profiles);
            change(&mut form);
            form.parse().err().map(|e| e.field())
        };
        assert_eq!(wrong(|f| f.user_id = " "), Some("user-id"));
        assert_eq!(wrong(|f| f.cf = "RSSMRA80A01H501"), Some("cf"));
        assert_eq!(wrong(|f| f.region = Some("12")), Some("region"));
        assert_eq!(wrong(|f| f.region = Some("")), Some("region"));
        assert_eq!(wrong(|f| f.asl = Some("2010")), Some("asl"));
        assert_eq!(wrong(|f| f.asl = Some("A01")), Some("asl"));
        let unknown = vec!["operatore-asl".to_owned()];
        assert_eq!(
            form(&unknown).parse().err().map(|e| e.field()),
            Some("profile")
        );
        let none = UserForm {
            region: None,
            asl: None,
            ..form(&[])
        };
        assert!(none
            .parse()
            .is_ok_and(|u| u.region.is_none() && u.asl.is_none()));
    }

    #[tokio::test]
    async fn a_user_is_stored_with_hashes_profiles_and_codes(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let store = store::connect("sqlite::memory:").await?;
        let profiles = vec!["ASL Numero test".to_owned()];
        let chosen = Secrets {
            password: Some("segreto".into()),
            pincode: None,
        };
        let added = add_user(store.as_ref(), form(&profiles).parse()?, chosen).await?;
        assert_eq!(added.generated_password, None, "chosen, not generated");
        let pincode = added.generated_pincode.unwrap_or_default();
        assert!(pincode.len() == 10 && pincode.bytes().all(|b| b.is_ascii_digit()));

        let user = store.directory().find_user("ASL02").await?;
        let user = user.ok_or("not stored")?;
        assert_eq!(
            (
                user.cf.as_str(),
                user.region.as_ref().map(RegionCode::as_str),
                user.asl.as_ref().map(AslCode::as_str)
            ),
            ("RSSMRA80A01H501U", Some("120"), Some("201"))
        );
        assert!(user.password_hash.starts_with("$argon2id$"));
        assert!(!user.password_hash.contains("segreto"));
        assert_eq!(
            store.directory().profiles_of("ASL02").await?,
            vec![Profile::AslNumeroTest]
        );

        let twice = add_user(store.as_ref(), form(&profiles).parse()?, Secrets::default()).await;
        assert!(matches!(
            twice,
            Err(UserError::Store(StoreError::Duplicate { .. }))
        ));
        Ok(())
    }

    #[tokio::test]
    async fn profiles_are_granted_only_to_existing_users() -> Result<(), Box<dyn std::error::Error>>
    {
        let store = store::connect("sqlite::memory:").await?;
        let new = form(&[]).parse()?;
        add_user(store.as_ref(), new, Secrets::default()).await?;
        for _ in 0..2 {
            grant_profile(store.as_ref(), "ASL02", Profile::InvioCodiceOtp).await?;
        }
        assert_eq!(
            store.directory().profiles_of("ASL02").await?,
            vec![Profile::InvioCodiceOtp]
        );
        let nobody = grant_profile(store.as_ref(), "NOBODY", Profile::InvioCodiceOtp).await;
        assert!(matches!(nobody, Err(UserError::NoSuchUser(id)) if id == "NOBODY"));
        Ok(())
    }
}
