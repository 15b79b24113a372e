//! Passwords and pincodes as the users table keeps them: argon2id PHC strings. The gateway
//! verifies them; the CLI, the demo and the administration hash them with [`hash_secret`].

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::store::UserRecord;

/// The argon2id cost of every new hash: 19 MiB, 2 passes, 1 lane — one of OWASP's recommended
/// sets, spelt out so a new argon2 release cannot change it. On the 2-core development machine
/// one check takes 20–30 ms and a password login runs two (password, pincode; README
/// "Performance"); OWASP's equally strong 46 MiB × 1 pass costs 2.5–4× that there, RFC 9106's
/// 64 MiB × 3 about 10×. Online guessing is stopped by the failure budgets, not by the hash's
/// cost, which only slows an offline attack on a stolen table. A stored hash keeps the
/// parameters in its PHC string, so changing these leaves old hashes verifying.
pub const HASH_PARAMS: Params = match Params::new(19 * 1024, 2, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("argon2 parameters out of range"),
};

/// Hashes a password or pincode for the users table (argon2id, [`HASH_PARAMS`]).
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    Ok(
        Argon2::new(Algorithm::Argon2id, Version::V0x13, HASH_PARAMS)
            .hash_password(secret.as_bytes(), &salt)?
            .to_string(),
    )
}

/// Whether `password` and `pincode` are `user`'s. Both argon2 checks always run — against
/// a dummy hash when there is no user — so every failure costs the same time. Argon2 is
/// deliberately slow: it runs off the async workers.
pub async fn verify_secrets(
    user: Option<UserRecord>,
    password: String,
    pincode: Option<String>,
) -> bool {
    tokio::task::spawn_blocking(move || {
        let (password_hash, pincode_hash) = match &user {
            Some(u) => (u.password_hash.as_str(), u.pincode_hash.as_str()),
            None => (DUMMY_HASH, DUMMY_HASH),
        };
        let password_ok = verify(password_hash, &password);
        let pincode_ok = verify(pincode_hash, pincode.as_deref().unwrap_or(""));
        user.is_some() && pincode.is_some() && password_ok && pincode_ok
    })
    .await
    .unwrap_or(false)
}

/// Whether `password` matches `phc` (an administrator's, say); with no hash, a check against a
/// dummy one runs all the same and fails, so an unknown id costs what a wrong password does.
pub async fn verify_password(phc: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let ok = verify(phc.as_deref().unwrap_or(DUMMY_HASH), &password);
        phc.is_some() && ok
    })
    .await
    .unwrap_or(false)
}

/// Whether `secret` matches any of `phcs` (a user's recent passwords). Every hash is checked.
pub async fn matches_any(phcs: Vec<String>, secret: String) -> bool {
    tokio::task::spawn_blocking(move || {
        phcs.iter()
            .map(|phc| verify(phc, &secret))
            .fold(false, |any, ok| any | ok)
    })
    .await
    .unwrap_or(true)
}

/// Whether `secret` matches `phc`, at the parameters written in `phc` (whatever
/// [`HASH_PARAMS`] was when it was made). Blocking: async callers go through the functions above.
pub fn verify(phc: &str, secret: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid argon2id hash of a random value nobody knows: verifying against it costs what a real
/// check costs, so an unknown user id takes as long as a wrong password. Its parameters must be
/// [`HASH_PARAMS`] (a test holds them equal): regenerate it when they change.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J5EoHqyqqEK3ULQPpVybjQwwSxtxuNn0KH/xvpjBpIM";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify() -> Result<(), argon2::password_hash::Error> {
        let hash = hash_secret("segreto")?;
        assert!(verify(&hash, "segreto"));
        assert!(!verify(&hash, "segreta"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        Ok(())
    }

    fn params_of(phc: &str) -> Params {
        let hash = PasswordHash::new(phc).expect("a PHC string");
        assert_eq!(hash.algorithm.as_str(), "argon2id");
        Params::try_from(&hash).expect("argon2 parameters")
    }

    fn same_cost(a: &Params, b: &Params) -> bool {
        (a.m_cost(), a.t_cost(), a.p_cost()) == (b.m_cost(), b.t_cost(), b.p_cost())
    }

    #[test]
    fn new_hashes_and_the_dummy_use_the_chosen_parameters(
    ) -> Result<(), argon2::password_hash::Error> {
        assert!(same_cost(
            &params_of(&hash_secret("segreto")?),
            &HASH_PARAMS
        ));
        // An unknown user must cost what a known one does.
        assert!(same_cost(&params_of(DUMMY_HASH), &HASH_PARAMS));
        Ok(())
    }

    /// Hashes made at other parameters (older ones, say) keep verifying: each PHC string
    /// carries its own.
    #[test]
    fn hashes_at_other_parameters_still_verify() -> Result<(), argon2::password_hash::Error> {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        for (m, t, p) in [(19 * 1024, 2, 1), (47 * 1024, 1, 1), (8 * 1024, 3, 2)] {
            let params = Params::new(m, t, p, None)?;
            let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(b"segreto", &SaltString::generate(&mut OsRng))?
                .to_string();
            assert!(verify(&phc, "segreto"), "{phc}");
            assert!(!verify(&phc, "segreta"), "{phc}");
        }
        Ok(())
    }
}
