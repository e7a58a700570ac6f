//! Reading sitemaps (sitemaps.org): the `<loc>` of each `<url>` of a
//! `<urlset>`, or of each `<sitemap>` of a `<sitemapindex>`. Reading stops
//! at `max` locations, so a sitemap of a million URLs costs no more than
//! one of `max`.

use quick_xml::events::Event;

/// What a sitemap lists.
#[derive(Debug, Default, PartialEq)]
pub struct Sitemap {
    /// A sitemap index: `locations` are further sitemaps.
    pub index: bool,
    pub locations: Vec<String>,
    /// More locations followed than were read.
    pub truncated: bool,
}

/// The first `max` locations of the sitemap `xml`.
pub fn parse(xml: &[u8], max: usize) -> Result<Sitemap, String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = Sitemap::default();
    let mut root_seen = false;
    let mut in_loc = false;
    let mut loc = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name();
                let name = name.as_ref();
                if !root_seen {
                    root_seen = true;
                    match name {
                        b"urlset" => {}
                        b"sitemapindex" => out.index = true,
                        _ => return Err("is not a sitemap (no <urlset> or <sitemapindex>)".into()),
                    }
                } else if name == b"loc" {
                    in_loc = true;
                    loc.clear();
                }
            }
            Ok(Event::Text(t)) if in_loc => loc.push_str(&String::from_utf8_lossy(t.as_ref())),
            Ok(Event::GeneralRef(r)) if in_loc => loc.push_str(&crate::knowledge::extract::entity(&r)),
            Ok(Event::CData(t)) if in_loc => loc.push_str(&String::from_utf8_lossy(t.as_ref())),
            Ok(Event::End(e)) if e.local_name().as_ref() == b"loc" => {
                in_loc = false;
                let l = loc.trim();
                if !l.is_empty() {
                    if out.locations.len() == max {
                        out.truncated = true;
                        break;
                    }
                    out.locations.push(l.to_string());
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("is not valid XML ({e})")),
            _ => {}
        }
    }
    if !root_seen {
        return Err("is empty".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_indexes_are_read_and_bounded() {
        let xml = br#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>https://a.example/x?a=1&amp;b=2</loc></url><url><loc> https://a.example/y </loc></url>
            <url><loc>https://a.example/z</loc></url></urlset>"#;
        let s = parse(xml, 2).expect("sitemap");
        assert!(!s.index && s.truncated);
        assert_eq!(s.locations, ["https://a.example/x?a=1&b=2", "https://a.example/y"]);
        let idx = parse(b"<sitemapindex><sitemap><loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>", 10)
            .expect("index");
        assert!(idx.index);
        assert!(parse(b"<html><body>no</body></html>", 10).is_err());
        assert!(parse(b"", 10).is_err());
    }
}
