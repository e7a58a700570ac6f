//! The display name of an upload. The server names stored files itself;
//! the client's file name is kept only as text to show, cleaned so that it
//! can neither point anywhere nor disguise itself: no path, no control or
//! invisible formatting characters, no bidirectional overrides (which make
//! `gpj.exe` read as `exe.jpg`), bounded length.

/// The longest display name kept, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// What is shown when nothing usable is left.
const FALLBACK: &str = "file";

/// `given` cleaned for display.
pub fn display_name(given: Option<&str>) -> String {
    let given = given.unwrap_or_default();
    // The last path part, whichever separator the client's system uses.
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        return FALLBACK.into();
    }
    let mut out: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
    if out.chars().count() < trimmed.chars().count() {
        // Keep the extension readable when the stem is cut.
        if let Some((_, ext)) = trimmed.rsplit_once('.')
            && !ext.is_empty()
            && ext.chars().count() <= 10
        {
            let stem_len = MAX_NAME_CHARS - ext.chars().count() - 2;
            out = trimmed.chars().take(stem_len).collect();
            out.push('…');
            out.push('.');
            out.push_str(ext);
        }
    }
    out
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), marks, zero-width characters and other format
/// characters that change how a name reads without showing themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{061C}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_hidden_characters_go() {
        assert_eq!(display_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(display_name(Some("C:\\Users\\me\\shot.png")), "shot.png");
        assert_eq!(display_name(Some("invoice\u{202E}gpj.exe")), "invoicegpj.exe");
        assert_eq!(display_name(Some("a\u{2066}b\u{2069}\u{200F}c\n\t.txt")), "abc.txt");
        assert_eq!(display_name(Some("../")), "file");
        assert_eq!(display_name(Some("..")), "file");
        assert_eq!(display_name(Some(".hidden")), "hidden");
        assert_eq!(display_name(None), "file");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "x".repeat(500));
        let shown = display_name(Some(&long));
        assert_eq!(shown.chars().count(), MAX_NAME_CHARS);
        assert!(shown.ends_with("….pdf"), "{shown}");
    }
}
