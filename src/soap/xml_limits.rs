//! The shape limits the envelope reader enforces (`[server]` configuration): each one refused
//! with its own Fault, before the work it bounds is done.

use crate::config::{self, ServerConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Open elements at once, anywhere in the document (Header included).
    pub max_depth: usize,
    /// Attributes on one element, namespace declarations not counted.
    pub max_attributes: usize,
    /// Namespace declarations (`xmlns`, `xmlns:p`) on one element.
    pub max_namespace_declarations: usize,
    /// Bytes of an element or attribute name, prefix included.
    pub max_name_bytes: usize,
}

impl XmlLimits {
    pub fn from_config(server: &ServerConfig) -> XmlLimits {
        XmlLimits {
            max_depth: server.max_xml_depth,
            max_attributes: server.max_xml_attributes,
            max_namespace_declarations: server.max_xml_namespace_declarations,
            max_name_bytes: server.max_xml_name_bytes,
        }
    }

    /// No limit at all: for tests and benches that measure the reader's own cost.
    pub fn unbounded() -> XmlLimits {
        XmlLimits {
            max_depth: usize::MAX,
            max_attributes: usize::MAX,
            max_namespace_declarations: usize::MAX,
            max_name_bytes: usize::MAX,
        }
    }
}

impl Default for XmlLimits {
    /// The configuration's defaults.
    fn default() -> XmlLimits {
        XmlLimits {
            max_depth: config::MAX_XML_DEPTH,
            max_attributes: config::MAX_XML_ATTRIBUTES,
            max_namespace_declarations: config::MAX_XML_NAMESPACE_DECLARATIONS,
            max_name_bytes: config::MAX_XML_NAME_BYTES,
        }
    }
}
