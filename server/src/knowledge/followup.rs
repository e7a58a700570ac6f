//! Follow-up questions: "and how much does it cost?", "what about
//! printers?", "و ماذا عن …" mean little alone. When a message leans on the
//! conversation (it opens with "and"/"what about", points back with a
//! pronoun, or has at most one word that says anything), retrieval adds the
//! previous visitor question and the titles of the sources the last answer
//! cited; the message's own terms still count twice as much.

use super::analysis::{self, Analyzer};

/// Openings that continue the previous question, per language (folded,
/// lowercase, compared word by word with the message's start).
const OPENINGS: &[(&str, &[&str])] = &[
    ("en", &["and", "what about", "how about", "also", "but", "then", "same for", "or"]),
    ("fr", &["et", "et pour", "et si", "aussi", "mais", "ou"]),
    ("de", &["und", "was ist mit", "wie ist es mit", "auch", "aber", "oder"]),
    ("es", &["y", "que hay de", "y que hay de", "tambien", "pero", "o"]),
    ("ar", &["و", "وماذا", "ماذا عن", "وماذا عن", "وكيف", "وهل", "ايضا", "لكن"]),
];

/// Words that point back to something said before.
const POINTERS: &[(&str, &[&str])] = &[
    ("en", &["it", "its", "this", "that", "they", "them", "these", "those", "one", "there"]),
    ("fr", &["il", "elle", "ils", "elles", "ca", "cela", "ceci", "celui", "celle", "y", "en"]),
    ("de", &["es", "das", "dies", "dieser", "diese", "dieses", "er", "sie", "dort", "dafur"]),
    ("es", &["eso", "esto", "ello", "ese", "esa", "este", "esta", "alli", "ahi"]),
    ("ar", &["ذلك", "هذا", "هذه", "تلك", "هو", "هي", "هم", "هناك"]),
];

/// Whether `text` (in `language`) needs the conversation to be understood.
pub fn leans_on_context(text: &str, language: &str) -> bool {
    let lang = analysis::primary(language);
    let words: Vec<String> = analysis::words(text)
        .map(|w| analysis::fold(&w.to_lowercase()))
        .collect();
    if words.is_empty() {
        return false;
    }
    let listed = |table: &[(&str, &[&'static str])]| -> Vec<&'static str> {
        table
            .iter()
            .filter(|(l, _)| *l == lang || *l == "en")
            .flat_map(|(_, w)| w.iter().copied())
            .collect()
    };
    let opens = listed(OPENINGS).iter().any(|o| {
        let o: Vec<&str> = o.split(' ').collect();
        words.len() >= o.len() && words.iter().zip(&o).all(|(w, o)| w == o)
    });
    // Arabic writes "and" as a prefix: "وماذا", "وكيف".
    let arabic_and = lang == "ar" && words[0].starts_with('و') && words[0].chars().count() > 3;
    let points = points_back(text, &lang);
    // One word that says anything ("Why?", "price?"): too little to stand
    // alone; two already make a question ("shipping costs?").
    let short = Analyzer::new(&lang).query_terms(text).len() <= 1;
    opens || arabic_and || points || short
}

/// Whether `text` has a word pointing back ("it", "that", "ça", "ذلك").
pub fn points_back(text: &str, language: &str) -> bool {
    let lang = analysis::primary(language);
    let pointers: Vec<&str> = POINTERS
        .iter()
        .filter(|(l, _)| *l == lang || *l == "en")
        .flat_map(|(_, w)| w.iter().copied())
        .collect();
    analysis::words(text).any(|w| {
        let w = analysis::fold(&w.to_lowercase());
        // Spanish attaches the pronoun to the verb: "explicarlo", "dímelo".
        let clitic = lang == "es"
            && ["rlo", "rla", "rlos", "rlas", "melo", "mela"]
                .iter()
                .any(|e| w.len() > 4 && w.ends_with(e));
        clitic || pointers.contains(&w.as_str())
    })
}

/// The texts to add to the search for `text`: the previous visitor question
/// and the last answer's source titles, when `text` leans on them.
pub fn context(
    text: &str,
    language: &str,
    previous_question: Option<&str>,
    last_sources: &[String],
) -> Vec<String> {
    let Some(previous) = previous_question.filter(|p| !p.trim().is_empty()) else {
        return Vec::new();
    };
    if !leans_on_context(text, language) {
        return Vec::new();
    }
    let mut out = vec![previous.to_string()];
    out.extend(last_sources.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_ups_are_recognised() {
        assert!(leans_on_context("And how much does it cost?", "en"));
        assert!(leans_on_context("What about printers?", "en"));
        assert!(leans_on_context("Et pour l'imprimante ?", "fr"));
        assert!(leans_on_context("وماذا عن الطابعة؟", "ar"));
        assert!(leans_on_context("Why?", "en"));
        assert!(leans_on_context("¿Puede explicarlo con más detalle?", "es"));
        assert!(!leans_on_context(
            "How do I change the desktop background picture?",
            "en"
        ));
    }

    #[test]
    fn context_needs_a_previous_question() {
        assert!(context("and printers?", "en", None, &[]).is_empty());
        let c = context(
            "and printers?",
            "en",
            Some("How do I share files?"),
            &["Sharing".into()],
        );
        assert_eq!(c, ["How do I share files?", "Sharing"]);
    }
}
