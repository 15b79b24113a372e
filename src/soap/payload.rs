//! The Body payload as a small element tree, built while the envelope is read and validated.
//! Handlers read their typed requests from it. Empty optional elements never appear in it:
//! the envelope reader drops them (docs/conventions.md: empty means absent).

/// `Debug` never prints text: payloads carry personal data (and, later, OTP codes).
#[derive(Clone, PartialEq, Eq)]
pub struct Element {
    pub namespace: String,
    pub name: String,
    /// Text content (unescaped); empty for elements with children.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn new(namespace: &str, name: &str) -> Element {
        Element {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            text: String::new(),
            children: Vec::new(),
        }
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child with this local name, if present and not blank.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }
}

impl std::fmt::Debug for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Element")
            .field("name", &self.name)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field("children", &self.children)
            .finish()
    }
}
