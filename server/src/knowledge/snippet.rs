//! Search snippets: the window of a passage with the most query terms,
//! HTML-escaped, with matched words wrapped in `<mark>`. Built here rather
//! than by the database so both backends produce the same, safe markup.

use super::analysis::{self, Analyzer};

/// Words shown in a snippet.
const WINDOW: usize = 30;

/// An HTML snippet of `text` around the terms (analysed terms of the
/// question; `a` analyses the text's words the same way).
pub fn snippet(text: &str, terms: &[String], a: &Analyzer) -> String {
    let matches = |part: &str| a.term(part).is_some_and(|t| terms.contains(&t));
    let words: Vec<&str> = text.split_whitespace().collect();
    let hit: Vec<bool> = words
        .iter()
        .map(|w| analysis::words(w).any(matches))
        .collect();
    // The window start with the most hits (first one wins ties).
    let mut best = (0, 0);
    for start in 0..words.len().saturating_sub(WINDOW).max(1) {
        let n = hit[start..(start + WINDOW).min(words.len())]
            .iter()
            .filter(|h| **h)
            .count();
        if n > best.1 {
            best = (start, n);
        }
    }
    // Start a few words before the window's first hit, for context.
    let first = (best.0..words.len()).find(|i| hit[*i]).unwrap_or(0);
    let start = first.saturating_sub(5);
    let end = (start + WINDOW).min(words.len());
    let mut out = String::new();
    if start > 0 {
        out.push_str("… ");
    }
    for (i, word) in words[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if hit[start + i] {
            mark_word(&mut out, word, &matches);
        } else {
            out.push_str(&escape(word));
        }
    }
    if end < words.len() {
        out.push_str(" …");
    }
    out
}

/// Writes `word` escaped, with its matching letter runs in `<mark>` (so
/// punctuation next to a word stays outside the mark).
fn mark_word(out: &mut String, word: &str, matches: &dyn Fn(&str) -> bool) {
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.is_empty() {
            return;
        }
        if matches(run) {
            out.push_str("<mark>");
            out.push_str(&escape(run));
            out.push_str("</mark>");
        } else {
            out.push_str(&escape(run));
        }
        run.clear();
    };
    for c in word.chars() {
        if c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c) {
            run.push(c);
        } else {
            flush(&mut run, out);
            out.push_str(&escape(&c.to_string()));
        }
    }
    flush(&mut run, out);
}

/// Escapes text for HTML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_matches_and_escapes_the_rest() {
        let en = Analyzer::new("en");
        let terms = en.query_terms("install widget");
        let s = snippet("To <b>install</b> the widgets & more", &terms, &en);
        assert_eq!(
            s,
            "To &lt;b&gt;<mark>install</mark>&lt;/b&gt; the <mark>widgets</mark> &amp; more"
        );
    }

    #[test]
    fn long_text_is_windowed_around_the_hits() {
        let text = format!("{} needle {}", "hay ".repeat(100), "hay ".repeat(100));
        let en = Analyzer::new("en");
        let s = snippet(&text, &en.query_terms("needle"), &en);
        assert!(s.starts_with("… ") && s.ends_with(" …"), "{s}");
        assert!(s.contains("<mark>needle</mark>"), "{s}");
    }
}
