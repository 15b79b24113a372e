//! What a document did wrong, in terms a SOAP Fault can carry back to the caller: the element,
//! where it is, which rule it broke, and one English sentence.

use std::fmt;

/// The schema rule a document broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The document root is not a global element declaration.
    UnknownRoot,
    /// A child element the content model does not allow here.
    UnexpectedElement,
    /// The content model needs more children before the element ends.
    MissingElement,
    /// Character data where the content model allows only elements (or nothing).
    UnexpectedText,
    UnexpectedAttribute,
    MissingAttribute,
    /// An attribute with a `fixed` value carries another value.
    FixedValue,
    /// `xsi:type` / `xsi:nil`: valid XSD, but not supported by this validator.
    Unsupported,
    /// The value is not in the lexical space of the named built-in type.
    Datatype(&'static str),
    Pattern,
    Enumeration,
    Length,
    MinLength,
    MaxLength,
    MinInclusive,
    MaxInclusive,
    MinExclusive,
    MaxExclusive,
    TotalDigits,
    FractionDigits,
    /// The document ended before its root element was closed, or had no root.
    IncompleteDocument,
}

impl Rule {
    /// The XSD name of the rule, for messages that may not show the value.
    pub fn xsd_name(self) -> &'static str {
        match self {
            Rule::UnknownRoot => "global element declaration",
            Rule::UnexpectedElement => "content model",
            Rule::MissingElement => "content model (minOccurs)",
            Rule::UnexpectedText => "content type",
            Rule::UnexpectedAttribute | Rule::MissingAttribute => "attribute declarations",
            Rule::FixedValue => "fixed",
            Rule::Unsupported => "unsupported construct",
            Rule::Datatype(name) => name,
            Rule::Pattern => "pattern",
            Rule::Enumeration => "enumeration",
            Rule::Length => "length",
            Rule::MinLength => "minLength",
            Rule::MaxLength => "maxLength",
            Rule::MinInclusive => "minInclusive",
            Rule::MaxInclusive => "maxInclusive",
            Rule::MinExclusive => "minExclusive",
            Rule::MaxExclusive => "maxExclusive",
            Rule::TotalDigits => "totalDigits",
            Rule::FractionDigits => "fractionDigits",
            Rule::IncompleteDocument => "document",
        }
    }
}

/// A schema violation, found while streaming a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Slash-separated local names from the document root, e.g. `/ProvaRichiesta/pinCode`.
    pub path: String,
    /// Local name of the element the violation is about.
    pub element: String,
    pub rule: Rule,
    /// What is wrong, without the element prefix that `Display` adds.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "element '{}' at {}: {}",
            self.element, self.path, self.message
        )
    }
}

impl std::error::Error for Violation {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_element_its_path_and_the_rule() {
        let v = Violation {
            path: "/InvioRichiesta/cfAssistito".into(),
            element: "cfAssistito".into(),
            rule: Rule::Pattern,
            message: "value 'ABC' does not match pattern '[A-Z0-9]{16}'".into(),
        };
        assert_eq!(
            v.to_string(),
            "element 'cfAssistito' at /InvioRichiesta/cfAssistito: value 'ABC' does not match pattern '[A-Z0-9]{16}'"
        );
    }
}
