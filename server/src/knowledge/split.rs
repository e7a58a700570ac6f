//! Splitting a document into passages: blocks (paragraphs, list items, code)
//! grouped under their heading path, a few hundred words at most, so a search
//! hit points at the part of a document that answers rather than the whole.

use lantern_shared::knowledge::DocumentFormat;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Passages grow to about this many words before a new one starts.
pub const PASSAGE_WORDS: usize = 180;

/// One searchable piece of a document (the database's passage row).
pub use crate::db::NewPassage as Passage;

/// Splits `body` (written in `format`) into passages titled under `title`.
pub fn split(title: &str, body: &str, format: DocumentFormat) -> Vec<Passage> {
    match format {
        DocumentFormat::Markdown => split_markdown(title, body),
        DocumentFormat::Html => split_markdown(title, &super::html::to_markdown(body)),
        DocumentFormat::Text => {
            let blocks = body
                .split("\n\n")
                .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|b| !b.is_empty());
            let mut out = Builder::new(title);
            for b in blocks {
                out.block(b);
            }
            out.finish()
        }
    }
}

fn split_markdown(title: &str, body: &str) -> Vec<Passage> {
    let mut out = Builder::new(title);
    let mut text = String::new();
    let mut in_heading: Option<usize> = None;
    for event in Parser::new(body) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                out.flush_block(&mut text);
                in_heading = Some(level as usize);
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(level) = in_heading.take() {
                    out.heading(level, text.trim());
                }
                text.clear();
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock | TagEnd::TableRow) => {
                out.flush_block(&mut text);
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::TableCell) => text.push_str(" | "),
            _ => {}
        }
    }
    out.flush_block(&mut text);
    out.finish()
}

/// Accumulates blocks into passages under the current heading path.
struct Builder {
    title: String,
    path: Vec<(usize, String)>,
    body: Vec<String>,
    words: usize,
    passages: Vec<Passage>,
}

impl Builder {
    fn new(title: &str) -> Builder {
        Builder {
            title: title.trim().to_string(),
            path: Vec::new(),
            body: Vec::new(),
            words: 0,
            passages: Vec::new(),
        }
    }

    fn heading(&mut self, level: usize, text: &str) {
        self.end_passage();
        self.path.retain(|(l, _)| *l < level);
        // A top heading repeating the document title adds nothing.
        let repeats_title = self.path.is_empty() && text.eq_ignore_ascii_case(&self.title);
        if !text.is_empty() && !repeats_title {
            self.path.push((level, text.to_string()));
        }
    }

    fn flush_block(&mut self, text: &mut String) {
        let block = text.split_whitespace().collect::<Vec<_>>().join(" ");
        text.clear();
        if !block.is_empty() {
            self.block(block);
        }
    }

    fn block(&mut self, block: String) {
        let n = block.split_whitespace().count();
        if self.words > 0 && self.words + n > PASSAGE_WORDS {
            self.end_passage();
        }
        self.words += n;
        self.body.push(block);
    }

    fn end_passage(&mut self) {
        if self.body.is_empty() {
            return;
        }
        let mut heading = vec![self.title.clone()];
        heading.extend(self.path.iter().map(|(_, t)| t.clone()));
        self.passages.push(Passage {
            heading: heading.join(" › "),
            body: std::mem::take(&mut self.body).join("\n"),
        });
        self.words = 0;
    }

    fn finish(mut self) -> Vec<Passage> {
        self.end_passage();
        self.passages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_become_the_passage_path() {
        let md = "# Guide\n\nIntro text.\n\n## Install\n\nRun it.\n\n### Linux\n\n- apt install\n- run\n\n## Use\n\nType.";
        let p = split("Guide", md, DocumentFormat::Markdown);
        let headings: Vec<&str> = p.iter().map(|p| p.heading.as_str()).collect();
        assert_eq!(
            headings,
            [
                "Guide",
                "Guide › Install",
                "Guide › Install › Linux",
                "Guide › Use"
            ]
        );
        assert_eq!(p[2].body, "apt install\nrun");
    }

    #[test]
    fn long_sections_are_cut_into_several_passages() {
        let para = "word ".repeat(100);
        let md = format!("## A\n\n{para}\n\n{para}\n\n{para}");
        let p = split("Doc", &md, DocumentFormat::Markdown);
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|p| p.heading == "Doc › A"));
    }

    #[test]
    fn text_and_html_are_split_too() {
        let p = split("T", "one\n\ntwo", DocumentFormat::Text);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].body, "one\ntwo");
        let p = split(
            "H",
            "<h2>Ship</h2><p>Fast &amp; free</p><script>x()</script>",
            DocumentFormat::Html,
        );
        assert_eq!(p[0].heading, "H › Ship");
        assert_eq!(p[0].body, "Fast & free");
    }
}
