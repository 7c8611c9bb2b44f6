//! Topics, the cast of a story, and stories: fresh ones and follow-ups that
//! recycle an earlier story's background.

use std::rc::Rc;

use storydup::hash::{SplitMix64 as Rng, mix64};

use crate::grammar::{
    Arg, CONNECTORS, DIRECT_FORMS, Grammar, ModClass, Modifier, Part, Quote, REPORTED_FORMS, SAY,
    STOCK_SHAPES, Sentence, Slot,
};
use crate::lexicon::{self, Lexicon, Person, Term, chance, pick, range, shuffle, skewed};

pub enum StockTok {
    Lit(&'static str),
    /// Lexicon word and form.
    Word(u32, u8),
    Place(Rc<str>),
}

/// A phrase many stories of one topic reuse word for word.
pub struct Stock {
    pub toks: Vec<StockTok>,
}

pub struct Topic {
    pub id: u32,
    pub people: Vec<Rc<Person>>,
    pub places: Vec<Rc<str>>,
    pub nouns: Vec<u32>,
    pub verbs: Vec<u32>,
    pub adjs: Vec<u32>,
    pub stocks: Vec<Rc<Stock>>,
}

/// Who and what one story (and its rewrites) can mention. A follow-up's cast
/// starts with its source's, so copied sentences keep their meaning; `focus`
/// is where its own people, places and terms start.
pub struct Cast {
    pub people: Vec<Rc<Person>>,
    pub places: Vec<Rc<str>>,
    pub uniques: Vec<Rc<Term>>,
    pub stocks: Vec<Rc<Stock>>,
    pub focus: [usize; 3],
}

#[derive(Clone)]
pub struct Story {
    pub topic: u32,
    pub cast: Rc<Cast>,
    pub headline: Part,
    pub sentences: Vec<Sentence>,
}

pub const MIN_SENTENCES: usize = 10;

/// The numbers that make a corpus shape. Ranges are `lo..=hi`.
pub struct Shape {
    pub name: &'static str,
    /// Documents per topic.
    pub docs_per_topic: usize,
    /// A topic's people and places (each list grows until it reaches a
    /// fresh draw, so it ends near the low end) and organisations, which
    /// play places.
    pub topic_people: (usize, usize),
    pub topic_places: (usize, usize),
    pub topic_orgs: (usize, usize),
    /// A fresh story's cast: draws from its topic's people and places, and
    /// new ones of its own.
    pub cast_people: (usize, usize),
    pub new_people: (usize, usize),
    pub cast_places: (usize, usize),
    pub new_places: (usize, usize),
    /// A fresh story's own terms, and the nouns that are topic words (below
    /// the first share), general words (below the second) or its own terms.
    pub uniques: (usize, usize),
    pub nouns: (f64, f64),
    /// Words of a fresh story; most words of a follow-up; most sentences.
    pub words: (usize, usize),
    pub followup_words: usize,
    pub max_sentences: usize,
    /// General words, and each topic's words, drawn by a Zipf law over the
    /// whole lexicon, rather than from its first words and from a block.
    pub zipf: bool,
}

impl Shape {
    /// The original corpus: 500 topics at 100,000 documents, each with a
    /// dozen names; stories of 250 to 900 words.
    pub const NEWS: Shape = Shape {
        name: "news",
        docs_per_topic: 200,
        topic_people: (4, 8),
        topic_places: (2, 4),
        topic_orgs: (0, 0),
        cast_people: (2, 4),
        new_people: (1, 3),
        cast_places: (1, 2),
        new_places: (0, 2),
        uniques: (6, 12),
        nouns: (0.5, 0.8),
        words: (250, 900),
        followup_words: 700,
        max_sentences: 40,
        zipf: false,
    };

    /// What real news looks like to the candidate stage: many small topics
    /// (2,000 at 100,000 documents) whose stories share about 40 rare names
    /// (people, places, organisations) and the topic's words, longer
    /// stories (about 4.3 KB a document) and a Zipfian vocabulary. Stories of
    /// one topic are different events that look alike: hard negatives.
    pub const STRESS: Shape = Shape {
        name: "stress",
        docs_per_topic: 50,
        topic_people: (20, 26),
        topic_places: (8, 12),
        topic_orgs: (8, 12),
        cast_people: (6, 10),
        new_people: (1, 2),
        cast_places: (3, 6),
        new_places: (0, 1),
        uniques: (2, 5),
        nouns: (0.55, 0.9),
        words: (340, 1100),
        followup_words: 920,
        max_sentences: 60,
        zipf: true,
    };
}

const EMPTY_PART: Part = Part {
    frame: 0,
    variant: 0,
    args: [Arg::Empty; 5],
};

pub fn empty_sentence() -> Sentence {
    Sentence {
        para_start: false,
        quote: None,
        clauses: [EMPTY_PART; 3],
        n_clauses: 0,
        conns: [(0, 0); 2],
        mods: [Modifier {
            part: EMPTY_PART,
            front: false,
        }; 2],
        n_mods: 0,
    }
}

/// Picks in `0..n`, preferring the story's own items from `focus` on.
fn focused(rng: &mut Rng, n: usize, focus: usize) -> usize {
    if focus < n && chance(rng, 0.65) {
        focus + skewed(rng, n - focus)
    } else {
        skewed(rng, n)
    }
}

pub struct Gen<'a> {
    pub lex: &'a Lexicon,
    pub g: &'a Grammar,
    pub shape: &'a Shape,
}

impl Gen<'_> {
    /// Topic `id` of the corpus seeded `seed`; topics in one group of three
    /// share some people and a place.
    pub fn topic(&self, seed: u64, id: u32) -> Topic {
        let group = id / 3;
        let mut grng = Rng::new(mix64(seed ^ 0x6772_6f75_7000_0000 ^ group as u64));
        let shared_people: Vec<Rc<Person>> = (0..3)
            .map(|_| Rc::new(lexicon::person(&mut grng)))
            .collect();
        let shared_place: Rc<str> = lexicon::place(&mut grng).into();
        let mut rng = Rng::new(mix64(seed ^ 0x746f_7069_6300_0000 ^ ((id as u64) << 8)));
        let rng = &mut rng;
        let mut people: Vec<Rc<Person>> = Vec::new();
        for p in &shared_people {
            if chance(rng, 0.4) {
                people.push(p.clone());
            }
        }
        let sh = self.shape;
        while people.len() < range(rng, sh.topic_people.0, sh.topic_people.1) {
            people.push(Rc::new(lexicon::person(rng)));
        }
        shuffle(rng, &mut people);
        let mut places: Vec<Rc<str>> = Vec::new();
        if chance(rng, 0.5) {
            places.push(shared_place);
        }
        while places.len() < range(rng, sh.topic_places.0, sh.topic_places.1) {
            places.push(lexicon::place(rng).into());
        }
        // Only shapes with organisations draw them (the news shape's random
        // stream stays as it was).
        if sh.topic_orgs.1 > 0 {
            for _ in 0..range(rng, sh.topic_orgs.0, sh.topic_orgs.1) {
                places.push(lexicon::organisation(rng).into());
            }
            shuffle(rng, &mut places);
        }
        // A block of the lexicon (synonyms stay topical), or, for a
        // Zipfian corpus, words drawn by the Zipf law.
        let lex = self.lex;
        let n = range(rng, 140, 200);
        let nouns = if sh.zipf {
            lex.zipf_nouns(rng, n)
        } else {
            lex.topical_nouns(rng, n)
        };
        let n = range(rng, 60, 90);
        let verbs = if sh.zipf {
            lex.zipf_verbs(rng, n)
        } else {
            lex.topical_verbs(rng, n)
        };
        let n = range(rng, 50, 80);
        let adjs = if sh.zipf {
            lex.zipf_adjs(rng, n)
        } else {
            lex.topical_adjs(rng, n)
        };
        let mut topic = Topic {
            id,
            people,
            places,
            nouns,
            verbs,
            adjs,
            stocks: Vec::new(),
        };
        for _ in 0..range(rng, 10, 20) {
            let shape = pick(rng, STOCK_SHAPES);
            let toks = shape
                .split(' ')
                .map(|t| match t {
                    "{N}" => StockTok::Word(topic.nouns[skewed(rng, topic.nouns.len())], 0),
                    "{Ns}" => StockTok::Word(topic.nouns[skewed(rng, topic.nouns.len())], 1),
                    "{A}" => StockTok::Word(topic.adjs[skewed(rng, topic.adjs.len())], 0),
                    "{V}" => StockTok::Word(topic.verbs[skewed(rng, topic.verbs.len())], 0),
                    "{L}" => StockTok::Place(pick(rng, &topic.places).clone()),
                    lit => StockTok::Lit(lit),
                })
                .collect();
            topic.stocks.push(Rc::new(Stock { toks }));
        }
        topic
    }

    fn draw(&self, rng: &mut Rng, slot: Slot, topic: &Topic, cast: &Cast) -> Arg {
        match slot {
            Slot::Person => Arg::Person(focused(rng, cast.people.len(), cast.focus[0]) as u16),
            Slot::Place => Arg::Place(focused(rng, cast.places.len(), cast.focus[1]) as u16),
            Slot::Noun => {
                let r = rng.unit();
                let (topical, general) = self.shape.nouns;
                if r < topical {
                    Arg::Word(
                        topic.nouns[skewed(rng, topic.nouns.len())],
                        chance(rng, 0.004),
                    )
                } else if r < general {
                    Arg::Word(self.general_noun(rng), chance(rng, 0.004))
                } else {
                    Arg::Unique(
                        focused(rng, cast.uniques.len(), cast.focus[2]) as u16,
                        false,
                    )
                }
            }
            Slot::Verb => Arg::Word(
                if chance(rng, 0.55) {
                    topic.verbs[skewed(rng, topic.verbs.len())]
                } else {
                    self.general_verb(rng)
                },
                chance(rng, 0.004),
            ),
            Slot::Adj => Arg::Word(
                if chance(rng, 0.5) {
                    topic.adjs[skewed(rng, topic.adjs.len())]
                } else {
                    self.general_adj(rng)
                },
                false,
            ),
            Slot::Count => Arg::Num(match rng.unit() {
                r if r < 0.7 => range(rng, 2, 99),
                r if r < 0.95 => range(rng, 100, 2000),
                _ => range(rng, 2001, 90_000),
            } as u32),
            Slot::Pct => Arg::Num(if chance(rng, 0.7) {
                range(rng, 1, 95) * 10
            } else {
                range(rng, 1, 999)
            } as u32),
            Slot::Money => Arg::Num(if chance(rng, 0.9) {
                range(rng, 5, 9000)
            } else {
                range(rng, 10_000, 90_000)
            } as u32),
            Slot::Day => Arg::Num(rng.below(7) as u32),
            Slot::Date => Arg::Num(rng.below(12 * 31) as u32 / 31 * 31 + range(rng, 0, 27) as u32),
            Slot::Year => Arg::Num(range(rng, 2008, 2025) as u32),
            Slot::Stock => Arg::Stock(rng.below(cast.stocks.len() as u64) as u16, 0),
        }
    }

    fn general_noun(&self, rng: &mut Rng) -> u32 {
        if self.shape.zipf {
            self.lex.zipf_noun(rng)
        } else {
            self.lex.general_noun(rng)
        }
    }
    fn general_verb(&self, rng: &mut Rng) -> u32 {
        if self.shape.zipf {
            self.lex.zipf_verb(rng)
        } else {
            self.lex.general_verb(rng)
        }
    }
    fn general_adj(&self, rng: &mut Rng) -> u32 {
        if self.shape.zipf {
            self.lex.zipf_adj(rng)
        } else {
            self.lex.general_adj(rng)
        }
    }

    pub fn part(&self, rng: &mut Rng, frame: u16, topic: &Topic, cast: &Cast) -> Part {
        let f = self.g.frame(frame);
        let mut p = Part {
            frame,
            variant: rng.below(if f.direct > 0 {
                f.direct
            } else {
                f.variants.len() as u8
            } as u64) as u8,
            args: [Arg::Empty; 5],
        };
        for (i, &slot) in f.sig.iter().enumerate() {
            p.args[i] = self.draw(rng, slot, topic, cast);
            // Two people of one statement are two different people.
            if slot == Slot::Person && cast.people.len() > 1 {
                while p.args[..i].contains(&p.args[i]) {
                    p.args[i] = self.draw(rng, slot, topic, cast);
                }
            }
        }
        p
    }

    /// A part of a frame picked from `frames`.
    pub fn pick_part(&self, rng: &mut Rng, frames: &[u16], topic: &Topic, cast: &Cast) -> Part {
        let frame = *pick(rng, frames);
        self.part(rng, frame, topic, cast)
    }

    fn modifier(&self, rng: &mut Rng, frames: &[u16], topic: &Topic, cast: &Cast) -> Modifier {
        let part = self.pick_part(rng, frames, topic, cast);
        Modifier {
            part,
            front: chance(rng, self.g.frame(part.frame).front),
        }
    }

    /// Adds a modifier from `frames` of a class the sentence does not have
    /// yet (one time, one place...); false when none was found.
    pub fn add_modifier(
        &self,
        rng: &mut Rng,
        s: &mut Sentence,
        frames: &[u16],
        topic: &Topic,
        cast: &Cast,
    ) -> bool {
        if s.n_mods >= 2 {
            return false;
        }
        for _ in 0..4 {
            let frame = *pick(rng, frames);
            let class = self.g.frame(frame).class;
            let taken = s.mods[..s.n_mods as usize]
                .iter()
                .any(|m| self.g.frame(m.part.frame).class == class);
            // A clause with a date already says when.
            let dated = class == ModClass::Time
                && s.clauses[..s.n_clauses as usize].iter().any(|c| {
                    self.g
                        .frame(c.frame)
                        .sig
                        .iter()
                        .any(|x| matches!(x, Slot::Day | Slot::Date | Slot::Year))
                });
            if !taken && !dated {
                let part = self.part(rng, frame, topic, cast);
                s.mods[s.n_mods as usize] = Modifier {
                    part,
                    front: chance(rng, self.g.frame(frame).front),
                };
                s.n_mods += 1;
                return true;
            }
        }
        false
    }

    /// A new sentence about the cast: plain (1 to 3 clauses with modifiers) or
    /// a quote.
    pub fn sentence(&self, rng: &mut Rng, topic: &Topic, cast: &Cast) -> Sentence {
        let mut s = empty_sentence();
        if chance(rng, 0.15) {
            let direct = chance(rng, 0.7);
            s.quote = Some(Quote {
                speaker: focused(rng, cast.people.len(), cast.focus[0]) as u16,
                say: rng.below(SAY.len() as u64) as u8,
                form: rng.below(if direct { DIRECT_FORMS } else { REPORTED_FORMS } as u64) as u8,
                direct,
            });
            let n = if chance(rng, 0.6) { 1 } else { 2 };
            for c in 0..n {
                let mut part = self.pick_part(rng, &self.g.quotes, topic, cast);
                if !direct {
                    let f = self.g.frame(part.frame);
                    part.variant =
                        f.direct + rng.below((f.variants.len() as u8 - f.direct) as u64) as u8;
                }
                s.clauses[c] = part;
            }
            s.n_clauses = n as u8;
            s.conns[0] = (0, 0);
            return s;
        }
        let n = match rng.unit() {
            r if r < 0.3 => 1,
            r if r < 0.8 => 2,
            _ => 3,
        };
        for c in 0..n {
            s.clauses[c] = self.pick_part(rng, &self.g.clauses, topic, cast);
        }
        s.n_clauses = n as u8;
        for conn in &mut s.conns {
            let g = rng.below(CONNECTORS.len() as u64) as usize;
            *conn = (g as u8, rng.below(CONNECTORS[g].len() as u64) as u8);
        }
        let mods = if chance(rng, 0.5) {
            if chance(rng, 0.3) { 2 } else { 1 }
        } else {
            0
        };
        for _ in 0..mods {
            self.add_modifier(rng, &mut s, &self.g.mods, topic, cast);
        }
        while self.g.sentence_words(&s) < 9
            && self.add_modifier(rng, &mut s, &self.g.mods, topic, cast)
        {}
        while self.g.sentence_words(&s) > 30 && s.n_clauses > 1 {
            s.n_clauses -= 1;
        }
        s
    }

    /// The opening sentence: two clauses, the first naming the main person
    /// (and place, when it has a place slot), often with the day.
    fn lead(&self, rng: &mut Rng, topic: &Topic, cast: &Cast, who: u16, place: u16) -> Sentence {
        let mut s = empty_sentence();
        s.clauses[0] = self.pick_part(rng, &self.g.person_clauses, topic, cast);
        s.clauses[1] = self.pick_part(rng, &self.g.clauses, topic, cast);
        s.n_clauses = 2;
        s.conns[0] = (0, rng.below(CONNECTORS[0].len() as u64) as u8);
        let sig = &self.g.frame(s.clauses[0].frame).sig;
        if let Some(i) = sig.iter().position(|&x| x == Slot::Person) {
            s.clauses[0].args[i] = Arg::Person(who);
        }
        if let Some(i) = sig.iter().position(|&x| x == Slot::Place) {
            s.clauses[0].args[i] = Arg::Place(place);
        }
        if chance(rng, 0.6) {
            self.add_modifier(rng, &mut s, &self.g.mods[..1], topic, cast);
        }
        s.para_start = true;
        s
    }

    /// A headline about the lead: its main person and place and some of its
    /// content words.
    pub fn headline(
        &self,
        rng: &mut Rng,
        topic: &Topic,
        cast: &Cast,
        lead: &Sentence,
        who: u16,
        place: u16,
    ) -> Part {
        let mut h = self.pick_part(rng, &self.g.headlines, topic, cast);
        let sig = &self.g.frame(h.frame).sig;
        for (i, &slot) in sig.iter().enumerate() {
            match slot {
                Slot::Person => h.args[i] = Arg::Person(who),
                Slot::Place => h.args[i] = Arg::Place(place),
                _ if chance(rng, 0.6) => {
                    let from_lead = lead.clauses[..lead.n_clauses as usize]
                        .iter()
                        .find_map(|c| {
                            let csig = &self.g.frame(c.frame).sig;
                            csig.iter().position(|&x| x == slot).map(|j| c.args[j])
                        });
                    if let Some(arg) = from_lead {
                        h.args[i] = arg;
                    }
                }
                _ => {}
            }
        }
        h
    }

    fn stock_sentence(&self, rng: &mut Rng, topic: &Topic, cast: &Cast, stock: u16) -> Sentence {
        let mut s;
        if chance(rng, 0.5) {
            s = empty_sentence();
            s.clauses[0] = self.pick_part(rng, &self.g.stock_clauses, topic, cast);
            s.n_clauses = 1;
            if chance(rng, 0.5) {
                s.clauses[1] = self.pick_part(rng, &self.g.clauses, topic, cast);
                s.n_clauses = 2;
                s.conns[0] = (0, rng.below(CONNECTORS[0].len() as u64) as u8);
            }
        } else {
            s = self.sentence(rng, topic, cast);
            s.quote = None;
            s.mods[0] = self.modifier(rng, &self.g.stock_mods, topic, cast);
            s.n_mods = 1;
            s.n_clauses = s.n_clauses.min(2);
        }
        for c in &mut s.clauses {
            for a in &mut c.args {
                if let Arg::Stock(_, _) = a {
                    *a = Arg::Stock(stock, 0);
                }
            }
        }
        if let Arg::Stock(_, _) = s.mods[0].part.args[0] {
            s.mods[0].part.args[0] = Arg::Stock(stock, 0);
        }
        s
    }

    pub fn words(&self, sentences: &[Sentence]) -> usize {
        sentences
            .iter()
            .map(|s| self.g.sentence_words(s) as usize)
            .sum()
    }

    /// Sentences about the cast until about `target` words.
    fn body(
        &self,
        rng: &mut Rng,
        topic: &Topic,
        cast: &Cast,
        target: usize,
        min: usize,
        max: usize,
    ) -> Vec<Sentence> {
        let mut out = Vec::with_capacity(max);
        let mut words = 0;
        while out.len() < max && (words < target || out.len() < min) {
            let s = self.sentence(rng, topic, cast);
            words += self.g.sentence_words(&s) as usize;
            out.push(s);
        }
        out
    }

    /// A fresh story of `topic`.
    pub fn story(&self, rng: &mut Rng, topic: &Topic) -> Story {
        let sh = self.shape;
        let mut people: Vec<Rc<Person>> = Vec::new();
        for _ in 0..range(rng, sh.cast_people.0, sh.cast_people.1) {
            let p = &topic.people[skewed(rng, topic.people.len())];
            if !people.iter().any(|q| Rc::ptr_eq(p, q)) {
                people.push(p.clone());
            }
        }
        let from_topic = people.len();
        // At least one new person: half the leads are about the first.
        for _ in 0..range(rng, sh.new_people.0, sh.new_people.1) {
            people.push(Rc::new(lexicon::person(rng)));
        }
        let mut places: Vec<Rc<str>> = Vec::new();
        for _ in 0..range(rng, sh.cast_places.0, sh.cast_places.1) {
            let p = &topic.places[skewed(rng, topic.places.len())];
            if !places.iter().any(|q| Rc::ptr_eq(p, q)) {
                places.push(p.clone());
            }
        }
        for _ in 0..range(rng, sh.new_places.0, sh.new_places.1) {
            places.push(lexicon::place(rng).into());
        }
        let mut stocks: Vec<Rc<Stock>> = Vec::new();
        for _ in 0..range(rng, 1, 3) {
            let s = pick(rng, &topic.stocks);
            if !stocks.iter().any(|q| Rc::ptr_eq(s, q)) {
                stocks.push(s.clone());
            }
        }
        let cast = Cast {
            people,
            places,
            uniques: (0..range(rng, sh.uniques.0, sh.uniques.1))
                .map(|_| Rc::new(Term::new(rng)))
                .collect(),
            stocks,
            focus: [0; 3],
        };
        let who = if chance(rng, 0.5) {
            0
        } else {
            from_topic as u16
        };
        let place = rng.below(cast.places.len() as u64) as u16;
        let lead = self.lead(rng, topic, &cast, who, place);
        let target = range(rng, sh.words.0, sh.words.1)
            .saturating_sub(self.g.sentence_words(&lead) as usize);
        let mut sentences = vec![lead];
        let n_stocks = cast.stocks.len();
        sentences.extend(self.body(
            rng,
            topic,
            &cast,
            target,
            MIN_SENTENCES - 1,
            sh.max_sentences - 1 - n_stocks,
        ));
        for k in 0..n_stocks {
            let s = self.stock_sentence(rng, topic, &cast, k as u16);
            let at = range(rng, 1, sentences.len());
            sentences.insert(at, s);
        }
        paragraphs(rng, &mut sentences, 1, 3);
        let headline = self.headline(rng, topic, &cast, &sentences[0], who, place);
        Story {
            topic: topic.id,
            cast: Rc::new(cast),
            headline,
            sentences,
        }
    }

    /// A later story of the same topic: a new event with new people, numbers
    /// and terms, that copies 20-40% of `src`'s sentences as background,
    /// verbatim or lightly edited. A different story, not a rewrite.
    pub fn followup(&self, rng: &mut Rng, topic: &Topic, src: &Story) -> Story {
        let old = &src.cast;
        let mut people = old.people.clone();
        let mut places = old.places.clone();
        let mut uniques = old.uniques.clone();
        let mut stocks = old.stocks.clone();
        let focus = [people.len(), places.len(), uniques.len()];
        for _ in 0..range(rng, 2, 3) {
            people.push(Rc::new(lexicon::person(rng)));
        }
        if chance(rng, 0.6) {
            places.push(lexicon::place(rng).into());
        } else {
            places.push(pick(rng, &topic.places).clone());
        }
        for _ in 0..range(rng, 5, 10) {
            uniques.push(Rc::new(Term::new(rng)));
        }
        let new_stock = chance(rng, 0.5).then(|| {
            stocks.push(pick(rng, &topic.stocks).clone());
            (stocks.len() - 1) as u16
        });
        let cast = Cast {
            people,
            places,
            uniques,
            stocks,
            focus,
        };

        // Background: 20-40% of the source's sentences after its lead.
        let n_src = src.sentences.len();
        let k = ((n_src as f64 * (0.2 + 0.2 * rng.unit())).round() as usize).clamp(2, n_src - 1);
        let mut idx: Vec<usize> = (1..n_src).collect();
        for i in 0..k {
            let j = i + rng.below((idx.len() - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(k);
        idx.sort_unstable();
        let mut background: Vec<Sentence> = idx
            .iter()
            .map(|&i| {
                let mut s = src.sentences[i];
                s.para_start = false;
                if chance(rng, 0.3) {
                    crate::rewrite::touch(rng, self, &mut s, 1);
                }
                s
            })
            .collect();
        let bg_words = self.words(&background);

        // New sentences: a majority, about the new people and events.
        let who = focus[0] as u16;
        let place = (cast.places.len() - 1) as u16;
        let lead = self.lead(rng, topic, &cast, who, place);
        let sh = self.shape;
        let target = range(rng, sh.words.0, sh.followup_words).max(bg_words * 5 / 2);
        let max_new = sh.max_sentences.saturating_sub(k + 2).max(k + 1);
        let mut fresh = self.body(
            rng,
            topic,
            &cast,
            target.saturating_sub(bg_words),
            k + 1,
            max_new,
        );
        if let Some(stock) = new_stock {
            let s = self.stock_sentence(rng, topic, &cast, stock);
            let at = rng.below(fresh.len() as u64 + 1) as usize;
            fresh.insert(at, s);
        }
        let before = range(rng, 1, 3).min(fresh.len());
        let mut sentences = Vec::with_capacity(fresh.len() + k + 1);
        sentences.push(lead);
        sentences.extend(fresh.drain(..before));
        if k >= 4 && chance(rng, 0.3) {
            // Background in two blocks.
            let half = k / 2;
            sentences.extend(background.drain(..half));
            let mid = fresh.len() / 2;
            sentences.extend(fresh.drain(..mid));
        }
        sentences.append(&mut background);
        sentences.append(&mut fresh);
        paragraphs(rng, &mut sentences, 1, 3);
        let headline = self.headline(rng, topic, &cast, &sentences[0], who, place);
        Story {
            topic: topic.id,
            cast: Rc::new(cast),
            headline,
            sentences,
        }
    }
}

/// Marks paragraph starts: the lead alone, then `lo..=hi` sentences each.
pub fn paragraphs(rng: &mut Rng, sentences: &mut [Sentence], lo: usize, hi: usize) {
    let mut next = 0;
    let mut first = true;
    for (i, s) in sentences.iter_mut().enumerate() {
        s.para_start = i == next;
        if s.para_start {
            next = i + if first { 1 } else { range(rng, lo, hi) };
            first = false;
        }
    }
}
