//! What `loader.js` passes to [`crate::mount`]: the embed's settings, as JSON.

/// Settings read by the loader from its `<script>` tag (and `Lantern.identify`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MountConfig {
    /// The site id (`data-site`).
    pub site: String,
    /// API origin: the loader script's own origin.
    pub api: String,
    /// Lower-case BCP 47 tag: `data-lang`, else `<html lang>`, else the browser's.
    pub lang: String,
    /// `data-color`: overrides the site's configured theme colour.
    pub color: Option<String>,
    /// Whether the panel starts open.
    pub open: bool,
    /// Who the host page says the visitor is (`Lantern.identify`).
    pub who: Identity,
}

/// `Lantern.identify({user_id, user_hash, name?, email?, attributes?})`.
/// The profile fields are kept as the JSON members the server reads
/// (encoded once, here), since the widget never looks inside them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    pub user_id: Option<String>,
    pub user_hash: Option<String>,
    /// `"name":…,"email":…,"attributes":{…}`, the members given; empty when none.
    pub profile: String,
}

impl MountConfig {
    /// Parses the loader's JSON; a malformed string falls back to the demo
    /// defaults rather than leaving the visitor without a widget.
    pub fn parse(json: &str) -> Self {
        crate::codec::decode(json).unwrap_or_default()
    }
}

/// Keeps only characters a CSS colour needs, so a colour from the site's
/// config cannot smuggle other declarations into a `style` attribute.
pub fn safe_color(c: &str) -> Option<String> {
    let ok = !c.is_empty()
        && c.len() <= 64
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "#(),.% ".contains(ch));
    ok.then(|| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_loader_json() {
        let c = MountConfig::parse(
            r##"{"site":"demo","api":"http://x","lang":"ar","color":null,"open":true,"who":{"user_id":"u1","name":"Ann","attributes":{"plan":"pro","seats":3,"beta":true,"x":[1]}}}"##,
        );
        assert_eq!(c.site, "demo");
        assert!(c.open);
        assert_eq!(c.lang, "ar");
        assert_eq!(c.who.user_id.as_deref(), Some("u1"));
        assert_eq!(c.who.user_hash, None);
        // Only flat values travel: the server refuses nested attributes.
        assert_eq!(
            c.who.profile,
            r#""name":"Ann","attributes":{"plan":"pro","seats":3,"beta":true}"#
        );
        // No site: the demo defaults, not a half-filled config.
        assert_eq!(
            MountConfig::parse(r#"{"api":"http://x"}"#),
            MountConfig::default()
        );
    }

    #[test]
    fn colours_cannot_carry_other_declarations() {
        assert_eq!(safe_color("#2563eb").as_deref(), Some("#2563eb"));
        assert_eq!(safe_color("rgb(1, 2, 3)").as_deref(), Some("rgb(1, 2, 3)"));
        assert_eq!(safe_color("red;background:url(x)"), None);
        assert_eq!(safe_color(""), None);
    }
}
