//! The archive's password: freshly generated for each archive, from the operating system's
//! random source through `rand`'s CSPRNG, 24 characters of an alphabet without look-alikes (57
//! symbols: about 140 bits), so it can be read out or typed. It is held zeroized-on-drop, never
//! `Debug`-printed, and only ever shown on a terminal or put in the password message.

use rand::Rng;
use zeroize::Zeroizing;

/// Letters and digits without `0 O 1 l I`.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
pub const LENGTH: usize = 24;

pub struct ArchivePassword(Zeroizing<String>);

impl ArchivePassword {
    pub fn generate() -> ArchivePassword {
        let mut rng = rand::rng();
        let text: String = (0..LENGTH)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        ArchivePassword(Zeroizing::new(text))
    }

    /// The password itself, for the archive, the password message or the terminal.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ArchivePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArchivePassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_password_is_new_long_and_of_the_alphabet() {
        let a = ArchivePassword::generate();
        let b = ArchivePassword::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), LENGTH);
        assert!(a.expose().bytes().all(|c| ALPHABET.contains(&c)));
        assert_eq!(format!("{a:?}"), "ArchivePassword(<redacted>)");
    }
}
