//! Server-sent events as LLM providers send them: frames split by a blank
//! line, `event:` and `data:` fields. Bytes are buffered until a frame is
//! complete, so a UTF-8 character or a line split across chunks is fine.

/// One event of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub event: Option<String>,
    pub data: String,
}

#[derive(Default)]
pub struct Parser {
    buf: Vec<u8>,
}

impl Parser {
    /// Adds `chunk` and returns the frames it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        self.buf.extend(chunk.iter().filter(|b| **b != b'\r'));
        let mut frames = Vec::new();
        while let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
            let raw: Vec<u8> = self.buf.drain(..end + 2).collect();
            if let Some(f) = parse(&String::from_utf8_lossy(&raw)) {
                frames.push(f);
            }
        }
        frames
    }

    /// True when bytes of an unfinished frame are waiting.
    pub fn has_partial(&self) -> bool {
        self.buf.iter().any(|b| !b.is_ascii_whitespace())
    }
}

fn parse(block: &str) -> Option<Frame> {
    let mut event = None;
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            event = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push(v.strip_prefix(' ').unwrap_or(v));
        }
        // Comments (`:` lines), `id:` and `retry:` are not needed here.
    }
    if data.is_empty() && event.is_none() {
        return None;
    }
    Some(Frame {
        event,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_any_chunking() {
        let wire = "event: a\r\ndata: {\"t\":\"é\"}\r\n\r\n: ping\n\ndata: [DONE]\n\n".as_bytes();
        for size in 1..wire.len() {
            let mut p = Parser::default();
            let mut frames = Vec::new();
            for chunk in wire.chunks(size) {
                frames.extend(p.push(chunk));
            }
            assert_eq!(frames.len(), 2, "chunk size {size}");
            assert_eq!(frames[0].event.as_deref(), Some("a"));
            assert_eq!(frames[0].data, "{\"t\":\"é\"}");
            assert_eq!(frames[1].data, "[DONE]");
            assert!(!p.has_partial());
        }
    }
}
