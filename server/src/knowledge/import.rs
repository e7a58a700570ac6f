//! Reading files into documents for `lantern kb import` and uploads: markdown (`.md`,
//! with optional `---` front matter giving `title`, `url`, `language`),
//! text, HTML, and FAQ files (`.json` `[{"question","answer"}]`, `.csv`
//! `question,answer`) which become one document with a section per question.

use std::path::{Path, PathBuf};

use lantern_shared::knowledge::{CreateDocument, DocumentFormat};

/// A file that will not be imported, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Every importable file under `paths` (folders recursively, sorted).
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        walk(p, &mut files, &mut skipped);
    }
    (files, skipped)
}

fn walk(path: &Path, files: &mut Vec<PathBuf>, skipped: &mut Vec<Skipped>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                skipped.push(Skipped {
                    path: path.into(),
                    reason: format!("cannot read the folder: {e}"),
                });
                return;
            }
        };
        entries.sort();
        for e in entries {
            // Hidden files and folders (.git, editor swap files) are not content.
            if e.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                continue;
            }
            walk(&e, files, skipped);
        }
    } else if path.is_file() {
        files.push(path.into());
    } else {
        skipped.push(Skipped {
            path: path.into(),
            reason: "no such file or folder".into(),
        });
    }
}

/// The document a file holds (see [`super::extract`] for the types).
pub fn read(path: &Path) -> Result<CreateDocument, String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if !super::extract::supported(name) {
        return Err(format!(
            "unsupported file type {:?} (use {})",
            super::extract::extension(name),
            super::extract::ACCEPTED
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    super::extract::document(name, &bytes)
}

/// The document in a text file of type `ext` (`md`, `txt`, `html`, `json`,
/// `csv`), titled `stem` unless the text names its title.
pub fn from_text(ext: &str, stem: &str, text: &str) -> Result<CreateDocument, String> {
    let stem = stem.to_string();
    let doc = match ext {
        "md" | "markdown" => markdown(text, &stem),
        "txt" => CreateDocument {
            title: stem,
            body: text.to_string(),
            format: Some(DocumentFormat::Text),
            ..Default::default()
        },
        "html" | "htm" => CreateDocument {
            title: html_title(text).unwrap_or(stem),
            body: text.to_string(),
            format: Some(DocumentFormat::Html),
            ..Default::default()
        },
        "json" => faq(&stem, json_pairs(text)?),
        "csv" => faq(&stem, csv_pairs(text)?),
        _ => return Err(format!("unsupported file type {ext:?}")),
    };
    Ok(doc)
}

/// A markdown document from a file: front matter first, then the first
/// `# ` heading, then the file name, give the title.
pub fn markdown(text: &str, fallback_title: &str) -> CreateDocument {
    let mut doc = CreateDocument {
        format: Some(DocumentFormat::Markdown),
        ..Default::default()
    };
    let mut body = text;
    if let Some(rest) = text.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---")
    {
        {
            for line in rest[..end].lines() {
                if let Some((k, v)) = line.split_once(':') {
                    let v = v.trim().trim_matches('"').to_string();
                    match k.trim() {
                        "title" => doc.title = v,
                        "url" => doc.url = Some(v),
                        "language" => doc.language = Some(v),
                        _ => {}
                    }
                }
            }
            body = rest[end + 4..].trim_start_matches(['-', '\n']);
        }
    }
    if doc.title.is_empty() {
        doc.title = body
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| fallback_title.to_string());
    }
    doc.body = body.to_string();
    doc
}

pub fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + 7;
    let end = start + lower[start..].find("</title>")?;
    Some(html[start..end].trim().to_string()).filter(|t| !t.is_empty())
}

fn faq(title: &str, pairs: Vec<(String, String)>) -> CreateDocument {
    let body = pairs
        .iter()
        .map(|(q, a)| format!("## {}\n\n{}\n", q.trim(), a.trim()))
        .collect::<Vec<_>>()
        .join("\n");
    CreateDocument {
        title: title.to_string(),
        body,
        format: Some(DocumentFormat::Markdown),
        ..Default::default()
    }
}

fn json_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    #[derive(serde::Deserialize)]
    struct Pair {
        question: String,
        answer: String,
    }
    let pairs: Vec<Pair> = serde_json::from_str(text)
        .map_err(|e| format!("not a JSON list of {{question, answer}}: {e}"))?;
    if pairs.is_empty() {
        return Err("the FAQ is empty".into());
    }
    Ok(pairs.into_iter().map(|p| (p.question, p.answer)).collect())
}

fn csv_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut rows = csv_rows(text);
    if rows.first().is_some_and(|r| {
        r.first()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("question"))
    }) {
        rows.remove(0);
    }
    let mut out = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        match row.as_slice() {
            [q, a] if !q.trim().is_empty() && !a.trim().is_empty() => {
                out.push((q.clone(), a.clone()))
            }
            [only] if only.trim().is_empty() => {}
            _ => return Err(format!("row {} is not `question,answer`", i + 1)),
        }
    }
    if out.is_empty() {
        return Err("the FAQ is empty".into());
    }
    Ok(out)
}

/// RFC 4180 rows: commas, double-quoted fields with `""` escapes and line breaks.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_faq_with_quotes_and_header() {
        let pairs = csv_pairs("question,answer\n\"Hours, please?\",\"9–5, \"\"weekdays\"\"\"\nRefunds?,Within 30 days\n")
            .expect("valid");
        assert_eq!(
            pairs[0],
            ("Hours, please?".into(), "9–5, \"weekdays\"".into())
        );
        assert_eq!(pairs.len(), 2);
        assert!(csv_pairs("a,b,c\n").is_err());
    }

    #[test]
    fn front_matter_sets_title_and_url() {
        let d = markdown(
            "---\ntitle: Install\nurl: /docs/install\n---\n# Ignored\n\nText",
            "x",
        );
        assert_eq!(d.title, "Install");
        assert_eq!(d.url.as_deref(), Some("/docs/install"));
        assert!(d.body.starts_with("# Ignored"));
        assert_eq!(markdown("# Hello\n\nx", "f").title, "Hello");
    }
}
