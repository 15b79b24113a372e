//! XSD 1.0 regular expressions (XML Schema Part 2, appendix F) translated to the `regex` crate.
//!
//! XSD patterns are implicitly anchored, know no `^`/`$` anchors (both are plain characters),
//! and define `.`, `\s`, `\d`, `\w` their own way; a naive pass-through would accept and reject
//! the wrong values. We parse the XSD grammar and emit an equivalent Rust regex, so any pattern
//! that is not valid XSD is refused when the schema is compiled, never at validation time.

use regex::Regex;

/// A compiled `xs:pattern` facet: the XSD source (for messages) and its translation.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub(crate) source: String,
    pub(crate) regex: Regex,
}

impl Pattern {
    /// Translates and compiles an XSD pattern; the error explains what is wrong with it.
    pub fn compile(source: &str) -> Result<Pattern, String> {
        let translated = translate(source)?;
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| format!("pattern '{source}' cannot be compiled: {e}"))?;
        Ok(Pattern {
            source: source.to_owned(),
            regex,
        })
    }

    /// Whether the whole value matches (XSD patterns are anchored at both ends).
    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Translates an XSD regular expression into an anchored `regex`-crate expression.
pub fn translate(source: &str) -> Result<String, String> {
    let mut parser = Parser {
        chars: source.chars().collect(),
        pos: 0,
        source,
    };
    let mut out = String::with_capacity(source.len() * 2 + 8);
    out.push_str(r"\A(?:");
    parser.reg_exp(&mut out)?;
    if let Some(c) = parser.peek() {
        return Err(parser.error(&format!("unexpected '{c}'")));
    }
    out.push_str(r")\z");
    Ok(out)
}

/// XSD's `\s`: exactly the four XML whitespace characters.
const SPACE_CLASS: &str = r"\x20\t\n\r";
/// XSD's `\w`: everything except punctuation, separators and "other" characters.
const WORD_NEGATED_ITEMS: &str = r"\p{P}\p{Z}\p{C}";

/// Unicode general categories XSD allows in `\p{..}` (block names `Is…` are refused).
const CATEGORIES: &[&str] = &[
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc",
    "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C",
    "Cc", "Cf", "Co", "Cn",
];

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    source: &'a str,
}

/// One member of a character class: a single character (usable as a range end) or a
/// ready-made class fragment such as `\p{Nd}`.
enum ClassAtom {
    Char(char),
    Fragment(String),
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn error(&self, what: &str) -> String {
        format!(
            "invalid pattern '{}': {what} at character {}",
            self.source,
            self.pos + 1
        )
    }

    fn reg_exp(&mut self, out: &mut String) -> Result<(), String> {
        self.branch(out)?;
        while self.peek() == Some('|') {
            self.pos += 1;
            out.push('|');
            self.branch(out)?;
        }
        Ok(())
    }

    fn branch(&mut self, out: &mut String) -> Result<(), String> {
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.piece(out)?;
        }
        Ok(())
    }

    fn piece(&mut self, out: &mut String) -> Result<(), String> {
        self.atom(out)?;
        match self.peek() {
            Some(q @ ('?' | '*' | '+')) => {
                self.pos += 1;
                out.push(q);
            }
            Some('{') => {
                self.pos += 1;
                let min = self.number()?;
                let max = if self.peek() == Some(',') {
                    self.pos += 1;
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if self.next() != Some('}') {
                    return Err(self.error("expected '}' closing a quantifier"));
                }
                match max {
                    Some(max) if max < min => {
                        return Err(self.error("quantifier maximum below its minimum"))
                    }
                    Some(max) if max == min => out.push_str(&format!("{{{min}}}")),
                    Some(max) => out.push_str(&format!("{{{min},{max}}}")),
                    None => out.push_str(&format!("{{{min},}}")),
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn number(&mut self) -> Result<u32, String> {
        let start = self.pos;
        while matches!(self.peek(), Some('0'..='9')) {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.error("expected a number in a quantifier"));
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        digits
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= 1000)
            .ok_or_else(|| self.error("quantifier bound above 1000"))
    }

    fn atom(&mut self, out: &mut String) -> Result<(), String> {
        let Some(c) = self.next() else {
            return Err(self.error("unexpected end"));
        };
        match c {
            '(' => {
                out.push_str("(?:");
                self.reg_exp(out)?;
                if self.next() != Some(')') {
                    return Err(self.error("missing ')'"));
                }
                out.push(')');
            }
            '[' => {
                let class = self.class_expr()?;
                out.push_str(&class);
            }
            '.' => out.push_str(r"[^\n\r]"),
            '\\' => match self.escape()? {
                ClassAtom::Char(c) => push_literal(out, c),
                ClassAtom::Fragment(f) => {
                    out.push('[');
                    out.push_str(&f);
                    out.push(']');
                }
            },
            '?' | '*' | '+' | '{' | '}' | ')' | ']' => {
                self.pos -= 1;
                return Err(self.error(&format!("unexpected '{c}'")));
            }
            c => push_literal(out, c),
        }
        Ok(())
    }

    /// Parses after a backslash; returns a single character or a class fragment
    /// (the fragment is valid inside `[...]`).
    fn escape(&mut self) -> Result<ClassAtom, String> {
        let Some(c) = self.next() else {
            return Err(self.error("pattern ends with a lone '\\'"));
        };
        Ok(match c {
            'n' => ClassAtom::Char('\n'),
            'r' => ClassAtom::Char('\r'),
            't' => ClassAtom::Char('\t'),
            '\\' | '|' | '.' | '?' | '*' | '+' | '(' | ')' | '{' | '}' | '-' | '[' | ']' | '^' => {
                ClassAtom::Char(c)
            }
            's' => ClassAtom::Fragment(SPACE_CLASS.to_owned()),
            'S' => ClassAtom::Fragment(format!("[^{SPACE_CLASS}]")),
            'd' => ClassAtom::Fragment(r"\p{Nd}".to_owned()),
            'D' => ClassAtom::Fragment(r"\P{Nd}".to_owned()),
            'w' => ClassAtom::Fragment(format!("[^{WORD_NEGATED_ITEMS}]")),
            'W' => ClassAtom::Fragment(WORD_NEGATED_ITEMS.to_owned()),
            'p' | 'P' => {
                if self.next() != Some('{') {
                    return Err(self.error("expected '{' after \\p"));
                }
                let start = self.pos;
                while matches!(self.peek(), Some(ch) if ch != '}') {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                if self.next() != Some('}') {
                    return Err(self.error("unterminated \\p{...}"));
                }
                if name.starts_with("Is") {
                    return Err(
                        self.error(&format!("unsupported Unicode block escape \\{c}{{{name}}}"))
                    );
                }
                if !CATEGORIES.contains(&name.as_str()) {
                    return Err(self.error(&format!("unknown character category '{name}'")));
                }
                ClassAtom::Fragment(format!("\\{c}{{{name}}}"))
            }
            'i' | 'I' | 'c' | 'C' => {
                return Err(self.error(&format!(
                    "unsupported multi-character escape \\{c} (XML name characters)"
                )))
            }
            other => return Err(self.error(&format!("invalid escape '\\{other}'"))),
        })
    }

    /// Parses a character class after its `[`, including negation and subtraction.
    fn class_expr(&mut self) -> Result<String, String> {
        let negated = if self.peek() == Some('^') {
            self.pos += 1;
            true
        } else {
            false
        };
        let mut items = String::new();
        let mut count = 0usize;
        let mut subtraction = None;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated character class"));
            };
            match c {
                ']' => {
                    self.pos += 1;
                    break;
                }
                '-' if self.peek_at(1) == Some('[') => {
                    if count == 0 {
                        return Err(
                            self.error("character class subtraction with nothing to subtract from")
                        );
                    }
                    self.pos += 2;
                    subtraction = Some(self.class_expr()?);
                    if self.next() != Some(']') {
                        return Err(self.error("a subtraction must end its character class"));
                    }
                    break;
                }
                '-' if count == 0 || self.peek_at(1) == Some(']') => {
                    self.pos += 1;
                    push_class_char(&mut items, '-');
                    count += 1;
                }
                '-' => return Err(self.error("'-' must be escaped inside a character class")),
                '[' => return Err(self.error("'[' must be escaped inside a character class")),
                _ => {
                    let first = self.class_atom()?;
                    let is_range = self.peek() == Some('-')
                        && !matches!(self.peek_at(1), Some('[') | Some(']') | None);
                    match first {
                        ClassAtom::Char(lo) if is_range => {
                            self.pos += 1;
                            let hi = match self.class_atom()? {
                                ClassAtom::Char(hi) => hi,
                                ClassAtom::Fragment(_) => {
                                    return Err(self.error("a range cannot end with a class escape"))
                                }
                            };
                            if hi < lo {
                                return Err(self.error("character range out of order"));
                            }
                            push_class_char(&mut items, lo);
                            items.push('-');
                            push_class_char(&mut items, hi);
                        }
                        ClassAtom::Char(c) => push_class_char(&mut items, c),
                        ClassAtom::Fragment(_) if is_range => {
                            return Err(self.error("a range cannot start with a class escape"))
                        }
                        ClassAtom::Fragment(f) => items.push_str(&f),
                    }
                    count += 1;
                }
            }
        }
        if count == 0 {
            return Err(self.error("empty character class"));
        }
        let base = if negated {
            format!("[^{items}]")
        } else {
            format!("[{items}]")
        };
        Ok(match subtraction {
            Some(sub) => format!("[{base}--{sub}]"),
            None => base,
        })
    }

    fn class_atom(&mut self) -> Result<ClassAtom, String> {
        match self.next() {
            Some('\\') => self.escape(),
            Some(c) => Ok(ClassAtom::Char(c)),
            None => Err(self.error("unterminated character class")),
        }
    }
}

/// Appends a character that must match itself outside a class.
fn push_literal(out: &mut String, c: char) {
    push_escaped(out, c);
}

/// Appends a character that must match itself inside a class.
fn push_class_char(out: &mut String, c: char) {
    push_escaped(out, c);
}

/// Escapes ASCII punctuation (the `regex` crate accepts `\` before any of it) and control
/// characters; everything else stands for itself.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str(r"\n"),
        '\r' => out.push_str(r"\r"),
        '\t' => out.push_str(r"\t"),
        ' ' => out.push_str(r"\x20"),
        c if c.is_ascii_punctuation() => {
            out.push('\\');
            out.push(c);
        }
        c if c.is_control() => out.push_str(&format!("\\x{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, value: &str) -> bool {
        Pattern::compile(pattern)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_match(value)
    }

    #[test]
    fn patterns_are_anchored_at_both_ends() {
        assert!(matches("[0-9]{3}", "123"));
        assert!(!matches("[0-9]{3}", "1234"));
        assert!(!matches("[0-9]{3}", "x123"));
        assert!(!matches("abc", "abc\n"));
    }

    #[test]
    fn caret_and_dollar_are_plain_characters() {
        assert!(matches("^a$", "^a$"));
        assert!(!matches("^a$", "a"));
        assert!(matches("[$^]+", "$^"));
    }

    #[test]
    fn dot_excludes_only_newline_and_carriage_return() {
        assert!(matches(".", "x"));
        assert!(matches(".", "\t"));
        assert!(!matches(".", "\n"));
        assert!(!matches(".", "\r"));
    }

    #[test]
    fn multi_char_escapes_follow_xsd() {
        assert!(matches(r"\s", " ") && matches(r"\s", "\t"));
        assert!(!matches(r"\s", "\u{a0}"));
        assert!(matches(r"\S", "\u{a0}"));
        assert!(matches(r"\d", "7") && matches(r"\d", "\u{663}"));
        assert!(!matches(r"\d", "a"));
        assert!(matches(r"\D", "a"));
        assert!(matches(r"\w", "a") && matches(r"\w", "é") && matches(r"\w", "+"));
        assert!(!matches(r"\w", "-") && !matches(r"\w", " ") && !matches(r"\w", "."));
        assert!(matches(r"\W", "-"));
    }

    #[test]
    fn categories_and_their_complements() {
        assert!(matches(r"\p{Lu}+", "ABC"));
        assert!(!matches(r"\p{Lu}+", "AbC"));
        assert!(matches(r"\P{Lu}+", "abc"));
        assert!(matches(r"[\p{L}\d]+", "aB3"));
    }

    #[test]
    fn character_classes_ranges_negation_and_subtraction() {
        assert!(matches("[a-c]+", "abcab"));
        assert!(matches("[^a-c]", "d"));
        assert!(!matches("[^a-c]", "a"));
        assert!(matches("[-a]", "-") && matches("[a-]", "-"));
        assert!(matches(r"[a-z-[aeiou]]+", "bcd"));
        assert!(!matches(r"[a-z-[aeiou]]", "e"));
        assert!(matches(r"[\-\[\]]+", "-[]"));
        assert!(matches(r"[\s\d]+", " 1\t2"));
    }

    #[test]
    fn quantifiers_and_groups() {
        assert!(matches("(ab)+", "abab"));
        assert!(!matches("(ab)+", "aba"));
        assert!(matches("a{2,}", "aaa"));
        assert!(matches("a{0,1}b", "b"));
        assert!(matches("x|yz", "yz"));
        assert!(matches("(A|B){2}", "AB"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }

    #[test]
    fn typical_service_patterns() {
        let cf = "[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]";
        assert!(matches(cf, "RSSMRA80A01H501U"));
        assert!(!matches(cf, "RSSMRA80A01H501"));
        let pin = "[A-Za-z0-9+/]{171}=|[A-Za-z0-9+/]{342}==";
        assert!(matches(pin, &format!("{}=", "A".repeat(171))));
        assert!(!matches(pin, &format!("{}=", "A".repeat(170))));
    }

    #[test]
    fn invalid_patterns_are_refused() {
        for bad in [
            "(",
            "a)",
            "[a",
            "[]",
            "a{2,1}",
            "*a",
            "a**",
            "[z-a]",
            r"\",
            r"\q",
            r"\p{Foo}",
            "a{",
            "[a-[b]]x]",
            "a{1001}",
        ] {
            assert!(
                Pattern::compile(bad).is_err(),
                "pattern {bad:?} should be refused"
            );
        }
    }

    #[test]
    fn unsupported_escapes_are_refused_with_a_reason() {
        for (pattern, reason) in [
            (r"\i\c*", "multi-character escape"),
            (r"\p{IsBasicLatin}", "block"),
        ] {
            let err = Pattern::compile(pattern).expect_err(pattern);
            assert!(err.contains(reason), "{err}");
        }
    }
}
