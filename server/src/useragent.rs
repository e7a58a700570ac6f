//! Browser and OS from a User-Agent string, for the inbox's visitor panel.
//!
//! A small parser for the major browsers and systems rather than a crate:
//! the panel shows a family and a major version, nothing decides on it,
//! and the maintained parsers carry large regex sets (the uap-core rules)
//! for a precision this does not need. Order matters: Edge and Opera also
//! say "Chrome", Chrome also says "Safari".

/// `(browser, os)`, e.g. `(Some("Firefox 128"), Some("Windows"))`.
pub fn parse(ua: &str) -> (Option<String>, Option<String>) {
    (browser(ua), os(ua))
}

fn version_after(ua: &str, marker: &str) -> Option<String> {
    let start = ua.find(marker)? + marker.len();
    let major: String = ua[start..].chars().take_while(char::is_ascii_digit).collect();
    (!major.is_empty()).then_some(major)
}

fn browser(ua: &str) -> Option<String> {
    const FAMILIES: [(&str, &str); 10] = [
        ("Edg/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
    ];
    for (marker, name) in FAMILIES {
        if ua.contains(marker) {
            return Some(match version_after(ua, marker) {
                Some(v) => format!("{name} {v}"),
                None => name.to_string(),
            });
        }
    }
    if ua.contains("Safari/") {
        return Some(match version_after(ua, "Version/") {
            Some(v) => format!("Safari {v}"),
            None => "Safari".into(),
        });
    }
    None
}

fn os(ua: &str) -> Option<String> {
    let name = if ua.contains("Windows") {
        "Windows".to_string()
    } else if ua.contains("Android") {
        match version_after(ua, "Android ") {
            Some(v) => format!("Android {v}"),
            None => "Android".into(),
        }
    } else if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
        match version_after(ua, " OS ") {
            Some(v) => format!("iOS {v}"),
            None => "iOS".into(),
        }
    } else if ua.contains("CrOS") {
        "ChromeOS".into()
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS".into()
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux".into()
    } else {
        return None;
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn both(ua: &str) -> (String, String) {
        let (b, o) = parse(ua);
        (b.unwrap_or_default(), o.unwrap_or_default())
    }

    #[test]
    fn major_browsers_and_systems() {
        assert_eq!(
            both("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"),
            ("Edge 126".into(), "Windows".into())
        );
        assert_eq!(
            both("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            ("Firefox 128".into(), "Linux".into())
        );
        assert_eq!(
            both("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"),
            ("Safari 17".into(), "macOS".into())
        );
        assert_eq!(
            both("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1"),
            ("Chrome 126".into(), "iOS 17".into())
        );
        assert_eq!(
            both("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36"),
            ("Samsung Internet 25".into(), "Android 14".into())
        );
        assert_eq!(
            both("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"),
            ("Headless Chrome 131".into(), "Linux".into())
        );
        assert_eq!(parse("curl/8.5.0"), (None, None));
    }
}
