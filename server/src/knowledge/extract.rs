//! Files into documents, by their name's extension: markdown, text, HTML,
//! PDF (text extracted by `pdf-extract`), Word `.docx` (the paragraphs of
//! `word/document.xml`, read through a size-capped unzip), and FAQ files
//! (`.csv` / `.json` of question and answer, which become one document with
//! a section per question: searchable like any page, listed and deleted as
//! one). Used by uploads and by `lantern kb import`.

use std::io::Read;

use lantern_shared::knowledge::{CreateDocument, DocumentFormat};

use super::import;

/// The extensions accepted, for messages.
pub const ACCEPTED: &str = ".md, .txt, .html, .pdf, .docx, .csv or .json";
/// Largest `word/document.xml` unpacked from a `.docx` (a zip bomb stops here).
const MAX_DOCX_XML_BYTES: u64 = 20 * 1024 * 1024;

/// The lower-case extension of `name`.
pub fn extension(name: &str) -> String {
    std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// Whether files named like `name` can be read.
pub fn supported(name: &str) -> bool {
    matches!(
        extension(name).as_str(),
        "md" | "markdown" | "txt" | "html" | "htm" | "json" | "csv" | "pdf" | "docx"
    )
}

/// The document in the file `name` holding `bytes`. PDF extraction is CPU
/// work: callers on a runtime run this in `spawn_blocking`.
pub fn document(name: &str, bytes: &[u8]) -> Result<CreateDocument, String> {
    let ext = extension(name);
    let stem = std::path::Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document")
        .replace(['-', '_'], " ");
    match ext.as_str() {
        "pdf" => Ok(text_document(&stem, pdf_text(bytes)?)),
        "docx" => Ok(CreateDocument {
            title: stem,
            body: docx_markdown(bytes)?,
            format: Some(DocumentFormat::Markdown),
            ..Default::default()
        }),
        "md" | "markdown" | "txt" | "html" | "htm" | "json" | "csv" => {
            import::from_text(&ext, &stem, text(bytes)?)
        }
        _ => Err(format!("unsupported file type {ext:?} (use {ACCEPTED})")),
    }
}

/// `bytes` as text: UTF-8 (a byte-order mark dropped) without NUL or other
/// control characters a text file does not hold.
fn text(bytes: &[u8]) -> Result<&str, String> {
    let s = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("holds binary data, not text".into());
    }
    Ok(s)
}

fn text_document(title: &str, body: String) -> CreateDocument {
    CreateDocument {
        title: title.to_string(),
        body,
        format: Some(DocumentFormat::Text),
        ..Default::default()
    }
}

/// The text of a PDF; corrupt files, encrypted ones and scans without a
/// text layer are refused with a reason. `pdf-extract` panics on some
/// malformed files, so a panic is caught and reported as corruption.
fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    if !bytes.starts_with(b"%PDF-") {
        return Err("is not a PDF file".into());
    }
    let out = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
    let text = match out {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            let e = e.to_string();
            // The PDF library names a locked file's failure after the step
            // that failed ("decryption error: …"), seldom after the lock.
            let lower = e.to_ascii_lowercase();
            return Err(if lower.contains("crypt") || lower.contains("password") {
                "is an encrypted PDF; remove the password and upload it again".into()
            } else {
                format!("cannot be read as a PDF ({e})")
            });
        }
        Err(_) => return Err("is a damaged PDF that cannot be read".into()),
    };
    // Extraction leaves runs of blank lines, stray spaces and form feeds
    // between pages.
    let text = text.replace('\u{c}', "\n");
    let mut body = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !body.is_empty() {
            body.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        body.push_str(line);
    }
    if body.trim().is_empty() {
        return Err("has no text layer (a scan?): nothing to index".into());
    }
    Ok(body)
}

/// The paragraphs of a `.docx` as markdown: `Heading N` styles become
/// headings, other paragraphs paragraphs.
fn docx_markdown(bytes: &[u8]) -> Result<String, String> {
    use quick_xml::events::Event;

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| "is not a .docx file (not a zip archive)".to_string())?;
    let entry = zip
        .by_name("word/document.xml")
        .map_err(|_| "is not a .docx file (no word/document.xml)".to_string())?;
    // The declared size can lie; the reader is capped as well.
    if entry.size() > MAX_DOCX_XML_BYTES {
        return Err("unpacks to more than 20 MB of text: refused".into());
    }
    let mut xml = Vec::new();
    entry
        .take(MAX_DOCX_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|_| "is a damaged .docx file".to_string())?;
    if xml.len() as u64 > MAX_DOCX_XML_BYTES {
        return Err("unpacks to more than 20 MB of text: refused".into());
    }
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut out = String::new();
    let mut para = String::new();
    let mut heading = 0usize;
    let mut in_text = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                b"w:t" => in_text = true,
                b"w:tab" => para.push(' '),
                b"w:br" => para.push('\n'),
                b"w:pStyle" => {
                    for a in e.attributes().flatten() {
                        if a.key.as_ref() == b"w:val" {
                            let v = String::from_utf8_lossy(&a.value).to_ascii_lowercase();
                            heading = v
                                .strip_prefix("heading")
                                .and_then(|n| n.parse().ok())
                                .unwrap_or(if v == "title" { 1 } else { 0 });
                        }
                    }
                }
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => {
                para.push_str(&String::from_utf8_lossy(t.as_ref()));
            }
            Ok(Event::GeneralRef(r)) if in_text => para.push_str(&entity(&r)),
            Ok(Event::End(e)) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => {
                    let text = para.trim();
                    if !text.is_empty() {
                        if heading > 0 {
                            out.push_str(&"#".repeat(heading.min(6)));
                            out.push(' ');
                        }
                        out.push_str(text);
                        out.push_str("\n\n");
                    }
                    para.clear();
                    heading = 0;
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(_) => return Err("is a damaged .docx file (bad XML)".into()),
            _ => {}
        }
    }
    if out.trim().is_empty() {
        return Err("holds no text".into());
    }
    Ok(out)
}

/// The text of an XML entity reference: the five predefined ones and
/// character references; others (DTD-defined) are dropped.
pub fn entity(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match &**r {
        b"amp" => "&",
        b"lt" => "<",
        b"gt" => ">",
        b"quot" => "\"",
        b"apos" => "'",
        _ => "",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_renamed_txt_is_refused() {
        let err = document("x.txt", &[0x7f, b'E', b'L', b'F', 0, 1, 2]).expect_err("binary");
        assert!(err.contains("binary"), "{err}");
        assert!(document("x.txt", &[0xff, 0xfe, 0]).is_err());
        assert!(document("x.exe", b"hi").expect_err("type").contains("unsupported"));
    }

    fn docx(xml: &[u8], method: zip::CompressionMethod) -> Vec<u8> {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .expect("entry");
        w.write_all(xml).expect("write");
        w.finish().expect("finish");
        buf.into_inner()
    }

    #[test]
    fn docx_paragraphs_and_headings() {
        let xml = br#"<w:document xmlns:w="w"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Returns</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Within 30 days </w:t></w:r><w:r><w:t>&amp; free.</w:t></w:r></w:p>
            </w:body></w:document>"#;
        let d = document("policy.docx", &docx(xml, zip::CompressionMethod::Stored)).expect("docx");
        assert_eq!(d.body, "# Returns\n\nWithin 30 days & free.\n\n");
        assert_eq!(d.title, "policy");
    }

    #[test]
    fn a_docx_bomb_is_refused() {
        let mut xml = b"<w:document><w:body><w:p><w:r><w:t>".to_vec();
        xml.resize(21 * 1024 * 1024, b'a');
        let bomb = docx(&xml, zip::CompressionMethod::Deflated);
        assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
        let err = document("bomb.docx", &bomb).expect_err("refused");
        assert!(err.contains("20 MB"), "{err}");
    }

    #[test]
    fn garbage_pdf_and_docx_are_refused_not_panics() {
        assert!(document("a.pdf", b"%PDF-1.4\n garbage").is_err());
        assert!(document("a.pdf", b"hello").is_err());
        assert!(document("a.docx", b"PK\x03\x04 not really").is_err());
    }
}
