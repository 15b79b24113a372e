//! Finds a repeated attribute name on one element in time linear in the names' total size:
//! a few names are compared pairwise, more go into a hash set. (quick-xml's own check compares
//! each name with all earlier ones, so 80,000 attributes cost over three billion comparisons.)

use std::collections::HashSet;

use super::work::Work;

/// Up to this many names, pairwise comparison is cheaper than hashing.
const PAIRWISE: usize = 8;

/// A name as two parts: (namespace, local) for expanded names, ("", qname) for raw ones.
type Key<'a> = (&'a [u8], &'a [u8]);

pub struct Unique<'a> {
    few: [Key<'a>; PAIRWISE],
    len: usize,
    many: Option<HashSet<Key<'a>>>,
}

impl<'a> Unique<'a> {
    pub fn new() -> Unique<'a> {
        Unique {
            few: [(&[], &[]); PAIRWISE],
            len: 0,
            many: None,
        }
    }

    /// Adds `key`; false if it was already there.
    pub fn insert(&mut self, key: Key<'a>, work: &mut Work) -> bool {
        work.add(key.0.len() + key.1.len() + 1);
        if let Some(many) = &mut self.many {
            return many.insert(key);
        }
        for seen in &self.few[..self.len] {
            work.add(1 + common_prefix(seen.0, key.0) + common_prefix(seen.1, key.1));
            if *seen == key {
                return false;
            }
        }
        if self.len < PAIRWISE {
            self.few[self.len] = key;
            self.len += 1;
            return true;
        }
        work.add(self.len);
        let mut many: HashSet<Key<'a>> = self.few.iter().copied().collect();
        many.insert(key);
        self.many = Some(many);
        true
    }
}

/// Bytes a comparison of `a` and `b` looks at before it can tell them apart.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_found_among_few_and_many() {
        for count in [3usize, 50] {
            let names: Vec<String> = (0..count).map(|i| format!("a{i}")).collect();
            let mut work = Work::new();
            let mut unique = Unique::new();
            for name in &names {
                assert!(unique.insert((b"", name.as_bytes()), &mut work), "{name}");
            }
            assert!(!unique.insert((b"", b"a1"), &mut work));
            assert!(unique.insert((b"urn:x", b"a1"), &mut work));
            assert!(!unique.insert((b"urn:x", b"a1"), &mut work));
        }
    }
}
