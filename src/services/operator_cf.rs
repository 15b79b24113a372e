//! The messages about an operator's own CF (docs/conventions.md), in the words every service
//! uses; each service gives them its own codes. A wrong check character is a warning, any other
//! fault blocking — an impossible birth date too, even when the check letter is also wrong.

use crate::domain::OperatorCfError;

/// The warning for a wrong check character on `field`.
pub fn check_character_text(field: &str, expected: char) -> String {
    format!("Il carattere di controllo del codice fiscale ({field}) è errato: atteso '{expected}'")
}

/// The refusal of a CF in `field` that is not one.
pub fn malformed_text(field: &str, error: OperatorCfError) -> String {
    match error {
        OperatorCfError::Shape => {
            format!("Il codice fiscale dell'operatore ({field}) non è formalmente valido")
        }
        OperatorCfError::BirthDate => format!(
            "Il codice fiscale dell'operatore ({field}) non è valido: la data di nascita (giorno e mese) non esiste"
        ),
    }
}
