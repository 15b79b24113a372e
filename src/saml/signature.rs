//! The Assertion's enveloped XML signature (XML-DSig), in the one shape accepted: one
//! `ds:Signature`, a child of the Assertion; one `ds:Reference` to `#` + the Assertion's `ID`;
//! transforms enveloped-signature then exclusive C14N; SHA-256 digest; RSA-SHA256 (or
//! ECDSA-SHA256) over the exclusive canonical `SignedInfo`, verified with the region's
//! configured key — never a key the message carries (`KeyInfo` is ignored).
//!
//! The element verified is the element whose claims are then read (the tree's root): no ID is
//! looked up, so a second Assertion, or the signed one moved elsewhere, cannot stand in for it
//! (signature wrapping).

use aws_lc_rs::digest;
use base64::Engine;

use super::exc_c14n::{self, INCLUSIVE_NAMESPACES};
use super::tree::Tree;
use super::trust::VerifyingKey;
use super::AssertionError;

pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    RsaSha256,
    EcdsaSha256,
}

impl SignatureMethod {
    fn from_uri(uri: &str) -> Option<SignatureMethod> {
        match uri {
            RSA_SHA256 => Some(SignatureMethod::RsaSha256),
            ECDSA_SHA256 => Some(SignatureMethod::EcdsaSha256),
            _ => None,
        }
    }
}

/// Checks the signature of the tree's root element (the Assertion, whose `ID` is `id`).
pub fn verify_enveloped(tree: &Tree, id: &str, key: &VerifyingKey) -> Result<(), AssertionError> {
    let signature = the_signature(tree)?;
    let mut parts = Children::of(tree, signature);
    let signed_info = parts.take("SignedInfo")?;
    let signature_value = parts.take("SignatureValue")?;
    parts.optional("KeyInfo");
    parts.done()?;

    let mut info = Children::of(tree, signed_info);
    let canonicalization = info.take("CanonicalizationMethod")?;
    let method = info.take("SignatureMethod")?;
    let reference = info.take("Reference")?;
    if info.take("Reference").is_ok() {
        return Err(AssertionError::SignatureShape(
            "una sola Reference è ammessa",
        ));
    }
    info.done()?;

    let info_prefixes = exclusive_c14n(tree, canonicalization, "CanonicalizationMethod")?;
    let method = algorithm(tree, method)
        .and_then(SignatureMethod::from_uri)
        .ok_or(AssertionError::Algorithm("SignatureMethod"))?;

    if tree.element(reference).attribute("URI") != Some(&format!("#{id}")) {
        return Err(AssertionError::ReferenceElsewhere);
    }
    let mut reference_parts = Children::of(tree, reference);
    let transforms = reference_parts.take("Transforms")?;
    let digest_method = reference_parts.take("DigestMethod")?;
    let digest_value = reference_parts.take("DigestValue")?;
    reference_parts.done()?;

    let mut steps = Children::of(tree, transforms);
    let enveloped = steps.take("Transform")?;
    let canonical = steps.take("Transform")?;
    steps.done()?;
    if algorithm(tree, enveloped) != Some(ENVELOPED_SIGNATURE)
        || tree.child_elements(enveloped).next().is_some()
    {
        return Err(AssertionError::Algorithm("Transforms"));
    }
    let reference_prefixes = exclusive_c14n(tree, canonical, "Transforms")?;
    if algorithm(tree, digest_method) != Some(SHA256) {
        return Err(AssertionError::Algorithm("DigestMethod"));
    }
    let expected_digest = base64(tree, digest_value, "DigestValue")?;
    let signature_bytes = base64(tree, signature_value, "SignatureValue")?;

    let canonical_info = exc_c14n::canonicalize(tree, signed_info, &info_prefixes, None);
    if !key.verifies(method, &canonical_info, &signature_bytes) {
        return Err(AssertionError::BadSignature);
    }
    let canonical_assertion = exc_c14n::canonicalize(tree, 0, &reference_prefixes, Some(signature));
    let digest = digest::digest(&digest::SHA256, &canonical_assertion);
    if digest.as_ref() != expected_digest.as_slice() {
        return Err(AssertionError::DigestMismatch);
    }
    Ok(())
}

/// The one `ds:Signature` of the tree: a child of the root, and no other anywhere.
fn the_signature(tree: &Tree) -> Result<usize, AssertionError> {
    let mut found = tree
        .elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.is(DSIG_NS, "Signature"))
        .map(|(i, _)| i);
    let signature = found.next().ok_or(AssertionError::Unsigned)?;
    if found.next().is_some() {
        return Err(AssertionError::SeveralSignatures);
    }
    if tree.element(signature).parent != Some(0) {
        return Err(AssertionError::Unsigned);
    }
    Ok(signature)
}

/// An element's `ds:` children, taken in the order the schema gives them.
struct Children<'t> {
    tree: &'t Tree,
    elements: Vec<usize>,
    next: usize,
}

impl<'t> Children<'t> {
    fn of(tree: &'t Tree, parent: usize) -> Children<'t> {
        Children {
            tree,
            elements: tree.child_elements(parent).collect(),
            next: 0,
        }
    }

    fn take(&mut self, local: &'static str) -> Result<usize, AssertionError> {
        match self.elements.get(self.next) {
            Some(&i) if self.tree.element(i).is(DSIG_NS, local) => {
                self.next += 1;
                Ok(i)
            }
            _ => Err(AssertionError::SignatureShape(match local {
                "SignedInfo" => "SignedInfo mancante o fuori posto",
                "SignatureValue" => "SignatureValue mancante o fuori posto",
                "CanonicalizationMethod" => "CanonicalizationMethod mancante o fuori posto",
                "SignatureMethod" => "SignatureMethod mancante o fuori posto",
                "Reference" => "Reference mancante o fuori posto",
                "Transforms" => "Transforms mancante o fuori posto",
                "DigestMethod" => "DigestMethod mancante o fuori posto",
                "DigestValue" => "DigestValue mancante o fuori posto",
                "Transform" => "servono esattamente due Transform",
                _ => "elemento mancante o fuori posto",
            })),
        }
    }

    fn optional(&mut self, local: &'static str) {
        let _ = self.take(local);
    }

    /// Nothing may follow what was taken.
    fn done(&self) -> Result<(), AssertionError> {
        if self.next == self.elements.len() {
            Ok(())
        } else {
            Err(AssertionError::SignatureShape(
                "elementi inattesi nella firma",
            ))
        }
    }
}

fn algorithm(tree: &Tree, element: usize) -> Option<&str> {
    tree.element(element).attribute("Algorithm")
}

/// A `CanonicalizationMethod` or `Transform` that must be exclusive C14N: its PrefixList, if it
/// has an `InclusiveNamespaces` (the only child allowed).
fn exclusive_c14n(
    tree: &Tree,
    element: usize,
    place: &'static str,
) -> Result<Vec<String>, AssertionError> {
    if algorithm(tree, element) != Some(exc_c14n::ALGORITHM) {
        return Err(AssertionError::Algorithm(place));
    }
    let children: Vec<usize> = tree.child_elements(element).collect();
    match children.as_slice() {
        [] => Ok(Vec::new()),
        [only]
            if tree
                .element(*only)
                .is(exc_c14n::ALGORITHM, INCLUSIVE_NAMESPACES) =>
        {
            Ok(tree
                .element(*only)
                .attribute("PrefixList")
                .unwrap_or_default()
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect())
        }
        _ => Err(AssertionError::SignatureShape(
            "solo InclusiveNamespaces è ammesso nel metodo di canonicalizzazione",
        )),
    }
}

fn base64(tree: &Tree, element: usize, what: &'static str) -> Result<Vec<u8>, AssertionError> {
    let text: String = tree
        .text(element)
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| {
            AssertionError::SignatureShape(match what {
                "DigestValue" => "DigestValue non è base64",
                _ => "SignatureValue non è base64",
            })
        })
}
