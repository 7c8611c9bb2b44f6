//! Mangled copies of a text, as dumps deliver them: lower-cased (LLM-data
//! exports), stripped of punctuation (transcripts, some scrapes), with its
//! lines run together (a page whose headline, byline and captions were
//! joined). `storydup eval --perturb` and the tests judge the verifier on
//! such copies of the labelled sets, made at run time and never stored.

use unicode_normalization::char::is_combining_mark;

/// One way of mangling a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Perturbation {
    /// The text as it is.
    Clean,
    /// Every letter lower-cased.
    Lower,
    /// Every character that is not a letter, digit, mark or space removed,
    /// as `re.sub(r"[^\w\s]", "", text)` does: sentence ends, commas,
    /// quotes, apostrophes and hyphens alike ("don't" becomes "dont").
    NoPunct,
    /// Every run of spaces and line breaks made one space.
    Joined,
}

impl Perturbation {
    pub const ALL: [Perturbation; 4] = [
        Perturbation::Clean,
        Perturbation::Lower,
        Perturbation::NoPunct,
        Perturbation::Joined,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Perturbation::Clean => "clean",
            Perturbation::Lower => "lower",
            Perturbation::NoPunct => "nopunct",
            Perturbation::Joined => "joined",
        }
    }

    pub fn from_name(name: &str) -> Option<Perturbation> {
        Perturbation::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn apply(self, text: &str) -> String {
        match self {
            Perturbation::Clean => text.to_string(),
            Perturbation::Lower => text.to_lowercase(),
            Perturbation::NoPunct => text
                .chars()
                .filter(|&c| c.is_alphanumeric() || c.is_whitespace() || is_combining_mark(c))
                .collect(),
            Perturbation::Joined => text.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_perturbation_does_one_thing() {
        let text = "Putin's envoy met Trump.\n\nTalks in Kyiv, \"soon\" — 3.5% up!";
        assert_eq!(Perturbation::Clean.apply(text), text);
        assert_eq!(
            Perturbation::Lower.apply(text),
            "putin's envoy met trump.\n\ntalks in kyiv, \"soon\" — 3.5% up!"
        );
        assert_eq!(
            Perturbation::NoPunct.apply(text),
            "Putins envoy met Trump\n\nTalks in Kyiv soon  35 up"
        );
        assert_eq!(
            Perturbation::Joined.apply(text),
            "Putin's envoy met Trump. Talks in Kyiv, \"soon\" — 3.5% up!"
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Perturbation::ALL {
            assert_eq!(Perturbation::from_name(p.name()), Some(p));
        }
        assert_eq!(Perturbation::from_name("upper"), None);
    }
}
