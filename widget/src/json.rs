//! JSON for the widget, without serde.
//!
//! Every visitor downloads the widget's wasm, and serde's generic
//! (de)serialisers, its error messages and the float formatting they pull in
//! cost about a fifth of its gzip size. The widget reads a handful of the API's shapes
//! and writes four tiny request bodies, so it parses into a small [`Json`]
//! tree and decodes the `lantern-shared` types by hand ([`crate::codec`]).
//! The unit tests there check each decoder against the server's own serde
//! output, so the two cannot drift apart silently.

/// A parsed JSON value. Numbers keep only integers (every number the widget
/// reads is one); any other number parses as [`Json::Number`] with `None`.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Option<i64>),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

static NULL: Json = Json::Null;

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: u32 = 64;

impl Json {
    /// Parses a complete JSON text; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Json> {
        let mut p = Parser {
            s: text.as_bytes(),
            at: 0,
        };
        let v = p.value(0)?;
        p.ws();
        (p.at == p.s.len()).then_some(v)
    }

    /// The member `key` of an object; `Null` when absent or not an object.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(members) => members
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            Json::Number(n) => *n,
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn word(&mut self, w: &[u8], v: Json) -> Option<Json> {
        let end = self.at + w.len();
        (self.s.get(self.at..end)? == w).then(|| {
            self.at = end;
            v
        })
    }

    fn value(&mut self, depth: u32) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'n' => self.word(b"null", Json::Null),
            b't' => self.word(b"true", Json::Bool(true)),
            b'f' => self.word(b"false", Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        self.eat(b',').then_some(())?;
                    }
                }
                Some(Json::Array(items))
            }
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.eat(b':').then_some(())?;
                        members.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        self.eat(b',').then_some(())?;
                    }
                }
                Some(Json::Object(members))
            }
            _ => self.number(),
        }
    }

    /// A number: its value when it is an integer that fits an `i64`.
    fn number(&mut self) -> Option<Json> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let digits = self.at;
        let mut n: Option<i64> = Some(0);
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n
                .and_then(|n| n.checked_mul(10))
                .and_then(|n| n.checked_add(i64::from(d - b'0')));
            self.at += 1;
        }
        if self.at == digits {
            return None;
        }
        let mut integral = true;
        while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = self.peek() {
            integral = false;
            self.at += 1;
        }
        let negative = self.s[start] == b'-';
        let n = n
            .filter(|_| integral)
            .map(|n| if negative { -n } else { n });
        Some(Json::Number(n))
    }

    fn string(&mut self) -> Option<String> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek()?;
            self.at += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.at += 1;
                    let c = match e {
                        b'"' | b'\\' | b'/' => e as char,
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0..0x20 => return None,
                _ => out.push(b),
            }
        }
    }

    /// After `\u`: one code point, joining a surrogate pair.
    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if !(0xD800..0xDC00).contains(&hi) {
            return char::from_u32(hi);
        }
        if self.s.get(self.at..self.at + 2)? != b"\\u" {
            return None;
        }
        self.at += 2;
        let lo = self.hex4()?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            let d = (self.peek()? as char).to_digit(16)?;
            v = v * 16 + d;
            self.at += 1;
        }
        Some(v)
    }
}

/// Builds a JSON object as text, member by member.
pub struct Writer(String);

impl Writer {
    pub fn new() -> Self {
        Writer(String::from("{"))
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        quote(&mut self.0, key);
        self.0.push(':');
    }

    /// A string member.
    pub fn str(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        quote(&mut self.0, value);
        self
    }

    /// A string member, left out when `None` (the API's optional fields).
    pub fn opt(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(key, v),
            None => self,
        }
    }

    /// An array of strings, left out when empty (`attachment_ids`).
    pub fn strs(mut self, key: &str, values: &[String]) -> Self {
        if values.is_empty() {
            return self;
        }
        self.key(key);
        for (i, v) in values.iter().enumerate() {
            self.0.push(if i == 0 { '[' } else { ',' });
            quote(&mut self.0, v);
        }
        self.0.push(']');
        self
    }

    /// Members already written as JSON (`"a":1,"b":2`), appended as they are.
    pub fn members(mut self, text: &str) -> Self {
        if !text.is_empty() {
            if self.0.len() > 1 {
                self.0.push(',');
            }
            self.0.push_str(text);
        }
        self
    }

    /// An object member of the flat values among `members` (strings,
    /// integers, booleans); anything else is left out.
    pub fn flat(mut self, key: &str, members: &[(String, Json)]) -> Self {
        let mut inner = Writer::new();
        for (k, v) in members {
            let value = match v {
                Json::String(s) => {
                    inner = inner.str(k, s);
                    continue;
                }
                Json::Number(Some(n)) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => continue,
            };
            inner.key(k);
            inner.0.push_str(&value);
        }
        self.key(key);
        self.0.push_str(&inner.finish());
        self
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Appends `s` as a JSON string literal.
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_serde_json_writes() {
        let value = serde_json::json!({
            "s": "a \"quoted\" \\ line\nbreak \u{1} é 😀 مرحبا",
            "n": -42, "big": 9007199254740993_i64, "f": 1.5, "e": 1e3,
            "t": true, "no": false, "z": null,
            "a": [1, [2, {"deep": []}], {}],
        });
        let text = serde_json::to_string(&value).expect("serialises");
        let j = Json::parse(&text).expect("parses");
        assert_eq!(j.get("s").str(), value["s"].as_str());
        assert_eq!(j.get("n").int(), Some(-42));
        assert_eq!(j.get("big").int(), Some(9007199254740993));
        assert_eq!(j.get("f"), &Json::Number(None));
        assert_eq!(j.get("e"), &Json::Number(None));
        assert_eq!(j.get("t"), &Json::Bool(true));
        assert_eq!((j.get("z"), j.get("missing")), (&Json::Null, &Json::Null));
        let Json::Array(a) = j.get("a") else {
            panic!("not an array")
        };
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let j = Json::parse(r#"["\u00e9\ud83d\ude00\/\b\f\t", "\u0041"]"#).expect("parses");
        assert_eq!(
            j,
            Json::Array(vec![
                Json::String("é😀/\u{8}\u{c}\t".into()),
                Json::String("A".into())
            ])
        );
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "{a:1}",
            "\"open",
            "tru",
            "nul",
            "-",
            "1 2",
            "\"\\x\"",
            "\"\\ud83d\"",
            "\"\\ud83d\\u0041\"",
            "\"tab\there\"",
            "[1}",
            "{\"a\":1,}",
        ] {
            assert_eq!(Json::parse(bad), None, "{bad:?} parsed");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(Json::parse(&deep), None, "nesting is bounded");
        let ok = "[".repeat(60) + &"]".repeat(60);
        assert!(Json::parse(&ok).is_some());
    }

    #[test]
    fn written_strings_read_back_exactly() {
        let nasty = "\"</script>\\\u{0}\u{1f}\n\r\t é 😀";
        let text = Writer::new().str("a", nasty).opt("b", None).finish();
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, serde_json::json!({ "a": nasty }));
    }
}
