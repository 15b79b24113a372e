//! Passwords and pincodes as the users table keeps them: argon2id PHC strings. The gateway
//! verifies them; the CLI, the demo and the administration hash them with [`hash_secret`].

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;

use crate::store::UserRecord;

/// Hashes a password or pincode for the users table (argon2id, default parameters).
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)?
        .to_string())
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

fn verify(phc: &str, secret: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid argon2id hash of a random value nobody knows: verifying against it costs what a real
/// check costs, so an unknown user id takes as long as a wrong password.
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
}
