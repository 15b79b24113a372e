//! TEMPORARY placeholder with the agreed API; replaced by the real validator.
#[derive(Debug, Clone)]
pub struct Violation {
    pub path: String,
    pub element: String,
    pub message: String,
}
impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
#[derive(Debug)]
pub struct CompileError(pub String);
impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub struct SchemaSet;
pub struct Attribute<'a> {
    pub namespace: &'a str,
    pub local: &'a str,
    pub value: &'a str,
}
pub struct Validator<'s>(&'s SchemaSet);
impl SchemaSet {
    pub fn compile(_: &[(&str, &str)]) -> Result<SchemaSet, CompileError> {
        Ok(SchemaSet)
    }
    pub fn validator(&self) -> Validator<'_> {
        Validator(self)
    }
}
impl Validator<'_> {
    pub fn start_element(
        &mut self,
        _: &str,
        _: &str,
        _: &[Attribute<'_>],
    ) -> Result<(), Violation> {
        Ok(())
    }
    pub fn text(&mut self, _: &str) -> Result<(), Violation> {
        Ok(())
    }
    pub fn end_element(&mut self) -> Result<(), Violation> {
        Ok(())
    }
    pub fn finish(self) -> Result<(), Violation> {
        Ok(())
    }
}
