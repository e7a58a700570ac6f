//! A small HTML-to-markdown reduction for indexing: headings stay headings,
//! block elements become paragraphs, scripts and styles vanish, entities are
//! decoded. Not a renderer — only what search needs.

/// The text of a fetched web page: its `<main>` when it has one, without
/// navigation, headers, footers, sidebars and forms (the boilerplate every
/// page of a site repeats, which would otherwise match every question).
pub fn page_to_markdown(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let main = lower.find("<main").and_then(|start| {
        let end = lower[start..].find("</main").map(|e| start + e)?;
        Some(&html[start..end])
    });
    convert(main.unwrap_or(html), true)
}

/// The text of `html` with `#` headings and blank lines between blocks.
pub fn to_markdown(html: &str) -> String {
    convert(html, false)
}

fn convert(html: &str, drop_boilerplate: bool) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&decode(&rest[..start]));
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        match name.as_str() {
            "nav" | "header" | "footer" | "aside" | "form" | "svg" | "iframe"
                if drop_boilerplate && !closing =>
            {
                rest = skip_past_close(rest, &name);
            }
            "script" | "style" | "noscript" | "template" if !closing => {
                // Skip to the matching close tag.
                rest = skip_past_close(rest, &name);
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                out.push_str("\n\n");
                if !closing {
                    let level = name[1..].parse::<usize>().unwrap_or(1);
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                }
            }
            "p" | "div" | "section" | "article" | "li" | "br" | "tr" | "ul" | "ol" | "table"
            | "blockquote" | "pre" | "header" | "footer" | "main" | "dt" | "dd" => {
                out.push_str("\n\n");
            }
            _ => {}
        }
    }
    out.push_str(&decode(rest));
    out
}

/// What follows the close tag `</name…>` in `rest` ("" when there is
/// none). Scans without copying, so skipping costs what it skips.
fn skip_past_close<'a>(rest: &'a str, name: &str) -> &'a str {
    let close = format!("</{name}");
    let found = rest
        .as_bytes()
        .windows(close.len())
        .position(|w| w.eq_ignore_ascii_case(close.as_bytes()));
    match found {
        Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
        None => "",
    }
}

/// Decodes the common named entities and numeric references.
fn decode(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let entity = &rest[1..e];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_structure_and_drops_scripts() {
        let md = to_markdown("<h1>T</h1><p>a &lt;b&gt; &#233;</p><style>p{}</style><p>c</p>");
        assert!(md.contains("# T"), "{md}");
        assert!(md.contains("a <b> é"), "{md}");
        assert!(!md.contains("p{}"), "{md}");
    }

    #[test]
    fn pages_lose_their_boilerplate() {
        let page = "<html><head><title>T</title><script>x()</script></head><body>\
            <nav><a>Home</a> <a>Pricing</a></nav><header>Brand</header>\
            <main><h1>Refunds</h1><p>Within 30 days.</p><aside>Ads</aside></main>\
            <footer>© Co</footer></body></html>";
        let md = page_to_markdown(page);
        assert!(md.contains("# Refunds") && md.contains("Within 30 days."), "{md}");
        for gone in ["Home", "Brand", "Ads", "© Co", "x()"] {
            assert!(!md.contains(gone), "{gone} in {md}");
        }
        let no_main = page_to_markdown("<body><nav>Menu</nav><p>Body text</p><footer>F</footer></body>");
        assert!(no_main.contains("Body text") && !no_main.contains("Menu"), "{no_main}");
    }
}
