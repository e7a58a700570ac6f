//! Turning a question into search terms, and deciding whether a word of a
//! passage matches one of them. Shared by both backends' queries, snippet
//! highlighting and the answer engine's confidence, so all three agree.

/// Words too common to say anything about relevance (en, fr, es, de, ar).
const STOP_WORDS: &[&str] = &[
    // English
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for",
    "from", "get", "has", "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of",
    "on", "or", "our", "should", "so", "that", "the", "their", "there", "these", "this", "to",
    "use", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with", "would",
    "you", "your", "am", "any", "into", "need", "want", "please", "tell", "possible", "way", "s",
    "t", "much", "many", "there", "them", "they", "than", "then", "did", // French
    "le", "la", "les", "un", "une", "des", "du", "de", "et", "est", "que", "qui", "quoi",
    "comment", "pour", "dans", "je", "vous", "il", "elle", "ce", "cette", "mon", "ma", "mes",
    "sur", "pas", "ne", "au", "aux", "en", // Spanish
    "el", "los", "las", "y", "es", "por", "para", "como", "con", "yo", "mi", "su", "qué", "cómo",
    "del", "al", "lo", "se", // German
    "der", "die", "das", "und", "ist", "wie", "ich", "ein", "eine", "mit", "zu", "den", "dem",
    "von", "für", "auf", "kann", "was", "wo", // Arabic
    "في", "من", "على", "إلى", "عن", "ما", "هل", "كيف", "هذا", "هذه", "أن", "و", "يا", "لا", "أنا",
    "هو", "هي", "مع", "او", "أو",
];

/// The distinct search terms of `text`: lowercase alphanumeric words,
/// without stop words, in order of first appearance (at most 32).
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in words(text) {
        let w = word.to_lowercase();
        if STOP_WORDS.contains(&w.as_str()) || out.contains(&w) {
            continue;
        }
        out.push(w);
        if out.len() == 32 {
            break;
        }
    }
    out
}

/// The words of `text` (runs of letters and digits).
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Whether `word` (lowercased) is a form of `term`: equal, or sharing a long
/// enough prefix that both are likely one stem (`install`, `installing`,
/// `installation`).
pub fn matches(word: &str, term: &str) -> bool {
    if word == term || singular(word) == singular(term) {
        return true;
    }
    let common = word
        .chars()
        .zip(term.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let shorter = word.chars().count().min(term.chars().count());
    common >= 5 && common + 4 >= shorter
}

/// `keys` → `key`; short words and `-ss` endings are left alone.
fn singular(word: &str) -> &str {
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem,
        _ => word,
    }
}

/// The share of `terms` found in `text` (0.0–1.0).
pub fn coverage(terms: &[String], text: &str) -> f64 {
    if terms.is_empty() {
        return 0.0;
    }
    let words: Vec<String> = words(text).map(str::to_lowercase).collect();
    let found = terms
        .iter()
        .filter(|t| words.iter().any(|w| matches(w, t)))
        .count();
    found as f64 / terms.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_go_and_duplicates_too() {
        assert_eq!(
            terms("How do I install the widget? Install!"),
            ["install", "widget"]
        );
        assert_eq!(terms("كيف أثبت الأداة"), ["أثبت", "الأداة"]);
        assert!(
            terms("\"; DROP TABLE x; --")
                .iter()
                .all(|t| t.chars().all(char::is_alphanumeric))
        );
    }

    #[test]
    fn word_forms_match() {
        assert!(matches("installing", "install"));
        assert!(matches("installation", "installing"));
        assert!(!matches("cat", "car"));
        assert!(!matches("postgres", "post"));
        assert_eq!(
            coverage(&terms("install docker"), "Installing Lantern"),
            0.5
        );
    }
}
