//! Built-in simple types and restriction facets: the checks run on element and attribute
//! values. A compiled [`SimpleType`] carries everything its derivation chain contributes, so
//! checking a value is one pass with no lookups.

use std::borrow::Cow;

use super::lexical::{self, DateTime, Decimal};
use super::pattern::Pattern;
use super::violation::Rule;

/// The built-in types a schema may use; any other `xs:` type is refused at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    String,
    NormalizedString,
    Token,
    Boolean,
    Decimal,
    Integer,
    Int,
    Long,
    Short,
    Byte,
    NonNegativeInteger,
    PositiveInteger,
    UnsignedInt,
    UnsignedShort,
    UnsignedLong,
    UnsignedByte,
    Date,
    DateTime,
    Time,
    GYear,
    Base64Binary,
    HexBinary,
    AnyUri,
}

/// What kind of value space a built-in has; decides which facets apply and how values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    String,
    Boolean,
    Decimal,
    Date,
    Binary,
    Uri,
}

const ALL_BUILTINS: [Builtin; 23] = [
    Builtin::String,
    Builtin::NormalizedString,
    Builtin::Token,
    Builtin::Boolean,
    Builtin::Decimal,
    Builtin::Integer,
    Builtin::Int,
    Builtin::Long,
    Builtin::Short,
    Builtin::Byte,
    Builtin::NonNegativeInteger,
    Builtin::PositiveInteger,
    Builtin::UnsignedInt,
    Builtin::UnsignedShort,
    Builtin::UnsignedLong,
    Builtin::UnsignedByte,
    Builtin::Date,
    Builtin::DateTime,
    Builtin::Time,
    Builtin::GYear,
    Builtin::Base64Binary,
    Builtin::HexBinary,
    Builtin::AnyUri,
];

impl Builtin {
    /// The built-in with this local name in the XSD namespace, if we support it.
    pub fn from_name(local: &str) -> Option<Builtin> {
        ALL_BUILTINS.into_iter().find(|b| b.name() == local)
    }

    pub fn name(self) -> &'static str {
        match self {
            Builtin::String => "string",
            Builtin::NormalizedString => "normalizedString",
            Builtin::Token => "token",
            Builtin::Boolean => "boolean",
            Builtin::Decimal => "decimal",
            Builtin::Integer => "integer",
            Builtin::Int => "int",
            Builtin::Long => "long",
            Builtin::Short => "short",
            Builtin::Byte => "byte",
            Builtin::NonNegativeInteger => "nonNegativeInteger",
            Builtin::PositiveInteger => "positiveInteger",
            Builtin::UnsignedInt => "unsignedInt",
            Builtin::UnsignedShort => "unsignedShort",
            Builtin::UnsignedLong => "unsignedLong",
            Builtin::UnsignedByte => "unsignedByte",
            Builtin::Date => "date",
            Builtin::DateTime => "dateTime",
            Builtin::Time => "time",
            Builtin::GYear => "gYear",
            Builtin::Base64Binary => "base64Binary",
            Builtin::HexBinary => "hexBinary",
            Builtin::AnyUri => "anyURI",
        }
    }

    pub fn family(self) -> Family {
        match self {
            Builtin::String | Builtin::NormalizedString | Builtin::Token => Family::String,
            Builtin::Boolean => Family::Boolean,
            Builtin::Date | Builtin::DateTime | Builtin::Time | Builtin::GYear => Family::Date,
            Builtin::Base64Binary | Builtin::HexBinary => Family::Binary,
            Builtin::AnyUri => Family::Uri,
            _ => Family::Decimal,
        }
    }

    /// The whiteSpace facet the built-in itself fixes.
    pub fn whitespace(self) -> WhiteSpace {
        match self {
            Builtin::String => WhiteSpace::Preserve,
            Builtin::NormalizedString => WhiteSpace::Replace,
            _ => WhiteSpace::Collapse,
        }
    }

    /// Inclusive value range of the bounded integer types.
    fn range(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Builtin::Int => ("-2147483648", "2147483647"),
            Builtin::Long => ("-9223372036854775808", "9223372036854775807"),
            Builtin::Short => ("-32768", "32767"),
            Builtin::Byte => ("-128", "127"),
            Builtin::NonNegativeInteger => ("0", ""),
            Builtin::PositiveInteger => ("1", ""),
            Builtin::UnsignedInt => ("0", "4294967295"),
            Builtin::UnsignedShort => ("0", "65535"),
            Builtin::UnsignedLong => ("0", "18446744073709551615"),
            Builtin::UnsignedByte => ("0", "255"),
            _ => return None,
        })
    }

    fn is_unsigned(self) -> bool {
        matches!(
            self,
            Builtin::UnsignedInt
                | Builtin::UnsignedShort
                | Builtin::UnsignedLong
                | Builtin::UnsignedByte
        )
    }

    fn is_integer(self) -> bool {
        self.family() == Family::Decimal && self != Builtin::Decimal
    }

    /// libxml2 quirk we must reproduce: unless a pattern or enumeration in the derivation
    /// chain made libxml2 normalize the value first, these types reject surrounding
    /// whitespace. Its date parser skips leading blanks but rewinds to the raw start for
    /// every type except xs:time, and skips trailing blanks only in xs:dateTime and only
    /// after a timezone.
    fn rejects_untrimmed(self, raw: &str) -> bool {
        const WS: [char; 4] = [' ', '\t', '\n', '\r'];
        let leading = raw.starts_with(WS);
        let trailing = raw.ends_with(WS);
        match self {
            Builtin::Int
            | Builtin::Long
            | Builtin::Short
            | Builtin::Byte
            | Builtin::UnsignedInt
            | Builtin::UnsignedShort
            | Builtin::UnsignedLong
            | Builtin::UnsignedByte
            | Builtin::Date
            | Builtin::GYear => leading || trailing,
            Builtin::Time => trailing,
            Builtin::DateTime => {
                leading || (trailing && !ends_with_timezone(raw.trim_end_matches(WS)))
            }
            _ => false,
        }
    }
}

/// `Z` or `±hh:mm` at the end of a date/time value.
fn ends_with_timezone(value: &str) -> bool {
    let b = value.as_bytes();
    b.last() == Some(&b'Z')
        || (b.len() >= 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WhiteSpace {
    Preserve,
    Replace,
    Collapse,
}

impl WhiteSpace {
    pub fn from_name(value: &str) -> Option<WhiteSpace> {
        match value {
            "preserve" => Some(WhiteSpace::Preserve),
            "replace" => Some(WhiteSpace::Replace),
            "collapse" => Some(WhiteSpace::Collapse),
            _ => None,
        }
    }

    /// Applies the normalization; borrows when the value is already normal.
    pub fn apply(self, value: &str) -> Cow<'_, str> {
        let is_ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
        match self {
            WhiteSpace::Preserve => Cow::Borrowed(value),
            WhiteSpace::Replace => {
                if value.contains(['\t', '\n', '\r']) {
                    Cow::Owned(value.replace(['\t', '\n', '\r'], " "))
                } else {
                    Cow::Borrowed(value)
                }
            }
            WhiteSpace::Collapse => {
                let trimmed = value.trim_matches(is_ws);
                let already = !trimmed.contains(['\t', '\n', '\r']) && !trimmed.contains("  ");
                if already {
                    Cow::Borrowed(trimmed)
                } else {
                    let mut out = String::with_capacity(trimmed.len());
                    for word in trimmed.split(is_ws).filter(|w| !w.is_empty()) {
                        if !out.is_empty() {
                            out.push(' ');
                        }
                        out.push_str(word);
                    }
                    Cow::Owned(out)
                }
            }
        }
    }
}

/// A value of some built-in type, parsed; used for enumeration and bound comparisons.
#[derive(Debug, Clone, Copy)]
enum Parsed<'a> {
    Text(&'a str),
    Boolean(bool),
    Decimal(Decimal<'a>),
    Date(DateTime<'a>),
    Hex(&'a str),
    Base64(&'a str),
}

impl PartialEq for Parsed<'_> {
    /// Equality in the value space: hex digits ignore case, base64 ignores whitespace.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Parsed::Text(a), Parsed::Text(b)) => a == b,
            (Parsed::Boolean(a), Parsed::Boolean(b)) => a == b,
            (Parsed::Decimal(a), Parsed::Decimal(b)) => a == b,
            (Parsed::Date(a), Parsed::Date(b)) => a == b,
            (Parsed::Hex(a), Parsed::Hex(b)) => a.eq_ignore_ascii_case(b),
            (Parsed::Base64(a), Parsed::Base64(b)) => {
                let significant = |s: &'_ str| {
                    s.bytes()
                        .filter(|b| !b.is_ascii_whitespace())
                        .collect::<Vec<u8>>()
                };
                significant(a) == significant(b)
            }
            _ => false,
        }
    }
}

/// An owned facet value: its normalized text, re-parsed when compared (facet values are few
/// and short, and this keeps the type free of self-references).
#[derive(Debug, Clone)]
pub struct FacetValue {
    text: String,
}

impl FacetValue {
    fn parsed(&self, builtin: Builtin) -> Option<Parsed<'_>> {
        parse(builtin, &self.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    MinInclusive,
    MaxInclusive,
    MinExclusive,
    MaxExclusive,
}

impl BoundKind {
    fn rule(self) -> Rule {
        match self {
            BoundKind::MinInclusive => Rule::MinInclusive,
            BoundKind::MaxInclusive => Rule::MaxInclusive,
            BoundKind::MinExclusive => Rule::MinExclusive,
            BoundKind::MaxExclusive => Rule::MaxExclusive,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            BoundKind::MinInclusive => "less than the minimum",
            BoundKind::MaxInclusive => "greater than the maximum",
            BoundKind::MinExclusive => "not greater than",
            BoundKind::MaxExclusive => "not less than",
        }
    }
}

/// One facet as written in a restriction step, before it is merged into a type.
#[derive(Debug, Clone)]
pub enum Facet {
    Length(usize),
    MinLength(usize),
    MaxLength(usize),
    Pattern(String),
    Enumeration(String),
    WhiteSpace(WhiteSpace),
    Bound(BoundKind, String),
    TotalDigits(usize),
    FractionDigits(usize),
}

impl Facet {
    fn name(&self) -> &'static str {
        match self {
            Facet::Length(_) => "length",
            Facet::MinLength(_) => "minLength",
            Facet::MaxLength(_) => "maxLength",
            Facet::Pattern(_) => "pattern",
            Facet::Enumeration(_) => "enumeration",
            Facet::WhiteSpace(_) => "whiteSpace",
            Facet::Bound(BoundKind::MinInclusive, _) => "minInclusive",
            Facet::Bound(BoundKind::MaxInclusive, _) => "maxInclusive",
            Facet::Bound(BoundKind::MinExclusive, _) => "minExclusive",
            Facet::Bound(BoundKind::MaxExclusive, _) => "maxExclusive",
            Facet::TotalDigits(_) => "totalDigits",
            Facet::FractionDigits(_) => "fractionDigits",
        }
    }
}

/// A simple type with its whole derivation chain folded in.
#[derive(Debug, Clone)]
pub struct SimpleType {
    /// How messages name the type, e.g. `xs:int` or `{ns}CodiceFiscale`.
    pub(crate) name: String,
    pub(crate) builtin: Builtin,
    whitespace: WhiteSpace,
    /// Each derivation step's patterns (any one may match); every step must match.
    patterns: Vec<Vec<Pattern>>,
    /// The enumeration of the most derived step that has one.
    enumeration: Option<Vec<FacetValue>>,
    length: Option<usize>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    bounds: Vec<(BoundKind, FacetValue)>,
    total_digits: Option<usize>,
    fraction_digits: Option<usize>,
}

/// Why a value is not valid: the rule and a sentence fragment for the message.
#[derive(Debug, Clone)]
pub struct ValueError {
    pub rule: Rule,
    pub message: String,
}

/// Longest quoted instance value in a message: values can be arbitrarily long.
const QUOTE_LIMIT: usize = 64;

/// Quotes an instance value for a message (see [`clip`]).
pub fn quote(value: &str) -> String {
    format!("'{}'", clip(value))
}

/// Makes instance text safe for a message: truncated, so a message stays short, and with
/// control characters escaped, so a value cannot forge extra lines in a log or a fault.
pub fn clip(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(QUOTE_LIMIT) + 8);
    for (i, c) in value.chars().enumerate() {
        if i == QUOTE_LIMIT {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl SimpleType {
    pub fn builtin(builtin: Builtin) -> SimpleType {
        SimpleType {
            name: format!("xs:{}", builtin.name()),
            builtin,
            whitespace: builtin.whitespace(),
            patterns: Vec::new(),
            enumeration: None,
            length: None,
            min_length: None,
            max_length: None,
            bounds: Vec::new(),
            total_digits: None,
            fraction_digits: None,
        }
    }

    /// Derives a new type by restriction of `self` with one step's facets, checking that each
    /// facet applies to the base type, has a valid value, and does not widen the base.
    pub fn restrict(&self, name: String, facets: Vec<Facet>) -> Result<SimpleType, String> {
        let family = self.builtin.family();
        let mut derived = self.clone();
        derived.name = name;
        let mut step_patterns = Vec::new();
        let mut step_enumeration: Vec<String> = Vec::new();
        let mut whitespace = None;
        for facet in &facets {
            let applies = match facet {
                Facet::Pattern(_) | Facet::WhiteSpace(_) => true,
                Facet::Enumeration(_) => family != Family::Boolean,
                Facet::Length(_) | Facet::MinLength(_) | Facet::MaxLength(_) => {
                    matches!(family, Family::String | Family::Binary | Family::Uri)
                }
                Facet::Bound(..) => family == Family::Decimal || family == Family::Date,
                Facet::TotalDigits(_) | Facet::FractionDigits(_) => family == Family::Decimal,
            };
            if !applies {
                return Err(format!(
                    "facet {} does not apply to {}",
                    facet.name(),
                    self.name
                ));
            }
            if family == Family::Date && matches!(facet, Facet::Bound(..)) {
                return Err(format!(
                    "unsupported facet {} on a date/time type ({}): date ordering is not implemented",
                    facet.name(),
                    self.name
                ));
            }
            if let Facet::WhiteSpace(ws) = facet {
                whitespace = Some(*ws);
            }
        }
        if let Some(ws) = whitespace {
            if ws < self.whitespace {
                return Err(format!(
                    "whiteSpace {ws:?} would loosen {:?} inherited from {}",
                    self.whitespace, self.name
                ));
            }
            derived.whitespace = ws;
        }
        for facet in facets {
            match facet {
                Facet::Pattern(source) => step_patterns.push(Pattern::compile(&source)?),
                Facet::Enumeration(value) => step_enumeration.push(value),
                Facet::WhiteSpace(_) => {}
                Facet::Length(n) => {
                    narrow(&mut derived.length, n, "length", |old, new| old == new)?;
                }
                Facet::MinLength(n) => {
                    narrow(&mut derived.min_length, n, "minLength", |old, new| {
                        new >= old
                    })?;
                }
                Facet::MaxLength(n) => {
                    narrow(&mut derived.max_length, n, "maxLength", |old, new| {
                        new <= old
                    })?;
                }
                Facet::TotalDigits(n) => {
                    if n == 0 {
                        return Err("totalDigits must be a positive integer".to_owned());
                    }
                    narrow(&mut derived.total_digits, n, "totalDigits", |o, n| n <= o)?;
                }
                Facet::FractionDigits(n) => {
                    narrow(&mut derived.fraction_digits, n, "fractionDigits", |o, n| {
                        n <= o
                    })?;
                }
                Facet::Bound(kind, text) => {
                    let value = self.facet_value(&text, "bound")?;
                    derived.bounds.push((kind, value));
                }
            }
        }
        if let (Some(len), Some(min)) = (derived.length, derived.min_length) {
            if len < min {
                return Err("length is below minLength".to_owned());
            }
        }
        if let (Some(len), Some(max)) = (derived.length, derived.max_length) {
            if len > max {
                return Err("length is above maxLength".to_owned());
            }
        }
        if let (Some(min), Some(max)) = (derived.min_length, derived.max_length) {
            if min > max {
                return Err("minLength is above maxLength".to_owned());
            }
        }
        if let (Some(total), Some(fraction)) = (derived.total_digits, derived.fraction_digits) {
            if fraction > total {
                return Err("fractionDigits is above totalDigits".to_owned());
            }
        }
        if !step_patterns.is_empty() {
            derived.patterns.push(step_patterns);
        }
        if !step_enumeration.is_empty() {
            // Every enumeration value must itself be a valid value of the base type.
            let mut values = Vec::with_capacity(step_enumeration.len());
            for text in step_enumeration {
                values.push(self.facet_value(&text, "enumeration value")?);
            }
            derived.enumeration = Some(values);
        }
        Ok(derived)
    }

    /// Normalizes and checks a facet value against this (base) type.
    fn facet_value(&self, text: &str, what: &str) -> Result<FacetValue, String> {
        if let Err(e) = self.check(text) {
            return Err(format!(
                "{what} {} is not a valid {}: {}",
                quote(text),
                self.name,
                e.message
            ));
        }
        Ok(FacetValue {
            text: self.whitespace.apply(text).into_owned(),
        })
    }

    /// The value after this type's whiteSpace rule.
    pub fn normalize(&self, value: &str) -> String {
        self.whitespace.apply(value).into_owned()
    }

    /// Whether an instance value equals a `fixed` value, comparing in the value space
    /// (so `1.0` equals `1` for a decimal), as libxml2 does.
    pub fn same_value(&self, fixed: &str, value: &str) -> bool {
        let value = self.whitespace.apply(value);
        match (parse(self.builtin, fixed), parse(self.builtin, &value)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    fn has_pattern_or_enumeration(&self) -> bool {
        !self.patterns.is_empty() || self.enumeration.is_some()
    }

    /// Checks an instance value (element text or attribute value) against the type.
    pub fn check(&self, raw: &str) -> Result<(), ValueError> {
        if !self.has_pattern_or_enumeration() && self.builtin.rejects_untrimmed(raw) {
            return Err(self.datatype_error(raw));
        }
        let value = self.whitespace.apply(raw);
        let value = value.as_ref();
        let Some(parsed) = parse(self.builtin, value) else {
            return Err(self.datatype_error(value));
        };
        self.check_lengths(value, &parsed)?;
        for step in &self.patterns {
            if !step.iter().any(|p| p.is_match(value)) {
                let sources: Vec<&str> = step.iter().map(Pattern::source).collect();
                return Err(ValueError {
                    rule: Rule::Pattern,
                    message: format!(
                        "value {} does not match pattern '{}'",
                        quote(value),
                        sources.join("' or '")
                    ),
                });
            }
        }
        if let Some(enumeration) = &self.enumeration {
            let found = enumeration
                .iter()
                .any(|e| e.parsed(self.builtin) == Some(parsed));
            if !found {
                let allowed: Vec<&str> = enumeration.iter().map(|e| e.text.as_str()).collect();
                return Err(ValueError {
                    rule: Rule::Enumeration,
                    message: format!(
                        "value {} is not one of {{{}}}",
                        quote(value),
                        allowed.join(", ")
                    ),
                });
            }
        }
        if let Parsed::Decimal(d) = parsed {
            self.check_decimal(value, d)?;
        }
        Ok(())
    }

    fn datatype_error(&self, value: &str) -> ValueError {
        ValueError {
            rule: Rule::Datatype(self.builtin.name()),
            message: format!(
                "value {} is not a valid xs:{}",
                quote(value),
                self.builtin.name()
            ),
        }
    }

    fn check_lengths(&self, value: &str, parsed: &Parsed<'_>) -> Result<(), ValueError> {
        if self.length.is_none() && self.min_length.is_none() && self.max_length.is_none() {
            return Ok(());
        }
        let (length, unit) = match (self.builtin, parsed) {
            (Builtin::HexBinary, _) => (value.len() / 2, "octets"),
            (Builtin::Base64Binary, _) => (
                lexical::base64_binary_octets(value).unwrap_or_default(),
                "octets",
            ),
            _ => (value.chars().count(), "characters"),
        };
        let fail = |rule, what: &str, n: usize| ValueError {
            rule,
            message: format!("value {} has {length} {unit}, {what} {n}", quote(value)),
        };
        if let Some(n) = self.length {
            if length != n {
                return Err(fail(Rule::Length, "required length is", n));
            }
        }
        if let Some(n) = self.min_length {
            if length < n {
                return Err(fail(Rule::MinLength, "minimum length is", n));
            }
        }
        if let Some(n) = self.max_length {
            if length > n {
                return Err(fail(Rule::MaxLength, "maximum length is", n));
            }
        }
        Ok(())
    }

    fn check_decimal(&self, value: &str, d: Decimal<'_>) -> Result<(), ValueError> {
        for (kind, bound) in &self.bounds {
            let Some(Parsed::Decimal(b)) = bound.parsed(self.builtin) else {
                continue;
            };
            let ok = match kind {
                BoundKind::MinInclusive => d >= b,
                BoundKind::MaxInclusive => d <= b,
                BoundKind::MinExclusive => d > b,
                BoundKind::MaxExclusive => d < b,
            };
            if !ok {
                return Err(ValueError {
                    rule: kind.rule(),
                    message: format!(
                        "value {} is {} {}",
                        quote(value),
                        kind.describe(),
                        bound.text
                    ),
                });
            }
        }
        if let Some(n) = self.total_digits {
            if d.total_digits() > n {
                return Err(ValueError {
                    rule: Rule::TotalDigits,
                    message: format!("value {} has more than {n} digits", quote(value)),
                });
            }
        }
        if let Some(n) = self.fraction_digits {
            if d.fraction_digits() > n {
                return Err(ValueError {
                    rule: Rule::FractionDigits,
                    message: format!("value {} has more than {n} fraction digits", quote(value)),
                });
            }
        }
        Ok(())
    }
}

/// Tightens an optional length-like facet; refuses a derived value that would widen the base.
fn narrow(
    slot: &mut Option<usize>,
    new: usize,
    name: &str,
    is_narrower: impl Fn(usize, usize) -> bool,
) -> Result<(), String> {
    if let Some(old) = *slot {
        if !is_narrower(old, new) {
            return Err(format!(
                "facet {name} {new} is not a valid restriction of the base type's {name} {old}"
            ));
        }
    }
    *slot = Some(new);
    Ok(())
}

/// Parses a normalized value in a built-in's lexical space, including the built-in's own
/// range restrictions (int, unsignedShort, …).
fn parse(builtin: Builtin, value: &str) -> Option<Parsed<'_>> {
    Some(match builtin.family() {
        Family::String => Parsed::Text(value),
        Family::Uri => {
            if !lexical::is_any_uri(value) {
                return None;
            }
            Parsed::Text(value)
        }
        Family::Boolean => Parsed::Boolean(lexical::parse_boolean(value)?),
        Family::Decimal if builtin == Builtin::Decimal => Parsed::Decimal(Decimal::parse(value)?),
        Family::Decimal => {
            // libxml2 accepts no sign at all on the unsigned types ("+1" and "-0" fail).
            if builtin.is_unsigned() && value.starts_with(['+', '-']) {
                return None;
            }
            let d = Decimal::parse_integer(value)?;
            if let Some((min, max)) = builtin.range() {
                let below = Decimal::parse_integer(min).is_some_and(|min| d < min);
                let above =
                    !max.is_empty() && Decimal::parse_integer(max).is_some_and(|max| d > max);
                if below || above {
                    return None;
                }
            }
            debug_assert!(builtin.is_integer());
            Parsed::Decimal(d)
        }
        Family::Date => Parsed::Date(match builtin {
            Builtin::Date => lexical::parse_date(value)?,
            Builtin::DateTime => lexical::parse_date_time(value)?,
            Builtin::Time => lexical::parse_time(value)?,
            _ => lexical::parse_g_year(value)?,
        }),
        Family::Binary => {
            if builtin == Builtin::HexBinary {
                lexical::hex_binary_octets(value)?;
                Parsed::Hex(value)
            } else {
                lexical::base64_binary_octets(value)?;
                Parsed::Base64(value)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restricted(builtin: Builtin, facets: Vec<Facet>) -> SimpleType {
        SimpleType::builtin(builtin)
            .restrict("T".to_owned(), facets)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn rule_of(ty: &SimpleType, value: &str) -> Option<Rule> {
        ty.check(value).err().map(|e| e.rule)
    }

    #[test]
    fn every_builtin_accepts_a_typical_value_and_rejects_garbage() {
        let cases = [
            (Builtin::String, "any thing", None),
            (Builtin::NormalizedString, "a b", None),
            (Builtin::Token, "a b", None),
            (Builtin::Boolean, "true", Some("yes")),
            (Builtin::Decimal, "-12.50", Some("1,5")),
            (Builtin::Integer, "-123", Some("1.0")),
            (Builtin::Int, "2147483647", Some("2147483648")),
            (
                Builtin::Long,
                "-9223372036854775808",
                Some("9223372036854775808"),
            ),
            (Builtin::Short, "-32768", Some("32768")),
            (Builtin::Byte, "127", Some("128")),
            (Builtin::NonNegativeInteger, "0", Some("-1")),
            (Builtin::PositiveInteger, "1", Some("0")),
            (Builtin::UnsignedInt, "4294967295", Some("4294967296")),
            (Builtin::UnsignedShort, "65535", Some("65536")),
            (
                Builtin::UnsignedLong,
                "18446744073709551615",
                Some("18446744073709551616"),
            ),
            (Builtin::UnsignedByte, "255", Some("256")),
            (Builtin::UnsignedByte, "007", Some("+7")),
            (Builtin::UnsignedInt, "0", Some("-0")),
            (Builtin::NonNegativeInteger, "-0", Some("-1")),
            (Builtin::Date, "2020-02-29", Some("2021-02-29")),
            (
                Builtin::DateTime,
                "2021-03-01T10:00:00Z",
                Some("2021-03-01"),
            ),
            (Builtin::Time, "10:00:00", Some("10:00")),
            (Builtin::GYear, "2021", Some("21")),
            (Builtin::Base64Binary, "YWJj", Some("YWJ")),
            (Builtin::HexBinary, "0A0b", Some("0A0")),
            (
                Builtin::AnyUri,
                "http://example.org/a",
                Some("http://x/%zz"),
            ),
        ];
        for (builtin, good, bad) in cases {
            let ty = SimpleType::builtin(builtin);
            assert!(
                ty.check(good).is_ok(),
                "{good} should be a valid {builtin:?}"
            );
            if let Some(bad) = bad {
                assert_eq!(
                    rule_of(&ty, bad),
                    Some(Rule::Datatype(builtin.name())),
                    "{bad} should not be a valid {builtin:?}"
                );
            }
        }
    }

    #[test]
    fn builtin_whitespace_rules_apply_before_checking() {
        assert!(SimpleType::builtin(Builtin::Integer).check(" 12\n").is_ok());
        assert!(SimpleType::builtin(Builtin::Boolean)
            .check(" true ")
            .is_ok());
        let token = restricted(Builtin::Token, vec![Facet::MaxLength(3)]);
        assert!(token.check("  a  b ").is_ok());
        let nstring = restricted(
            Builtin::NormalizedString,
            vec![Facet::Pattern("a b".into())],
        );
        assert!(nstring.check("a\tb").is_ok());
        let string = restricted(Builtin::String, vec![Facet::Enumeration("a".into())]);
        assert_eq!(rule_of(&string, " a"), Some(Rule::Enumeration));
    }

    #[test]
    fn libxml2_rejects_untrimmed_ints_and_dates_without_pattern_or_enumeration() {
        assert!(SimpleType::builtin(Builtin::Int).check(" 1").is_err());
        assert!(SimpleType::builtin(Builtin::Date)
            .check("2020-01-01 ")
            .is_err());
        let with_pattern = restricted(Builtin::Date, vec![Facet::Pattern(r"\d{4}-.*".into())]);
        assert!(with_pattern.check(" 2020-01-01 ").is_ok());
        let with_enum = restricted(Builtin::Int, vec![Facet::Enumeration("1".into())]);
        assert!(with_enum.check(" 1 ").is_ok());
    }

    #[test]
    fn length_facets_count_characters_or_octets() {
        let s = restricted(Builtin::String, vec![Facet::Length(3)]);
        assert!(s.check("àbc").is_ok());
        assert_eq!(rule_of(&s, "ab"), Some(Rule::Length));
        let min = restricted(Builtin::String, vec![Facet::MinLength(2)]);
        assert_eq!(rule_of(&min, "a"), Some(Rule::MinLength));
        let max = restricted(Builtin::String, vec![Facet::MaxLength(2)]);
        assert_eq!(rule_of(&max, "abc"), Some(Rule::MaxLength));
        let hex = restricted(Builtin::HexBinary, vec![Facet::Length(2)]);
        assert!(hex.check("0aff").is_ok());
        assert_eq!(rule_of(&hex, "0a"), Some(Rule::Length));
        let b64 = restricted(Builtin::Base64Binary, vec![Facet::MaxLength(2)]);
        assert!(b64.check("YWI=").is_ok());
        assert_eq!(rule_of(&b64, "YWJj"), Some(Rule::MaxLength));
    }

    #[test]
    fn patterns_of_every_step_must_match() {
        let base = restricted(Builtin::String, vec![Facet::Pattern("[a-z]+".into())]);
        let derived = base
            .restrict(
                "D".into(),
                vec![Facet::Pattern("a.*".into()), Facet::Pattern("b.*".into())],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(derived.check("abc").is_ok() && derived.check("bcd").is_ok());
        assert_eq!(rule_of(&derived, "cde"), Some(Rule::Pattern));
        assert_eq!(rule_of(&derived, "aB"), Some(Rule::Pattern));
    }

    #[test]
    fn the_most_derived_enumeration_wins_and_compares_values() {
        let base = restricted(
            Builtin::Token,
            vec![
                Facet::Enumeration("A".into()),
                Facet::Enumeration("B".into()),
            ],
        );
        let derived = base
            .restrict("D".into(), vec![Facet::Enumeration("A".into())])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(derived.check(" A ").is_ok());
        assert_eq!(rule_of(&derived, "B"), Some(Rule::Enumeration));
        let numbers = restricted(Builtin::Decimal, vec![Facet::Enumeration("1.0".into())]);
        assert!(numbers.check("01").is_ok());
        assert!(base
            .restrict("bad".into(), vec![Facet::Enumeration("C".into())])
            .is_err());
    }

    #[test]
    fn numeric_bounds_and_digits() {
        let ty = restricted(
            Builtin::NonNegativeInteger,
            vec![Facet::Bound(BoundKind::MaxInclusive, "100".into())],
        );
        assert!(ty.check("100").is_ok());
        assert_eq!(rule_of(&ty, "101"), Some(Rule::MaxInclusive));
        assert_eq!(
            rule_of(&ty, "-1"),
            Some(Rule::Datatype("nonNegativeInteger"))
        );
        let excl = restricted(
            Builtin::Decimal,
            vec![
                Facet::Bound(BoundKind::MinExclusive, "0".into()),
                Facet::Bound(BoundKind::MaxExclusive, "1".into()),
            ],
        );
        assert!(excl.check("0.5").is_ok());
        assert_eq!(rule_of(&excl, "0"), Some(Rule::MinExclusive));
        assert_eq!(rule_of(&excl, "1.0"), Some(Rule::MaxExclusive));
        let incl = restricted(
            Builtin::Int,
            vec![Facet::Bound(BoundKind::MinInclusive, "-5".into())],
        );
        assert_eq!(rule_of(&incl, "-6"), Some(Rule::MinInclusive));
        let digits = restricted(
            Builtin::Decimal,
            vec![Facet::TotalDigits(5), Facet::FractionDigits(2)],
        );
        assert!(digits.check("123.45").is_ok() && digits.check("0001.500").is_ok());
        assert_eq!(rule_of(&digits, "1234.56"), Some(Rule::TotalDigits));
        assert_eq!(rule_of(&digits, "1.234"), Some(Rule::FractionDigits));
    }

    #[test]
    fn invalid_restrictions_are_refused() {
        let s = SimpleType::builtin(Builtin::String);
        let int = SimpleType::builtin(Builtin::Int);
        assert!(s.restrict("x".into(), vec![Facet::TotalDigits(2)]).is_err());
        assert!(int.restrict("x".into(), vec![Facet::MaxLength(2)]).is_err());
        assert!(int
            .restrict(
                "x".into(),
                vec![Facet::Bound(BoundKind::MaxInclusive, "abc".into())]
            )
            .is_err());
        assert!(int
            .restrict("x".into(), vec![Facet::Enumeration("1.5".into())])
            .is_err());
        assert!(SimpleType::builtin(Builtin::Token)
            .restrict("x".into(), vec![Facet::WhiteSpace(WhiteSpace::Preserve)])
            .is_err());
        let max = restricted(Builtin::String, vec![Facet::MaxLength(5)]);
        assert!(max.restrict("x".into(), vec![Facet::MaxLength(6)]).is_err());
        assert!(SimpleType::builtin(Builtin::Date)
            .restrict(
                "x".into(),
                vec![Facet::Bound(BoundKind::MinInclusive, "2020-01-01".into())]
            )
            .is_err());
        assert!(s
            .restrict("x".into(), vec![Facet::Pattern("[".into())])
            .is_err());
    }

    #[test]
    fn whitespace_facet_on_strings() {
        let collapsed = restricted(
            Builtin::String,
            vec![Facet::WhiteSpace(WhiteSpace::Collapse), Facet::Length(3)],
        );
        assert!(collapsed.check(" abc ").is_ok());
        assert_eq!(WhiteSpace::Collapse.apply(" a \t\n b "), "a b");
        assert_eq!(WhiteSpace::Replace.apply("a\tb\n"), "a b ");
    }

    #[test]
    fn quoted_values_are_truncated() {
        let long = "x".repeat(200);
        assert!(quote(&long).chars().count() < 70);
        assert_eq!(quote("abc"), "'abc'");
        assert_eq!(quote("a\nb\tc\u{1}"), "'a\\nb\\tc\\u{1}'");
    }
}
