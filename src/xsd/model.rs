//! The compiled schema: flat tables indexed by small integer ids, so the validator follows
//! plain indices and never looks anything up by name except the document root.

use super::content::{AllGroup, Automaton};
use super::simple_types::SimpleType;

pub type ElementId = u32;
pub type SimpleTypeId = u32;
pub type ComplexTypeId = u32;

/// An element declaration (global, or local to a content model).
#[derive(Debug, Clone)]
pub struct ElementDecl {
    pub namespace: String,
    pub local: String,
    pub ty: TypeRef,
    /// Its value must never appear in a violation (see `schema_doc::CONFIDENTIALITY_NS`).
    pub confidential: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeRef {
    Simple(SimpleTypeId),
    Complex(ComplexTypeId),
}

#[derive(Debug, Clone)]
pub struct AttributeDecl {
    pub namespace: String,
    pub local: String,
    pub ty: SimpleTypeId,
    pub required: bool,
    /// Normalized `fixed` value, if any.
    pub fixed: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ComplexType {
    pub attributes: Vec<AttributeDecl>,
    pub content: Content,
}

/// What may appear between an element's start and end tags.
#[derive(Debug, Clone)]
pub enum Content {
    /// Nothing at all, not even whitespace (XSD's empty content type).
    Empty,
    /// Character data of a simple type (simpleContent).
    Simple(SimpleTypeId),
    /// Child elements in the order the automaton allows; whitespace between them.
    Elements(Automaton),
    /// `xs:all`: each child at most once, in any order.
    All(AllGroup),
}

/// Everything the validator needs, indexed by the ids above.
#[derive(Debug, Default)]
pub struct Model {
    pub elements: Vec<ElementDecl>,
    pub simple_types: Vec<SimpleType>,
    pub complex_types: Vec<ComplexType>,
    /// Global element declarations in the order the schema files declare them.
    pub globals: Vec<ElementId>,
}

impl Model {
    pub fn element(&self, id: ElementId) -> &ElementDecl {
        &self.elements[id as usize]
    }

    pub fn simple_type(&self, id: SimpleTypeId) -> &SimpleType {
        &self.simple_types[id as usize]
    }

    pub fn complex_type(&self, id: ComplexTypeId) -> &ComplexType {
        &self.complex_types[id as usize]
    }

    /// The global element with this expanded name.
    pub fn global(&self, namespace: &str, local: &str) -> Option<ElementId> {
        self.globals.iter().copied().find(|&id| {
            let e = self.element(id);
            e.local == local && e.namespace == namespace
        })
    }
}
