//! A small Server-Sent Events parser for `fetch` response bodies (the
//! streamed reply and the live events stream). Works on bytes, so a chunk
//! that splits a multi-byte character is harmless: lines end at `\n`, which
//! never occurs inside a UTF-8 sequence.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    /// `message` when the stream named none.
    pub event: String,
    pub data: String,
}

/// Incremental parser: feed chunks, get complete events.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    id: Option<String>,
    event: String,
    data: String,
    has_data: bool,
}

impl Parser {
    /// Adds a chunk and returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if let Some(ev) = self.line(line) {
                out.push(ev);
            }
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let data = std::mem::take(&mut self.data);
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            return Some(Event {
                id: self.id.clone(),
                event: if event.is_empty() {
                    "message".into()
                } else {
                    event
                },
                data,
            });
        }
        if line.starts_with(':') {
            return None; // comment / keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = value.into(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" => self.id = Some(value.into()),
            _ => {}
        }
        None
    }

    /// The last event id seen (for `Last-Event-ID` on reconnect).
    pub fn last_id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_split_across_chunks() {
        let mut p = Parser::default();
        assert!(p.push(b"id: 7\nevent: message.cre").is_empty());
        let evs = p.push(b"ated\ndata: {\"a\":1}\r\n\r\n: ping\n\nevent: done\ndata:\n\n");
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].id.as_deref(), Some("7"));
        assert_eq!(evs[0].event, "message.created");
        assert_eq!(evs[0].data, "{\"a\":1}");
        assert_eq!(evs[1].event, "done");
        assert_eq!(p.last_id(), Some("7"));
    }

    #[test]
    fn joins_multi_line_data_and_survives_split_utf8() {
        let mut p = Parser::default();
        let text = "data: مرحبا\ndata: x\n\n".as_bytes();
        let (a, b) = text.split_at(8); // inside the first Arabic letter
        assert!(p.push(a).is_empty());
        let evs = p.push(b);
        assert_eq!(evs[0].data, "مرحبا\nx");
        assert_eq!(evs[0].event, "message");
    }
}
