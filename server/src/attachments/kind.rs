//! What a file is, decided from its bytes alone (never its name or the
//! client's `Content-Type`): the magic numbers through `infer`, and for
//! anything without one, whether it is plain UTF-8 text. Only the
//! allowlist passes; markup (HTML, SVG, XML) is refused even as "text",
//! so nothing uploaded can become a page.

/// The kinds of file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    /// Valid UTF-8 without NUL characters, not markup.
    Text,
}

impl Kind {
    /// Images are decoded and re-encoded; other kinds are stored as sent.
    pub fn is_image(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg | Kind::Gif | Kind::Webp)
    }

    /// The media type a stored file of this kind is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
            Kind::Text => "text/plain",
        }
    }
}

/// Bytes read before the type is decided (every signature of the allowlist
/// sits in the first few).
pub const SNIFF_BYTES: usize = 512;

/// The kind the first bytes announce: `Ok(Some)` for an allowed binary
/// format, `Ok(None)` when there is no signature (text, perhaps: see
/// [`TextCheck`]), `Err` with the detected media type for anything else.
pub fn sniff(head: &[u8]) -> Result<Option<Kind>, String> {
    let Some(found) = infer::get(head) else {
        return if looks_like_markup(head) {
            Err("text/markup".into())
        } else {
            Ok(None)
        };
    };
    match found.mime_type() {
        "image/png" => Ok(Some(Kind::Png)),
        "image/jpeg" => Ok(Some(Kind::Jpeg)),
        "image/gif" => Ok(Some(Kind::Gif)),
        "image/webp" => Ok(Some(Kind::Webp)),
        "application/pdf" => Ok(Some(Kind::Pdf)),
        other => Err(other.to_string()),
    }
}

/// Whether text starts like a tag, a comment, a declaration or a
/// processing instruction (`<a`, `</`, `<!`, `<?`), after whitespace and a
/// byte-order mark: a browser that ignored `nosniff` would render it.
fn looks_like_markup(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = text.trim_ascii_start();
    match text {
        [b'<', next, ..] => next.is_ascii_alphabetic() || matches!(*next, b'!' | b'?' | b'/'),
        _ => false,
    }
}

/// Checks, piece by piece, that a stream is UTF-8 without NUL characters:
/// a character split between two pieces is carried to the next.
#[derive(Debug, Default)]
pub struct TextCheck {
    carry: Vec<u8>,
    failed: bool,
}

impl TextCheck {
    pub fn feed(&mut self, piece: &[u8]) {
        if self.failed {
            return;
        }
        if piece.contains(&0) {
            self.failed = true;
            return;
        }
        let joined;
        let bytes = if self.carry.is_empty() {
            piece
        } else {
            joined = [self.carry.as_slice(), piece].concat();
            &joined
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => self.carry.clear(),
            // An invalid sequence, not merely one cut at the end.
            Err(e) if e.error_len().is_some() => self.failed = true,
            Err(e) => self.carry = bytes[e.valid_up_to()..].to_vec(),
        }
    }

    /// True when everything fed was text.
    pub fn finish(&self) -> bool {
        !self.failed && self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_comes_from_magic_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(Some(Kind::Png)));
        assert_eq!(sniff(b"%PDF-1.7\n"), Ok(Some(Kind::Pdf)));
        assert_eq!(sniff(b"GIF89a/*"), Ok(Some(Kind::Gif)));
        assert_eq!(sniff(b"hello"), Ok(None));
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        assert!(sniff(&elf).is_err());
        assert!(sniff(b"MZ\x90\0").is_err());
    }

    #[test]
    fn markup_is_refused_even_without_a_signature() {
        for text in [
            "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "  \n<html><body>x</body></html>",
            "\u{feff}<?xml version='1.0'?><svg/>",
            "<!doctype html><p>x",
            "<script>alert(1)</script>",
            "</p>",
        ] {
            assert!(sniff(text.as_bytes()).is_err(), "{text}");
        }
        assert_eq!(sniff(b"a < b and 2<3"), Ok(None));
        assert_eq!(sniff(b"<3 you"), Ok(None));
    }

    #[test]
    fn text_is_utf8_without_nul_even_when_cut_mid_character() {
        let mut check = TextCheck::default();
        let bytes = "héllo wörld ✓".as_bytes();
        for piece in bytes.chunks(1) {
            check.feed(piece);
        }
        assert!(check.finish());
        let mut nul = TextCheck::default();
        nul.feed(b"abc\0def");
        assert!(!nul.finish());
        let mut bad = TextCheck::default();
        bad.feed(b"abc\xff");
        assert!(!bad.finish());
        let mut cut = TextCheck::default();
        cut.feed("é".as_bytes().split_at(1).0);
        assert!(!cut.finish());
    }
}
