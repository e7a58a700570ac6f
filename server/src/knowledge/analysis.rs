//! Text analysis for search, one pipeline for documents and questions and
//! for both backends: words are cut at anything that is not a letter, digit
//! or combining mark; lowercased; Arabic diacritics and tatweel removed; stop
//! words of the text's language dropped; each word stemmed with the Snowball
//! stemmer of its language (`rust-stemmers`, the algorithms Postgres ships)
//! and then folded (accents, Arabic letter variants), so that "Résumé" and
//! "resume", "أحمد" and "احمد" meet. The index stores these stems (SQLite's
//! postings and Postgres's `tsvector` alike), so both backends rank the same
//! terms.

use std::{collections::HashSet, sync::LazyLock};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

use super::stopwords;

/// Names the analysis stored with each indexed passage (`config`): a passage
/// indexed by an older analysis is indexed again at start-up.
pub const VERSION: &str = "a1";
/// Most distinct terms taken from one question.
pub const MAX_QUERY_TERMS: usize = 24;

/// The Snowball algorithm for a BCP 47 tag, `None` when there is none.
fn algorithm(language: &str) -> Option<Algorithm> {
    Some(match primary(language).as_str() {
        "ar" => Algorithm::Arabic,
        "da" => Algorithm::Danish,
        "nl" => Algorithm::Dutch,
        "en" => Algorithm::English,
        "fi" => Algorithm::Finnish,
        "fr" => Algorithm::French,
        "de" => Algorithm::German,
        "el" => Algorithm::Greek,
        "hu" => Algorithm::Hungarian,
        "it" => Algorithm::Italian,
        "no" | "nb" | "nn" => Algorithm::Norwegian,
        "pt" => Algorithm::Portuguese,
        "ro" => Algorithm::Romanian,
        "ru" => Algorithm::Russian,
        "es" => Algorithm::Spanish,
        "sv" => Algorithm::Swedish,
        "ta" => Algorithm::Tamil,
        "tr" => Algorithm::Turkish,
        _ => return None,
    })
}

/// The primary subtag, lowercased (`en-GB` → `en`).
pub fn primary(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The tag stored with a passage indexed for `language`.
pub fn config(language: &str) -> String {
    format!("{VERSION}:{}", primary(language))
}

/// How one language's text is analysed.
pub struct Analyzer {
    language: String,
    stemmer: Option<Stemmer>,
    /// Latin words in a text whose stemmer is for another script (English
    /// names and commands in Arabic text) are stemmed as English, alike in
    /// documents and questions.
    latin: Stemmer,
    arabic: Stemmer,
    stop: &'static HashSet<String>,
}

impl Analyzer {
    pub fn new(language: &str) -> Analyzer {
        let language = primary(language);
        Analyzer {
            stemmer: algorithm(&language).map(Stemmer::create),
            latin: Stemmer::create(Algorithm::English),
            arabic: Stemmer::create(Algorithm::Arabic),
            stop: stopwords::set(&language),
            language,
        }
    }

    /// The stem of one word (already a run of word characters), `None` for
    /// a stop word or a lone letter.
    pub fn term(&self, word: &str) -> Option<String> {
        let lower = clean(word);
        let folded = fold(&lower);
        if folded.is_empty()
            || self.stop.contains(&folded)
            || (folded.chars().count() == 1 && !folded.chars().all(|c| c.is_numeric()))
        {
            return None;
        }
        let stemmed = if lower.chars().any(is_arabic) {
            self.arabic.stem(&lower).into_owned()
        } else if self.language == "ar" {
            self.latin.stem(&lower).into_owned()
        } else if let Some(s) = &self.stemmer {
            s.stem(&lower).into_owned()
        } else {
            lower
        };
        let stem = fold(&stemmed);
        (!stem.is_empty()).then_some(stem)
    }

    /// Every term of `text` in order, repeats kept (term frequency counts),
    /// joined by spaces: what the index stores.
    pub fn index_text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for t in words(text).filter_map(|w| self.term(w)) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t);
        }
        out
    }

    /// The distinct terms of a question, in order (at most
    /// [`MAX_QUERY_TERMS`]).
    pub fn query_terms(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in words(text).filter_map(|w| self.term(w)) {
            if !out.contains(&t) {
                out.push(t);
                if out.len() == MAX_QUERY_TERMS {
                    break;
                }
            }
        }
        out
    }

    /// The distinct terms of `text` (for coverage and highlighting).
    pub fn term_set(&self, text: &str) -> HashSet<String> {
        words(text).filter_map(|w| self.term(w)).collect()
    }
}

/// The words of `text`: runs of letters, digits and combining marks.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|w| !w.is_empty())
}

fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// Lowercase, compatibility forms unfolded (presentation forms of Arabic,
/// ligatures), Arabic diacritics and tatweel removed. Latin accents stay:
/// the stemmers read them.
fn clean(word: &str) -> String {
    word.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}'))
        .collect()
}

/// Accents removed, Arabic letter variants unified (hamza seats on alef,
/// alef maqsura, teh marbuta), `ß` → `ss`.
pub(super) fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.nfd() {
        match c {
            c if is_combining_mark(c) => {}
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// The language of `text` when it can be told with confidence (`en`, `ar`,
/// …); short questions often cannot.
pub fn detect(text: &str) -> Option<&'static str> {
    if mostly_arabic(text) {
        return Some("ar");
    }
    let info = whatlang::detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    use whatlang::Lang::*;
    Some(match info.lang() {
        Eng => "en",
        Fra => "fr",
        Deu => "de",
        Spa => "es",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Rus => "ru",
        Swe => "sv",
        Dan => "da",
        Fin => "fi",
        Nob => "nb",
        Tur => "tr",
        Hun => "hu",
        Ron => "ro",
        Ell => "el",
        Ara => "ar",
        _ => return None,
    })
}

/// Terms to find short free text with (memories): each word's stem and,
/// when it differs, the word itself in lower case, stop words left out.
/// Matched as prefixes, the stem finds inflections in a store that keeps
/// words as written, and the word finds its accented spelling, which a
/// folded stem would miss.
pub fn search_terms(text: &str, language: Option<&str>) -> Vec<String> {
    let analyzer = Analyzer::new(&query_language(text, language, "en"));
    let mut out: Vec<String> = Vec::new();
    for word in words(text) {
        let Some(stem) = analyzer.term(word) else { continue };
        for t in [stem, word.to_lowercase()] {
            if !out.contains(&t) && out.len() < MAX_QUERY_TERMS {
                out.push(t);
            }
        }
    }
    out
}

/// The language to analyse a question in: the conversation's (or the
/// caller's) when given, else the detected one, else `fallback`. An
/// Arabic-script question is analysed as Arabic whatever the conversation
/// says, since a Latin stemmer cannot read it.
pub fn query_language(text: &str, given: Option<&str>, fallback: &str) -> String {
    if mostly_arabic(text) {
        return "ar".into();
    }
    match given.filter(|g| !g.is_empty()) {
        Some(g) => primary(g),
        // Detection (whatlang) only when nothing is given: it costs more
        // than the rest of the analysis.
        None => detect(text).map_or_else(|| primary(fallback), str::to_string),
    }
}

/// More Arabic letters than other letters.
fn mostly_arabic(text: &str) -> bool {
    let (mut arabic, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        arabic += usize::from(is_arabic(c));
    }
    arabic * 2 > letters
}

static EMPTY: LazyLock<HashSet<String>> = LazyLock::new(HashSet::new);

/// The empty set (languages without a stop list).
pub fn no_stop_words() -> &'static HashSet<String> {
    &EMPTY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_stemmed_and_stop_words_go() {
        let en = Analyzer::new("en");
        assert_eq!(
            en.query_terms("How do I install the printers? Installing!"),
            ["instal", "printer"]
        );
        assert_eq!(en.query_terms("the of and ??? !!!"), Vec::<String>::new());
    }

    #[test]
    fn accents_and_case_fold_alike() {
        let fr = Analyzer::new("fr");
        assert_eq!(fr.query_terms("Écran"), fr.query_terms("ecran"));
        assert_eq!(fr.index_text("les écrans"), fr.index_text("ECRAN"));
    }

    #[test]
    fn arabic_diacritics_and_letter_variants_fold() {
        let ar = Analyzer::new("ar");
        assert_eq!(ar.query_terms("الكِتَابُ"), ar.query_terms("الكتاب"));
        assert_eq!(ar.query_terms("أحمد"), ar.query_terms("احمد"));
        assert_eq!(ar.query_terms("مكتبة"), ar.query_terms("مكتبه"));
        // Right-to-left marks and tatweel are no part of a word.
        assert_eq!(ar.query_terms("\u{200F}الكـتاب"), ar.query_terms("الكتاب"));
        assert!(ar.query_terms("كيف هل في").is_empty());
    }

    #[test]
    fn operators_and_noise_are_just_separators() {
        let en = Analyzer::new("en");
        let t = en.query_terms("\"printer\" * NEAR(a b) col:x & | ! ' OR");
        assert!(t.iter().all(|t| t.chars().all(char::is_alphanumeric)), "{t:?}");
        let long = "word ".repeat(2_000) + &"x".repeat(10_000);
        assert!(en.query_terms(&long).len() <= MAX_QUERY_TERMS);
    }

    #[test]
    fn languages_are_detected_when_not_given() {
        assert_eq!(query_language("كيف أغير كلمة المرور", Some("en"), "en"), "ar");
        assert_eq!(
            query_language("Comment changer le fond d'écran de mon bureau ?", None, "en"),
            "fr"
        );
        assert_eq!(query_language("wifi", None, "de"), "de");
        assert_eq!(query_language("wifi", Some("es-MX"), "de"), "es");
    }
}
