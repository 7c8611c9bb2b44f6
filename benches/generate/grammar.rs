//! Sentence frames. A frame has typed argument slots (a person, a verb, a
//! number...) and several wordings ("variants") of the same statement with
//! other function words and another word order, so a rewrite can say the same
//! thing differently. Parts (a filled frame), sentences and their rendering.

use crate::lexicon::Lexicon;
use crate::story::{Cast, Stock, StockTok, Story};

/// Real English function words (those the frames use and more); pseudo-words
/// never take one of these spellings.
pub const FUNCTION_WORDS: &[&str] = &[
    "a",
    "about",
    "according",
    "across",
    "after",
    "ago",
    "all",
    "also",
    "amid",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "both",
    "but",
    "by",
    "could",
    "during",
    "each",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "however",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "last",
    "least",
    "may",
    "meanwhile",
    "might",
    "more",
    "most",
    "much",
    "must",
    "no",
    "not",
    "nothing",
    "of",
    "on",
    "one",
    "or",
    "our",
    "over",
    "said",
    "she",
    "should",
    "since",
    "so",
    "some",
    "than",
    "that",
    "the",
    "their",
    "there",
    "they",
    "this",
    "though",
    "to",
    "under",
    "up",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "will",
    "with",
    "within",
    "without",
    "would",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slot {
    Person,
    Place,
    Noun,
    Verb,
    Adj,
    Count,
    Pct,
    Money,
    Day,
    Date,
    Year,
    Stock,
}

impl Slot {
    fn from_letter(c: char) -> Slot {
        match c {
            'P' => Slot::Person,
            'L' => Slot::Place,
            'N' => Slot::Noun,
            'V' => Slot::Verb,
            'A' => Slot::Adj,
            'C' => Slot::Count,
            'Q' => Slot::Pct,
            'M' => Slot::Money,
            'D' => Slot::Day,
            'T' => Slot::Date,
            'Y' => Slot::Year,
            'S' => Slot::Stock,
            _ => panic!("unknown slot letter {c:?}"),
        }
    }

    /// Rough words this slot renders to, for length estimates.
    fn words(self) -> u8 {
        match self {
            Slot::Person | Slot::Money | Slot::Date => 2,
            Slot::Stock => 9,
            _ => 1,
        }
    }

    pub fn is_content(self) -> bool {
        matches!(self, Slot::Noun | Slot::Verb | Slot::Adj | Slot::Stock)
    }

    pub fn is_figure(self) -> bool {
        matches!(self, Slot::Count | Slot::Pct | Slot::Money)
    }
}

/// A slot's filler. Numbers mean what their slot says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arg {
    Empty,
    /// Lexicon word and whether it is misspelt.
    Word(u32, bool),
    /// Event-specific term of the cast, and whether its synonym is used.
    Unique(u16, bool),
    Person(u16),
    Place(u16),
    Num(u32),
    /// Stock phrase of the cast, and a mask of its words replaced by synonyms.
    Stock(u16, u16),
}

#[derive(Clone, Copy, Debug)]
enum Piece {
    /// Start and length in `Grammar::lits`.
    Text(u32, u8),
    /// Argument index and inflected form.
    Arg(u8, u8),
}

pub struct Variant {
    pieces: Vec<Piece>,
    pub words: u8,
}

pub struct Frame {
    pub sig: Vec<Slot>,
    pub variants: Vec<Variant>,
    /// Quote frames: variants `0..direct` are direct speech, the rest reported.
    pub direct: u8,
    /// Modifiers: put a comma before this one at the end of a sentence.
    pub comma: bool,
    /// Modifiers: what it says, and how often it goes in front.
    pub class: ModClass,
    pub front: f64,
}

/// A filled frame.
#[derive(Clone, Copy, Debug)]
pub struct Part {
    pub frame: u16,
    pub variant: u8,
    pub args: [Arg; 5],
}

#[derive(Clone, Copy, Debug)]
pub struct Modifier {
    pub part: Part,
    pub front: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct Quote {
    pub speaker: u16,
    pub say: u8,
    pub form: u8,
    pub direct: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct Sentence {
    pub para_start: bool,
    pub quote: Option<Quote>,
    pub clauses: [Part; 3],
    pub n_clauses: u8,
    /// Connector before clauses 1 and 2: (group, member) of `CONNECTORS`.
    pub conns: [(u8, u8); 2],
    pub mods: [Modifier; 2],
    pub n_mods: u8,
}

pub const CONNECTORS: &[&[&str]] = &[
    &[", and ", ", while ", ", as ", ", and at the same time "],
    &[", but ", ", although ", ", though ", ", yet "],
    &[" because ", " since ", ", given that "],
];
pub const SAY: &[&str] = &[
    "said",
    "added",
    "noted",
    "warned",
    "explained",
    "insisted",
    "argued",
    "stated",
];
pub const DIRECT_FORMS: u8 = 4;
pub const REPORTED_FORMS: u8 = 3;

const DAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Statements: slots, then wordings. `$i` is slot i; after a noun `s` makes
/// the plural, after a verb `d` the past (and participle), `z` the third
/// person, `g` the gerund; after an adjective `y` makes the adverb.
const CLAUSES: &[(&str, &[&str])] = &[
    (
        "P V N L",
        &[
            "$0 $1d the $2 in $3",
            "in $3, $0 $1d the $2",
            "the $2 in $3 was $1d by $0",
            "$0 has $1d a $2 in $3",
        ],
    ),
    (
        "A N V C N",
        &[
            "the $0 $1 $2d $3 $4s",
            "$3 $4s were $2d by the $0 $1",
            "as many as $3 $4s have been $2d by the $0 $1",
        ],
    ),
    (
        "N L V Q Y",
        &[
            "the $0 in $1 has $2d by $3 since $4",
            "since $4, the $0 in $1 has $2d by about $3",
            "$1 has seen its $0 $2 by $3 since $4",
        ],
    ),
    (
        "P N V N",
        &[
            "$0 said the $1 would $2 the $3",
            "the $3 will be $2d by the $1, $0 said",
            "according to $0, the $1 is set to $2 the $3",
        ],
    ),
    (
        "M V N P",
        &[
            "$0 was $1d for the $2, $3 said",
            "$3 said that $0 had been $1d for the $2",
            "the $2 is to receive $0, which $3 has $1d",
        ],
    ),
    (
        "N V A N L",
        &[
            "the $0 $1d a $2 $3 across $4",
            "across $4, a $2 $3 was $1d by the $0",
            "a $2 $3 has been $1d throughout $4 by the $0",
        ],
    ),
    (
        "P V N D",
        &[
            "$0 $1d the $2 on $3",
            "on $3, $0 $1d the $2",
            "the $2 was $1d by $0 on $3",
        ],
    ),
    (
        "C N V L",
        &[
            "at least $0 $1s were $2d in $3",
            "in $3, no fewer than $0 $1s were $2d",
            "officials in $3 said $0 $1s had been $2d",
        ],
    ),
    (
        "N A V N",
        &[
            "the $0 was $1 and could $2 the $3",
            "the $0, which was $1, may $2 the $3",
            "critics say the $1 $0 might $2 the $3",
        ],
    ),
    (
        "P P V N",
        &[
            "$0 and $1 $2d the $3",
            "the $3 was $2d by $0 and $1",
            "$0 joined $1 to $2 the $3",
        ],
    ),
    (
        "N V N T",
        &[
            "the $0 $1d the $2 on $3",
            "on $3 the $0 $1d a $2",
            "the $2 had been $1d by the $0 by $3",
        ],
    ),
    (
        "P V A N",
        &[
            "$0 is $1g a $2 $3",
            "$0 is currently $1g a $2 $3",
            "a $2 $3 is being $1d by $0",
        ],
    ),
    (
        "N V N Q",
        &[
            "the $0 $1d $3 of the $2",
            "about $3 of the $2 was $1d by the $0",
            "the $0 has $1d nearly $3 of the $2",
        ],
    ),
    (
        "L N V A",
        &[
            "the $1 of $0 was $2d as $3",
            "officials $2d the $1 in $0 as $3",
            "in $0, the $1 was widely $2d as $3",
        ],
    ),
    (
        "P N Y",
        &[
            "$0 has led the $1 since $2",
            "since $2, $0 has been in charge of the $1",
            "$0 took over the $1 in $2",
        ],
    ),
    (
        "N V P A",
        &[
            "the $0 was $1d $3y by $2",
            "$2 $3y $1d the $0",
            "$2 has $3y $1d the $0",
        ],
    ),
    (
        "C N L D",
        &[
            "$0 $1s gathered in $2 on $3",
            "on $3, some $0 $1s gathered in $2",
            "about $0 $1s were seen in $2 on $3",
        ],
    ),
    (
        "N V N N",
        &[
            "the $0 will $1 the $2 and the $3",
            "both the $2 and the $3 will be $1d by the $0",
            "the $0 plans to $1 the $2 as well as the $3",
        ],
    ),
    (
        "A N V N",
        &[
            "the $0 $1 $2z the $3",
            "the $3 is $2d by the $0 $1",
            "it is the $0 $1 that $2z the $3",
        ],
    ),
    (
        "N M Y",
        &[
            "the $0 cost $1 in $2",
            "in $2, the $0 cost some $1",
            "the $0 was worth $1 in $2",
        ],
    ),
    (
        "P L V N",
        &[
            "$0 travelled to $1 to $2 the $3",
            "$0 visited $1 and $2d the $3",
            "in $1, $0 sought to $2 the $3",
        ],
    ),
    (
        "N N V A",
        &[
            "the $0 of the $1 has $2d $3y",
            "the $1 has seen its $0 $2 $3y",
            "there has been a $3 $2 in the $0 of the $1",
        ],
    ),
    (
        "P V N N",
        &[
            "$0 wants to $1 the $2 before the $3",
            "before the $3, $0 hopes to $1 the $2",
            "$0 is expected to $1 the $2 ahead of the $3",
        ],
    ),
    (
        "N V C N",
        &[
            "the $0 $1d $2 new $3s last year",
            "last year the $0 $1d some $2 new $3s",
            "$2 new $3s were $1d by the $0 in the past year",
        ],
    ),
    (
        "P A N",
        &[
            "$0 described the $2 as $1",
            "the $2 was $1, in the words of $0",
            "$0 called the $2 $1",
        ],
    ),
    (
        "L V N Q",
        &[
            "$0 $1d its $2 by $3",
            "the $2 of $0 was $1d by $3",
            "$0 saw its $2 $1d by as much as $3",
        ],
    ),
    (
        "A N N V",
        &[
            "a $0 $1 over the $2 has $3d",
            "the $2 has $3d a $0 $1",
            "there was a $0 $1 as the $2 $3d",
        ],
    ),
    (
        "P V N A",
        &[
            "$0 $1d that the $2 was $3",
            "the $2 was $3, $0 $1d",
            "$0 has $1d the $2 as $3",
        ],
    ),
];

/// Statements that plant a stock phrase of the topic.
const STOCK_CLAUSES: &[(&str, &[&str])] = &[
    (
        "P S",
        &[
            "$0 has been at the centre of $1",
            "$1 has put $0 under growing pressure",
            "$0 remains closely tied to $1",
        ],
    ),
    (
        "S N",
        &[
            "the $1 comes amid $0",
            "amid $0, the $1 has drawn fresh attention",
            "the $1 is the latest turn in $0",
        ],
    ),
    (
        "P V S",
        &["$0 $1d $2", "$2 was $1d by $0", "$0 has repeatedly $1d $2"],
    ),
];

/// Quoted statements: slots, direct wordings, reported wordings.
const QUOTES: &[(&str, &[&str], &[&str])] = &[
    (
        "V N",
        &[
            "we will $0 the $1",
            "our aim is to $0 the $1",
            "we intend to $0 the $1",
        ],
        &["they would $0 the $1", "the aim was to $0 the $1"],
    ),
    (
        "N A",
        &[
            "the $0 is very $1",
            "this $0 is extremely $1",
            "what we see is a $1 $0",
        ],
        &["the $0 was very $1", "the $0 had become $1"],
    ),
    (
        "V N L",
        &[
            "we have $0d the $1 in $2",
            "in $2 we $0d the $1",
            "the $1 in $2 has been $0d",
        ],
        &["they had $0d the $1 in $2", "the $1 in $2 had been $0d"],
    ),
    (
        "N V",
        &[
            "nobody wants to $1 the $0",
            "no one needs to $1 the $0",
            "the $0 should not be $1d",
        ],
        &[
            "no one wanted to $1 the $0",
            "the $0 should not have been $1d",
        ],
    ),
    (
        "A N V",
        &[
            "this is a $0 $1 and we will $2 it",
            "it is a $0 $1 that we must $2",
            "we must $2 this $0 $1",
        ],
        &[
            "it was a $0 $1 that had to be $2d",
            "they had to $2 the $0 $1",
        ],
    ),
    (
        "N N",
        &[
            "a $0 means nothing without a $1",
            "without the $1, the $0 means nothing",
            "the $0 is worthless without the $1",
        ],
        &[
            "the $0 meant nothing without the $1",
            "without the $1 the $0 was worthless",
        ],
    ),
    (
        "C N V",
        &[
            "we have $2d $0 $1s so far",
            "so far $0 $1s have been $2d",
            "there are $0 $1s we need to $2",
        ],
        &["$0 $1s had been $2d so far", "they had $2d $0 $1s so far"],
    ),
    (
        "N Q",
        &[
            "the $0 is up by $1 and that matters",
            "a $1 rise in the $0 is not nothing",
            "we have seen the $0 grow by $1",
        ],
        &["the $0 had risen by $1", "the $0 grew by $1"],
    ),
];

/// What a modifier says; a sentence has at most one of each class.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ModClass {
    Time,
    Place,
    Source,
    Cause,
    Discourse,
    Stock,
}

/// A modifier: slots, wordings, class, how often it goes in front, and
/// whether a rewrite may insert it (it adds no new fact). At the end of a
/// sentence, sources and discourse markers take a comma.
struct ModSpec {
    sig: &'static str,
    variants: &'static [&'static str],
    class: ModClass,
    front: f64,
    insertable: bool,
}

const fn m(
    sig: &'static str,
    variants: &'static [&'static str],
    class: ModClass,
    front: f64,
    insertable: bool,
) -> ModSpec {
    ModSpec {
        sig,
        variants,
        class,
        front,
        insertable,
    }
}

const MODS: &[ModSpec] = &[
    m(
        "D",
        &["on $0", "earlier on $0", "late on $0"],
        ModClass::Time,
        0.4,
        false,
    ),
    m(
        "L",
        &["in $0", "across $0", "in the region of $0"],
        ModClass::Place,
        0.4,
        true,
    ),
    m(
        "",
        &[
            "last week",
            "earlier this month",
            "in recent days",
            "this week",
        ],
        ModClass::Time,
        0.5,
        false,
    ),
    m(
        "P",
        &["according to $0", "as $0 put it", "in the view of $0"],
        ModClass::Source,
        0.4,
        true,
    ),
    m(
        "N",
        &[
            "despite the $0",
            "in spite of the $0",
            "regardless of the $0",
        ],
        ModClass::Cause,
        0.6,
        true,
    ),
    m(
        "T",
        &["on $0", "as of $0", "by $0"],
        ModClass::Time,
        0.4,
        false,
    ),
    m(
        "",
        &["however", "meanwhile", "at the same time", "in addition"],
        ModClass::Discourse,
        0.9,
        true,
    ),
    m(
        "N",
        &[
            "after the $0",
            "following the $0",
            "in the aftermath of the $0",
        ],
        ModClass::Cause,
        0.6,
        true,
    ),
    m(
        "Y",
        &["in $0", "during $0", "back in $0"],
        ModClass::Time,
        0.5,
        false,
    ),
    m(
        "",
        &["officials said", "sources said", "it was reported"],
        ModClass::Source,
        0.05,
        true,
    ),
];

const STOCK_MODS: &[(&str, &[&str])] = &[(
    "S",
    &["amid $0", "in the wake of $0", "against the backdrop of $0"],
)];

const HEADLINES: &[(&str, &[&str])] = &[
    (
        "P V N L",
        &[
            "$0 $1z $2 in $3",
            "$3 $2 $1d by $0",
            "$0 to $1 $2 in $3",
            "$2 in $3: $0 $1z new plan",
            "$0 moves to $1 $3 $2",
        ],
    ),
    (
        "A N L",
        &[
            "$0 $1 in $2 sparks concern",
            "$2 faces $0 $1",
            "concern grows over $0 $1 in $2",
            "$2: the $0 $1 explained",
        ],
    ),
    (
        "P N",
        &[
            "$0 under pressure over $1",
            "$1 row: $0 speaks out",
            "what $0 said about the $1",
            "$0 defends $1",
        ],
    ),
];

/// Stock phrase shapes: `{N}` a topic noun (`{Ns}` plural), `{A}` an
/// adjective, `{V}` a verb, `{L}` a topic place.
pub const STOCK_SHAPES: &[&str] = &[
    "the long-running {N} over the {A} {N}",
    "the growing {N} between the {N} and the {A} {Ns}",
    "a wider {N} of {A} {Ns} across {L}",
    "the bitter {N} over {A} {Ns} and the {N}",
    "the so-called {A} {N} that has shaped the {N} of {L}",
    "efforts to {V} the {A} {N} at the heart of the {N}",
    "the {A} {N} that followed the {N} in {L}",
    "the ongoing {N} surrounding the {A} {N} and its {Ns}",
    "the decades-old {N} between {L} and {L}",
    "a series of {A} {Ns} linked to the {N}",
    "the wider row over {Ns} in the {A} {N}",
    "the {A} {N} of {L} and its {A} {Ns}",
];

pub struct Grammar {
    pub frames: Vec<Frame>,
    pub clauses: Vec<u16>,
    /// Clauses with a person slot (for leads).
    pub person_clauses: Vec<u16>,
    pub stock_clauses: Vec<u16>,
    pub quotes: Vec<u16>,
    pub mods: Vec<u16>,
    pub insertable_mods: Vec<u16>,
    pub stock_mods: Vec<u16>,
    pub headlines: Vec<u16>,
    /// The frames' literal text, padded for `put_padded`.
    lits: Vec<u8>,
}

fn parse_variant(sig: &[Slot], text: &'static str, lits: &mut Vec<u8>) -> Variant {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut words = 0u32;
    let mut lit_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            if lit_start < i {
                pieces.push(lit(lits, &text[lit_start..i], &mut words));
            }
            let idx = (bytes[i + 1] - b'0') as usize;
            let slot = sig[idx];
            i += 2;
            let mut form = 0u8;
            if i < bytes.len() && b"sdzgy".contains(&bytes[i]) {
                form = match (bytes[i], slot) {
                    (b's', Slot::Noun) | (b'd', Slot::Verb) | (b'y', Slot::Adj) => 1,
                    (b'z', Slot::Verb) => 2,
                    (b'g', Slot::Verb) => 3,
                    _ => panic!("bad inflection in {text:?}"),
                };
                i += 1;
            }
            pieces.push(Piece::Arg(idx as u8, form));
            words += slot.words() as u32;
            lit_start = i;
        } else {
            i += 1;
        }
    }
    if lit_start < bytes.len() {
        pieces.push(lit(lits, &text[lit_start..], &mut words));
    }
    Variant {
        pieces,
        words: words as u8,
    }
}

/// Stores literal text in the arena and counts its words.
fn lit(lits: &mut Vec<u8>, t: &str, words: &mut u32) -> Piece {
    *words += t
        .split(' ')
        .filter(|w| w.bytes().any(|b| b.is_ascii_alphabetic()))
        .count() as u32;
    let start = lits.len() as u32;
    lits.extend_from_slice(t.as_bytes());
    Piece::Text(start, t.len() as u8)
}

impl Grammar {
    pub fn new() -> Grammar {
        let mut g = Grammar {
            frames: Vec::new(),
            clauses: Vec::new(),
            person_clauses: Vec::new(),
            stock_clauses: Vec::new(),
            quotes: Vec::new(),
            mods: Vec::new(),
            insertable_mods: Vec::new(),
            stock_mods: Vec::new(),
            headlines: Vec::new(),
            lits: Vec::new(),
        };
        for (sig, variants) in CLAUSES {
            let id = g.add(sig, variants, &[], false);
            g.clauses.push(id);
            if g.frames[id as usize].sig.contains(&Slot::Person) {
                g.person_clauses.push(id);
            }
        }
        for (sig, variants) in STOCK_CLAUSES {
            let id = g.add(sig, variants, &[], false);
            g.stock_clauses.push(id);
        }
        for (sig, direct, reported) in QUOTES {
            let id = g.add(sig, direct, reported, false);
            g.quotes.push(id);
        }
        for spec in MODS {
            let comma = matches!(spec.class, ModClass::Source | ModClass::Discourse);
            let id = g.add(spec.sig, spec.variants, &[], comma);
            g.frames[id as usize].class = spec.class;
            g.frames[id as usize].front = spec.front;
            g.mods.push(id);
            if spec.insertable {
                g.insertable_mods.push(id);
            }
        }
        for (sig, variants) in STOCK_MODS {
            let id = g.add(sig, variants, &[], false);
            g.frames[id as usize].class = ModClass::Stock;
            g.stock_mods.push(id);
        }
        for (sig, variants) in HEADLINES {
            let id = g.add(sig, variants, &[], false);
            g.headlines.push(id);
        }
        g.lits.extend_from_slice(&[0; 16]);
        g
    }

    fn add(
        &mut self,
        sig: &str,
        variants: &[&'static str],
        reported: &[&'static str],
        comma: bool,
    ) -> u16 {
        let sig: Vec<Slot> = sig
            .split_whitespace()
            .map(|s| Slot::from_letter(s.chars().next().unwrap()))
            .collect();
        assert!(sig.len() <= 5, "at most five slots");
        let parsed = variants
            .iter()
            .chain(reported)
            .map(|v| parse_variant(&sig, v, &mut self.lits))
            .collect();
        self.frames.push(Frame {
            sig,
            variants: parsed,
            direct: if reported.is_empty() {
                0
            } else {
                variants.len() as u8
            },
            comma,
            class: ModClass::Time,
            front: 0.5,
        });
        (self.frames.len() - 1) as u16
    }

    pub fn frame(&self, id: u16) -> &Frame {
        &self.frames[id as usize]
    }

    pub fn part_words(&self, p: &Part) -> u32 {
        self.frame(p.frame).variants[p.variant as usize].words as u32
    }

    /// Estimated words of a sentence.
    pub fn sentence_words(&self, s: &Sentence) -> u32 {
        let mut n: u32 = s.clauses[..s.n_clauses as usize]
            .iter()
            .map(|c| self.part_words(c))
            .sum();
        n += s.mods[..s.n_mods as usize]
            .iter()
            .map(|m| self.part_words(&m.part))
            .sum::<u32>();
        n += s.n_clauses as u32 - 1;
        if s.quote.is_some() {
            n += 3;
        }
        n
    }
}

/// Lines a site adds around an article. A document gets some of them by
/// chance, independently of every other document.
pub const BOILERPLATE: &[&str] = &[
    "By Tamsin Orley",
    "By Dervan Kolt",
    "By Mirel Ashgrove",
    "Advertisement",
    "Share this article",
    "Leave A Comment",
    "We use cookies to give you the best experience on our website. By continuing to browse you agree to our use of cookies.",
    "Sign up for our daily newsletter",
    "Copyright Globe Media Ltd. All rights reserved.",
    "Follow us on Facebook and Twitter",
];
const BYLINES: usize = 3;

/// Which boilerplate lines a document carries and where.
#[derive(Clone, Copy, Debug, Default)]
pub struct Boilerplate {
    pub byline: Option<u8>,
    /// A line between two paragraphs: (line, after paragraph number).
    pub middle: Option<(u8, u8)>,
    pub tail: [Option<u8>; 2],
}

impl Boilerplate {
    pub fn draw(rng: &mut storydup::hash::SplitMix64, p: f64) -> Boilerplate {
        use crate::lexicon::{chance, range};
        let mut b = Boilerplate::default();
        if !chance(rng, p) {
            return b;
        }
        let others = BOILERPLATE.len() - BYLINES;
        let mut any = false;
        if chance(rng, 0.5) {
            b.byline = Some(rng.below(BYLINES as u64) as u8);
            any = true;
        }
        if chance(rng, 0.4) {
            b.middle = Some((BYLINES as u8, range(rng, 1, 4) as u8));
            any = true;
        }
        for t in 0..2 {
            if !any || chance(rng, 0.35) {
                b.tail[t] = Some((BYLINES + 1 + rng.below(others as u64 - 1) as usize) as u8);
                any = true;
            }
        }
        b
    }
}

fn push_u32(out: &mut Vec<u8>, mut v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put(out, &buf[i..]);
}

fn push_thousands(out: &mut Vec<u8>, v: u32) {
    if v >= 10_000 {
        push_u32(out, v / 1000);
        out.push(b',');
        let r = v % 1000;
        put(
            out,
            &[
                b'0' + (r / 100) as u8,
                b'0' + (r / 10 % 10) as u8,
                b'0' + (r % 10) as u8,
            ],
        );
    } else {
        push_u32(out, v);
    }
}

/// `v` in tenths: "14" or "3.5".
fn push_tenths(out: &mut Vec<u8>, v: u32) {
    push_u32(out, v / 10);
    if !v.is_multiple_of(10) {
        out.push(b'.');
        out.push(b'0' + (v % 10) as u8);
    }
}

/// Appends `s`; a plain loop beats a `memcpy` call for the short pieces that
/// make up a text.
#[inline]
fn put(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 16 {
        for &b in s {
            out.push(b);
        }
    } else {
        out.extend_from_slice(s);
    }
}

/// Appends `src[start..start + len]`, where `src` has at least 16 bytes
/// after `start`: short pieces are copied as one fixed 16-byte block and the
/// excess cut off, which is cheaper than a loop or a `memcpy` call.
#[inline]
fn put_padded(out: &mut Vec<u8>, src: &[u8], start: usize, len: usize) {
    if len <= 16 {
        let block: &[u8; 16] = src[start..start + 16].try_into().unwrap();
        let n = out.len();
        out.extend_from_slice(block);
        out.truncate(n + len);
    } else {
        out.extend_from_slice(&src[start..start + len]);
    }
}

fn capitalise_at(out: &mut [u8], pos: usize) {
    let pos = if out.get(pos) == Some(&b'"') {
        pos + 1
    } else {
        pos
    };
    if let Some(b) = out.get_mut(pos) {
        b.make_ascii_uppercase();
    }
}

/// Renders stories of one cast to text, tracking who has been named in full.
pub struct Renderer<'a> {
    lex: &'a Lexicon,
    g: &'a Grammar,
    cast: &'a Cast,
    mentioned: Vec<bool>,
    headline: bool,
}

impl<'a> Renderer<'a> {
    pub fn new(lex: &'a Lexicon, g: &'a Grammar, cast: &'a Cast) -> Renderer<'a> {
        Renderer {
            lex,
            g,
            cast,
            mentioned: vec![false; cast.people.len()],
            headline: false,
        }
    }

    pub fn story(&mut self, story: &Story, bp: &Boilerplate, out: &mut Vec<u8>) {
        self.mentioned.iter_mut().for_each(|m| *m = false);
        let start = out.len();
        self.headline = true;
        self.part(&story.headline, out);
        self.headline = false;
        capitalise_at(out, start);
        put(out, b"\n\n");
        if let Some(line) = bp.byline {
            put(out, BOILERPLATE[line as usize].as_bytes());
            put(out, b"\n\n");
        }
        let mut paragraph = 0u8;
        for (i, s) in story.sentences.iter().enumerate() {
            if i > 0 {
                if s.para_start {
                    paragraph += 1;
                    put(out, b"\n\n");
                    if let Some((line, after)) = bp.middle
                        && after == paragraph
                    {
                        put(out, BOILERPLATE[line as usize].as_bytes());
                        put(out, b"\n\n");
                    }
                } else {
                    out.push(b' ');
                }
            }
            self.sentence(s, out);
        }
        for line in bp.tail.iter().flatten() {
            put(out, b"\n\n");
            put(out, BOILERPLATE[*line as usize].as_bytes());
        }
    }

    fn clauses(&mut self, s: &Sentence, out: &mut Vec<u8>) {
        for c in 0..s.n_clauses as usize {
            if c > 0 {
                let (g, m) = s.conns[c - 1];
                put(out, CONNECTORS[g as usize][m as usize].as_bytes());
            }
            self.part(&s.clauses[c], out);
        }
    }

    fn sentence(&mut self, s: &Sentence, out: &mut Vec<u8>) {
        let start = out.len();
        match s.quote {
            None => {
                for m in s.mods[..s.n_mods as usize].iter().filter(|m| m.front) {
                    self.part(&m.part, out);
                    put(out, b", ");
                }
                self.clauses(s, out);
                for m in s.mods[..s.n_mods as usize].iter().filter(|m| !m.front) {
                    put(
                        out,
                        if self.g.frame(m.part.frame).comma {
                            b", "
                        } else {
                            b" "
                        },
                    );
                    self.part(&m.part, out);
                }
                out.push(b'.');
            }
            Some(q) => {
                let say = SAY[q.say as usize].as_bytes();
                let known = self.mentioned[q.speaker as usize];
                match (q.direct, q.form) {
                    (true, 2) => {
                        self.person(q.speaker, out);
                        out.push(b' ');
                        put(out, say);
                        put(out, b": \"");
                        let at = out.len();
                        self.clauses(s, out);
                        capitalise_at(out, at);
                        put(out, b".\"");
                    }
                    (true, form) => {
                        out.push(b'"');
                        self.clauses(s, out);
                        put(out, b",\" ");
                        match form {
                            1 => {
                                put(out, say);
                                out.push(b' ');
                                self.person(q.speaker, out);
                            }
                            3 if known => {
                                let female = self.cast.people[q.speaker as usize].female;
                                put(out, if female { b"she " } else { b"he " });
                                put(out, say);
                            }
                            _ => {
                                self.person(q.speaker, out);
                                out.push(b' ');
                                put(out, say);
                            }
                        }
                        out.push(b'.');
                    }
                    (false, 1) => {
                        put(out, b"according to ");
                        self.person(q.speaker, out);
                        put(out, b", ");
                        self.clauses(s, out);
                        out.push(b'.');
                    }
                    (false, form) => {
                        self.person(q.speaker, out);
                        out.push(b' ');
                        put(out, say);
                        put(out, if form == 0 { b" that " } else { b" " });
                        self.clauses(s, out);
                        out.push(b'.');
                    }
                }
            }
        }
        capitalise_at(out, start);
    }

    pub fn part(&mut self, p: &Part, out: &mut Vec<u8>) {
        let frame = self.g.frame(p.frame);
        for piece in &frame.variants[p.variant as usize].pieces {
            match *piece {
                Piece::Text(start, len) => {
                    put_padded(out, &self.g.lits, start as usize, len as usize)
                }
                Piece::Arg(i, form) => {
                    self.arg(frame.sig[i as usize], p.args[i as usize], form, out)
                }
            }
        }
    }

    fn person(&mut self, i: u16, out: &mut Vec<u8>) {
        let p = &self.cast.people[i as usize];
        if self.headline || self.mentioned[i as usize] {
            put(out, p.last.as_bytes());
        } else {
            self.mentioned[i as usize] = true;
            if let Some(role) = p.role {
                put(out, role.as_bytes());
                out.push(b' ');
            }
            put(out, p.first.as_bytes());
            out.push(b' ');
            put(out, p.last.as_bytes());
        }
    }

    fn arg(&mut self, slot: Slot, arg: Arg, form: u8, out: &mut Vec<u8>) {
        match arg {
            Arg::Empty => {}
            Arg::Word(id, typo) => {
                let (start, len) = self.lex.form_at(id, form);
                let at = out.len();
                put_padded(out, self.lex.text(), start, len);
                if typo && len >= 5 {
                    // Two letters swapped in the middle of the word.
                    let m = at + len / 2;
                    out.swap(m - 1, m);
                }
            }
            Arg::Unique(i, syn) => {
                self.cast.uniques[i as usize].write(syn, form, out);
            }
            Arg::Person(i) => self.person(i, out),
            Arg::Place(i) => put(out, self.cast.places[i as usize].as_bytes()),
            Arg::Num(v) => match slot {
                Slot::Count => push_thousands(out, v),
                Slot::Pct => {
                    push_tenths(out, v);
                    out.push(b'%');
                }
                Slot::Money => {
                    out.push(b'$');
                    if v >= 10_000 {
                        push_tenths(out, v / 1000);
                        put(out, b" billion");
                    } else {
                        push_tenths(out, v);
                        put(out, b" million");
                    }
                }
                Slot::Day => put(out, DAYS[v as usize % 7].as_bytes()),
                Slot::Date => {
                    put(out, MONTHS[(v / 31) as usize % 12].as_bytes());
                    out.push(b' ');
                    push_u32(out, v % 31 + 1);
                }
                _ => push_u32(out, v),
            },
            Arg::Stock(i, mask) => self.stock(&self.cast.stocks[i as usize], mask, out),
        }
    }

    fn stock(&self, stock: &Stock, mask: u16, out: &mut Vec<u8>) {
        let mut k = 0;
        for (i, tok) in stock.toks.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            match tok {
                StockTok::Lit(t) => put(out, t.as_bytes()),
                StockTok::Place(p) => put(out, p.as_bytes()),
                StockTok::Word(id, form) => {
                    let id = if mask >> k & 1 == 1 {
                        self.lex.first_synonym(*id)
                    } else {
                        *id
                    };
                    let (start, len) = self.lex.form_at(id, *form);
                    put_padded(out, self.lex.text(), start, len);
                    k += 1;
                }
            }
        }
    }
}
