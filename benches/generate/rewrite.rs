//! Planted rewrites of a story, at three levels:
//!
//! - light: new headline, a few words changed (synonyms, typo fixes), a
//!   clause reworded, a sentence added or removed, a figure corrected;
//! - heavy: every sentence reworded (another wording of its frame, about half
//!   the content words replaced by synonyms, quotes turned into reported
//!   speech and back, modifiers dropped, moved or inserted), sentences split,
//!   merged and reordered, names and numbers kept;
//! - summary: 25-40% of the words, the lead and some key sentences, each
//!   lightly or heavily reworded.

use storydup::hash::SplitMix64 as Rng;

use crate::grammar::{Arg, CONNECTORS, DIRECT_FORMS, Part, REPORTED_FORMS, SAY, Sentence, Slot};
use crate::lexicon::{chance, pick, range};
use crate::story::{Gen, MIN_SENTENCES, Story, Topic, paragraphs};

/// Heavy rewrites: share of clauses given another wording (the rest keep
/// theirs and change only by synonyms).
const P_REWORD: f64 = 0.75;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
    Light,
    Heavy,
    Summary,
}

pub fn rewrite(rng: &mut Rng, gn: &Gen, topic: &Topic, story: &Story, level: Level) -> Story {
    match level {
        Level::Light => light(rng, gn, topic, story),
        Level::Heavy => heavy(rng, gn, topic, story),
        Level::Summary => summary(rng, gn, story),
    }
}

/// A random member of `0..n` other than `cur` (`cur` itself when n is 1).
fn other(rng: &mut Rng, n: u8, cur: u8) -> u8 {
    if n <= 1 || cur >= n {
        return rng.below(n.max(1) as u64) as u8;
    }
    let v = rng.below(n as u64 - 1) as u8;
    if v >= cur { v + 1 } else { v }
}

/// Another wording of the part; for quotes, within direct or reported speech.
fn reword_variant(rng: &mut Rng, gn: &Gen, part: &mut Part, direct: Option<bool>) {
    let f = gn.g.frame(part.frame);
    let (lo, hi) = match direct {
        Some(true) => (0, f.direct),
        Some(false) => (f.direct, f.variants.len() as u8),
        None => (0, f.variants.len() as u8),
    };
    let cur = part.variant.wrapping_sub(lo);
    part.variant = lo + other(rng, hi - lo, cur);
}

/// Replaces the content argument by a synonym (and fixes its spelling).
fn synonym(rng: &mut Rng, gn: &Gen, arg: &mut Arg, share: f64) {
    match arg {
        Arg::Word(id, typo) => {
            *id = gn.lex.synonym(rng, *id);
            *typo = false;
        }
        Arg::Unique(_, syn) => *syn = !*syn,
        Arg::Stock(_, mask) => {
            for bit in 0..8 {
                if chance(rng, share) {
                    *mask ^= 1 << bit;
                }
            }
        }
        _ => {}
    }
}

/// Each content argument becomes a synonym with probability `p`.
fn reword_args(rng: &mut Rng, gn: &Gen, part: &mut Part, p: f64) {
    let sig = &gn.g.frame(part.frame).sig;
    for (i, slot) in sig.iter().enumerate() {
        if slot.is_content() && chance(rng, p) {
            synonym(rng, gn, &mut part.args[i], p);
        }
    }
}

fn fix_typos(part: &mut Part) {
    for a in &mut part.args {
        if let Arg::Word(_, typo) = a {
            *typo = false;
        }
    }
}

/// Parts of a sentence: clauses, then modifiers.
fn parts_mut(s: &mut Sentence) -> impl Iterator<Item = &mut Part> {
    let (nc, nm) = (s.n_clauses as usize, s.n_mods as usize);
    s.clauses[..nc]
        .iter_mut()
        .chain(s.mods[..nm].iter_mut().map(|m| &mut m.part))
}

/// A light edit of one sentence: `n` words replaced by synonyms and, now and
/// then, one clause worded another way.
pub fn touch(rng: &mut Rng, gn: &Gen, s: &mut Sentence, n: usize) {
    let direct = s.quote.map(|q| q.direct);
    for _ in 0..n {
        let total = s.n_clauses as usize + s.n_mods as usize;
        let k = rng.below(total as u64) as usize;
        let part = if k < s.n_clauses as usize {
            &mut s.clauses[k]
        } else {
            &mut s.mods[k - s.n_clauses as usize].part
        };
        let sig = &gn.g.frame(part.frame).sig;
        let content: Vec<usize> = (0..sig.len()).filter(|&i| sig[i].is_content()).collect();
        if !content.is_empty() {
            let i = *pick(rng, &content);
            synonym(rng, gn, &mut part.args[i], 0.3);
        }
    }
    if chance(rng, 0.3) {
        let c = rng.below(s.n_clauses as u64) as usize;
        reword_variant(rng, gn, &mut s.clauses[c], direct);
    }
}

/// Rewords every part of a sentence and changes its function words: another
/// wording, half the content words as synonyms, direct speech reported (or
/// the reverse), connectors swapped, modifiers dropped, moved or added.
fn heavy_sentence(
    rng: &mut Rng,
    gn: &Gen,
    topic: &Topic,
    story: &Story,
    s: &mut Sentence,
    p_syn: f64,
) {
    if let Some(q) = &mut s.quote {
        if chance(rng, 0.5) {
            q.direct = !q.direct;
        }
        let forms = if q.direct {
            DIRECT_FORMS
        } else {
            REPORTED_FORMS
        };
        q.form = other(rng, forms, q.form);
        q.say = other(rng, SAY.len() as u8, q.say);
        let direct = q.direct;
        for c in &mut s.clauses[..s.n_clauses as usize] {
            if chance(rng, P_REWORD) {
                reword_variant(rng, gn, c, Some(direct));
            }
            reword_args(rng, gn, c, p_syn);
            fix_typos(c);
        }
        return;
    }
    for c in &mut s.clauses[..s.n_clauses as usize] {
        if chance(rng, P_REWORD) {
            reword_variant(rng, gn, c, None);
        }
        reword_args(rng, gn, c, p_syn);
        fix_typos(c);
    }
    for conn in &mut s.conns {
        conn.1 = other(rng, CONNECTORS[conn.0 as usize].len() as u8, conn.1);
    }
    if s.n_clauses >= 2 && s.conns[0].0 == 0 && chance(rng, 0.4) {
        s.clauses.swap(0, 1);
    }
    if s.n_clauses == 3 && chance(rng, 0.3) {
        s.n_clauses = 2;
    }
    let mut kept = 0;
    for m in 0..s.n_mods as usize {
        if chance(rng, 0.3) {
            continue;
        }
        let mut md = s.mods[m];
        reword_variant(rng, gn, &mut md.part, None);
        reword_args(rng, gn, &mut md.part, p_syn);
        md.front = chance(rng, gn.g.frame(md.part.frame).front);
        s.mods[kept] = md;
        kept += 1;
    }
    s.n_mods = kept as u8;
    if chance(rng, 0.3) {
        gn.add_modifier(rng, s, &gn.g.insertable_mods, topic, &story.cast);
    }
}

fn light(rng: &mut Rng, gn: &Gen, topic: &Topic, story: &Story) -> Story {
    let mut r = story.clone();
    reword_variant(rng, gn, &mut r.headline, None);
    if chance(rng, 0.4) {
        reword_args(rng, gn, &mut r.headline, 0.3);
    }
    for s in &mut r.sentences {
        parts_mut(s).for_each(fix_typos);
    }
    let n = r.sentences.len();
    for _ in 0..range(rng, 2, 12) {
        let i = rng.below(n as u64) as usize;
        touch(rng, gn, &mut r.sentences[i], 1);
    }
    for _ in 0..range(rng, 0, 3) {
        let s = &mut r.sentences[rng.below(n as u64) as usize];
        let c = rng.below(s.n_clauses as u64) as usize;
        let direct = s.quote.map(|q| q.direct);
        reword_variant(rng, gn, &mut s.clauses[c], direct);
    }
    // A sentence removed (45%), added (40%), or both (15%).
    let r_edit = rng.unit();
    let (remove, add) = (!(0.45..0.85).contains(&r_edit), r_edit >= 0.45);
    if remove && r.sentences.len() > MIN_SENTENCES {
        let i = range(rng, 1, r.sentences.len() - 1);
        let gone = r.sentences.remove(i);
        if gone.para_start && i < r.sentences.len() {
            r.sentences[i].para_start = true;
        }
    }
    if add {
        let mut s = gn.sentence(rng, topic, &story.cast);
        s.para_start = chance(rng, 0.3);
        let at = range(rng, 1, r.sentences.len());
        r.sentences.insert(at, s);
    }
    if chance(rng, 0.5) {
        correct_figure(rng, gn, &mut r);
    }
    r
}

/// Changes one count, percentage or sum of money a little.
fn correct_figure(rng: &mut Rng, gn: &Gen, r: &mut Story) {
    let mut figures = Vec::new();
    for (i, s) in r.sentences.iter().enumerate() {
        for c in 0..s.n_clauses as usize {
            let sig = &gn.g.frame(s.clauses[c].frame).sig;
            for (j, slot) in sig.iter().enumerate() {
                if slot.is_figure() {
                    figures.push((i, c, j));
                }
            }
        }
    }
    if figures.is_empty() {
        return;
    }
    let (i, c, j) = *pick(rng, &figures);
    let pct = matches!(
        gn.g.frame(r.sentences[i].clauses[c].frame).sig[j],
        Slot::Pct
    );
    if let Arg::Num(v) = &mut r.sentences[i].clauses[c].args[j] {
        let step = (*v / 10).max(1) * range(rng, 1, 3) as u32;
        *v = if chance(rng, 0.5) || *v <= step {
            *v + step
        } else {
            *v - step
        };
        if pct {
            *v = (*v).min(999);
        }
    }
}

fn heavy(rng: &mut Rng, gn: &Gen, topic: &Topic, story: &Story) -> Story {
    let mut out: Vec<Sentence> = Vec::with_capacity(story.sentences.len() + 8);
    for (i, s) in story.sentences.iter().enumerate() {
        if i > 0 && chance(rng, 0.1) {
            continue;
        }
        let mut s = *s;
        heavy_sentence(rng, gn, topic, story, &mut s, 0.5);
        if s.quote.is_none() && s.n_clauses >= 2 && chance(rng, 0.35) {
            // Split after the first clause: modifiers in front stay with it.
            let mut a = s;
            let mut b = s;
            a.n_clauses = 1;
            b.clauses.copy_within(1.., 0);
            b.n_clauses -= 1;
            b.conns[0] = b.conns[1];
            a.n_mods = 0;
            b.n_mods = 0;
            for m in &s.mods[..s.n_mods as usize] {
                let t = if m.front { &mut a } else { &mut b };
                t.mods[t.n_mods as usize] = *m;
                t.n_mods += 1;
            }
            out.push(a);
            out.push(b);
        } else {
            out.push(s);
        }
    }
    // Merge neighbours into one sentence now and then.
    let mut merged: Vec<Sentence> = Vec::with_capacity(out.len());
    for s in out {
        if let Some(last) = merged.last_mut()
            && last.quote.is_none()
            && s.quote.is_none()
            && s.n_mods == 0
            && last.n_clauses + s.n_clauses <= 3
            && chance(rng, 0.25)
        {
            let at = last.n_clauses as usize;
            let g = rng.below(2) as usize;
            last.conns[at - 1] = (g as u8, rng.below(CONNECTORS[g].len() as u64) as u8);
            last.clauses[at..at + s.n_clauses as usize]
                .copy_from_slice(&s.clauses[..s.n_clauses as usize]);
            last.n_clauses += s.n_clauses;
            continue;
        }
        merged.push(s);
    }
    // Reorder within and across paragraphs; the lead stays first.
    let n = merged.len();
    for i in 1..n {
        if chance(rng, 0.3) {
            let j = i + 1 + rng.below(3) as usize;
            if j < n {
                merged.swap(i, j);
            }
        }
    }
    paragraphs(rng, &mut merged, 2, 4);
    let mut headline = story.headline;
    reword_variant(rng, gn, &mut headline, None);
    reword_args(rng, gn, &mut headline, 0.5);
    Story {
        topic: story.topic,
        cast: story.cast.clone(),
        headline,
        sentences: merged,
    }
}

fn summary(rng: &mut Rng, gn: &Gen, story: &Story) -> Story {
    let total = gn.words(&story.sentences);
    let target = (total as f64 * (0.25 + 0.15 * rng.unit())) as usize;
    let n = story.sentences.len();
    // Key sentences: the lead, often the second, then early ones first.
    let mut order: Vec<(f64, usize)> = (1..n).map(|i| (i as f64 * rng.unit(), i)).collect();
    if chance(rng, 0.6) {
        order[0].0 = -1.0;
    }
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut picked: Vec<(usize, Sentence)> = Vec::new();
    let mut words = 0;
    for i in std::iter::once(0).chain(order.into_iter().map(|(_, i)| i)) {
        if words >= target {
            break;
        }
        let mut s = story.sentences[i];
        if chance(rng, 0.5) {
            let n = range(rng, 1, 3);
            touch(rng, gn, &mut s, n);
            if chance(rng, 0.5) {
                s.n_mods = 0;
            }
        } else {
            heavy_sentence_no_insert(rng, gn, &mut s);
        }
        if s.quote.is_none() && s.n_clauses >= 2 && chance(rng, 0.4) {
            s.n_clauses = 1;
        }
        words += gn.g.sentence_words(&s) as usize;
        picked.push((i, s));
    }
    picked.sort_by_key(|p| p.0);
    let mut sentences: Vec<Sentence> = picked.into_iter().map(|p| p.1).collect();
    paragraphs(rng, &mut sentences, 1, 2);
    let mut headline = story.headline;
    reword_variant(rng, gn, &mut headline, None);
    reword_args(rng, gn, &mut headline, 0.3);
    Story {
        topic: story.topic,
        cast: story.cast.clone(),
        headline,
        sentences,
    }
}

/// A heavy rewording that adds nothing (summaries only shorten).
fn heavy_sentence_no_insert(rng: &mut Rng, gn: &Gen, s: &mut Sentence) {
    let direct = s.quote.map(|q| q.direct);
    if let Some(q) = &mut s.quote {
        q.say = other(rng, SAY.len() as u8, q.say);
    }
    for c in &mut s.clauses[..s.n_clauses as usize] {
        reword_variant(rng, gn, c, direct);
        reword_args(rng, gn, c, 0.5);
        fix_typos(c);
    }
    if s.n_mods > 0 && chance(rng, 0.5) {
        s.n_mods -= 1;
    }
}
