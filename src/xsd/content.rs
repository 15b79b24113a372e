//! Content models (`xs:sequence` / `xs:choice` with occurrence bounds, and `xs:all`) compiled
//! into deterministic automata.
//!
//! A particle tree is expanded (occurrence bounds become copies; `unbounded` becomes a loop)
//! into a Glushkov automaton — one position per element occurrence, with the positions that
//! may follow it — and determinized by subset construction. XSD's Unique Particle Attribution
//! rule is checked on the way: in any reachable state, one element name must lead to copies of
//! a single particle. (libxml2 2.9 accepts some models that break UPA; we refuse them.)
//! Validation is then one small table scan per child element, with no counters.

use std::collections::{BTreeSet, HashMap};

use super::model::ElementId;

/// Most positions a content model may expand to; large finite `maxOccurs` on big groups
/// would otherwise blow up the automaton.
const MAX_POSITIONS: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxOccurs {
    Bounded(u32),
    Unbounded,
}

/// A particle of a content model, as the schema writes it.
#[derive(Debug, Clone)]
pub enum Particle {
    Element {
        element: ElementId,
        min: u32,
        max: MaxOccurs,
    },
    Sequence {
        items: Vec<Particle>,
        min: u32,
        max: MaxOccurs,
    },
    Choice {
        items: Vec<Particle>,
        min: u32,
        max: MaxOccurs,
    },
}

/// A deterministic automaton over child element declarations; state 0 is the start.
#[derive(Debug, Clone)]
pub struct Automaton {
    states: Vec<State>,
}

#[derive(Debug, Clone)]
struct State {
    /// (element declaration, next state); at most one entry per expanded name.
    transitions: Box<[(ElementId, u32)]>,
    accepting: bool,
}

/// `xs:all`: each member at most once, in any order.
#[derive(Debug, Clone)]
pub struct AllGroup {
    /// (element declaration, required)
    pub members: Vec<(ElementId, bool)>,
    /// `minOccurs="0"` on the group: no children at all is also fine.
    pub optional: bool,
}

/// Most members an `xs:all` group may have (the validator tracks them in a `u128`).
pub const MAX_ALL_MEMBERS: usize = 128;

impl Automaton {
    pub const START: u32 = 0;

    /// The next state after a child named (namespace, local), if the model allows it here.
    pub fn step<'n>(
        &self,
        state: u32,
        namespace: &str,
        local: &str,
        name_of: impl Fn(ElementId) -> (&'n str, &'n str),
    ) -> Option<(ElementId, u32)> {
        self.states
            .get(state as usize)?
            .transitions
            .iter()
            .copied()
            .find(|&(e, _)| {
                let (ns, l) = name_of(e);
                l == local && ns == namespace
            })
    }

    pub fn is_accepting(&self, state: u32) -> bool {
        self.states.get(state as usize).is_some_and(|s| s.accepting)
    }

    /// Declarations that may come next in this state, for messages.
    pub fn expected(&self, state: u32) -> impl Iterator<Item = ElementId> + '_ {
        self.states
            .get(state as usize)
            .into_iter()
            .flat_map(|s| s.transitions.iter().map(|&(e, _)| e))
    }
}

/// Expanded regular expression over positions.
enum Re {
    Empty,
    Position(u32),
    Sequence(Vec<Re>),
    Choice(Vec<Re>),
    Optional(Box<Re>),
    OneOrMore(Box<Re>),
}

/// Most states the determinized automaton may have.
const MAX_STATES: usize = 10_000;

/// Marks the start in a set of positions (no real position has this index).
const START_POSITION: u32 = u32::MAX;

/// A position of the expanded expression: the declaration it matches and the particle of the
/// schema it is a copy of.
#[derive(Clone, Copy)]
struct Position {
    element: ElementId,
    particle: usize,
}

/// Builds the deterministic automaton for a particle, or explains why the model violates
/// Unique Particle Attribution (or is too large). `name_of` gives a declaration's expanded
/// name.
///
/// The expansion may hold several copies of one particle (`(a?){2}` has two), which can
/// compete without breaking UPA — it is the same particle either way — so the Glushkov
/// automaton is determinized by subset construction, and only two *different* particles
/// competing for the same element name is refused.
pub fn build<'a>(
    particle: &Particle,
    name_of: impl Fn(ElementId) -> (&'a str, &'a str),
) -> Result<Automaton, String> {
    let mut positions: Vec<Position> = Vec::new();
    let re = expand(particle, &mut positions)?;
    let mut follow: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); positions.len()];
    let info = glushkov(&re, &mut follow);

    let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut subsets: Vec<Vec<u32>> = vec![vec![START_POSITION]];
    index.insert(vec![START_POSITION], 0);
    let mut states: Vec<State> = Vec::new();
    while let Some(subset) = subsets.get(states.len()).cloned() {
        // Successor positions grouped by expanded name, in position order.
        let mut groups: Vec<((&str, &str), Vec<u32>)> = Vec::new();
        let mut successors: BTreeSet<u32> = BTreeSet::new();
        for &p in &subset {
            match p {
                START_POSITION => successors.extend(info.first.iter().copied()),
                p => successors.extend(follow[p as usize].iter().copied()),
            }
        }
        for p in successors {
            let name = name_of(positions[p as usize].element);
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, group)) => group.push(p),
                None => groups.push((name, vec![p])),
            }
        }
        let mut transitions = Vec::with_capacity(groups.len());
        for ((_, local), group) in groups {
            let first = positions[group[0] as usize];
            if group
                .iter()
                .any(|&p| positions[p as usize].particle != first.particle)
            {
                return Err(format!(
                    "content model is not deterministic: element '{local}' can match two \
                     different particles (Unique Particle Attribution)"
                ));
            }
            let next = match index.get(&group) {
                Some(&state) => state,
                None => {
                    if subsets.len() >= MAX_STATES {
                        return Err(format!(
                            "content model too complex: more than {MAX_STATES} automaton states"
                        ));
                    }
                    let state = subsets.len() as u32;
                    index.insert(group.clone(), state);
                    subsets.push(group);
                    state
                }
            };
            transitions.push((first.element, next));
        }
        let accepting = subset.iter().any(|&p| match p {
            START_POSITION => info.nullable,
            p => info.last.contains(&p),
        });
        states.push(State {
            transitions: transitions.into_boxed_slice(),
            accepting,
        });
    }
    Ok(Automaton { states })
}

fn expand(particle: &Particle, positions: &mut Vec<Position>) -> Result<Re, String> {
    let (min, max) = match particle {
        Particle::Element { min, max, .. }
        | Particle::Sequence { min, max, .. }
        | Particle::Choice { min, max, .. } => (*min, *max),
    };
    if let MaxOccurs::Bounded(max) = max {
        if max < min {
            return Err("maxOccurs is less than minOccurs".to_owned());
        }
        if max == 0 {
            return Ok(Re::Empty);
        }
    }
    let once = |positions: &mut Vec<Position>| -> Result<Re, String> {
        match particle {
            Particle::Element { element, .. } => {
                if positions.len() >= MAX_POSITIONS {
                    return Err(format!(
                        "content model too large: more than {MAX_POSITIONS} element positions \
                         after expanding minOccurs/maxOccurs"
                    ));
                }
                positions.push(Position {
                    element: *element,
                    // The particle's address identifies it: the tree is borrowed, unmoving,
                    // for the whole build.
                    particle: std::ptr::from_ref(particle) as usize,
                });
                Ok(Re::Position(positions.len() as u32 - 1))
            }
            Particle::Sequence { items, .. } => Ok(Re::Sequence(
                items
                    .iter()
                    .map(|p| expand(p, positions))
                    .collect::<Result<_, _>>()?,
            )),
            Particle::Choice { items, .. } => {
                if items.is_empty() {
                    return Err("an empty xs:choice matches nothing".to_owned());
                }
                Ok(Re::Choice(
                    items
                        .iter()
                        .map(|p| expand(p, positions))
                        .collect::<Result<_, _>>()?,
                ))
            }
        }
    };
    let mut parts = Vec::new();
    for _ in 0..min {
        parts.push(once(positions)?);
    }
    match max {
        MaxOccurs::Unbounded => match parts.pop() {
            Some(last) => parts.push(Re::OneOrMore(Box::new(last))),
            None => parts.push(Re::Optional(Box::new(Re::OneOrMore(Box::new(once(
                positions,
            )?))))),
        },
        MaxOccurs::Bounded(max) => {
            // Optional copies nest — (x (x (x)?)?)? — so the expansion stays deterministic.
            let copies = (min..max)
                .map(|_| once(positions))
                .collect::<Result<Vec<_>, _>>()?;
            let mut tail: Option<Re> = None;
            for copy in copies.into_iter().rev() {
                tail = Some(Re::Optional(Box::new(match tail {
                    None => copy,
                    Some(t) => Re::Sequence(vec![copy, t]),
                })));
            }
            parts.extend(tail);
        }
    }
    Ok(match parts.len() {
        0 => Re::Empty,
        1 => parts.pop().unwrap_or(Re::Empty),
        _ => Re::Sequence(parts),
    })
}

struct Info {
    nullable: bool,
    first: BTreeSet<u32>,
    last: BTreeSet<u32>,
}

/// Computes nullable/first/last of `re` and adds its internal follow edges.
fn glushkov(re: &Re, follow: &mut [BTreeSet<u32>]) -> Info {
    match re {
        Re::Empty => Info {
            nullable: true,
            first: BTreeSet::new(),
            last: BTreeSet::new(),
        },
        Re::Position(p) => Info {
            nullable: false,
            first: BTreeSet::from([*p]),
            last: BTreeSet::from([*p]),
        },
        Re::Sequence(items) => {
            let mut result = Info {
                nullable: true,
                first: BTreeSet::new(),
                last: BTreeSet::new(),
            };
            for item in items {
                let info = glushkov(item, follow);
                for &p in &result.last {
                    follow[p as usize].extend(info.first.iter().copied());
                }
                if result.nullable {
                    result.first.extend(info.first.iter().copied());
                }
                if info.nullable {
                    result.last.extend(info.last);
                } else {
                    result.last = info.last;
                }
                result.nullable &= info.nullable;
            }
            result
        }
        Re::Choice(items) => {
            let mut result = Info {
                nullable: false,
                first: BTreeSet::new(),
                last: BTreeSet::new(),
            };
            for item in items {
                let info = glushkov(item, follow);
                result.nullable |= info.nullable;
                result.first.extend(info.first);
                result.last.extend(info.last);
            }
            result
        }
        Re::Optional(inner) => {
            let mut info = glushkov(inner, follow);
            info.nullable = true;
            info
        }
        Re::OneOrMore(inner) => {
            let info = glushkov(inner, follow);
            for &p in &info.last {
                follow[p as usize].extend(info.first.iter().copied());
            }
            info
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 4] = ["a", "b", "c", "d"];

    fn name_of(e: ElementId) -> (&'static str, &'static str) {
        ("urn:t", NAMES[e as usize])
    }

    fn el(name: &str, min: u32, max: Option<u32>) -> Particle {
        Particle::Element {
            element: NAMES.iter().position(|n| *n == name).unwrap_or(0) as u32,
            min,
            max: max.map_or(MaxOccurs::Unbounded, MaxOccurs::Bounded),
        }
    }

    fn seq(items: Vec<Particle>, min: u32, max: Option<u32>) -> Particle {
        Particle::Sequence {
            items,
            min,
            max: max.map_or(MaxOccurs::Unbounded, MaxOccurs::Bounded),
        }
    }

    fn choice(items: Vec<Particle>, min: u32, max: Option<u32>) -> Particle {
        Particle::Choice {
            items,
            min,
            max: max.map_or(MaxOccurs::Unbounded, MaxOccurs::Bounded),
        }
    }

    fn accepts(model: &Particle, children: &str) -> bool {
        let automaton = build(model, name_of).unwrap_or_else(|e| panic!("{e}"));
        let mut state = Automaton::START;
        for child in children.split_whitespace() {
            match automaton.step(state, "urn:t", child, name_of) {
                Some((_, next)) => state = next,
                None => return false,
            }
        }
        automaton.is_accepting(state)
    }

    #[test]
    fn plain_sequence_with_optional_and_repeated_elements() {
        let m = seq(
            vec![el("a", 1, Some(1)), el("b", 0, Some(1)), el("c", 1, None)],
            1,
            Some(1),
        );
        assert!(accepts(&m, "a c") && accepts(&m, "a b c c c"));
        assert!(!accepts(&m, "a") && !accepts(&m, "b c") && !accepts(&m, "a b b c"));
        assert!(!accepts(&m, "c a"));
    }

    #[test]
    fn repeated_sequence_with_optional_tail() {
        // (a, b?)+
        let m = seq(vec![el("a", 1, Some(1)), el("b", 0, Some(1))], 1, None);
        for ok in ["a", "a b", "a a", "a b a", "a b a b a"] {
            assert!(accepts(&m, ok), "{ok}");
        }
        for bad in ["", "b", "a b b", "b a"] {
            assert!(!accepts(&m, bad), "{bad}");
        }
    }

    #[test]
    fn choice_of_sequences_with_bounds() {
        // ((a, b) | (c, d?)){1,2}
        let m = choice(
            vec![
                seq(vec![el("a", 1, Some(1)), el("b", 1, Some(1))], 1, Some(1)),
                seq(vec![el("c", 1, Some(1)), el("d", 0, Some(1))], 1, Some(1)),
            ],
            1,
            Some(2),
        );
        for ok in ["a b", "c", "c d", "a b c", "c d a b", "c c"] {
            assert!(accepts(&m, ok), "{ok}");
        }
        for bad in ["", "a", "a b a b a b", "c c c", "d"] {
            assert!(!accepts(&m, bad), "{bad}");
        }
    }

    #[test]
    fn bounded_occurrences_are_counted() {
        let m = seq(vec![el("a", 2, Some(4))], 1, Some(1));
        assert!(!accepts(&m, "a"));
        assert!(accepts(&m, "a a") && accepts(&m, "a a a a"));
        assert!(!accepts(&m, "a a a a a"));
        let nested = seq(
            vec![
                seq(vec![el("a", 1, Some(1))], 0, Some(3)),
                el("b", 1, Some(1)),
            ],
            1,
            Some(1),
        );
        assert!(accepts(&nested, "b") && accepts(&nested, "a a a b"));
        assert!(!accepts(&nested, "a a a a b"));
    }

    #[test]
    fn max_occurs_zero_removes_the_particle() {
        let m = seq(vec![el("a", 0, Some(0)), el("b", 1, Some(1))], 1, Some(1));
        assert!(accepts(&m, "b") && !accepts(&m, "a b"));
        let empty = seq(vec![], 1, Some(1));
        let automaton = build(&empty, name_of).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(automaton.expected(Automaton::START).count(), 0);
        assert!(automaton.is_accepting(Automaton::START));
    }

    #[test]
    fn ambiguous_models_are_refused() {
        // (a?, a): the first 'a' could be either particle.
        let m = seq(vec![el("a", 0, Some(1)), el("a", 1, Some(1))], 1, Some(1));
        assert!(build(&m, name_of).is_err());
        // (a | (a, b))
        let m = choice(
            vec![
                el("a", 1, Some(1)),
                seq(vec![el("a", 1, Some(1)), el("b", 1, Some(1))], 1, Some(1)),
            ],
            1,
            Some(1),
        );
        assert!(build(&m, name_of).is_err());
        // (a*, b?, a)
        let m = seq(
            vec![el("a", 0, None), el("b", 0, Some(1)), el("a", 1, Some(1))],
            1,
            Some(1),
        );
        assert!(build(&m, name_of).is_err());
        // (a, b?){2}: deterministic, must be accepted.
        let m = seq(vec![el("a", 1, Some(1)), el("b", 0, Some(1))], 2, Some(2));
        assert!(build(&m, name_of).is_ok());
        // (a | a): two particles for one name.
        let m = choice(vec![el("a", 1, Some(1)), el("a", 1, Some(1))], 1, Some(1));
        assert!(build(&m, name_of).is_err());
    }

    #[test]
    fn copies_of_one_particle_may_compete() {
        // (a?){2}: the same particle in either iteration is not a UPA violation.
        let m = seq(vec![el("a", 0, Some(1))], 2, Some(2));
        for ok in ["", "a", "a a"] {
            assert!(accepts(&m, ok), "{ok}");
        }
        assert!(!accepts(&m, "a a a"));
        // ((a, b?) | c?){1,3}
        let m = choice(
            vec![
                seq(vec![el("a", 1, Some(1)), el("b", 0, Some(1))], 1, Some(1)),
                el("c", 0, Some(1)),
            ],
            1,
            Some(3),
        );
        for ok in ["", "a", "a b c", "c c c", "a a a"] {
            assert!(accepts(&m, ok), "{ok}");
        }
        assert!(!accepts(&m, "c c c c") && !accepts(&m, "b"));
    }

    #[test]
    fn expected_lists_the_next_possible_children() {
        let m = seq(
            vec![
                el("a", 1, Some(1)),
                choice(vec![el("b", 1, Some(1)), el("c", 1, Some(1))], 1, Some(1)),
            ],
            1,
            Some(1),
        );
        let automaton = build(&m, name_of).unwrap_or_else(|e| panic!("{e}"));
        let (_, s) = automaton
            .step(Automaton::START, "urn:t", "a", name_of)
            .unwrap_or((0, 0));
        let names: Vec<&str> = automaton.expected(s).map(|e| name_of(e).1).collect();
        assert_eq!(names, ["b", "c"]);
    }

    #[test]
    fn huge_expansions_are_refused() {
        let m = seq(vec![el("a", 0, Some(1000))], 0, Some(1000));
        assert!(build(&m, name_of).is_err());
    }
}
