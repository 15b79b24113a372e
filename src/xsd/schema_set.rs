//! The public face of the validator: a compiled, immutable set of schemas that hands out one
//! [`Validator`] per document.

use std::path::Path;

use super::compile::{self, CompileError};
use super::model::Model;
use super::validate::Validator;

/// Compiled schemas. Immutable after compilation, so it is `Send + Sync` and can be shared
/// behind an `Arc` by every request.
#[derive(Debug)]
pub struct SchemaSet {
    model: Model,
}

impl SchemaSet {
    /// Compiles a set of schema documents given as (file name, file text). `xs:import` and
    /// `xs:include` resolve `schemaLocation` by base name among the sources. Any construct the
    /// validator does not support is an error naming the file, the construct and the line.
    pub fn compile(sources: &[(&str, &str)]) -> Result<SchemaSet, CompileError> {
        Ok(SchemaSet {
            model: compile::compile(sources)?,
        })
    }

    /// Compiles every `*.xsd` file of a directory (not recursive), in file-name order.
    pub fn load_dir(dir: &Path) -> Result<SchemaSet, CompileError> {
        let io_error = |file: &Path, e: std::io::Error| CompileError {
            file: file.display().to_string(),
            line: None,
            message: format!("cannot read: {e}"),
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
            let path = entry.map_err(|e| io_error(dir, e))?.path();
            if path.extension().is_some_and(|ext| ext == "xsd") && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        let mut texts = Vec::with_capacity(paths.len());
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            texts.push((name, text));
        }
        let sources: Vec<(&str, &str)> = texts
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()))
            .collect();
        SchemaSet::compile(&sources)
    }

    /// Global element declarations as (namespace, local name): the possible document roots,
    /// which the gateway uses to route operations.
    pub fn global_elements(&self) -> impl Iterator<Item = (&str, &str)> {
        self.model.globals.iter().map(|&id| {
            let e = self.model.element(id);
            (e.namespace.as_str(), e.local.as_str())
        })
    }

    /// A validator for one document.
    pub fn validator(&self) -> Validator<'_> {
        Validator::new(&self.model)
    }
}
