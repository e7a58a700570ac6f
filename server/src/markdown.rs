//! Markdown → sanitised HTML for every message's `html` field: pulldown-cmark
//! renders, ammonia removes scripts, event-handler attributes and
//! `javascript:` URLs. Messages are written by visitors (and by an LLM that
//! may repeat them), and the HTML is shown to agents in the console, so:
//! no images (a tracking pixel would report when an agent reads), no
//! relative URLs (a link or request against the console's own origin), and
//! links open in a new tab as `rel="nofollow noopener noreferrer"`.

use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("nofollow noopener noreferrer"))
        .rm_tags(["img"])
        .url_relative(ammonia::UrlRelative::Deny)
        .set_tag_attribute_value("a", "target", "_blank")
        .url_schemes(["http", "https", "mailto"].into_iter().collect());
    b
});

/// Renders `markdown` to HTML that is safe to insert into a page.
pub fn render(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    );
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    CLEANER.clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn renders_markdown() {
        assert_eq!(
            render("**hi** _there_"),
            "<p><strong>hi</strong> <em>there</em></p>\n"
        );
    }

    #[test]
    fn strips_active_content() {
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
        ] {
            let html = render(evil).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "javascript:",
                "<iframe",
                "style=",
            ] {
                assert!(!html.contains(bad), "{evil:?} rendered as {html:?}");
            }
        }
    }

    #[test]
    fn links_do_not_leak_the_opener() {
        let html = render("[docs](https://example.com)");
        assert!(
            html.contains("rel=\"nofollow noopener noreferrer\""),
            "{html}"
        );
        assert!(html.contains("target=\"_blank\""), "{html}");
    }

    #[test]
    fn no_images_and_no_relative_urls() {
        for pixel in [
            "![x](https://tracker.example/p.gif)",
            "<img src=\"https://tracker.example/p.gif\">",
        ] {
            let html = render(pixel).to_lowercase();
            assert!(!html.contains("<img") && !html.contains("tracker"), "{html}");
        }
        for relative in [
            "[admin](/api/v1/sites/demo/admin-key)",
            "[up](../console)",
            "<a href=\"//evil.example/x\">x</a>",
        ] {
            let html = render(relative);
            assert!(!html.contains("href"), "{relative:?} rendered as {html}");
        }
        let html = render("[ok](https://example.com/a)");
        assert!(html.contains("href=\"https://example.com/a\""), "{html}");
    }
}
